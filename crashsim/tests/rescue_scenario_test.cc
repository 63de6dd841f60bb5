// The rescue scenario passes every crash state of classes 1-5, and its
// oracle has teeth: the same rescue with block files never fsynced (their
// data can be lost after the rename made the block visible) must be caught.
#include <gtest/gtest.h>

#include "crashsim/runner.h"
#include "crashsim/scenario.h"
#include "crashsim/variant.h"

namespace crashsim {
namespace {

// Forwards everything, but Sync of a file inside a block being written
// returns OK without syncing.
class NoBlockSyncFs final : public walproof::Fs {
 public:
  explicit NoBlockSyncFs(walproof::Fs& base) : base_(base) {}

  walproof::Result<std::unique_ptr<walproof::WritableFile>> Create(const std::string& path) override {
    auto f = base_.Create(path);
    if (!f.ok() || path.find(".tmp-for-creation/") == std::string::npos) return f;
    return std::unique_ptr<walproof::WritableFile>(new NoSyncFile(std::move(*f)));
  }
  walproof::Result<std::unique_ptr<walproof::WritableFile>> OpenForAppend(const std::string& p) override {
    return base_.OpenForAppend(p);
  }
  walproof::Result<std::unique_ptr<walproof::ReadableFile>> OpenForRead(const std::string& p) override {
    return base_.OpenForRead(p);
  }
  walproof::Result<walproof::FileKind> Stat(const std::string& p) override { return base_.Stat(p); }
  walproof::Result<std::vector<walproof::DirEntry>> ListDir(const std::string& p) override { return base_.ListDir(p); }
  walproof::Status MakeDir(const std::string& p) override { return base_.MakeDir(p); }
  walproof::Status RemoveFile(const std::string& p) override { return base_.RemoveFile(p); }
  walproof::Status RemoveDir(const std::string& p) override { return base_.RemoveDir(p); }
  walproof::Status Rename(const std::string& a, const std::string& b) override { return base_.Rename(a, b); }
  walproof::Status SyncDir(const std::string& p) override { return base_.SyncDir(p); }
  walproof::Result<std::unique_ptr<walproof::FileLock>> Lock(const std::string& p) override { return base_.Lock(p); }

 private:
  class NoSyncFile final : public walproof::WritableFile {
   public:
    explicit NoSyncFile(std::unique_ptr<walproof::WritableFile> f) : f_(std::move(f)) {}
    walproof::Status Append(std::string_view d, size_t* w) override { return f_->Append(d, w); }
    walproof::Status Truncate(uint64_t s) override { return f_->Truncate(s); }
    walproof::Status Sync() override { return walproof::Status::Ok(); }
    walproof::Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    std::unique_ptr<walproof::WritableFile> f_;
  };
  walproof::Fs& base_;
};

class NoBlockSync final : public Variant {
 public:
  std::string name() const override { return "rescue-no-block-fsync"; }
  std::string description() const override { return "block files are never fsynced"; }
  std::unique_ptr<walproof::Fs> WrapWorkloadFs(walproof::Fs& fs) override {
    return std::make_unique<NoBlockSyncFs>(fs);
  }
};

TEST(RescueScenario, EveryStatePasses) {
  const Scenario* sc = FindScenario("rescue");
  ASSERT_NE(sc, nullptr);
  ScenarioResult r = RunScenario(*sc, RunOptions{});
  EXPECT_TRUE(r.passed()) << r.Verdict();
  EXPECT_EQ(r.failures, 0u);
  EXPECT_GT(r.checked, 1000u);
  EXPECT_EQ(r.checked, r.enumerated);  // exhaustive
  for (FaultClass c : {FaultClass::kCut, FaultClass::kLostData, FaultClass::kTorn, FaultClass::kDirOps,
                       FaultClass::kIoError}) {
    EXPECT_GT(r.classes[static_cast<int>(c)].checked, 0u) << FaultClassName(c);
  }
}

TEST(RescueScenario, UnsyncedBlockFilesAreCaught) {
  const Scenario* sc = FindScenario("rescue");
  ASSERT_NE(sc, nullptr);
  NoBlockSync broken;
  RunOptions opt;
  opt.variant = &broken;
  ScenarioResult r = RunScenario(*sc, opt);
  EXPECT_GT(r.failures, 0u);
  bool neither = false;
  for (const Finding& f : r.findings) neither = neither || f.violation == Violation::kRescueNeither;
  EXPECT_TRUE(neither);
}

}  // namespace
}  // namespace crashsim
