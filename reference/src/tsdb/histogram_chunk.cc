#include "walproof/tsdb/histogram_chunk.h"

#include <bit>
#include <cmath>

#include "tsdb/bit_stream.h"

namespace walproof::tsdb {

namespace {

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;
constexpr uint16_t kMaxSamples = 120;

// Whether x fits upstream's signed n-bit bucket: -(2^(n-1) - 1) .. 2^(n-1).
bool BitRange(int64_t x, unsigned n) {
  const int64_t half = int64_t{1} << (n - 1);
  return -(half - 1) <= x && x <= half;
}

// The buckets of varbit int and uint: prefix length, then payload bits.
constexpr unsigned kVarbitSizes[] = {3, 6, 9, 12, 18, 25, 56};

void PutVarbitInt(BitWriter& w, int64_t v) {
  if (v == 0) return w.Bit(0);
  for (unsigned i = 0; i < 7; ++i) {
    if (BitRange(v, kVarbitSizes[i])) {
      w.Bits((uint64_t{1} << (i + 2)) - 2, i + 2);  // i + 1 ones, then a zero
      return w.Bits(static_cast<uint64_t>(v), kVarbitSizes[i]);
    }
  }
  w.Bits(0xff, 8);
  w.Bits(static_cast<uint64_t>(v), 64);
}

void PutVarbitUint(BitWriter& w, uint64_t v) {
  if (v == 0) return w.Bit(0);
  for (unsigned i = 0; i < 7; ++i) {
    if (std::countl_zero(v) >= static_cast<int>(64 - kVarbitSizes[i])) {
      w.Bits((uint64_t{1} << (i + 2)) - 2, i + 2);
      return w.Bits(v, kVarbitSizes[i]);
    }
  }
  w.Bits(0xff, 8);
  w.Bits(v, 64);
}

// The number of leading one bits (at most 8) that name a varbit bucket:
// 0 is zero, 1..7 index kVarbitSizes, 8 is the 64-bit form.
unsigned ReadVarbitPrefix(BitReader& r) {
  unsigned ones = 0;
  while (ones < 8 && r.Bit()) ++ones;
  return ones;
}

int64_t ReadVarbitInt(BitReader& r) {
  const unsigned ones = ReadVarbitPrefix(r);
  if (ones == 0) return 0;
  if (ones == 8) return static_cast<int64_t>(r.Bits(64));
  const unsigned sz = kVarbitSizes[ones - 1];
  uint64_t bits = r.Bits(sz);
  if (bits > uint64_t{1} << (sz - 1)) bits -= uint64_t{1} << sz;
  return static_cast<int64_t>(bits);
}

uint64_t ReadVarbitUint(BitReader& r) {
  const unsigned ones = ReadVarbitPrefix(r);
  if (ones == 0) return 0;
  if (ones == 8) return r.Bits(64);
  return r.Bits(kVarbitSizes[ones - 1]);
}

void PutZeroThreshold(BitWriter& w, double zt) {
  if (zt == 0) return w.Bits(0, 8);
  int exp = 0;
  const double frac = std::frexp(zt, &exp);
  if (frac != 0.5 || exp < -242 || exp > 11) {
    w.Bits(255, 8);
    return w.Bits(std::bit_cast<uint64_t>(zt), 64);
  }
  w.Bits(static_cast<uint64_t>(exp + 243), 8);
}

double ReadZeroThreshold(BitReader& r) {
  const uint64_t b = r.Bits(8);
  if (b == 0) return 0;
  if (b == 255) return std::bit_cast<double>(r.Bits(64));
  return std::ldexp(0.5, static_cast<int>(b) - 243);
}

void PutSpans(BitWriter& w, const std::vector<HistogramSpan>& spans) {
  PutVarbitUint(w, spans.size());
  for (const HistogramSpan& s : spans) {
    PutVarbitUint(w, s.length);
    PutVarbitInt(w, s.offset);
  }
}

// The float XOR coding of the sum, as for float chunk values.
void XorWrite(BitWriter& w, uint64_t v, uint64_t prev, uint8_t* leading, uint8_t* trailing) {
  const uint64_t delta = v ^ prev;
  if (delta == 0) return w.Bit(0);
  w.Bit(1);
  uint8_t lead = static_cast<uint8_t>(std::countl_zero(delta));
  const uint8_t trail = static_cast<uint8_t>(std::countr_zero(delta));
  if (lead >= 32) lead = 31;
  if (*leading != 0xff && lead >= *leading && trail >= *trailing) {
    w.Bit(0);
    return w.Bits(delta >> *trailing, 64u - *leading - *trailing);
  }
  *leading = lead;
  *trailing = trail;
  w.Bit(1);
  w.Bits(lead, 5);
  const unsigned sig = 64u - lead - trail;
  w.Bits(sig & 63u, 6);
  w.Bits(delta >> trail, sig);
}

bool XorRead(BitReader& r, uint64_t* v, uint8_t* leading, uint8_t* trailing) {
  if (!r.Bit()) return true;
  unsigned lead = *leading;
  unsigned sig = 64u - *leading - *trailing;
  if (r.Bit()) {
    lead = static_cast<unsigned>(r.Bits(5));
    sig = static_cast<unsigned>(r.Bits(6));
    if (sig == 0) sig = 64;
    if (lead + sig > 64) return false;
    *leading = static_cast<uint8_t>(lead);
    *trailing = static_cast<uint8_t>(64 - lead - sig);
  }
  const uint64_t bits = r.Bits(sig);
  *v ^= bits << *trailing;
  return true;
}

size_t BucketCount(const std::vector<HistogramSpan>& spans) {
  size_t n = 0;
  for (const HistogramSpan& s : spans) n += s.length;
  return n;
}

// Whether any bucket's absolute count (buckets are stored as deltas) went down.
bool BucketWentDown(const std::vector<int64_t>& before, const std::vector<int64_t>& after) {
  int64_t a = 0, b = 0;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    a += before[i];
    b += after[i];
    if (b < a) return true;
  }
  return false;
}

}  // namespace

