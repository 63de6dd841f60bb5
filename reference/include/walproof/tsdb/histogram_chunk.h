// Histogram chunks (chunkenc.HistogramChunk, 2.42), encoding 2:
//
//   uint16 sample count | flags byte (top 2 bits: counter reset header) |
//   bit stream: zero threshold (a byte: 0, 243 + exponent of a power of two,
//   or 255 and 64 bits), schema (varbit int), positive then negative spans
//   (varbit uint count, then length varbit uint and offset varbit int each),
//   then the samples: the first raw (t varbit int, count and zero count
//   varbit uint, sum 64 bits, buckets varbit int), later ones as deltas of
//   deltas, the sum XOR-encoded as a float chunk's values.
//
// One layout (schema, zero threshold, spans) per chunk: the encoder never
// recodes a chunk to insert buckets, as upstream's appender can. It asks for
// a new chunk instead (Fits() false), also on a counter reset (count, zero
// count or a bucket going down: the new chunk says so in its header), after
// a stale marker followed by a real sample, and at 120 samples. A stale
// marker keeps only its sum, as upstream writes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/record.h"

namespace walproof::tsdb {

// The counter reset header (flags byte, top two bits).
inline constexpr uint8_t kHistogramUnknownReset = 0x00;
inline constexpr uint8_t kHistogramCounterReset = 0x80;
inline constexpr uint8_t kHistogramNotCounterReset = 0x40;
inline constexpr uint8_t kHistogramGauge = 0xC0;

// Whether a histogram sum is Prometheus's stale marker.
bool IsStaleHistogram(const Histogram& h);

class HistogramChunkEncoder {
 public:
  explicit HistogramChunkEncoder(uint8_t header = kHistogramUnknownReset);

  // Whether h may be appended here; when not, *counter_reset says whether the
  // new chunk starts at a counter reset.
  bool Fits(const Histogram& h, bool* counter_reset) const;
  void Append(int64_t t, const Histogram& h);

  uint16_t num_samples() const { return num_; }
  // The chunk as it stands (the open bit stream padded to a byte).
  const std::string& bytes() const { return buf_; }

 private:
  std::string buf_;
  uint16_t num_ = 0;
  unsigned free_bits_ = 0;
  // The state of the delta coding, as upstream's appender keeps it.
  Histogram layout_;
  int64_t t_ = 0;
  uint64_t cnt_ = 0, zcnt_ = 0;
  int64_t t_delta_ = 0, cnt_delta_ = 0, zcnt_delta_ = 0;
  std::vector<int64_t> pbuckets_, nbuckets_, pdelta_, ndelta_;
  uint64_t sum_bits_ = 0;
  uint8_t leading_ = 0xff, trailing_ = 0;
  bool last_stale_ = false;
};

// Reads a histogram chunk; malformed bytes stop it with error() set.
class HistogramChunkIterator {
 public:
  explicit HistogramChunkIterator(std::string_view chunk);
  bool Next();
  int64_t t() const { return t_; }
  // A stale marker comes back as its sum alone, as upstream returns it.
  const Histogram& histogram() const { return stale_ ? stale_h_ : h_; }
  bool error() const { return !error_.empty(); }
  const std::string& error_text() const { return error_; }
  uint8_t header() const { return header_; }

 private:
  bool Fail(const std::string& why);

  std::string_view chunk_;
  size_t bit_ = 0;  // position in the stream after the 3 header bytes
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  uint8_t header_ = 0;
  std::string error_;
  Histogram h_;
  Histogram stale_h_;
  bool stale_ = false;
  int64_t t_ = 0;
  int64_t t_delta_ = 0, cnt_delta_ = 0, zcnt_delta_ = 0;
  std::vector<int64_t> pdelta_, ndelta_;
  uint8_t leading_ = 0, trailing_ = 0;
};

}  // namespace walproof::tsdb
