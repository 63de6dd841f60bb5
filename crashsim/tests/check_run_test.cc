// CheckCrashStates: crash-testing code that is not walproof's. A one-file
// "database" written with and without the directory fsync its creation needs.
#include "crashsim/check_run.h"

#include <gtest/gtest.h>

#include <string>

namespace crashsim {
namespace {

class OneFileTest : public CrashTest {
 public:
  explicit OneFileTest(bool sync_dir) : sync_dir_(sync_dir) {}

  void Run(SimFs& fs) override {
    acked_at_ = UINT32_MAX;
    auto file = fs.Create("data");
    if (!file.ok()) return;
    size_t written = 0;
    if (!(*file)->Append("payload", &written).ok() || written != 7) return;
    if (!(*file)->Sync().ok()) return;
    if (sync_dir_ && !fs.SyncDir(".").ok()) return;
    acked_at_ = static_cast<uint32_t>(fs.log().size());
  }

  std::string Check(walproof::Fs& disk, const CrashState& state) override {
    if (state.point < acked_at_) return "";  // nothing promised yet
    auto file = disk.OpenForRead("data");
    if (!file.ok()) return "acknowledged file lost: " + file.status().ToString();
    return (*file)->Size() == 7 ? "" : "acknowledged file has " + std::to_string((*file)->Size()) + " bytes";
  }

 private:
  bool sync_dir_;
  uint32_t acked_at_ = UINT32_MAX;
};

TEST(CheckCrashStates, PassesAFileCreatedDurably) {
  OneFileTest test(/*sync_dir=*/true);
  auto r = CheckCrashStates(test);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->failed, 0u) << (r->failures.empty() ? "" : r->failures[0].why);
  for (int c : {1, 2, 4, 5}) EXPECT_GT(r->checked_by_class[c], 0u) << "class " << c;
}

TEST(CheckCrashStates, CatchesAMissingDirectoryFsync) {
  OneFileTest test(/*sync_dir=*/false);
  auto r = CheckCrashStates(test);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->failed_by_class[static_cast<int>(FaultClass::kDirOps)], 0u);
  ASSERT_FALSE(r->failures.empty());
  EXPECT_NE(r->failures[0].why.find("acknowledged file lost"), std::string::npos) << r->failures[0].why;
}

TEST(CheckCrashStates, ShardsPartitionTheStates) {
  OneFileTest test(/*sync_dir=*/false);
  auto whole = CheckCrashStates(test);
  ASSERT_TRUE(whole.ok());
  uint64_t checked = 0, failed = 0;
  for (int i = 0; i < 3; ++i) {
    CheckOptions o;
    o.shard = i;
    o.shards = 3;
    auto part = CheckCrashStates(test, o);
    ASSERT_TRUE(part.ok());
    checked += part->checked;
    failed += part->failed;
    for (const FailedState& f : part->failures) EXPECT_EQ(f.state.id.index % 3, static_cast<uint32_t>(i));
  }
  EXPECT_EQ(checked, whole->checked);
  EXPECT_EQ(failed, whole->failed);
}

TEST(CheckCrashStates, RefusesCompoundStatesAndBadShards) {
  OneFileTest test(/*sync_dir=*/true);
  CheckOptions compound;
  compound.classes = FaultClassSet::None().With(FaultClass::kCompound);
  EXPECT_EQ(CheckCrashStates(test, compound).status().code(), walproof::Status::Code::kInvalidArgument);
  CheckOptions shard;
  shard.shard = 2;
  shard.shards = 2;
  EXPECT_EQ(CheckCrashStates(test, shard).status().code(), walproof::Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace crashsim
