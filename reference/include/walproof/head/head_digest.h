// A canonical digest of a head's contents, so that two replays (sequential
// and parallel, walproof and a model, two machines) can be compared as one
// hex string.
//
// It covers, for every series in label order: the labels, the float samples
// (time and value bits) in time order, integer and float histograms (every
// field), tombstone intervals, exemplars and metadata. It does not depend on
// refs, series ids, chunk boundaries or the order in which series were built;
// counters are not content and are not covered.
//
// The hash is walproof's own 128-bit mix of 64-bit words (two multiply-rotate
// lanes, a murmur3-style finish): fast and well spread, not cryptographic.
// Its definition is part of the output format; changing it changes every
// digest, so bump kHeadDigestVersion when doing so.
#pragma once

#include <cstdint>
#include <string>

#include "walproof/head/head.h"

namespace walproof {

inline constexpr uint64_t kHeadDigestVersion = 1;

struct HeadDigest {
  uint64_t hi = 0;
  uint64_t lo = 0;
  // 32 lowercase hex digits, hi first.
  std::string Hex() const;
  bool operator==(const HeadDigest&) const = default;
};

// Digest of one series' contents (labels included).
HeadDigest DigestSeries(const Head& head, SeriesId id);
// Digest of the whole head; series digests are computed on `threads` threads.
HeadDigest DigestHead(const Head& head, int threads = 1);

}  // namespace walproof
