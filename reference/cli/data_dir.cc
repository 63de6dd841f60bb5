#include "data_dir.h"

#include "open_files.h"

namespace walproof::cli {

std::string DataDirOf(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

Result<std::unique_ptr<FileLock>> LockDataDir(Fs& fs, const std::string& wal_dir) {
  const std::string path = JoinPath(DataDirOf(wal_dir), "lock");
  auto lock = fs.Lock(path);
  if (!lock.ok() && lock.status().code() == Status::Code::kBusy) {
    return Status::Busy(path + " is held by another process: a running Prometheus (or another "
                               "walproof) owns this data directory; stop it first");
  }
  return lock;
}

Status GuardWrite(Fs& fs, const WalLocation& loc, std::unique_ptr<FileLock>* lock) {
  std::vector<std::string> dirs;  // those that exist, data dir first
  for (const std::string& d : {loc.data_dir, loc.wal_dir}) {
    auto kind = fs.Stat(d);
    if (!kind.ok()) return kind.status();
    if (*kind == FileKind::kDir && (dirs.empty() || dirs.back() != d)) dirs.push_back(d);
  }
  if (dirs.empty() || dirs.front() != loc.data_dir) return Status::Ok();  // nothing there yet to use
  // Who else uses it first, so that a refusal leaves not even a lock file.
  WALPROOF_RETURN_IF_ERROR(RefuseIfDirInUse(loc.data_dir, dirs));
  if (loc.in_data_dir) {
    auto l = LockDataDir(fs, loc.wal_dir);
    if (!l.ok()) return l.status();
    *lock = std::move(*l);
  }
  return Status::Ok();
}

Result<size_t> CountHeadChunkFiles(Fs& fs, const std::string& wal_dir) {
  const std::string path = JoinPath(DataDirOf(wal_dir), "chunks_head");
  auto kind = fs.Stat(path);
  if (!kind.ok()) return kind.status();
  if (*kind != FileKind::kDir) return size_t{0};
  auto entries = fs.ListDir(path);
  if (!entries.ok()) return entries.status();
  return entries->size();
}

}  // namespace walproof::cli
