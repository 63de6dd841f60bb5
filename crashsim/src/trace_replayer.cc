#include "crashsim/trace_replayer.h"

#include <fnmatch.h>

#include <algorithm>

namespace crashsim {
namespace {

constexpr uint64_t kLazyPreallocation = 1 << 20;

using walproof::Result;
using walproof::Status;

// One open file description: dup'd descriptors share it (and its offset).
struct OpenFile {
  bool in_dir = false;     // the file is under the data directory
  bool excluded = false;   // ... and stands outside the crash model
  bool is_stdout = false;  // the traced command's standard output
  bool append = false;
  uint64_t pos = 0;
  int inode = -1;
  std::string rel;
};
struct FdEntry {
  std::shared_ptr<OpenFile> file;
  bool cloexec = false;
};
using FdTable = std::map<int, FdEntry>;
struct Proc {
  std::shared_ptr<FdTable> fds;
  std::shared_ptr<std::string> cwd;
};

// "/a/./b//c/../d" -> "/a/b/d" (lexically; the traced programs name no symlinks in the data dir).
std::string Normalize(const std::string& path) {
  std::vector<std::string> parts;
  for (const std::string& p : SplitPath(path)) {
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(p);
    }
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// Read-only calls that may name a file of the data directory and change
// nothing in it (metadata other than size and names is not modelled).
const std::set<std::string>& HarmlessCalls() {
  static const std::set<std::string> names = {
      "read", "pread64", "readv", "preadv", "preadv2", "fstat", "newfstatat", "stat", "lstat", "statx",
      "fstatfs", "statfs", "getdents64", "getdents", "access", "faccessat", "faccessat2", "readlink",
      "readlinkat", "flock", "fadvise64", "munmap", "madvise", "getxattr", "lgetxattr", "fgetxattr",
      "listxattr", "llistxattr", "flistxattr", "epoll_ctl", "utimensat", "futimesat", "utime", "utimes",
      "chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown", "inotify_add_watch",
      "sync_file_range", "close", "lseek", "fcntl", "mmap", "execve", "execveat", "chdir", "fchdir",
      "fsync", "fdatasync", "syncfs", "ftruncate", "fallocate", "write", "writev", "pwrite64",
      "pwritev", "pwritev2", "open", "openat", "openat2", "creat", "rename", "renameat", "renameat2",
      "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir", "truncate", "dup", "dup2", "dup3",
      "close_range", "getcwd", "ioctl"};
  return names;
}

class Replayer {
 public:
  Replayer(const CrashImage& before, const TraceOptions& options)
      : options_(options), data_dir_(Normalize(options.data_dir)) {
    out_.run = std::make_unique<SimFs>(before);
    out_.before = before;
  }

  Result<ReplayedTrace> Run(const StraceLog& log) {
    Proc root;
    root.fds = std::make_shared<FdTable>();
    root.cwd = std::make_shared<std::string>(Normalize(options_.cwd));
    auto out = std::make_shared<OpenFile>();
    out->is_stdout = true;
    (*root.fds)[1] = FdEntry{out, false};
    procs_[log.first_pid()] = root;
    for (const Syscall& call : log.calls()) {
      ++out_.calls;
      Status st = Apply(call);
      if (!st.ok()) {
        return Status::InvalidArgument("trace line " + std::to_string(call.line) + " (" + call.name + "): " +
                                       st.message());
      }
    }
    // A preallocation never cut back is part of the file the run left.
    for (const auto& [inode, end] : pending_tail_) {
      if (end > fs().volatile_view().inodes[inode].data->size()) {
        WALPROOF_RETURN_IF_ERROR(fs().TruncateInode(inode, "preallocated inode " + std::to_string(inode), end));
      }
    }
    return std::move(out_);
  }

 private:
  SimFs& fs() { return *out_.run; }

  Proc& ProcOf(int pid) {
    auto it = procs_.find(pid);
    if (it != procs_.end()) return it->second;
    // A thread whose clone has not returned yet in the output: it runs in
    // the first process (the traced programs fork no writers).
    Proc p = procs_.begin()->second;
    return procs_[pid] = p;
  }

  // Absolute path of a path argument: relative to the decorated dirfd, or cwd.
  std::string Resolve(const Proc& proc, const std::string& dirfd_arg, const std::string& path) {
    if (!path.empty() && path[0] == '/') return Normalize(path);
    std::string base = *proc.cwd;
    int fd = 0;
    std::string dir;
    if (!dirfd_arg.empty() && ParseFdArg(dirfd_arg, &fd, &dir) && !dir.empty()) base = dir;
    return Normalize(base + "/" + path);
  }

  // The path relative to the data directory, or false when outside it.
  bool InDir(const std::string& abs, std::string* rel) const {
    if (abs == data_dir_) {
      rel->clear();
      return true;
    }
    if (abs.size() > data_dir_.size() && abs.compare(0, data_dir_.size(), data_dir_) == 0 && abs[data_dir_.size()] == '/') {
      *rel = abs.substr(data_dir_.size() + 1);
      return true;
    }
    return false;
  }

  static Status Unsupported(const std::string& what) { return Status::InvalidArgument(what); }

  std::shared_ptr<OpenFile> FileOf(Proc& proc, const std::string& fd_arg) {
    int fd = 0;
    std::string path;
    if (!ParseFdArg(fd_arg, &fd, &path)) return nullptr;
    auto it = proc.fds->find(fd);
    if (it == proc.fds->end()) return nullptr;
    if (!SameFile(*it->second.file, path)) {
      // strace printed this call's exit after another thread had closed
      // the descriptor and a third had reopened its number: the call was on
      // the file the decoration names (printed at entry), not on the new one.
      std::string rel;
      if (!InDir(Normalize(StripDeleted(path)), &rel)) return outside_;
      stale_ = true;
      return nullptr;
    }
    return it->second.file;
  }

  static std::string StripDeleted(const std::string& path) {
    const std::string suffix = " (deleted)";
    return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0
               ? path.substr(0, path.size() - suffix.size())
               : path;
  }

  // Whether the -y decoration of a descriptor names the file our table holds.
  bool SameFile(const OpenFile& f, const std::string& decorated) {
    if (decorated.empty()) return true;
    const bool deleted = StripDeleted(decorated) != decorated;
    std::string rel;
    const bool in = InDir(Normalize(StripDeleted(decorated)), &rel);
    if (in != f.in_dir) return false;
    if (!in || deleted || f.excluded) return true;
    return fs().Lookup(rel) == f.inode;
  }

  IoFault FaultOf(const Syscall& call) const {
    if (call.error == "ENOSPC" || call.error == "EDQUOT") return IoFault::kNoSpace;
    return IoFault::kIoError;
  }

  void NoteFailure(const Syscall& call, OpKind kind, int inode, const std::string& rel) {
    if (call.injected) {
      ++out_.injected_in_dir;
      out_.injected.push_back(call.name + " " + rel + ": " + call.error + " (trace line " + std::to_string(call.line) + ")");
    }
    fs().RecordFailedCall(kind, inode, rel, FaultOf(call));
  }

  bool Excluded(const std::string& rel) { return IsExcluded(options_, rel); }

  void CountExcluded(const std::string& rel) { ++out_.excluded_calls[rel]; }

  // Any argument that names the data directory (for calls we do not model).
  bool TouchesDir(const Proc& proc, const Syscall& call) {
    std::string rel;
    if (!call.ret_path.empty() && InDir(Normalize(call.ret_path), &rel)) return true;
    for (size_t i = 0; i < call.args.size(); ++i) {
      int fd = 0;
      std::string path;
      if (ParseFdArg(call.args[i], &fd, &path)) {
        if (!path.empty() && InDir(Normalize(path), &rel)) return true;
      } else if (ParseQuoted(call.args[i], &path) && !path.empty()) {
        std::string dirfd = i > 0 ? call.args[i - 1] : std::string();
        if (InDir(Resolve(proc, dirfd, path), &rel)) return true;
      }
    }
    return false;
  }

  Status Apply(const Syscall& call) {
    Proc& proc = ProcOf(call.pid);
    const std::string& n = call.name;
    if (n == "clone" || n == "clone3" || n == "fork" || n == "vfork") return Clone(proc, call);
    if (call.injected && !TouchesDir(proc, call)) ++out_.injected_elsewhere;
    if (n.starts_with("io_uring")) return Unsupported("io_uring submissions are invisible to strace");
    if (n == "open" || n == "openat" || n == "creat" || n == "openat2") return Open(proc, call);
    if (n == "write" || n == "writev" || n == "pwrite64" || n == "pwritev" || n == "pwritev2") return Write(proc, call);
    if (n == "lseek") return Seek(proc, call);
    if (n == "read" || n == "readv") return Read(proc, call);
    if (n == "close") {
      if (call.ret == 0 && !call.args.empty()) Close(proc, call.args[0]);
      return Status::Ok();
    }
    if (n == "close_range") return CloseRange(proc, call);
    if (n == "dup" || n == "dup2" || n == "dup3") return Dup(proc, call, n == "dup3" && call.args.size() > 2 && HasFlag(call.args[2], "O_CLOEXEC"));
    if (n == "fcntl") return Fcntl(proc, call);
    if (n == "fsync" || n == "fdatasync") return Sync(proc, call);
    if (n == "sync" || n == "syncfs") {
      if (call.ret == 0) fs().SyncEverything(n);
      return Status::Ok();
    }
    if (n == "ftruncate" || n == "truncate") return Truncate(proc, call);
    if (n == "fallocate") return Fallocate(proc, call);
    if (n == "rename" || n == "renameat" || n == "renameat2") return Rename(proc, call);
    if (n == "unlink" || n == "unlinkat" || n == "rmdir") return Unlink(proc, call);
    if (n == "mkdir" || n == "mkdirat") return Mkdir(proc, call);
    if (n == "mmap") return Mmap(call);
    if (n == "chdir" || n == "fchdir") return Chdir(proc, call);
    if (n == "execve" || n == "execveat") {
      if (call.ret == 0) {
        for (auto it = proc.fds->begin(); it != proc.fds->end();) it = it->second.cloexec ? proc.fds->erase(it) : std::next(it);
      }
      return Status::Ok();
    }
    if (HarmlessCalls().count(n)) return Status::Ok();
    if (call.ret >= 0 && TouchesDir(proc, call)) {
      return Unsupported(n + " on the data directory is not in the crash model (line " + std::to_string(call.line) + ")");
    }
    return Status::Ok();
  }

  Status Clone(Proc& proc, const Syscall& call) {
    if (call.ret <= 0) return Status::Ok();
    std::string flags;
    for (const std::string& a : call.args) {
      if (a.starts_with("flags=")) flags = a.substr(6);
      if (a.starts_with("{flags=")) flags = a.substr(7);
    }
    Proc child;
    child.fds = HasFlag(flags, "CLONE_FILES") ? proc.fds : std::make_shared<FdTable>(*proc.fds);
    child.cwd = HasFlag(flags, "CLONE_FS") ? proc.cwd : std::make_shared<std::string>(*proc.cwd);
    procs_[static_cast<int>(call.ret)] = child;
    return Status::Ok();
  }

  Status Open(Proc& proc, const Syscall& call) {
    std::string dirfd, path_arg, flags;
    const std::string& n = call.name;
    size_t pi = (n == "openat" || n == "openat2") ? 1 : 0;
    if (call.args.size() <= pi || !ParseQuoted(call.args[pi], &path_arg)) {
      return call.ret < 0 ? Status::Ok() : Unsupported("unreadable path argument");
    }
    if (pi == 1) dirfd = call.args[0];
    if (n == "creat") {
      flags = "O_WRONLY|O_CREAT|O_TRUNC";
    } else if (n == "openat2") {
      size_t f = call.args.size() > 2 ? call.args[2].find("flags=") : std::string::npos;
      if (f != std::string::npos) flags = call.args[2].substr(f + 6, call.args[2].find_first_of(",}", f) - f - 6);
    } else if (call.args.size() > pi + 1) {
      flags = call.args[pi + 1];
    }
    const std::string abs = call.ret >= 0 && !call.ret_path.empty() ? Normalize(call.ret_path) : Resolve(proc, dirfd, path_arg);
    std::string rel;
    const bool in_dir = InDir(abs, &rel) || InDir(Resolve(proc, dirfd, path_arg), &rel);
    if (call.ret < 0) {
      if (in_dir && !Excluded(rel) && HasFlag(flags, "O_CREAT") && fs().Lookup(rel) < 0 && call.error != "EEXIST") {
        NoteFailure(call, OpKind::kLink, ParentInode(rel), rel);
      }
      return Status::Ok();
    }
    auto file = std::make_shared<OpenFile>();
    file->in_dir = in_dir;
    file->append = HasFlag(flags, "O_APPEND");
    file->rel = rel;
    if (in_dir) {
      if (Excluded(rel)) {
        file->excluded = true;
        CountExcluded(rel);
      } else {
        int ino = fs().Lookup(rel);
        if (ino < 0) {
          if (!HasFlag(flags, "O_CREAT")) return Unsupported(rel + " was opened but the model has no such file");
          auto created = fs().Create(rel);
          if (!created.ok()) return created.status();
          ino = fs().Lookup(rel);
        } else if (HasFlag(flags, "O_TRUNC") && !fs().volatile_view().inodes[ino].is_dir) {
          WALPROOF_RETURN_IF_ERROR(fs().TruncateInode(ino, rel, 0));
        }
        file->inode = ino;
      }
    }
    (*proc.fds)[static_cast<int>(call.ret)] = FdEntry{file, HasFlag(flags, "O_CLOEXEC")};
    return Status::Ok();
  }

  int ParentInode(const std::string& rel) {
    size_t slash = rel.rfind('/');
    return slash == std::string::npos ? kRootInode : fs().Lookup(rel.substr(0, slash));
  }

  Status Write(Proc& proc, const Syscall& call) {
    if (call.args.empty()) return Status::Ok();
    stale_ = false;
    auto file = FileOf(proc, call.args[0]);
    if (stale_) return Unsupported("a write reported after its descriptor was reused, on a file of the data directory");
    if (!file) return CheckUnknownFd(call);
    if (file->is_stdout) {
      if (call.ret > 0) out_.stdout_writes.push_back(StdoutWrite{static_cast<uint32_t>(fs().log().size()), call.data});
      return Status::Ok();
    }
    if (!file->in_dir) return Status::Ok();
    if (file->excluded) {
      CountExcluded(file->rel);
      return Status::Ok();
    }
    ++out_.calls_in_dir;
    if (call.ret < 0) {
      NoteFailure(call, OpKind::kAppend, file->inode, file->rel);
      return Status::Ok();
    }
    if (call.data.size() != static_cast<uint64_t>(call.ret)) {
      return Unsupported("the data dump holds " + std::to_string(call.data.size()) + " bytes, the call wrote " +
                         std::to_string(call.ret));
    }
    const bool positioned = call.name.starts_with("pwrite");
    int64_t at = 0;
    if (positioned && (call.args.size() < 4 || !ParseInt(call.args[3], &at))) return Unsupported("unreadable offset");
    const uint64_t size = fs().volatile_view().inodes[file->inode].data->size();
    // Linux appends under O_APPEND even for pwrite(2).
    const uint64_t offset = file->append ? size : positioned ? static_cast<uint64_t>(at) : file->pos;
    WALPROOF_RETURN_IF_ERROR(fs().WriteAt(file->inode, file->rel, offset, call.data));
    if (!positioned) file->pos = offset + call.data.size();
    return Status::Ok();
  }

  Status CheckUnknownFd(const Syscall& call) {
    int fd = 0;
    std::string path, rel;
    if (ParseFdArg(call.args[0], &fd, &path) && !path.empty() && InDir(Normalize(path), &rel) && !Excluded(rel)) {
      return Unsupported("fd " + std::to_string(fd) + " names " + rel + " but was opened before the trace began");
    }
    return Status::Ok();
  }

  Status Seek(Proc& proc, const Syscall& call) {
    auto file = call.args.empty() ? nullptr : FileOf(proc, call.args[0]);
    if (file && call.ret >= 0) file->pos = static_cast<uint64_t>(call.ret);
    return Status::Ok();
  }

  Status Read(Proc& proc, const Syscall& call) {
    auto file = call.args.empty() ? nullptr : FileOf(proc, call.args[0]);
    if (file && call.ret > 0) file->pos += static_cast<uint64_t>(call.ret);
    return Status::Ok();
  }

  void Close(Proc& proc, const std::string& fd_arg) {
    int fd = 0;
    std::string path;
    if (!ParseFdArg(fd_arg, &fd, &path)) return;
    auto it = proc.fds->find(fd);
    // A close printed after the number was reused closed the old file.
    if (it != proc.fds->end() && SameFile(*it->second.file, path)) proc.fds->erase(it);
  }

  Status CloseRange(Proc& proc, const Syscall& call) {
    int64_t lo = 0, hi = 0;
    if (call.ret != 0 || call.args.size() < 2 || !ParseInt(call.args[0], &lo)) return Status::Ok();
    if (!ParseInt(call.args[1], &hi)) hi = INT32_MAX;
    for (auto it = proc.fds->lower_bound(static_cast<int>(lo)); it != proc.fds->end() && it->first <= hi;) {
      it = proc.fds->erase(it);
    }
    return Status::Ok();
  }

  Status Dup(Proc& proc, const Syscall& call, bool cloexec) {
    if (call.ret < 0 || call.args.empty()) return Status::Ok();
    int fd = 0;
    std::string path;
    if (!ParseFdArg(call.args[0], &fd, &path)) return Status::Ok();
    auto it = proc.fds->find(fd);
    if (it == proc.fds->end()) {
      proc.fds->erase(static_cast<int>(call.ret));
      return CheckUnknownFd(call);
    }
    (*proc.fds)[static_cast<int>(call.ret)] = FdEntry{it->second.file, cloexec};
    return Status::Ok();
  }

  Status Fcntl(Proc& proc, const Syscall& call) {
    if (call.args.size() < 2 || call.ret < 0) return Status::Ok();
    const std::string& cmd = call.args[1];
    if (cmd == "F_DUPFD" || cmd == "F_DUPFD_CLOEXEC") return Dup(proc, call, cmd == "F_DUPFD_CLOEXEC");
    int fd = 0;
    std::string path;
    if (!ParseFdArg(call.args[0], &fd, &path)) return Status::Ok();
    auto it = proc.fds->find(fd);
    if (it == proc.fds->end()) return Status::Ok();
    if (cmd == "F_SETFD" && call.args.size() > 2) it->second.cloexec = HasFlag(call.args[2], "FD_CLOEXEC");
    if (cmd == "F_SETFL" && call.args.size() > 2) it->second.file->append = HasFlag(call.args[2], "O_APPEND");
    return Status::Ok();
  }

  Status Sync(Proc& proc, const Syscall& call) {
    auto file = call.args.empty() ? nullptr : FileOf(proc, call.args[0]);
    if (!file) return CheckUnknownFd(call);
    if (!file->in_dir) return Status::Ok();
    if (file->excluded) {
      CountExcluded(file->rel);
      return Status::Ok();
    }
    ++out_.calls_in_dir;
    const bool is_dir = fs().volatile_view().inodes[file->inode].is_dir;
    if (call.ret < 0) {
      NoteFailure(call, is_dir ? OpKind::kSyncDir : OpKind::kSync, file->inode, file->rel.empty() ? "." : file->rel);
      return Status::Ok();
    }
    return fs().SyncInode(file->inode, file->rel.empty() ? "." : file->rel);
  }

  // The inode and relative path of a truncate/fallocate target.
  Status Target(Proc& proc, const Syscall& call, bool by_path, std::shared_ptr<OpenFile>* out) {
    if (call.args.empty()) return Status::Ok();
    if (!by_path) {
      *out = FileOf(proc, call.args[0]);
      if (!*out) return CheckUnknownFd(call);
      return Status::Ok();
    }
    std::string p, rel;
    if (!ParseQuoted(call.args[0], &p) || !InDir(Resolve(proc, "", p), &rel)) return Status::Ok();
    auto f = std::make_shared<OpenFile>();
    f->in_dir = true;
    f->rel = rel;
    f->excluded = Excluded(rel);
    f->inode = fs().Lookup(rel);
    if (!f->excluded && f->inode < 0 && call.ret == 0) return Unsupported(rel + ": truncated but not in the model");
    *out = f;
    return Status::Ok();
  }

  Status Truncate(Proc& proc, const Syscall& call) {
    std::shared_ptr<OpenFile> file;
    WALPROOF_RETURN_IF_ERROR(Target(proc, call, call.name == "truncate", &file));
    if (!file || !file->in_dir) return Status::Ok();
    if (file->excluded) {
      CountExcluded(file->rel);
      return Status::Ok();
    }
    ++out_.calls_in_dir;
    int64_t size = 0;
    if (call.args.size() < 2 || !ParseInt(call.args[1], &size)) return Unsupported("unreadable length");
    if (call.ret < 0) {
      NoteFailure(call, OpKind::kTruncate, file->inode, file->rel);
      return Status::Ok();
    }
    pending_tail_.erase(file->inode);
    return fs().TruncateInode(file->inode, file->rel, static_cast<uint64_t>(size));
  }

  Status Fallocate(Proc& proc, const Syscall& call) {
    std::shared_ptr<OpenFile> file;
    WALPROOF_RETURN_IF_ERROR(Target(proc, call, false, &file));
    if (!file || !file->in_dir) return Status::Ok();
    if (file->excluded) {
      CountExcluded(file->rel);
      return Status::Ok();
    }
    ++out_.calls_in_dir;
    int64_t off = 0, len = 0;
    if (call.args.size() < 4 || !ParseInt(call.args[2], &off) || !ParseInt(call.args[3], &len)) {
      return Unsupported("unreadable fallocate range");
    }
    if (call.ret < 0) {
      NoteFailure(call, OpKind::kTruncate, file->inode, file->rel);
      return Status::Ok();
    }
    const std::string& mode = call.args[1];
    const uint64_t size = fs().volatile_view().inodes[file->inode].data->size();
    const uint64_t end = static_cast<uint64_t>(off + len);
    const bool keep_size = HasFlag(mode, "FALLOC_FL_KEEP_SIZE");
    if (mode == "0") {
      // Allocation that extends the file: the new bytes read as zeros. A
      // large preallocation (Prometheus: 512 MiB per block chunk file, cut
      // back when the block is done) stays pending: see the header.
      if (end <= size) return Status::Ok();
      if (end - size > kLazyPreallocation) {
        pending_tail_[file->inode] = std::max(pending_tail_[file->inode], end);
        return Status::Ok();
      }
      return fs().TruncateInode(file->inode, file->rel, end);
    }
    if (mode == "FALLOC_FL_KEEP_SIZE") return Status::Ok();  // blocks only: nothing visible changes
    if (HasFlag(mode, "FALLOC_FL_PUNCH_HOLE") || HasFlag(mode, "FALLOC_FL_ZERO_RANGE")) {
      uint64_t hi = keep_size ? std::min(end, size) : end;
      if (hi <= static_cast<uint64_t>(off)) return Status::Ok();
      return fs().WriteAt(file->inode, file->rel, static_cast<uint64_t>(off), std::string(hi - off, '\0'));
    }
    return Unsupported("fallocate mode " + mode + " is not in the crash model");
  }

  Status Rename(Proc& proc, const Syscall& call) {
    std::string from, to, dfrom, dto;
    size_t a = 0, b = 1;
    if (call.name != "rename") {
      dfrom = call.args.size() > 0 ? call.args[0] : "";
      dto = call.args.size() > 2 ? call.args[2] : "";
      a = 1;
      b = 3;
    }
    if (call.args.size() <= b || !ParseQuoted(call.args[a], &from) || !ParseQuoted(call.args[b], &to)) {
      return Unsupported("unreadable rename arguments");
    }
    if (call.name == "renameat2" && call.args.size() > 4 &&
        (HasFlag(call.args[4], "RENAME_EXCHANGE") || HasFlag(call.args[4], "RENAME_WHITEOUT"))) {
      return Unsupported("renameat2 " + call.args[4] + " is not in the crash model");
    }
    std::string rfrom, rto;
    const bool in_from = InDir(Resolve(proc, dfrom, from), &rfrom);
    const bool in_to = InDir(Resolve(proc, dto, to), &rto);
    if (!in_from && !in_to) return Status::Ok();
    if (in_from != in_to) {
      if (call.ret < 0) return Status::Ok();
      return Unsupported("a rename into or out of the data directory (" + from + " -> " + to + ")");
    }
    if (Excluded(rfrom) || Excluded(rto)) {
      if (Excluded(rfrom) && Excluded(rto)) {
        CountExcluded(rto);
        return Status::Ok();
      }
      return Unsupported("a rename between an excluded and a modelled name (" + rfrom + " -> " + rto + ")");
    }
    ++out_.calls_in_dir;
    if (call.ret < 0) {
      if (call.injected) NoteFailure(call, OpKind::kRename, ParentInode(rfrom), rfrom + " -> " + rto);
      return Status::Ok();
    }
    return fs().Rename(rfrom, rto);
  }

  Status Unlink(Proc& proc, const Syscall& call) {
    std::string dirfd, p;
    size_t pi = call.name == "unlinkat" ? 1 : 0;
    if (pi == 1 && !call.args.empty()) dirfd = call.args[0];
    if (call.args.size() <= pi || !ParseQuoted(call.args[pi], &p)) return Unsupported("unreadable path");
    std::string rel;
    if (!InDir(Resolve(proc, dirfd, p), &rel)) return Status::Ok();
    if (Excluded(rel)) {
      CountExcluded(rel);
      return Status::Ok();
    }
    ++out_.calls_in_dir;
    const bool dir = call.name == "rmdir" || (call.args.size() > 2 && HasFlag(call.args[2], "AT_REMOVEDIR"));
    if (call.ret < 0) {
      if (call.injected) NoteFailure(call, OpKind::kUnlink, ParentInode(rel), rel);
      return Status::Ok();
    }
    return dir ? fs().RemoveDir(rel) : fs().RemoveFile(rel);
  }

  Status Mkdir(Proc& proc, const Syscall& call) {
    std::string dirfd, p;
    size_t pi = call.name == "mkdirat" ? 1 : 0;
    if (pi == 1 && !call.args.empty()) dirfd = call.args[0];
    if (call.args.size() <= pi || !ParseQuoted(call.args[pi], &p)) return Unsupported("unreadable path");
    std::string rel;
    if (!InDir(Resolve(proc, dirfd, p), &rel) || rel.empty()) return Status::Ok();
    if (Excluded(rel)) {
      CountExcluded(rel);
      return Status::Ok();
    }
    ++out_.calls_in_dir;
    if (call.ret < 0) {
      if (call.injected) NoteFailure(call, OpKind::kLink, ParentInode(rel), rel);
      return Status::Ok();
    }
    return fs().MakeDir(rel);
  }

  Status Mmap(const Syscall& call) {
    if (call.args.size() < 5 || call.ret == -1) return Status::Ok();
    int fd = 0;
    std::string path, rel;
    if (!ParseFdArg(call.args[4], &fd, &path) || path.empty() || !InDir(Normalize(path), &rel)) return Status::Ok();
    if (!HasFlag(call.args[2], "PROT_WRITE") || !HasFlag(call.args[3], "MAP_SHARED")) return Status::Ok();
    if (Excluded(rel)) {
      CountExcluded(rel);
      return Status::Ok();
    }
    return Unsupported(rel + " is mapped shared and writable: writes through the mapping are invisible to "
                       "strace (name it with --exclude if it stands outside the crash model)");
  }

  Status Chdir(Proc& proc, const Syscall& call) {
    if (call.ret != 0 || call.args.empty()) return Status::Ok();
    std::string p;
    int fd = 0;
    if (call.name == "chdir" && ParseQuoted(call.args[0], &p)) {
      *proc.cwd = Resolve(proc, "", p);
    } else if (ParseFdArg(call.args[0], &fd, &p) && !p.empty()) {
      *proc.cwd = Normalize(p);
    }
    return Status::Ok();
  }

  const TraceOptions& options_;
  const std::string data_dir_;
  ReplayedTrace out_;
  std::map<int, Proc> procs_;
  std::map<int, uint64_t> pending_tail_;
  // What FileOf returns for a call on a reused descriptor number that
  // named a file outside the data directory: a file nothing is done to.
  std::shared_ptr<OpenFile> outside_ = std::make_shared<OpenFile>();
  bool stale_ = false;  // inode -> size a large fallocate promised
};

}  // namespace

std::string RelativeTo(const std::string& dir, const std::string& path) {
  if (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/') {
    return path.substr(dir.size() + 1);
  }
  return path;
}

bool IsExcluded(const TraceOptions& options, const std::string& rel) {
  const size_t slash = rel.rfind('/');
  const std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  for (const std::string& pattern : options.excludes) {
    if (fnmatch(pattern.c_str(), rel.c_str(), 0) == 0 || fnmatch(pattern.c_str(), base.c_str(), 0) == 0) return true;
  }
  return false;
}

walproof::Result<ReplayedTrace> ReplayTrace(const StraceLog& log, const CrashImage& before,
                                            const TraceOptions& options) {
  // Excluded files are not part of the modelled directory at all.
  CrashImage modelled;
  for (const auto& e : before.entries) {
    if (!IsExcluded(options, e.path)) modelled.entries.push_back(e);
  }
  Replayer r(modelled, options);
  auto out = r.Run(log);
  if (out.ok()) out->before = before;
  return out;
}

}  // namespace crashsim
