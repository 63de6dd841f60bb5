// The layout of a WAL directory: segment files named by index (%08d),
// checkpoint.N directories, and the leftovers of interrupted work.
//
// Segments are ordered numerically, never by name: upstream #6920 broke once
// indexes outgrew 8 digits. Anything whose whole name is decimal digits is a
// segment; every other name is reported, never silently used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/fs.h"
#include "walproof/io/status.h"

namespace walproof {

// "00000042" for 42 (wider when the index needs it).
std::string SegmentFileName(int index);
// The index of a segment file name, or nothing when `name` is not all digits
// (or does not fit an int).
std::optional<int> ParseSegmentIndex(std::string_view name);

// "checkpoint.00000042".
std::string CheckpointDirName(int index);
// The index of "checkpoint.N" (N all digits), else nothing; "checkpoint.N.tmp" is not one.
std::optional<int> ParseCheckpointIndex(std::string_view name);

struct CheckpointEntry {
  int index = 0;
  std::string name;
  bool is_dir = true;
};

struct WalDirListing {
  std::vector<int> segments;                   // numeric order
  std::vector<CheckpointEntry> checkpoints;    // numeric order
  std::vector<std::string> tmp_checkpoints;    // checkpoint.N.tmp: an interrupted checkpoint
  std::vector<std::string> repair_files;       // N.repair: an interrupted upstream repair
  std::vector<std::string> other;              // names that are none of the above

  // The first pair of neighbours that are not consecutive, if any
  // (upstream refuses to open: "segments are not sequential").
  std::optional<std::pair<int, int>> FirstGap() const;
  const CheckpointEntry* LastCheckpoint() const;
};

Result<WalDirListing> ListWalDir(Fs& fs, const std::string& dir);

// Segment files of a directory in numeric order, failing with
// "segments are not sequential" when there is a gap.
Result<std::vector<int>> ListSequentialSegments(Fs& fs, const std::string& dir);

}  // namespace walproof
