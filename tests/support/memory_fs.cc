// MemoryFs: see memory_fs.h.
#include "memory_fs.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace walproof {
namespace {

class MemoryWritableFile : public WritableFile {
 public:
  explicit MemoryWritableFile(std::shared_ptr<std::string> data) : data_(std::move(data)) {}
  Status Append(std::string_view data, size_t* written) override {
    if (closed_) return Status::InvalidArgument("append to a closed file");
    data_->append(data);
    *written = data.size();
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (closed_) return Status::InvalidArgument("truncate of a closed file");
    data_->resize(static_cast<size_t>(size));
    return Status::Ok();
  }
  Status Sync() override { return closed_ ? Status::InvalidArgument("sync of a closed file") : Status::Ok(); }
  Status Close() override {
    closed_ = true;
    return Status::Ok();
  }
  uint64_t Size() const override { return data_->size(); }

 private:
  std::shared_ptr<std::string> data_;
  bool closed_ = false;
};

class MemoryReadableFile : public ReadableFile {
 public:
  MemoryReadableFile(std::shared_ptr<std::string> data, uint64_t error_at, uint64_t size_lie)
      : data_(std::move(data)), error_at_(error_at), size_lie_(size_lie) {}
  Status Read(uint64_t offset, size_t n, char* buf, size_t* got) const override {
    *got = 0;
    if (n > 0 && offset + n > error_at_) return Status::IOError("injected read error");
    if (offset >= data_->size()) return Status::Ok();
    size_t take = std::min<uint64_t>(n, data_->size() - offset);
    std::memcpy(buf, data_->data() + offset, take);
    *got = take;
    return Status::Ok();
  }
  uint64_t Size() const override { return data_->size() + size_lie_; }

 private:
  std::shared_ptr<std::string> data_;
  uint64_t error_at_;
  uint64_t size_lie_;
};

}  // namespace

