// What a command's directory argument points at. Operators give either the
// WAL directory or the Prometheus data directory around it (the one passed
// to --storage.tsdb.path, which holds wal/); both are accepted, and the
// second is said out loud. A directory with no segment and no checkpoint is
// never read as an empty, clean WAL: it is reported, with what it does hold.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "walproof/io/fs.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::cli {

struct WalLocation {
  std::string arg;          // as given
  std::string wal_dir;      // the WAL directory worked on
  // The directory a live Prometheus would be using: DATA when the WAL is
  // DATA/wal (the only layout Prometheus writes), else the WAL dir itself.
  std::string data_dir;
  bool in_data_dir = false;  // wal_dir is DATA/wal
  bool via_data_dir = false;  // the argument was DATA, not DATA/wal
  bool exists = true;         // false only when LocateWal was allowed a missing dir
  WalDirListing listing;

  // Segments or checkpoints: something to read.
  bool HasWal() const { return !listing.segments.empty() || !listing.checkpoints.empty(); }
  // Nothing at all in wal_dir.
  bool Empty() const;
  // "using DATA/wal (DATA is a data directory holding wal/)" (only when via_data_dir).
  std::string UsingLine() const;
  // Every name in wal_dir that is neither a segment nor a checkpoint, each
  // with what it looks like: "00000003.repair (left by ...)".
  std::vector<std::string> NotRead() const;
  // "no WAL segments here: DIR holds no segment and no checkpoint; non-segment files: ..."
  std::string NothingHere() const;
};

// Resolves `arg`: fails NotFound when it does not exist (unless
// `may_be_missing`, then exists is false), InvalidArgument when it is not a
// directory, and with the listing's error (permission denied, I/O) when it
// cannot be listed. A directory with no segment and no checkpoint that holds
// a wal/ directory resolves to that.
Result<WalLocation> LocateWal(Fs& fs, const std::string& arg, bool may_be_missing = false);

// Joins names with ", ".
std::string JoinNames(const std::vector<std::string>& names);

// For the read commands: the location, or nothing with the message in *error
// and the exit code (3, could not check) in *code, when `arg` cannot be listed
// or holds no segment and no checkpoint.
std::optional<WalLocation> LocateForReading(Fs& fs, const std::string& arg, std::string* error, int* code);

}  // namespace walproof::cli
