// The Prometheus data directory around a WAL directory (WALDIR/..): its lock
// file, and its m-mapped head chunks, which commands that rewrite the WAL
// must not ignore.
#pragma once

#include <memory>
#include <string>

#include "walproof/fs.h"

namespace walproof::cli {

// The directory holding WALDIR.
std::string DataDirOf(std::string wal_dir);

// Takes DATA/lock with flock, as Prometheus does, and fails with a message
// that says why when someone holds it. Debian's Prometheus takes the lock only
// with --storage.tsdb.use-lockfile, so a server started without it is not seen.
Result<std::unique_ptr<FileLock>> LockDataDir(Fs& fs, const std::string& wal_dir);

// Files in DATA/chunks_head (0 when it does not exist).
Result<size_t> CountHeadChunkFiles(Fs& fs, const std::string& wal_dir);

}  // namespace walproof::cli
