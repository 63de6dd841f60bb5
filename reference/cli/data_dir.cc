#include "data_dir.h"

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
