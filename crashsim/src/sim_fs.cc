#include "crashsim/sim_fs.h"

#include <algorithm>
#include <cstring>

#include "walproof/format/fragment.h"

namespace crashsim {

using walproof::DirEntry;
using walproof::FileKind;
using walproof::Status;

class SimFs::File final : public walproof::WritableFile {
 public:
  File(SimFs* fs, int inode, std::string path) : fs_(fs), inode_(inode), path_(std::move(path)), epoch_(fs->epoch_) {}
  Status Append(std::string_view data, size_t* written) override {
    *written = 0;
    if (Status st = Alive(); !st.ok()) return st;
    return fs_->AppendTo(inode_, path_, data, written);
  }
  Status Truncate(uint64_t size) override {
    if (Status st = Alive(); !st.ok()) return st;
    return fs_->TruncateFile(inode_, path_, size);
  }
  Status Sync() override {
    if (Status st = Alive(); !st.ok()) return st;
    return fs_->SyncFile(inode_, path_);
  }
  Status Close() override { return Alive(); }
  uint64_t Size() const override { return fs_->vol_.inodes[inode_].data->size(); }

 private:
  Status Alive() const {
    if (epoch_ != fs_->epoch_) return Status::IOError(path_ + ": the process was killed");
    return Status::Ok();
  }
  SimFs* fs_;
  int inode_;
  std::string path_;
  uint64_t epoch_;
};

class SimFs::Reader final : public walproof::ReadableFile {
 public:
  Reader(const SimFs* fs, int inode) : fs_(fs), inode_(inode) {}
  Status Read(uint64_t offset, size_t n, char* buf, size_t* got) const override {
    const std::string& data = *fs_->vol_.inodes[inode_].data;
    *got = 0;
    if (offset >= data.size()) return Status::Ok();
    *got = static_cast<size_t>(std::min<uint64_t>(n, data.size() - offset));
    std::memcpy(buf, data.data() + offset, *got);
    return Status::Ok();
  }
  uint64_t Size() const override { return fs_->vol_.inodes[inode_].data->size(); }
  bool View(uint64_t offset, size_t n, std::string_view* out) const override {
    // Holding the bytes keeps them alive and, being shared now, unchanged:
    // an append copies shared bytes instead of growing them in place.
    pinned_ = fs_->vol_.inodes[inode_].data;
    *out = std::string_view(*pinned_).substr(std::min<uint64_t>(offset, pinned_->size()), n);
    return true;
  }

 private:
  const SimFs* fs_;
  int inode_;
  mutable Bytes pinned_;
};

namespace {
class NoLock final : public walproof::FileLock {};
}  // namespace

SimFs::SimFs() {
  Inode root;
  root.is_dir = true;
  root.entries = EmptyEntries();
  vol_.inodes.push_back(root);
  dur_ = vol_;
  vol_at_.push_back(vol_);
  dur_at_.push_back(dur_);
}

SimFs::SimFs(const CrashImage& image) : SimFs() {
  for (const CrashImage::Entry& e : image.entries) {
    std::vector<std::string> parts = SplitPath(e.path);
    if (parts.empty()) continue;
    int dir = kRootInode;
    bool ok = true;
    for (size_t i = 0; i + 1 < parts.size() && ok; ++i) {
      dir = LookupIn(dir, parts[i]);
      ok = dir >= 0 && vol_.inodes[dir].is_dir;
    }
    if (!ok || LookupIn(dir, parts.back()) >= 0) continue;
    int ino = NewInode(e.is_dir);
    if (!e.is_dir) vol_.inodes[ino].data = e.data ? e.data : EmptyBytes();
    DirEntries entries = *vol_.inodes[dir].entries;
    entries[parts.back()] = ino;
    SetEntries(dir, std::move(entries));
  }
  dur_ = vol_;
  vol_at_.assign(1, vol_);
  dur_at_.assign(1, dur_);
}

SimFs::~SimFs() = default;

void SimFs::set_recording(bool on) {
  recording_ = on;
  if (!on) {
    vol_at_.clear();
    dur_at_.clear();
  }
}

int SimFs::NewInode(bool is_dir) {
  Inode n;
  n.is_dir = is_dir;
  if (is_dir) {
    n.entries = EmptyEntries();
  } else {
    n.data = EmptyBytes();
  }
  vol_.inodes.push_back(n);
  dur_.inodes.push_back(n);  // durable as empty: its contents are not, until synced
  return static_cast<int>(vol_.inodes.size()) - 1;
}

void SimFs::SetEntries(int dir, DirEntries entries) {
  vol_.inodes[dir].entries = std::make_shared<const DirEntries>(std::move(entries));
}

int SimFs::LookupIn(int dir, const std::string& name) const {
  const DirEntries& e = *vol_.inodes[dir].entries;
  auto it = e.find(name);
  return it == e.end() ? -1 : it->second;
}

int SimFs::Lookup(const std::string& path) const {
  int ino = kRootInode;
  for (const std::string& part : SplitPath(path)) {
    if (!vol_.inodes[ino].is_dir) return -1;
    ino = LookupIn(ino, part);
    if (ino < 0) return -1;
  }
  return ino;
}

Status SimFs::ResolveParent(const std::string& path, Parent* out) const {
  std::vector<std::string> parts = SplitPath(path);
  if (parts.empty()) return Status::InvalidArgument("simfs: no name in path '" + path + "'");
  int dir = kRootInode;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    dir = LookupIn(dir, parts[i]);
    if (dir < 0) return Status::NotFound("simfs: " + path + ": no such directory");
    if (!vol_.inodes[dir].is_dir) return Status::IOError("simfs: " + path + ": not a directory");
  }
  out->dir = dir;
  out->name = parts.back();
  return Status::Ok();
}

