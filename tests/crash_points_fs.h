// CrashPointsFs: an Fs that forwards to another one (PosixFs in the tests)
// and "crashes" at a chosen mutating call: the Nth create, append, truncate,
// fsync, mkdir, unlink, rmdir, rename or directory fsync fails, and so does
// every mutating call after it, as if the process had died there. What is on
// disk afterwards is exactly what the calls before it did, so a test can run
// an operation once per crash point and check the directory each time.
//
// This models a process crash, not a power cut (that is crashsim's job):
// everything that reached the OS stays. An optional torn mode lets the
// crashing Append write the first half of its bytes first.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/fs.h"

namespace walproof::testutil {

class CrashPointsFs final : public Fs {
 public:
  // crash_at: 1 = the first mutating call fails; 0 = never crash.
  explicit CrashPointsFs(Fs& base, int crash_at = 0, bool torn_appends = false)
      : base_(base), crash_at_(crash_at), torn_appends_(torn_appends) {}

  // Starts counting afresh: the nth mutating call from now fails (0: never).
  void Arm(int n) {
    crash_at_ = n;
    calls_ = 0;
  }
  // Mutating calls seen so far (the failing one included).
  int mutating_calls() const { return calls_; }
  bool crashed() const { return crashed_; }
  // One line per mutating call that went through ("rename a -> b", ...).
  const std::vector<std::string>& log() const { return log_; }

  Result<std::unique_ptr<WritableFile>> Create(const std::string& path) override {
    if (Crash("create " + path)) return Dead();
    auto f = base_.Create(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new File(this, std::move(*f), path));
  }
  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path) override {
    if (crashed_) return Dead();
    auto f = base_.OpenForAppend(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new File(this, std::move(*f), path));
  }
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    return base_.OpenForRead(path);
  }
  Result<FileKind> Stat(const std::string& path) override { return base_.Stat(path); }
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override { return base_.ListDir(path); }
  Status MakeDir(const std::string& path) override {
    return Crash("mkdir " + path) ? Dead() : base_.MakeDir(path);
  }
  Status RemoveFile(const std::string& path) override {
    return Crash("unlink " + path) ? Dead() : base_.RemoveFile(path);
  }
  Status RemoveDir(const std::string& path) override {
    return Crash("rmdir " + path) ? Dead() : base_.RemoveDir(path);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return Crash("rename " + from + " -> " + to) ? Dead() : base_.Rename(from, to);
  }
  Status SyncDir(const std::string& path) override {
    return Crash("fsync dir " + path) ? Dead() : base_.SyncDir(path);
  }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override { return base_.Lock(path); }

 private:
  // Counts a mutating call; true when it must fail.
  bool Crash(std::string what) {
    if (crashed_) return true;
    ++calls_;
    if (crash_at_ > 0 && calls_ >= crash_at_) {
      crashed_ = true;
      return true;
    }
    log_.push_back(std::move(what));
    return false;
  }
  static Status Dead() { return Status::IOError("injected crash: the process is gone"); }

  class File final : public WritableFile {
   public:
    File(CrashPointsFs* fs, std::unique_ptr<WritableFile> base, std::string path)
        : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

    Status Append(std::string_view data, size_t* written) override {
      *written = 0;
      const bool was_crashed = fs_->crashed_;
      if (fs_->Crash("append " + std::to_string(data.size()) + " bytes to " + path_)) {
        if (!was_crashed && fs_->torn_appends_ && data.size() > 1) {
          base_->Append(data.substr(0, data.size() / 2), written);
        }
        return Dead();
      }
      return base_->Append(data, written);
    }
    Status Truncate(uint64_t size) override {
      return fs_->Crash("truncate " + path_) ? Dead() : base_->Truncate(size);
    }
    Status Sync() override { return fs_->Crash("fsync " + path_) ? Dead() : base_->Sync(); }
    // Closing changes nothing on disk; after a crash there is nobody to do it.
    Status Close() override { return fs_->crashed_ ? Dead() : base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    CrashPointsFs* fs_;
    std::unique_ptr<WritableFile> base_;
    std::string path_;
  };

  Fs& base_;
  int crash_at_;
  const bool torn_appends_;
  int calls_ = 0;
  bool crashed_ = false;
  std::vector<std::string> log_;
};

}  // namespace walproof::testutil
