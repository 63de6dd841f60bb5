// BlockDigest: one 64-bit fingerprint of what a block holds, series by series
// in label order: each label set, then each chunk's encoding, time span,
// sample count and CRC-32C. BlockWriter computes it from what it writes;
// CheckBlock from what it reads back from disk, with each CRC checked against
// the chunk's bytes and the samples counted by decoding them: equal digests,
// equal blocks, down to the samples per series. The chunk's CRC stands for
// its bytes so that the digest costs a few words per chunk, not a pass over
// every byte. Not cryptographic: a word-at-a-time mix.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "walproof/format/record.h"

namespace walproof::tsdb {

class BlockDigest {
 public:
  void BeginSeries(const Labels& labels);
  void BeginSeries(const std::vector<LabelView>& labels);
  void AddChunk(uint8_t encoding, int64_t mint, int64_t maxt, uint64_t samples, uint32_t crc) {
    Mix(encoding);
    Mix(static_cast<uint64_t>(mint));
    Mix(static_cast<uint64_t>(maxt));
    Mix(samples << 32 | crc);
  }
  uint64_t value() const { return h_; }

 private:
  void Mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    h_ = ((h_ ^ x) << 23 | (h_ ^ x) >> 41) * 0x9e3779b97f4a7c15ull + 1;
  }
  void MixBytes(std::string_view s);
  template <typename L>
  void MixLabels(const std::vector<L>& labels);

  uint64_t h_ = 0x243f6a8885a308d3ull;
};

}  // namespace walproof::tsdb
