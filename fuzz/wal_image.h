// Segment images for fuzzing: parse a segment into fragments, lay fragments
// and records out into pages with correct lengths and CRCs, and read a list of
// segments with an independent model of the strict reader.
//
// The model (ModelRead) is a second, deliberately plain implementation of the
// rules of docs/format.md ("Reader rules"), written from the format and
// upstream's reader.go rather than from segment_reader.cc: it pads every segment to its
// page boundary up front and walks the padded bytes, where only a page
// terminator may read the padding (a fragment running into it is torn). The
// fuzz targets compare SegmentReader with it record for record and on where a
// corruption is reported. Decompression itself is shared (DecompressRecord): the snappy
// target checks that one on its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/fragment.h"

namespace walproof::fuzz {

// One piece of a parsed segment.
struct Unit {
  enum class Kind {
    kFragment,   // header + payload; serialized with a correct length and CRC
    kPagePad,    // a page terminator: zeros to the end of the page
    kRaw,        // bytes kept as they are (garbage, a torn header)
  };
  Kind kind = Kind::kFragment;
  uint8_t type_byte = 0;     // fragments: type | compression bits
  std::string bytes;         // fragments: payload; raw: the bytes
  bool bad_crc = false;      // fragments: keep the CRC wrong when serializing
};

struct SegmentImage {
  std::vector<Unit> units;
  bool pad_tail = false;  // the image ended on a page boundary: keep it so
};

// Lenient parse: never fails; what does not parse as a fragment becomes Raw.
SegmentImage ParseSegment(std::string_view image);
// Lays the units out again. Fragments that do not fit in what is left of the
// page start on the next one (as the writer never lets them straddle).
std::string SerializeSegment(const SegmentImage& image);

// Appends `record` as the writer would: compressed when that is shorter,
// split into FULL or FIRST/MIDDLE.../LAST fragments that fill each page.
// `page_offset` is where in its page the first fragment will land (needed to
// know how the record splits); it is advanced.
void AppendRecordUnits(std::string_view record, Compression c, size_t* page_offset,
                       std::vector<Unit>* out);

// Builds one segment image from records, as WalWriter would lay them out
// (no segment switch: the caller picks what goes in one segment).
std::string BuildSegment(const std::vector<std::string>& records, Compression c, bool pad_tail);

struct ModelSegment {
  int index = 0;
  std::string data;
};

struct ModelResult {
  std::vector<std::string> records;
  std::vector<bool> compressed;
  bool corrupt = false;
  int segment = 0;         // where reading stopped, when corrupt
  uint64_t offset = 0;
  std::string reason;
};

ModelResult ModelRead(const std::vector<ModelSegment>& segments);

}  // namespace walproof::fuzz