bool IsStaleHistogram(const Histogram& h) { return std::bit_cast<uint64_t>(h.sum) == kStaleNaN; }

HistogramChunkEncoder::HistogramChunkEncoder(uint8_t header) : buf_(3, '\0') { buf_[2] = static_cast<char>(header); }

bool HistogramChunkEncoder::Fits(const Histogram& h, bool* counter_reset) const {
  *counter_reset = false;
  if (num_ == 0) return true;
  if (num_ >= kMaxSamples) return false;
  const bool gauge = static_cast<uint8_t>(buf_[2]) == kHistogramGauge;
  if (gauge != (h.counter_reset_hint == 3)) return false;
  if (IsStaleHistogram(h)) return true;
  if (last_stale_) return false;
  if (h.schema != layout_.schema || std::bit_cast<uint64_t>(h.zero_threshold) != std::bit_cast<uint64_t>(layout_.zero_threshold) ||
      h.positive_spans != layout_.positive_spans || h.negative_spans != layout_.negative_spans) {
    return false;
  }
  if (gauge) return true;
  if (h.count < cnt_ || h.zero_count < zcnt_ || BucketWentDown(pbuckets_, h.positive_buckets) ||
      BucketWentDown(nbuckets_, h.negative_buckets)) {
    *counter_reset = true;
    return false;
  }
  return true;
}

void HistogramChunkEncoder::Append(int64_t t, const Histogram& in) {
  Histogram stale;
  const bool is_stale = IsStaleHistogram(in);
  if (is_stale) stale.sum = in.sum;
  const Histogram& h = is_stale ? stale : in;
  BitWriter w(&buf_, &free_bits_);
  int64_t t_delta = 0, cnt_delta = 0, zcnt_delta = 0;
  if (num_ == 0) {
    PutZeroThreshold(w, h.zero_threshold);
    PutVarbitInt(w, h.schema);
    PutSpans(w, h.positive_spans);
    PutSpans(w, h.negative_spans);
    layout_ = h;
    pbuckets_.assign(BucketCount(h.positive_spans), 0);
    nbuckets_.assign(BucketCount(h.negative_spans), 0);
    pdelta_.assign(pbuckets_.size(), 0);
    ndelta_.assign(nbuckets_.size(), 0);
    PutVarbitInt(w, t);
    PutVarbitUint(w, h.count);
    PutVarbitUint(w, h.zero_count);
    w.Bits(std::bit_cast<uint64_t>(h.sum), 64);
    for (int64_t b : h.positive_buckets) PutVarbitInt(w, b);
    for (int64_t b : h.negative_buckets) PutVarbitInt(w, b);
  } else {
    t_delta = t - t_;
    cnt_delta = static_cast<int64_t>(h.count) - static_cast<int64_t>(cnt_);
    zcnt_delta = static_cast<int64_t>(h.zero_count) - static_cast<int64_t>(zcnt_);
    int64_t cnt_dod = cnt_delta - cnt_delta_;
    int64_t zcnt_dod = zcnt_delta - zcnt_delta_;
    if (is_stale) cnt_dod = zcnt_dod = 0;
    PutVarbitInt(w, t_delta - t_delta_);
    PutVarbitInt(w, cnt_dod);
    PutVarbitInt(w, zcnt_dod);
    XorWrite(w, std::bit_cast<uint64_t>(h.sum), sum_bits_, &leading_, &trailing_);
    for (size_t i = 0; i < h.positive_buckets.size() && i < pbuckets_.size(); ++i) {
      const int64_t delta = h.positive_buckets[i] - pbuckets_[i];
      PutVarbitInt(w, delta - pdelta_[i]);
      pdelta_[i] = delta;
    }
    for (size_t i = 0; i < h.negative_buckets.size() && i < nbuckets_.size(); ++i) {
      const int64_t delta = h.negative_buckets[i] - nbuckets_[i];
      PutVarbitInt(w, delta - ndelta_[i]);
      ndelta_[i] = delta;
    }
  }
  ++num_;
  buf_[0] = static_cast<char>(num_ >> 8);
  buf_[1] = static_cast<char>(num_);
  t_ = t;
  cnt_ = h.count;
  zcnt_ = h.zero_count;
  t_delta_ = t_delta;
  cnt_delta_ = cnt_delta;
  zcnt_delta_ = zcnt_delta;
  for (size_t i = 0; i < h.positive_buckets.size() && i < pbuckets_.size(); ++i) pbuckets_[i] = h.positive_buckets[i];
  for (size_t i = 0; i < h.negative_buckets.size() && i < nbuckets_.size(); ++i) nbuckets_[i] = h.negative_buckets[i];
  sum_bits_ = std::bit_cast<uint64_t>(h.sum);
  last_stale_ = is_stale;
}

