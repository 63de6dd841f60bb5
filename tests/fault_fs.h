// FaultFs: an Fs that forwards to another one (PosixFs in the tests) and
// fails chosen calls on demand, the way a full disk or a dying device would:
// the Nth append from now can write K bytes and then fail with an errno (a
// short write), fsyncs and truncates can fail, and so can creating a file or
// fsyncing a directory. It counts what it sees so tests can check which calls
// the writer made.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/fs.h"

namespace walproof::testutil {

class FaultFs final : public Fs {
 public:
  explicit FaultFs(Fs& base) : base_(base) {}

  // The `nth` Append from now (1 = the next one) writes at most `keep` bytes
  // for real and then fails with `err`.
  void FailAppend(int nth, size_t keep, int err) {
    append_countdown_ = nth;
    append_keep_ = keep;
    append_errno_ = err;
  }
  // The next `count` file fsyncs fail with `err`.
  void FailSyncs(int count, int err = EIO) {
    sync_failures_ = count;
    sync_errno_ = err;
  }
  // Every Truncate fails with `err` while on.
  void FailTruncates(bool on, int err = EIO) {
    truncate_fails_ = on;
    truncate_errno_ = err;
  }
  // The next Create fails with `err`.
  void FailNextCreate(int err = ENOSPC) { create_errno_ = err; }
  // The next SyncDir fails with `err`.
  void FailNextSyncDir(int err = EIO) { sync_dir_errno_ = err; }

  int appends() const { return appends_; }
  int syncs() const { return syncs_; }
  int truncates() const { return truncates_; }
  int sync_dirs() const { return sync_dirs_; }
  const std::vector<std::string>& created() const { return created_; }

  Result<std::unique_ptr<WritableFile>> Create(const std::string& path) override {
    if (create_errno_ != 0) {
      int err = create_errno_;
      create_errno_ = 0;
      return Status::FromErrno(err, "injected: create " + path);
    }
    auto f = base_.Create(path);
    if (!f.ok()) return f.status();
    created_.push_back(path);
    return std::unique_ptr<WritableFile>(new File(this, std::move(*f), path));
  }
  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path) override {
    auto f = base_.OpenForAppend(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new File(this, std::move(*f), path));
  }
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    return base_.OpenForRead(path);
  }
  Result<FileKind> Stat(const std::string& path) override { return base_.Stat(path); }
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override {
    return base_.ListDir(path);
  }
  Status MakeDir(const std::string& path) override { return base_.MakeDir(path); }
  Status RemoveFile(const std::string& path) override { return base_.RemoveFile(path); }
  Status RemoveDir(const std::string& path) override { return base_.RemoveDir(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return base_.Rename(from, to);
  }
  Status SyncDir(const std::string& path) override {
    ++sync_dirs_;
    if (sync_dir_errno_ != 0) {
      int err = sync_dir_errno_;
      sync_dir_errno_ = 0;
      return Status::FromErrno(err, "injected: fsync directory " + path);
    }
    return base_.SyncDir(path);
  }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override {
    return base_.Lock(path);
  }

 private:
  class File final : public WritableFile {
   public:
    File(FaultFs* fs, std::unique_ptr<WritableFile> base, std::string path)
        : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

    Status Append(std::string_view data, size_t* written) override {
      ++fs_->appends_;
      if (fs_->append_countdown_ > 0 && --fs_->append_countdown_ == 0) {
        size_t keep = std::min(fs_->append_keep_, data.size());
        *written = 0;
        if (keep > 0) {
          Status st = base_->Append(data.substr(0, keep), written);
          if (!st.ok()) return st;
        }
        return Status::FromErrno(fs_->append_errno_, "injected: write " + path_);
      }
      return base_->Append(data, written);
    }
    Status Truncate(uint64_t size) override {
      ++fs_->truncates_;
      if (fs_->truncate_fails_) {
        return Status::FromErrno(fs_->truncate_errno_, "injected: truncate " + path_);
      }
      return base_->Truncate(size);
    }
    Status Sync() override {
      ++fs_->syncs_;
      if (fs_->sync_failures_ > 0) {
        --fs_->sync_failures_;
        return Status::FromErrno(fs_->sync_errno_, "injected: fsync " + path_);
      }
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    FaultFs* fs_;
    std::unique_ptr<WritableFile> base_;
    std::string path_;
  };

  Fs& base_;
  int append_countdown_ = 0;
  size_t append_keep_ = 0;
  int append_errno_ = ENOSPC;
  int sync_failures_ = 0;
  int sync_errno_ = EIO;
  bool truncate_fails_ = false;
  int truncate_errno_ = EIO;
  int create_errno_ = 0;
  int sync_dir_errno_ = 0;
  int appends_ = 0;
  int syncs_ = 0;
  int truncates_ = 0;
  int sync_dirs_ = 0;
  std::vector<std::string> created_;
};

}  // namespace walproof::testutil
