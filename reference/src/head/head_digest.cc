// The head digest (head_digest.h): series digests in label order, each over a
// tagged stream of 64-bit words, so that no two different contents give the
// same stream (every variable part carries its count or length).
#include "walproof/head/head_digest.h"

#include "walproof/head/xor_chunk.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace walproof {
namespace {

constexpr uint64_t kM1 = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kM2 = 0xc2b2ae3d27d4eb4fULL;
constexpr uint64_t kM3 = 0x165667b19e3779f9ULL;

uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// Section tags, so that an empty section cannot be confused with another.
enum Tag : uint64_t {
  kTagSeries = 0x5345524945530001,  // "SERIES"
  kTagFloats = 0x464c4f4154530002,
  kTagHistograms = 0x48495354530003,
  kTagFloatHistograms = 0x46484953540004,
  kTagTombstones = 0x544f4d4253540005,
  kTagExemplars = 0x4558454d50000006,
  kTagMetadata = 0x4d45544100000007,
  kTagHead = 0x4845414400000008,
};

class Hasher {
 public:
  void Word(uint64_t w) {
    a_ = std::rotl(a_ ^ w, 29) * kM1;
    b_ = std::rotl(b_ + w * kM2, 31) * kM3;
    ++n_;
  }
  void Signed(int64_t v) { Word(static_cast<uint64_t>(v)); }
  void Double(double v) { Word(std::bit_cast<uint64_t>(v)); }
  void Bytes(std::string_view s) {
    Word(s.size());
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; n -= 8, p += 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      Word(w);
    }
    if (n > 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      Word(w);
    }
  }
  HeadDigest Finish() const {
    const uint64_t x = Fmix64(a_ ^ n_);
    const uint64_t y = Fmix64(b_ + std::rotl(a_, 17) + kM2 * n_);
    return {Fmix64(x ^ std::rotl(y, 23)), Fmix64(y + x * kM1)};
  }

 private:
  uint64_t a_ = 0x243f6a8885a308d3ULL;
  uint64_t b_ = 0x13198a2e03707344ULL;
  uint64_t n_ = 0;
};

void HashSpans(const std::vector<HistogramSpan>& spans, Hasher* h) {
  h->Word(spans.size());
  for (const HistogramSpan& s : spans) {
    h->Signed(s.offset);
    h->Word(s.length);
  }
}

template <typename Bucket>
void HashBuckets(const std::vector<Bucket>& buckets, Hasher* h) {
  h->Word(buckets.size());
  for (Bucket b : buckets) {
    if constexpr (std::is_same_v<Bucket, double>) {
      h->Double(b);
    } else {
      h->Signed(b);
    }
  }
}

template <typename H>
void HashHistogram(const H& x, Hasher* h) {
  h->Word(x.counter_reset_hint);
  h->Signed(x.schema);
  h->Double(x.zero_threshold);
  if constexpr (std::is_same_v<H, FloatHistogram>) {
    h->Double(x.zero_count);
    h->Double(x.count);
  } else {
    h->Word(x.zero_count);
    h->Word(x.count);
  }
  h->Double(x.sum);
  HashSpans(x.positive_spans, h);
  HashSpans(x.negative_spans, h);
  HashBuckets(x.positive_buckets, h);
  HashBuckets(x.negative_buckets, h);
}

}  // namespace

std::string HeadDigest::Hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

HeadDigest DigestSeries(const Head& head, SeriesId id) {
  Hasher h;
  h.Word(kTagSeries);
  h.Bytes(head.encoded_labels(id));

  h.Word(kTagFloats);
  uint64_t n = 0;
  for (const ChunkView& chunk : head.FloatChunks(id)) {
    for (XorIterator it(chunk.bytes); it.Next(); ++n) {
      h.Signed(it.t());
      h.Word(it.v_bits());
    }
  }
  h.Word(n);

  h.Word(kTagHistograms);
  h.Word(head.histograms(id).size());
  for (const HistogramPoint& p : head.histograms(id)) {
    h.Signed(p.t);
    HashHistogram(p.h, &h);
  }
  h.Word(kTagFloatHistograms);
  h.Word(head.float_histograms(id).size());
  for (const FloatHistogramPoint& p : head.float_histograms(id)) {
    h.Signed(p.t);
    HashHistogram(p.h, &h);
  }

  h.Word(kTagTombstones);
  h.Word(head.tombstones(id).size());
  for (const TimeInterval& iv : head.tombstones(id)) {
    h.Signed(iv.mint);
    h.Signed(iv.maxt);
  }

  h.Word(kTagExemplars);
  h.Word(head.exemplars(id).size());
  for (const Exemplar& e : head.exemplars(id)) {
    h.Signed(e.t);
    h.Double(e.v);
    h.Bytes(EncodeLabelSet(e.labels));
  }

  h.Word(kTagMetadata);
  if (const SeriesMetadata* m = head.metadata(id)) {
    h.Word(1);
    h.Word(m->type);
    h.Bytes(m->unit);
    h.Bytes(m->help);
  } else {
    h.Word(0);
  }
  return h.Finish();
}

HeadDigest DigestHead(const Head& head, int threads) {
  const std::vector<SeriesId> order = head.SortedSeries();
  std::vector<HeadDigest> digests(order.size());
  // Series in blocks handed out by an atomic cursor: digests differ a lot in
  // cost (a series may hold one sample or a million).
  constexpr size_t kBlock = 256;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t begin; (begin = next.fetch_add(kBlock)) < order.size();) {
      const size_t end = std::min(order.size(), begin + kBlock);
      for (size_t i = begin; i < end; ++i) digests[i] = DigestSeries(head, order[i]);
    }
  };
  const size_t n = std::clamp<size_t>(static_cast<size_t>(std::max(threads, 1)), 1,
                                      std::max<size_t>(1, order.size() / kBlock));
  std::vector<std::thread> pool;
  for (size_t i = 1; i < n; ++i) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  Hasher h;
  h.Word(kTagHead);
  h.Word(kHeadDigestVersion);
  h.Word(order.size());
  for (const HeadDigest& d : digests) {
    h.Word(d.hi);
    h.Word(d.lo);
  }
  return h.Finish();
}

}  // namespace walproof
