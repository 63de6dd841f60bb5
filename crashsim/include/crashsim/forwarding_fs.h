// ForwardingFs / ForwardingFile: an Fs that passes every call to another
// one. Variants derive from them and override the one or two calls whose
// behaviour they change.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "walproof/io/fs.h"

namespace crashsim {

class ForwardingFile : public walproof::WritableFile {
 public:
  explicit ForwardingFile(std::unique_ptr<walproof::WritableFile> base) : base_(std::move(base)) {}
  walproof::Status Append(std::string_view data, size_t* written) override { return base_->Append(data, written); }
  walproof::Status Truncate(uint64_t size) override { return base_->Truncate(size); }
  walproof::Status Sync() override { return base_->Sync(); }
  walproof::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 protected:
  walproof::WritableFile& base() { return *base_; }
  const walproof::WritableFile& base() const { return *base_; }

 private:
  std::unique_ptr<walproof::WritableFile> base_;
};

class ForwardingFs : public walproof::Fs {
 public:
  explicit ForwardingFs(walproof::Fs& base) : base_(base) {}
  walproof::Result<std::unique_ptr<walproof::WritableFile>> Create(const std::string& path) override {
    auto f = base_.Create(path);
    if (!f.ok()) return f.status();
    return WrapFile(path, std::move(*f));
  }
  walproof::Result<std::unique_ptr<walproof::WritableFile>> OpenForAppend(const std::string& path) override {
    auto f = base_.OpenForAppend(path);
    if (!f.ok()) return f.status();
    return WrapFile(path, std::move(*f));
  }
  walproof::Result<std::unique_ptr<walproof::ReadableFile>> OpenForRead(const std::string& path) override {
    return base_.OpenForRead(path);
  }
  walproof::Result<walproof::FileKind> Stat(const std::string& path) override { return base_.Stat(path); }
  walproof::Result<std::vector<walproof::DirEntry>> ListDir(const std::string& path) override {
    return base_.ListDir(path);
  }
  walproof::Status MakeDir(const std::string& path) override { return base_.MakeDir(path); }
  walproof::Status RemoveFile(const std::string& path) override { return base_.RemoveFile(path); }
  walproof::Status RemoveDir(const std::string& path) override { return base_.RemoveDir(path); }
  walproof::Status Rename(const std::string& from, const std::string& to) override { return base_.Rename(from, to); }
  walproof::Status SyncDir(const std::string& path) override { return base_.SyncDir(path); }
  walproof::Result<std::unique_ptr<walproof::FileLock>> Lock(const std::string& path) override {
    return base_.Lock(path);
  }

 protected:
  // Wraps every file opened for writing; the default leaves it alone.
  virtual std::unique_ptr<walproof::WritableFile> WrapFile(const std::string&,
                                                           std::unique_ptr<walproof::WritableFile> f) {
    return f;
  }
  walproof::Fs& base() { return base_; }

 private:
  walproof::Fs& base_;
};

}  // namespace crashsim