HistogramChunkIterator::HistogramChunkIterator(std::string_view chunk) : chunk_(chunk) {
  if (chunk.size() < 3) {
    error_ = "shorter than the 3-byte header";
    return;
  }
  total_ = static_cast<uint16_t>(static_cast<uint8_t>(chunk[0]) << 8 | static_cast<uint8_t>(chunk[1]));
  header_ = static_cast<uint8_t>(chunk[2]) & 0xC0;
}

bool HistogramChunkIterator::Fail(const std::string& why) {
  error_ = why + " at bit " + std::to_string(bit_) + " of sample " + std::to_string(read_);
  return false;
}

bool HistogramChunkIterator::Next() {
  if (!error_.empty() || read_ == total_) return false;
  BitReader r(chunk_.substr(3), bit_);
  // Bucket counts are bounded by what the stream can still hold (a bucket
  // takes at least one bit), so a damaged span cannot size a huge vector.
  const size_t bits_left = (chunk_.size() - 3) * 8 - bit_;
  if (read_ == 0) {
    h_ = Histogram{};
    h_.zero_threshold = ReadZeroThreshold(r);
    h_.schema = static_cast<int32_t>(ReadVarbitInt(r));
    for (auto* spans : {&h_.positive_spans, &h_.negative_spans}) {
      const uint64_t n = ReadVarbitUint(r);
      if (!r.ok() || n > bits_left) return Fail("span count out of range");
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        HistogramSpan s;
        s.length = static_cast<uint32_t>(ReadVarbitUint(r));
        s.offset = static_cast<int32_t>(ReadVarbitInt(r));
        spans->push_back(s);
      }
    }
    const size_t np = BucketCount(h_.positive_spans);
    const size_t nn = BucketCount(h_.negative_spans);
    if (!r.ok() || np + nn > bits_left) return Fail("bucket count out of range");
    t_ = ReadVarbitInt(r);
    h_.count = ReadVarbitUint(r);
    h_.zero_count = ReadVarbitUint(r);
    h_.sum = std::bit_cast<double>(r.Bits(64));
    h_.positive_buckets.resize(np);
    h_.negative_buckets.resize(nn);
    for (int64_t& b : h_.positive_buckets) b = ReadVarbitInt(r);
    for (int64_t& b : h_.negative_buckets) b = ReadVarbitInt(r);
    pdelta_.assign(np, 0);
    ndelta_.assign(nn, 0);
    leading_ = trailing_ = 0;
  } else {
    t_delta_ += ReadVarbitInt(r);
    t_ += t_delta_;
    cnt_delta_ += ReadVarbitInt(r);
    h_.count = static_cast<uint64_t>(static_cast<int64_t>(h_.count) + cnt_delta_);
    zcnt_delta_ += ReadVarbitInt(r);
    h_.zero_count = static_cast<uint64_t>(static_cast<int64_t>(h_.zero_count) + zcnt_delta_);
    uint64_t sum = std::bit_cast<uint64_t>(h_.sum);
    if (!XorRead(r, &sum, &leading_, &trailing_)) return Fail("bad sum encoding");
    h_.sum = std::bit_cast<double>(sum);
    if (!IsStaleHistogram(h_)) {
      for (size_t i = 0; i < h_.positive_buckets.size(); ++i) {
        pdelta_[i] += ReadVarbitInt(r);
        h_.positive_buckets[i] += pdelta_[i];
      }
      for (size_t i = 0; i < h_.negative_buckets.size(); ++i) {
        ndelta_[i] += ReadVarbitInt(r);
        h_.negative_buckets[i] += ndelta_[i];
      }
    }
  }
  if (!r.ok()) return Fail("truncated");
  stale_ = IsStaleHistogram(h_);
  if (stale_) stale_h_.sum = h_.sum;
  bit_ = r.bit_offset();
  ++read_;
  return true;
}

}  // namespace walproof::tsdb