IoFault SimFs::NextCall(OpKind kind) {
  int64_t ordinal = static_cast<int64_t>(calls_.size());
  calls_.push_back(kind);
  if (ordinal != fault_call_) return IoFault::kNone;
  fault_op_ = static_cast<int64_t>(log_.size());
  return fault_;
}

void SimFs::InjectFault(uint64_t call, IoFault fault) {
  fault_call_ = static_cast<int64_t>(call);
  fault_ = fault;
}

Status SimFs::FaultStatus(IoFault fault, const std::string& what) const {
  if (fault == IoFault::kIoError) return Status::IOError("simfs: injected EIO: " + what);
  return Status::NoSpace("simfs: injected ENOSPC: " + what);
}

void SimFs::Record(FsOp op) {
  op.phase = phase_;
  log_.push_back(std::move(op));
  if (recording_) {
    vol_at_.push_back(vol_);
    dur_at_.push_back(dur_);
  }
}

Status SimFs::AppendTo(int inode, const std::string& path, std::string_view data, size_t* written) {
  IoFault fault = NextCall(OpKind::kAppend);
  size_t n = data.size();
  if (fault == IoFault::kShortWrite) {
    n = data.size() / 2;
  } else if (fault != IoFault::kNone) {
    n = 0;
  }
  FsOp op;
  op.kind = OpKind::kAppend;
  op.inode = inode;
  op.path = path;
  op.fault = fault;
  op.failed = fault != IoFault::kNone && n == 0;
  op.offset = vol_.inodes[inode].data->size();
  op.length = n;
  if (n > 0) {
    Bytes& cur = vol_.inodes[inode].data;
    if (cur.use_count() == 1) {
      // No snapshot, durable state, image or hash cache holds these bytes
      // (recovery runs without snapshots): grow them in place, or a run of
      // small appends (a repair re-logging records) copies the file each time.
      // MakeBytes made the string non-const, so this is allowed.
      const_cast<std::string&>(*cur).append(data.substr(0, n));
    } else {
      std::string grown;
      // Room up to the end of the page: the padding that usually follows
      // (repair, segment switch) then goes in place.
      grown.reserve((op.offset + n + walproof::kPageSize - 1) / walproof::kPageSize * walproof::kPageSize);
      grown.append(*cur).append(data.substr(0, n));
      cur = MakeBytes(std::move(grown));
    }
  }
  *written = n;
  Record(std::move(op));
  if (fault == IoFault::kNone) return Status::Ok();
  return FaultStatus(fault == IoFault::kShortWrite ? IoFault::kNoSpace : fault,
                     "append " + std::to_string(data.size()) + " bytes to " + path + " (" +
                         std::to_string(n) + " written)");
}

Status SimFs::TruncateFile(int inode, const std::string& path, uint64_t size) {
  IoFault fault = NextCall(OpKind::kTruncate);
  FsOp op;
  op.kind = OpKind::kTruncate;
  op.inode = inode;
  op.path = path;
  op.offset = size;
  op.fault = fault;
  op.failed = fault != IoFault::kNone;
  if (!op.failed) {
    const std::string& cur = *vol_.inodes[inode].data;
    std::string cut = cur.substr(0, std::min<uint64_t>(size, cur.size()));
    cut.resize(size, '\0');
    vol_.inodes[inode].data = MakeBytes(std::move(cut));
  }
  Record(std::move(op));
  return fault == IoFault::kNone ? Status::Ok() : FaultStatus(fault, "truncate " + path);
}

