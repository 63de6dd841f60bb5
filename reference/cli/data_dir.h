// The Prometheus data directory around a WAL directory (WALDIR/..): its lock
// file, the processes using it, and its m-mapped head chunks, which commands
// that rewrite the WAL must not ignore.
#pragma once

#include <memory>
#include <string>

#include "wal_location.h"
#include "walproof/io/fs.h"

namespace walproof::cli {

// The directory holding WALDIR.
std::string DataDirOf(std::string wal_dir);

// Takes DATA/lock with flock, as Prometheus does, and fails with a message
// that says why when someone holds it. Debian's Prometheus takes the lock only
// with --storage.tsdb.use-lockfile, so a server started without it is not seen.
Result<std::unique_ptr<FileLock>> LockDataDir(Fs& fs, const std::string& wal_dir);

// What every command that writes does first: refuses while any other process
// has a file under loc.data_dir open or mapped, or cannot be checked and could
// write there (open_files.h); then takes DATA/lock when the WAL is
// DATA/wal (Prometheus's own layout; a WAL directory named otherwise has no
// data directory whose lock a server would take), held in *lock. Busy when
// refused; nothing is written then, not even the lock file.
Status GuardWrite(Fs& fs, const WalLocation& loc, std::unique_ptr<FileLock>* lock);

// Files in DATA/chunks_head (0 when it does not exist).
Result<size_t> CountHeadChunkFiles(Fs& fs, const std::string& wal_dir);

}  // namespace walproof::cli
