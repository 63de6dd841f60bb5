// BlockDigest: one 64-bit fingerprint of what a block holds, series by series
// in label order, each with its label set and its samples (time and value
// bits; for histograms every field a
// chunk keeps). Rescue computes it from the head while
// writing a block and again from the block's bytes read back from disk: equal
// digests, equal contents. Not cryptographic; a word-at-a-time mix, so that
// fingerprinting 180 million samples costs well under a second.
#pragma once

#include <cstdint>
#include <string_view>

#include "walproof/format/record.h"

namespace walproof::tsdb {

class BlockDigest {
 public:
  void BeginSeries(const Labels& labels);
  void AddFloat(int64_t t, uint64_t v_bits) {
    Mix(static_cast<uint64_t>(t));
    Mix(v_bits);
  }
  void AddHistogram(int64_t t, const Histogram& h);
  uint64_t value() const { return h_; }

 private:
  void Mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    h_ = ((h_ ^ x) << 23 | (h_ ^ x) >> 41) * 0x9e3779b97f4a7c15ull + 1;
  }
  void MixBytes(std::string_view s);

  uint64_t h_ = 0x243f6a8885a308d3ull;
};

}  // namespace walproof::tsdb