Status SimFs::SyncFile(int inode, const std::string& path) {
  IoFault fault = NextCall(OpKind::kSync);
  FsOp op;
  op.kind = OpKind::kSync;
  op.inode = inode;
  op.path = path;
  op.fault = fault;
  op.failed = fault != IoFault::kNone;
  // A failed fsync makes nothing durable (and the writer must not trust
  // anything it wrote since the last good one: PostgreSQL's "fsyncgate").
  if (!op.failed) dur_.inodes[inode].data = vol_.inodes[inode].data;
  Record(std::move(op));
  return fault == IoFault::kNone ? Status::Ok() : FaultStatus(IoFault::kIoError, "fsync " + path);
}

// Links a new empty inode under p (one kLink op, which may be given a fault:
// then nothing is linked and the op is recorded as failed).
walproof::Result<int> SimFs::LinkNewInode(const Parent& p, const std::string& path, bool is_dir) {
  IoFault fault = NextCall(OpKind::kLink);
  FsOp op;
  op.kind = OpKind::kLink;
  op.inode = p.dir;
  op.name = p.name;
  op.path = path;
  op.fault = fault;
  if (fault != IoFault::kNone) {
    op.failed = true;
    Record(std::move(op));
    return FaultStatus(IoFault::kNoSpace, (is_dir ? "mkdir " : "create ") + path);
  }
  int ino = NewInode(is_dir);
  DirEntries entries = *vol_.inodes[p.dir].entries;
  entries[p.name] = ino;
  SetEntries(p.dir, std::move(entries));
  op.target = ino;
  Record(std::move(op));
  return ino;
}

walproof::Result<std::unique_ptr<walproof::WritableFile>> SimFs::Create(const std::string& path) {
  Parent p;
  WALPROOF_RETURN_IF_ERROR(ResolveParent(path, &p));
  int existing = LookupIn(p.dir, p.name);
  if (existing >= 0) {
    if (vol_.inodes[existing].is_dir) return Status::IOError("simfs: create " + path + ": is a directory");
    // O_TRUNC on an existing file: same inode, data change only.
    WALPROOF_RETURN_IF_ERROR(TruncateFile(existing, path, 0));
    return std::unique_ptr<walproof::WritableFile>(new File(this, existing, path));
  }
  auto ino = LinkNewInode(p, path, /*is_dir=*/false);
  if (!ino.ok()) return ino.status();
  return std::unique_ptr<walproof::WritableFile>(new File(this, *ino, path));
}

walproof::Result<std::unique_ptr<walproof::WritableFile>> SimFs::OpenForAppend(const std::string& path) {
  int ino = Lookup(path);
  if (ino < 0) return Status::NotFound("simfs: " + path + ": not found");
  if (vol_.inodes[ino].is_dir) return Status::IOError("simfs: " + path + ": is a directory");
  return std::unique_ptr<walproof::WritableFile>(new File(this, ino, path));
}

walproof::Result<std::unique_ptr<walproof::ReadableFile>> SimFs::OpenForRead(const std::string& path) {
  int ino = Lookup(path);
  if (ino < 0) return Status::NotFound("simfs: " + path + ": not found");
  if (vol_.inodes[ino].is_dir) return Status::IOError("simfs: " + path + ": is a directory");
  return std::unique_ptr<walproof::ReadableFile>(new Reader(this, ino));
}

walproof::Result<FileKind> SimFs::Stat(const std::string& path) {
  int ino = Lookup(path);
  if (ino < 0) return FileKind::kMissing;
  return vol_.inodes[ino].is_dir ? FileKind::kDir : FileKind::kFile;
}

walproof::Result<std::vector<DirEntry>> SimFs::ListDir(const std::string& path) {
  int ino = Lookup(path);
  if (ino < 0) return Status::NotFound("simfs: " + path + ": no such directory");
  if (!vol_.inodes[ino].is_dir) return Status::IOError("simfs: " + path + ": not a directory");
  std::vector<DirEntry> out;
  for (const auto& [name, child] : *vol_.inodes[ino].entries) {
    out.push_back(DirEntry{name, vol_.inodes[child].is_dir});
  }
  return out;
}

