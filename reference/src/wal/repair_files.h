// The files repair deals with, shared by planning and executing: the names
// it leaves behind or finds (ours and upstream's), segment paths and sizes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "walproof/io/fs.h"
#include "walproof/io/status.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::repair_internal {

// S.repair.tmp: the kept part of S before it replaces S. Not a segment
// name, so nothing reads it until the rename.
inline constexpr std::string_view kRepairTmpSuffix = ".repair.tmp";
// N.repair: upstream's copy of N, renamed aside inside its own repair.
inline constexpr std::string_view kUpstreamRepairSuffix = ".repair";

inline std::string SegPath(const std::string& dir, int s) { return JoinPath(dir, SegmentFileName(s)); }

inline Result<uint64_t> FileSize(Fs& fs, const std::string& path) {
  auto f = fs.OpenForRead(path);
  if (!f.ok()) return f.status();
  return (*f)->Size();
}

}  // namespace walproof::repair_internal