class MemoryLock : public FileLock {
 public:
  MemoryLock(MemoryFs* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  ~MemoryLock() override { fs_->locks_.erase(path_); }

 private:
  MemoryFs* fs_;
  std::string path_;
};

std::string MemoryFs::Normalize(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string MemoryFs::Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool MemoryFs::IsDir(const std::string& path) const {
  if (path.empty() || path == "/" || path == ".") return true;  // the root always exists
  auto it = nodes_.find(path);
  return it != nodes_.end() && it->second.is_dir;
}

Result<std::unique_ptr<WritableFile>> MemoryFs::Create(const std::string& raw) {
  std::string path = Normalize(raw);
  if (!IsDir(Parent(path))) return Status::NotFound("create " + path + ": no parent directory");
  auto it = nodes_.find(path);
  if (it != nodes_.end()) {
    if (it->second.is_dir) return Status::InvalidArgument("create " + path + ": is a directory");
    it->second.data->clear();
    return std::unique_ptr<WritableFile>(new MemoryWritableFile(it->second.data));
  }
  Node n;
  n.data = std::make_shared<std::string>();
  nodes_[path] = n;
  return std::unique_ptr<WritableFile>(new MemoryWritableFile(n.data));
}

Result<std::unique_ptr<WritableFile>> MemoryFs::OpenForAppend(const std::string& raw) {
  std::string path = Normalize(raw);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Status::NotFound("open " + path + ": no such file");
  if (it->second.is_dir) return Status::InvalidArgument("open " + path + ": is a directory");
  return std::unique_ptr<WritableFile>(new MemoryWritableFile(it->second.data));
}

Result<std::unique_ptr<ReadableFile>> MemoryFs::OpenForRead(const std::string& raw) {
  std::string path = Normalize(raw);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Status::NotFound("open " + path + ": no such file");
  if (it->second.is_dir) return Status::InvalidArgument("open " + path + ": is a directory");
  uint64_t error_at = UINT64_MAX, lie = 0;
  if (auto e = faults_.error_at.find(path); e != faults_.error_at.end()) error_at = e->second;
  if (auto l = faults_.size_lie.find(path); l != faults_.size_lie.end()) lie = l->second;
  return std::unique_ptr<ReadableFile>(new MemoryReadableFile(it->second.data, error_at, lie));
}

Result<FileKind> MemoryFs::Stat(const std::string& raw) {
  std::string path = Normalize(raw);
  if (IsDir(path)) return FileKind::kDir;
  return nodes_.count(path) ? FileKind::kFile : FileKind::kMissing;
}

Result<std::vector<DirEntry>> MemoryFs::ListDir(const std::string& raw) {
  std::string path = Normalize(raw);
  if (!IsDir(path)) {
    if (nodes_.count(path)) return Status::InvalidArgument("list " + path + ": not a directory");
    return Status::NotFound("list " + path + ": no such directory");
  }
  std::string prefix = (path.empty() || path == ".") ? "" : (path == "/" ? "/" : path + "/");
  std::vector<DirEntry> out;
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = it->first.substr(prefix.size());
    if (rest.empty() || rest.find('/') != std::string::npos) continue;
    out.push_back({rest, it->second.is_dir});
  }
  return out;
}

Status MemoryFs::MakeDir(const std::string& raw) {
  std::string path = Normalize(raw);
  if (IsDir(path) || nodes_.count(path)) return Status::AlreadyExists("mkdir " + path + ": exists");
  if (!IsDir(Parent(path))) return Status::NotFound("mkdir " + path + ": no parent directory");
  nodes_[path] = Node{true, nullptr};
  return Status::Ok();
}

Status MemoryFs::RemoveFile(const std::string& raw) {
  std::string path = Normalize(raw);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Status::NotFound("unlink " + path + ": no such file");
  if (it->second.is_dir) return Status::InvalidArgument("unlink " + path + ": is a directory");
  nodes_.erase(it);
  return Status::Ok();
}

Status MemoryFs::RemoveDir(const std::string& raw) {
  std::string path = Normalize(raw);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Status::NotFound("rmdir " + path + ": no such directory");
  if (!it->second.is_dir) return Status::InvalidArgument("rmdir " + path + ": not a directory");
  auto next = std::next(it);
  if (next != nodes_.end() && next->first.compare(0, path.size() + 1, path + "/") == 0) {
    return Status::IOError("rmdir " + path + ": directory not empty");
  }
  nodes_.erase(it);
  return Status::Ok();
}

Status MemoryFs::Rename(const std::string& raw_from, const std::string& raw_to) {
  std::string from = Normalize(raw_from), to = Normalize(raw_to);
  auto it = nodes_.find(from);
  if (it == nodes_.end()) return Status::NotFound("rename " + from + ": no such file");
  if (!IsDir(Parent(to))) return Status::NotFound("rename to " + to + ": no parent directory");
  if (from == to) return Status::Ok();
  if (to.compare(0, from.size() + 1, from + "/") == 0) {
    return Status::InvalidArgument("rename " + from + " into itself");
  }
  auto target = nodes_.find(to);
  if (target != nodes_.end()) {
    if (target->second.is_dir != it->second.is_dir) {
      return Status::InvalidArgument("rename " + from + " over " + to + ": kinds differ");
    }
    if (target->second.is_dir) {
      auto next = std::next(target);
      if (next != nodes_.end() && next->first.compare(0, to.size() + 1, to + "/") == 0) {
        return Status::IOError("rename over " + to + ": directory not empty");
      }
    }
  }
  Node moved = it->second;
  std::vector<std::pair<std::string, Node>> children;
  if (moved.is_dir) {
    std::string prefix = from + "/";
    for (auto c = nodes_.lower_bound(prefix); c != nodes_.end() && c->first.compare(0, prefix.size(), prefix) == 0;) {
      children.emplace_back(to + "/" + c->first.substr(prefix.size()), c->second);
      c = nodes_.erase(c);
    }
  }
  nodes_.erase(from);
  nodes_[to] = moved;
  for (auto& [p, n] : children) nodes_[p] = n;
  return Status::Ok();
}

Status MemoryFs::SyncDir(const std::string& raw) {
  std::string path = Normalize(raw);
  if (!IsDir(path)) return Status::NotFound("fsync dir " + path + ": no such directory");
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> MemoryFs::Lock(const std::string& raw) {
  std::string path = Normalize(raw);
  if (!IsDir(Parent(path))) return Status::NotFound("lock " + path + ": no parent directory");
  if (locks_.count(path)) return Status::Busy("lock " + path + ": held");
  if (!nodes_.count(path)) nodes_[path] = Node{false, std::make_shared<std::string>()};
  locks_.insert(path);
  return std::unique_ptr<FileLock>(new MemoryLock(this, path));
}

void MemoryFs::PutFile(const std::string& raw, std::string data) {
  std::string path = Normalize(raw);
  for (std::string p = Parent(path); !IsDir(p); p = Parent(p)) nodes_[p] = Node{true, nullptr};
  // Parents were made from the innermost outwards; all exist now.
  nodes_[path] = Node{false, std::make_shared<std::string>(std::move(data))};
}

const std::string* MemoryFs::FileData(const std::string& raw) const {
  auto it = nodes_.find(Normalize(raw));
  if (it == nodes_.end() || it->second.is_dir) return nullptr;
  return it->second.data.get();
}

std::string* MemoryFs::FileData(const std::string& raw) {
  return const_cast<std::string*>(std::as_const(*this).FileData(raw));
}

std::vector<std::string> MemoryFs::AllPaths() const {
  std::vector<std::string> out;
  for (const auto& [p, n] : nodes_) out.push_back(n.is_dir ? p + "/" : p);
  return out;
}

}  // namespace walproof