Status SimFs::MakeDir(const std::string& path) {
  Parent p;
  WALPROOF_RETURN_IF_ERROR(ResolveParent(path, &p));
  if (LookupIn(p.dir, p.name) >= 0) return Status::AlreadyExists("simfs: " + path + " exists");
  auto ino = LinkNewInode(p, path, /*is_dir=*/true);
  if (!ino.ok()) return ino.status();
  return Status::Ok();
}

Status SimFs::RemoveFile(const std::string& path) {
  Parent p;
  WALPROOF_RETURN_IF_ERROR(ResolveParent(path, &p));
  int ino = LookupIn(p.dir, p.name);
  if (ino < 0) return Status::NotFound("simfs: " + path + ": not found");
  if (vol_.inodes[ino].is_dir) return Status::IOError("simfs: unlink " + path + ": is a directory");
  IoFault fault = NextCall(OpKind::kUnlink);
  FsOp op;
  op.kind = OpKind::kUnlink;
  op.inode = p.dir;
  op.target = ino;
  op.name = p.name;
  op.path = path;
  op.fault = fault;
  op.failed = fault != IoFault::kNone;
  if (!op.failed) {
    DirEntries entries = *vol_.inodes[p.dir].entries;
    entries.erase(p.name);
    SetEntries(p.dir, std::move(entries));
  }
  Record(std::move(op));
  return fault == IoFault::kNone ? Status::Ok() : FaultStatus(IoFault::kIoError, "unlink " + path);
}

Status SimFs::RemoveDir(const std::string& path) {
  Parent p;
  WALPROOF_RETURN_IF_ERROR(ResolveParent(path, &p));
  int ino = LookupIn(p.dir, p.name);
  if (ino < 0) return Status::NotFound("simfs: " + path + ": not found");
  if (!vol_.inodes[ino].is_dir) return Status::IOError("simfs: rmdir " + path + ": not a directory");
  if (!vol_.inodes[ino].entries->empty()) return Status::IOError("simfs: rmdir " + path + ": not empty");
  IoFault fault = NextCall(OpKind::kUnlink);
  FsOp op;
  op.kind = OpKind::kUnlink;
  op.inode = p.dir;
  op.target = ino;
  op.name = p.name;
  op.path = path;
  op.fault = fault;
  op.failed = fault != IoFault::kNone;
  if (!op.failed) {
    DirEntries entries = *vol_.inodes[p.dir].entries;
    entries.erase(p.name);
    SetEntries(p.dir, std::move(entries));
  }
  Record(std::move(op));
  return fault == IoFault::kNone ? Status::Ok() : FaultStatus(IoFault::kIoError, "rmdir " + path);
}

Status SimFs::Rename(const std::string& from, const std::string& to) {
  Parent src, dst;
  WALPROOF_RETURN_IF_ERROR(ResolveParent(from, &src));
  WALPROOF_RETURN_IF_ERROR(ResolveParent(to, &dst));
  int ino = LookupIn(src.dir, src.name);
  if (ino < 0) return Status::NotFound("simfs: rename " + from + ": not found");
  int replaced = LookupIn(dst.dir, dst.name);
  if (replaced == ino) return Status::Ok();
  if (replaced >= 0) {
    const Inode& r = vol_.inodes[replaced];
    if (r.is_dir != vol_.inodes[ino].is_dir) return Status::IOError("simfs: rename " + from + " -> " + to + ": type mismatch");
    if (r.is_dir && !r.entries->empty()) return Status::IOError("simfs: rename " + from + " -> " + to + ": not empty");
  }
  IoFault fault = NextCall(OpKind::kRename);
  FsOp op;
  op.kind = OpKind::kRename;
  op.inode = src.dir;
  op.dest_dir = dst.dir;
  op.target = ino;
  op.name = src.name;
  op.name2 = dst.name;
  op.path = from + " -> " + to;
  op.fault = fault;
  op.failed = fault != IoFault::kNone;
  if (!op.failed) {
    DirEntries s = *vol_.inodes[src.dir].entries;
    s.erase(src.name);
    if (src.dir == dst.dir) {
      s[dst.name] = ino;
      SetEntries(src.dir, std::move(s));
    } else {
      SetEntries(src.dir, std::move(s));
      DirEntries d = *vol_.inodes[dst.dir].entries;
      d[dst.name] = ino;
      SetEntries(dst.dir, std::move(d));
    }
  }
  Record(std::move(op));
  return fault == IoFault::kNone ? Status::Ok() : FaultStatus(IoFault::kIoError, "rename " + from);
}

