#include "walproof/tsdb/block_digest.h"

#include <bit>
#include <cstring>

#include "walproof/tsdb/histogram_chunk.h"

namespace walproof::tsdb {

void BlockDigest::MixBytes(std::string_view s) {
  Mix(s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    Mix(w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  Mix(tail);
}

void BlockDigest::BeginSeries(const Labels& labels) {
  Mix(0x5e51e5);  // separates series, so that samples cannot shift between them
  Mix(labels.size());
  for (const Label& l : labels) {
    MixBytes(l.name);
    MixBytes(l.value);
  }
}

void BlockDigest::AddHistogram(int64_t t, const Histogram& h) {
  Mix(static_cast<uint64_t>(t));
  // A stale marker is its sum alone: a chunk keeps nothing else of it.
  if (IsStaleHistogram(h)) return Mix(std::bit_cast<uint64_t>(h.sum) ^ 0x57a1e);
  Mix(static_cast<uint64_t>(h.schema));
  Mix(std::bit_cast<uint64_t>(h.zero_threshold));
  Mix(h.zero_count);
  Mix(h.count);
  Mix(std::bit_cast<uint64_t>(h.sum));
  for (const auto* spans : {&h.positive_spans, &h.negative_spans}) {
    Mix(spans->size());
    for (const HistogramSpan& s : *spans) Mix(uint64_t{static_cast<uint32_t>(s.offset)} << 32 | s.length);
  }
  for (const auto* buckets : {&h.positive_buckets, &h.negative_buckets}) {
    Mix(buckets->size());
    for (int64_t b : *buckets) Mix(static_cast<uint64_t>(b));
  }
}

}  // namespace walproof::tsdb
