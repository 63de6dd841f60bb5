// LayoutModel: the writer rules of docs/format.md ("Writer rules"), restated
// on their own so that property 2 can predict every byte of every segment
// file and compare.
//
// It knows pages, fragments, padding, segment switches and whole-record
// compression (through snappy and zstd directly, not the reference's wrapper),
// and records where each record landed, which the repair property needs to
// know which records end before a corruption point.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/fragment.h"

namespace walproof::prop {

// Where one logged record landed: its segment, the offset of its first
// fragment header, and the offset just past its last fragment.
struct Placement {
  int segment = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
};

class LayoutModel {
 public:
  // A WAL opened in an empty directory: segment 0.
  LayoutModel(Compression compression, uint64_t segment_size);

  void Log(std::string_view record);
  // Pad the page if it holds data, then start the next segment.
  void NextSegment();
  // Pad the page if it holds data.
  void Close();
  // Close, then open again: writing resumes in a new segment after the last.
  void Reopen();

  // Expected contents of every segment file, by index.
  const std::map<int, std::string>& files() const { return files_; }
  const std::vector<Placement>& placements() const { return placements_; }
  int segment() const { return segment_; }

 private:
  void PadPage();
  std::string Stored(std::string_view record, uint8_t* compression_bit) const;

  Compression compression_;
  uint64_t pages_per_segment_;
  std::map<int, std::string> files_;
  std::vector<Placement> placements_;
  int segment_ = 0;
  size_t page_used_ = 0;
  uint64_t full_pages_ = 0;
};

// One fragment found in a segment file: where its header starts, its type
// byte (compression bits included) and its payload length.
struct FragmentAt {
  uint64_t offset = 0;
  uint8_t type = 0;
  uint32_t length = 0;
  uint64_t end() const { return offset + kFragmentHeaderSize + length; }
};

// The fragments of a well-formed segment file, in order (padding skipped).
// Stops at the first thing that is not a fragment header.
std::vector<FragmentAt> ParseFragments(std::string_view segment);

// CRC-32C, bytewise from a table: independent of the reference's SSE4.2 code.
uint32_t ModelCrc32c(std::string_view data);

}  // namespace walproof::prop