Status SimFs::SyncDir(const std::string& path) {
  int ino = Lookup(path);
  if (ino < 0) return Status::NotFound("simfs: fsync " + path + ": not found");
  if (!vol_.inodes[ino].is_dir) return Status::IOError("simfs: fsync-dir " + path + ": not a directory");
  IoFault fault = NextCall(OpKind::kSyncDir);
  FsOp op;
  op.kind = OpKind::kSyncDir;
  op.inode = ino;
  op.path = path;
  op.fault = fault;
  op.failed = fault != IoFault::kNone;
  if (!op.failed) dur_.inodes[ino].entries = vol_.inodes[ino].entries;
  Record(std::move(op));
  return fault == IoFault::kNone ? Status::Ok() : FaultStatus(IoFault::kIoError, "fsync-dir " + path);
}

Status SimFs::WriteAt(int inode, const std::string& path, uint64_t offset, std::string_view data) {
  if (offset == vol_.inodes[inode].data->size()) {
    size_t written = 0;
    return AppendTo(inode, path, data, &written);
  }
  NextCall(OpKind::kAppend);
  FsOp op;
  op.kind = OpKind::kAppend;
  op.inode = inode;
  op.path = path;
  op.offset = offset;
  op.length = data.size();
  std::string s = *vol_.inodes[inode].data;
  if (s.size() < offset + data.size()) s.resize(offset + data.size(), '\0');
  s.replace(offset, data.size(), data);
  vol_.inodes[inode].data = MakeBytes(std::move(s));
  Record(std::move(op));
  return Status::Ok();
}

Status SimFs::TruncateInode(int inode, const std::string& path, uint64_t size) {
  return TruncateFile(inode, path, size);
}

Status SimFs::SyncInode(int inode, const std::string& path) {
  if (!vol_.inodes[inode].is_dir) return SyncFile(inode, path);
  NextCall(OpKind::kSyncDir);
  FsOp op;
  op.kind = OpKind::kSyncDir;
  op.inode = inode;
  op.path = path;
  dur_.inodes[inode].entries = vol_.inodes[inode].entries;
  Record(std::move(op));
  return Status::Ok();
}

void SimFs::SyncEverything(const std::string& why) {
  for (size_t i = 0; i < vol_.inodes.size(); ++i) {
    const Inode& v = vol_.inodes[i];
    const Inode& d = dur_.inodes[i];
    if (v.is_dir ? v.entries == d.entries : v.data == d.data) continue;
    SyncInode(static_cast<int>(i), why + " (inode " + std::to_string(i) + ")");
  }
}

void SimFs::RecordFailedCall(OpKind kind, int inode, const std::string& path, IoFault fault) {
  NextCall(kind);
  if (fault_op_ < 0) fault_op_ = static_cast<int64_t>(log_.size());
  FsOp op;
  op.kind = kind;
  op.inode = inode;
  op.path = path;
  op.failed = true;
  op.fault = fault;
  if (kind == OpKind::kAppend) op.offset = inode >= 0 ? vol_.inodes[inode].data->size() : 0;
  Record(std::move(op));
}

walproof::Result<std::unique_ptr<walproof::FileLock>> SimFs::Lock(const std::string&) {
  return std::unique_ptr<walproof::FileLock>(new NoLock());
}

namespace {

void Collect(const FsState& s, int dir, const std::string& prefix, int depth, CrashImage* out) {
  if (depth > 32) return;  // a defensive bound; SimFs never makes cycles
  for (const auto& [name, child] : *s.inodes[dir].entries) {
    std::string path = prefix.empty() ? name : prefix + "/" + name;
    const Inode& n = s.inodes[child];
    out->entries.push_back(CrashImage::Entry{path, n.is_dir, n.is_dir ? nullptr : n.data});
    if (n.is_dir) Collect(s, child, path, depth + 1, out);
  }
}

}  // namespace

CrashImage SimFs::VolatileImage() const {
  CrashImage img;
  Collect(vol_, kRootInode, "", 0, &img);
  return img;
}

CrashImage SimFs::DurableImage() const {
  // Durable entries name durable data: walk the durable view.
  CrashImage img;
  Collect(dur_, kRootInode, "", 0, &img);
  return img;
}

}  // namespace crashsim
