// Record type names and the bitwise equality the record structs rely on.
#include "walproof/format/record.h"

#include <algorithm>
#include <bit>

namespace walproof {

const char* RecordTypeName(uint8_t type) {
  // Spelled as upstream's record.Type.String(), so messages and stats line up
  // with what Prometheus prints.
  switch (static_cast<RecordType>(type)) {
    case RecordType::kSeries: return "series";
    case RecordType::kSamples: return "samples";
    case RecordType::kTombstones: return "tombstones";
    case RecordType::kExemplars: return "exemplars";
    case RecordType::kMmapMarkers: return "mmapmarkers";
    case RecordType::kMetadata: return "metadata";
    case RecordType::kHistogramSamples: return "histogram_samples";
    case RecordType::kFloatHistogramSamples: return "float_histogram_samples";
  }
  return "unknown";
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

namespace {

bool AllSameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), SameBits);
}

}  // namespace

bool Histogram::operator==(const Histogram& o) const {
  return counter_reset_hint == o.counter_reset_hint && schema == o.schema &&
         SameBits(zero_threshold, o.zero_threshold) && zero_count == o.zero_count &&
         count == o.count && SameBits(sum, o.sum) && positive_spans == o.positive_spans &&
         negative_spans == o.negative_spans && positive_buckets == o.positive_buckets &&
         negative_buckets == o.negative_buckets;
}

bool FloatHistogram::operator==(const FloatHistogram& o) const {
  return counter_reset_hint == o.counter_reset_hint && schema == o.schema &&
         SameBits(zero_threshold, o.zero_threshold) && SameBits(zero_count, o.zero_count) &&
         SameBits(count, o.count) && SameBits(sum, o.sum) &&
         positive_spans == o.positive_spans && negative_spans == o.negative_spans &&
         AllSameBits(positive_buckets, o.positive_buckets) &&
         AllSameBits(negative_buckets, o.negative_buckets);
}

}  // namespace walproof
