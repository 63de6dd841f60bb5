// The structure-aware custom mutator for the segment and directory targets.
//
// Random byte flips almost never survive a CRC-32C, so plain mutation stops
// at "unexpected checksum" and never reaches the decoders. This mutator
// parses its input into fragments (and, for directories, into files), changes
// fragment payloads, fragment types and flags, page layout, or the fields of a
// decoded record, then lays everything out again with correct lengths and
// CRCs. A small share of mutations stay plain byte mutations without the CRC
// fix, so checksum and header errors keep being explored too.
//
// Also defines the directory image: how wal_dir_fuzzer and replay_diff_fuzzer
// read one input as a small WAL directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walproof::fuzz {

// Mutates a segment image in place; returns the new size (<= max_size).
size_t MutateSegment(uint8_t* data, size_t size, size_t max_size, unsigned seed);

// ---- Directory images ----
//
// An input is a sequence of entries, each a 6-byte header then `len` bytes:
//   kind u8, a u8, b u8, len u24 (big-endian), data
// kind % 4:
//   0  WAL segment a                      -> <dir>/<a as %08d>
//   1  segment b of checkpoint a          -> <dir>/checkpoint.<a>/<b>
//   2  leftover, b % 4 picks:             0 <a>.repair, 1 checkpoint.<a>.tmp/<00000000>,
//                                         2 an unrelated file "lock", 3 an empty dir checkpoint.<a>
//   3  (reserved) treated as 0
// A truncated last entry takes what is left. Later entries replace earlier
// ones with the same path.
struct DirEntryImage {
  uint8_t kind = 0;
  uint8_t a = 0;
  uint8_t b = 0;
  std::string data;
};

std::vector<DirEntryImage> ParseDirImage(std::string_view in);
std::string SerializeDirImage(const std::vector<DirEntryImage>& entries);
// The path of an entry relative to the WAL directory, and whether it is a
// directory rather than a file.
std::string DirEntryPath(const DirEntryImage& e, bool* is_dir);

size_t MutateDirImage(uint8_t* data, size_t size, size_t max_size, unsigned seed);

}  // namespace walproof::fuzz
