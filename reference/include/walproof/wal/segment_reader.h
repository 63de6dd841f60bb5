// SegmentReader: the strict reader of Prometheus (tsdb/wlog/reader.go), used
// for replay, verification and repair.
//
// It reads a list of segment files as one stream of fragments and returns
// whole records. Like upstream it treats a segment whose size is not a
// multiple of 32 KiB as if it were zero-padded to the page boundary, and it
// reports every violation as a corruption with the segment, the offset reached
// in it, and upstream's reason text, so that repair cuts where Prometheus
// would.
//
// Deliberate deviations from upstream v2.42.0 (tsdb/wlog/reader.go):
// - Only a page terminator may read into that padding. A fragment header or
//   payload that runs past the real end of a short file is torn: "read
//   remaining header: unexpected EOF" or "unexpected EOF", at the offset of
//   the file's end. Upstream reads on through the zeros: a header torn after
//   its type byte then reads as an empty record (length 0, CRC 0, and the
//   CRC-32C of nothing is 0), and a cut payload fails its checksum further
//   on.
// - A FIRST or MIDDLE fragment followed only by padding is "last record is
//   torn" (upstream ends quietly there).
//
// Prometheus replays a checkpoint as one stream of its segments, but
// each WAL segment as a stream of its own; WalReader (wal_reader.h) does that.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/fragment.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"

namespace walproof {

struct SegmentFile {
  int index = 0;
  std::string path;
};

// Where and why reading stopped short. Offset is the byte position reached in
// the segment when the problem was seen (upstream's convention): records that
// end at or before it are good.
struct CorruptionInfo {
  std::string path;
  int segment = 0;
  uint64_t offset = 0;
  std::string reason;
  // "corruption in segment <path> at <offset>: <reason>", as Prometheus logs it.
  std::string ToString() const;
};

// Time spent per phase, for `walproof replay` (steady clock, seconds).
struct ReadPhaseTimes {
  double read = 0;
  double checksum = 0;
  double decompress = 0;
};

class SegmentReader {
 public:
  SegmentReader(Fs& fs, std::vector<SegmentFile> segments);
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  // Reads the next record into *record (valid until the next call). False at
  // the end of the stream or on a problem: then see status() / corruption().
  bool Next(std::string_view* record);

  // Ok at a clean end; Corruption (message = corruption()->ToString()) or an
  // I/O error otherwise.
  const Status& status() const { return status_; }
  const std::optional<CorruptionInfo>& corruption() const { return corruption_; }

  // Position after the last record returned: its segment, and the offset just
  // past its last fragment in that segment.
  int segment() const;
  const std::string& segment_path() const;
  uint64_t offset() const { return offset_; }
  // Whether the last record was stored compressed.
  bool last_compressed() const { return last_compressed_; }
  // Record bytes as stored (compressed size where compressed) of the last record.
  size_t last_stored_size() const { return last_stored_size_; }
  const ReadPhaseTimes& phase_times() const { return times_; }
  // Turns per-phase timing on (a few clock reads per fragment).
  void set_timing(bool on) { timing_ = on; }

 private:
  enum class ReadResult { kOk, kEof, kUnexpectedEof, kError };
  // What the bytes past the real end of a file shorter than its page read as.
  enum class PastEnd { kZeros, kUnexpectedEof };
  // upstream io.ReadFull over the stream of segments; past_end says whether
  // the read may go on into the padding of a short last page.
  ReadResult ReadFull(size_t n, std::string_view* out, PastEnd past_end);
  // Walks the rest of a page after a page terminator; *all_zero is false if
  // any of it was not zero.
  ReadResult SkipPadding(size_t n, bool* all_zero);
  bool LoadChunk();
  bool Fail(std::string reason);

  Fs& fs_;
  std::vector<SegmentFile> segments_;
  size_t cur_ = 0;
  std::unique_ptr<ReadableFile> file_;
  uint64_t file_size_ = 0;
  uint64_t offset_ = 0;          // position in the current segment
  std::unique_ptr<char[]> chunk_buffer_;
  size_t chunk_capacity_ = 0;
  std::string_view chunk_;       // file bytes [chunk_start_, chunk_start_ + chunk_.size()), in chunk_buffer_
  uint64_t chunk_start_ = 0;
  std::string scratch_;          // for reads that span chunks or padding
  std::string plain_;            // record being assembled, uncompressed fragments
  std::string compressed_;       // record being assembled, compressed fragments
  std::string decompressed_;
  Status status_;
  std::optional<CorruptionInfo> corruption_;
  bool last_compressed_ = false;
  size_t last_stored_size_ = 0;
  bool timing_ = false;
  ReadPhaseTimes times_;
};

}  // namespace walproof
