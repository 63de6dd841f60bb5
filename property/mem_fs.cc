// MemFs: see mem_fs.h.
#include "mem_fs.h"

#include <algorithm>

namespace walproof::prop {
namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

class MemWritable final : public WritableFile {
 public:
  explicit MemWritable(std::shared_ptr<std::string> data) : data_(std::move(data)) {}
  Status Append(std::string_view d, size_t* written) override {
    data_->append(d);
    *written = d.size();
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    data_->resize(std::min<uint64_t>(size, data_->size()));
    return Status::Ok();
  }
  Status Sync() override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  uint64_t Size() const override { return data_->size(); }

 private:
  std::shared_ptr<std::string> data_;
};

class MemReadable final : public ReadableFile {
 public:
  explicit MemReadable(std::shared_ptr<std::string> data) : data_(std::move(data)) {}
  Status Read(uint64_t offset, size_t n, char* buf, size_t* got) const override {
    *got = offset >= data_->size() ? 0 : std::min<uint64_t>(n, data_->size() - offset);
    if (*got > 0) std::copy_n(data_->data() + offset, *got, buf);
    return Status::Ok();
  }
  uint64_t Size() const override { return data_->size(); }

 private:
  std::shared_ptr<std::string> data_;
};

class MemLock final : public FileLock {};

}  // namespace

bool MemFs::ParentExists(const std::string& path) const { return dirs_.count(Parent(path)) > 0; }

Result<std::unique_ptr<WritableFile>> MemFs::Create(const std::string& path) {
  if (!ParentExists(path)) return Status::NotFound("create " + path + ": no parent directory");
  if (dirs_.count(path)) return Status::InvalidArgument("create " + path + ": is a directory");
  auto& f = files_[path];
  if (f) {
    f->clear();
  } else {
    f = std::make_shared<std::string>();
  }
  return std::unique_ptr<WritableFile>(new MemWritable(f));
}

Result<std::unique_ptr<WritableFile>> MemFs::OpenForAppend(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound("open " + path);
  return std::unique_ptr<WritableFile>(new MemWritable(it->second));
}

Result<std::unique_ptr<ReadableFile>> MemFs::OpenForRead(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound("open " + path);
  return std::unique_ptr<ReadableFile>(new MemReadable(it->second));
}

Result<FileKind> MemFs::Stat(const std::string& path) {
  if (files_.count(path)) return FileKind::kFile;
  if (dirs_.count(path)) return FileKind::kDir;
  return FileKind::kMissing;
}

Result<std::vector<DirEntry>> MemFs::ListDir(const std::string& path) {
  if (!dirs_.count(path)) return Status::NotFound("list " + path);
  std::vector<DirEntry> out;
  for (const auto& [name, data] : files_) {
    if (Parent(name) == path) out.push_back({name.substr(path.size() + 1), false});
  }
  for (const std::string& d : dirs_) {
    if (!d.empty() && d != "/" && d != "." && d != path && Parent(d) == path) {
      out.push_back({d.substr(path.size() + 1), true});
    }
  }
  return out;
}

Status MemFs::MakeDir(const std::string& path) {
  if (dirs_.count(path) || files_.count(path)) return Status::AlreadyExists("mkdir " + path);
  if (!ParentExists(path)) return Status::NotFound("mkdir " + path + ": no parent directory");
  dirs_.insert(path);
  return Status::Ok();
}

Status MemFs::RemoveFile(const std::string& path) {
  if (!files_.erase(path)) return Status::NotFound("unlink " + path);
  return Status::Ok();
}

Status MemFs::RemoveDir(const std::string& path) {
  if (!dirs_.count(path)) return Status::NotFound("rmdir " + path);
  auto entries = ListDir(path);
  if (!entries->empty()) return Status::IOError("rmdir " + path + ": not empty");
  dirs_.erase(path);
  return Status::Ok();
}

Status MemFs::Rename(const std::string& from, const std::string& to) {
  if (!ParentExists(to)) return Status::NotFound("rename to " + to + ": no parent directory");
  if (auto it = files_.find(from); it != files_.end()) {
    if (dirs_.count(to)) return Status::IOError("rename " + from + ": target is a directory");
    auto data = it->second;
    files_.erase(it);
    files_[to] = std::move(data);
    return Status::Ok();
  }
  if (!dirs_.count(from)) return Status::NotFound("rename " + from);
  if (files_.count(to)) return Status::IOError("rename " + from + ": target is a file");
  if (dirs_.count(to)) {
    if (!ListDir(to)->empty()) return Status::IOError("rename " + from + ": target not empty");
    dirs_.erase(to);
  }
  // Move the directory and everything below it.
  const std::string prefix = from + "/";
  std::map<std::string, std::shared_ptr<std::string>> moved_files;
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->first.starts_with(prefix)) {
      moved_files[to + it->first.substr(from.size())] = it->second;
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  files_.merge(moved_files);
  std::set<std::string> moved_dirs;
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (*it == from || it->starts_with(prefix)) {
      moved_dirs.insert(to + it->substr(from.size()));
      it = dirs_.erase(it);
    } else {
      ++it;
    }
  }
  dirs_.merge(moved_dirs);
  return Status::Ok();
}

Status MemFs::SyncDir(const std::string& path) {
  if (!dirs_.count(path)) return Status::NotFound("fsync dir " + path);
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> MemFs::Lock(const std::string&) {
  return std::unique_ptr<FileLock>(new MemLock());
}

std::string* MemFs::File(const std::string& path) {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : it->second.get();
}

}  // namespace walproof::prop
