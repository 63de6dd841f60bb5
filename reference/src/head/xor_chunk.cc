// XOR chunk encoder and decoder (see xor_chunk.h for the layout). The encoder
// is on the replay hot path: every float sample of the WAL goes through
// XorAppender::Append. A sample's fields are assembled in a register and
// ORed into the buffer with one unaligned 64-bit big-endian read-modify-write
// whenever they fit in 57 bits, which they nearly always do.
#include "walproof/head/xor_chunk.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace walproof {
namespace {

// Worst case of one sample: a 10-byte varint time and 64 value bits for the
// first; 4+64 bits of delta-of-delta and 2+5+6+64 value bits for the others.
constexpr size_t kMaxSampleBytes = 19;
constexpr size_t kMargin = kMaxSampleBytes + xor_internal::kSlack + 1;
// Prometheus starts a chunk at 128 bytes too.
constexpr size_t kFirstBuffer = 128;

uint64_t LoadBE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

using xor_internal::FitsBits;
using xor_internal::kMaxFastBits;
using xor_internal::kSlack;

}  // namespace

// ---- XorAppender ----

XorAppender::XorAppender(XorAppender&& o) noexcept { *this = std::move(o); }

XorAppender& XorAppender::operator=(XorAppender&& o) noexcept {
  if (this != &o) {
    std::free(buf_);
    buf_ = std::exchange(o.buf_, nullptr);
    cap_ = std::exchange(o.cap_, 0);
    bit_pos_ = std::exchange(o.bit_pos_, 16);
    num_ = std::exchange(o.num_, 0);
    leading_ = std::exchange(o.leading_, 0xff);
    trailing_ = std::exchange(o.trailing_, 0);
    t_ = o.t_;
    t_delta_ = std::exchange(o.t_delta_, 0);
    v_ = o.v_;
  }
  return *this;
}

XorAppender::~XorAppender() { std::free(buf_); }

std::string_view XorAppender::bytes() const {
  if (buf_ == nullptr) return {};
  return {reinterpret_cast<const char*>(buf_), (bit_pos_ + 7) / 8};
}

void XorAppender::Grow(size_t need) {
  const size_t old = buf_ ? cap_ : 0;
  // The first buffer is what Reserve asked for, else Prometheus's 128 bytes.
  // A buffer that fills up mid-chunk is grown to what the whole chunk will
  // likely need at the rate so far (plus a little): one step, little slack.
  // The buffer is kept across Reset, so this happens about once a series.
  size_t cap;
  if (!buf_) {
    cap = cap_ ? cap_ : kFirstBuffer;
  } else if (num_ >= 16 && num_ < kSamplesPerChunk) {
    // The first sample (header, varint time, raw value) takes up to 20 bytes;
    // the rest go at the rate seen so far.
    const size_t used = bit_pos_ / 8;
    const size_t first = std::min<size_t>(used, 20);
    const size_t projected = first + (used - first) * (kSamplesPerChunk - 1) / (num_ - 1u);
    cap = projected + projected / 32 + kSlack + 16;
  } else {
    cap = cap_ * 2;
  }
  if (cap < need) cap = need;
  auto* p = static_cast<uint8_t*>(std::realloc(buf_, cap));
  if (p == nullptr) throw std::bad_alloc();
  // Appends OR into these bytes: they must start as zeros.
  std::memset(p + old, 0, cap - old);
  buf_ = p;
  cap_ = static_cast<uint32_t>(cap);
}

void XorAppender::Reserve(size_t bytes) {
  if (buf_ == nullptr && bytes > 0) cap_ = static_cast<uint32_t>(std::max(bytes, kMargin + 2));
}

void XorAppender::Reset() {
  // The buffer stays: the next chunk of a steady series needs as much.
  // Shrinking it would leave holes in the heap that nothing else fits.
  if (buf_ != nullptr) std::memset(buf_, 0, (bit_pos_ + 7) / 8);
  bit_pos_ = 16;
  num_ = 0;
  leading_ = 0xff;
  trailing_ = 0;
  t_delta_ = 0;
}

// The general path: the first two samples, wide time jumps, wide values.
void XorAppender::AppendSlow(int64_t t, uint64_t v_bits) {
  const size_t need = (bit_pos_ >> 3) + kMargin;
  if (buf_ == nullptr || need > cap_) Grow(need);
  // Bits of this sample not yet written, oldest first, and how many.
  uint64_t bits = 0;
  unsigned n = 0;
  if (num_ >= 2) {
    const uint64_t d = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    const auto dod = static_cast<int64_t>(d - t_delta_);
    const auto u = static_cast<uint64_t>(dod);
    t_delta_ = d;
    if (dod == 0) {
      n = 1;
    } else if (FitsBits(dod, 14)) {
      bits = uint64_t{0b10} << 14 | (u & 0x3fff);
      n = 16;
    } else if (FitsBits(dod, 17)) {
      bits = uint64_t{0b110} << 17 | (u & 0x1ffff);
      n = 20;
    } else if (FitsBits(dod, 20)) {
      bits = uint64_t{0b1110} << 20 | (u & 0xfffff);
      n = 24;
    } else {
      PutBits(0b1111, 4);
      PutBits(u, 64);
    }
  } else if (num_ == 0) {
    uint64_t zz = static_cast<uint64_t>(t) << 1 ^ static_cast<uint64_t>(t >> 63);
    for (; zz >= 0x80; zz >>= 7) PutBits((zz & 0x7f) | 0x80, 8);
    PutBits(zz, 8);
    PutBits(v_bits, 64);
    t_delta_ = 0;
    t_ = t;
    v_ = v_bits;
    num_ = 1;
    buf_[0] = 0;
    buf_[1] = 1;
    return;
  } else {
    uint64_t d = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    t_delta_ = d;
    for (; d >= 0x80; d >>= 7) PutBits((d & 0x7f) | 0x80, 8);
    PutBits(d, 8);
  }

  const uint64_t delta = v_bits ^ v_;
  if (delta == 0) {
    bits <<= 1;  // control bit 0: same value
    n += 1;
  } else {
    unsigned lead = static_cast<unsigned>(std::countl_zero(delta));
    const unsigned trail = static_cast<unsigned>(std::countr_zero(delta));
    if (lead >= 32) lead = 31;  // five bits hold it, as upstream clamps it
    if (leading_ != 0xff && lead >= leading_ && trail >= trailing_) {
      // Control bits 1,0 and the bits inside the previous window.
      const unsigned sig = 64u - leading_ - trailing_;
      const uint64_t payload = delta >> trailing_;
      if (n + 2 + sig <= kMaxFastBits) {
        bits = bits << (2 + sig) | uint64_t{0b10} << sig | payload;
        n += 2 + sig;
      } else {
        PutBits(bits, n);
        PutBits(0b10, 2);
        PutBits(payload, sig);
        n = 0;
      }
    } else {
      // Control bits 1,1, five bits of leading zeros, six of length (64 as 0).
      leading_ = static_cast<uint8_t>(lead);
      trailing_ = static_cast<uint8_t>(trail);
      const unsigned sig = 64u - lead - trail;
      const uint64_t control = uint64_t{0b11} << 11 | uint64_t{lead} << 6 | (sig & 63u);
      const uint64_t payload = delta >> trail;
      if (n + 13 + sig <= kMaxFastBits) {
        bits = bits << (13 + sig) | control << sig | payload;
        n += 13 + sig;
      } else {
        PutBits(bits, n);
        PutBits(control, 13);
        PutBits(payload, sig);
        n = 0;
      }
    }
  }
  PutBits(bits, n);
  t_ = t;
  v_ = v_bits;
  ++num_;
  buf_[0] = static_cast<uint8_t>(num_ >> 8);
  buf_[1] = static_cast<uint8_t>(num_);
}

// ---- XorIterator ----

XorIterator::XorIterator(std::string_view chunk)
    : p_(reinterpret_cast<const uint8_t*>(chunk.data())), end_(p_ + chunk.size()) {
  if (chunk.size() < 2) {
    error_ = !chunk.empty();
    return;
  }
  total_ = static_cast<uint16_t>(p_[0] << 8 | p_[1]);
  p_ += 2;
}

double XorIterator::v() const { return std::bit_cast<double>(v_); }

inline void XorIterator::Refill() {
  if (end_ - p_ >= 8) {
    acc_ |= LoadBE64(p_) >> avail_;
    p_ += (63 - avail_) >> 3;
    avail_ |= 56;
  } else {
    while (avail_ <= 56 && p_ < end_) {
      acc_ |= uint64_t{*p_++} << (56 - avail_);
      avail_ += 8;
    }
  }
}

inline bool XorIterator::Ensure(unsigned n) {
  if (avail_ < n) Refill();
  return avail_ >= n;
}

inline uint64_t XorIterator::Take(unsigned n) {
  const uint64_t v = acc_ >> (64 - n);
  acc_ <<= n;
  avail_ -= n;
  return v;
}

bool XorIterator::ReadVarint(uint64_t* out) {
  uint64_t x = 0;
  for (unsigned i = 0;; ++i) {
    if (!Ensure(8)) return false;
    const uint64_t b = Take(8);
    if (i == 9 && b > 1) return false;  // past 64 bits
    x |= (b & 0x7f) << (7 * i);
    if (b < 0x80) break;
    if (i == 9) return false;
  }
  *out = x;
  return true;
}

inline bool XorIterator::ReadValue() {
  if (!Ensure(1)) return false;
  if (Take(1) == 0) return true;  // same value
  if (!Ensure(1)) return false;
  unsigned sig;
  if (Take(1) == 0) {
    sig = 64u - leading_ - trailing_;
  } else {
    if (!Ensure(11)) return false;
    const uint64_t w = Take(11);
    leading_ = static_cast<uint8_t>(w >> 6);
    sig = static_cast<unsigned>(w & 63);
    if (sig == 0) sig = 64;
    if (leading_ + sig > 64) return false;
    trailing_ = static_cast<uint8_t>(64 - leading_ - sig);
  }
  if (sig == 0 || sig > 64) return false;
  uint64_t bits;
  if (sig <= 56) {
    if (!Ensure(sig)) return false;
    bits = Take(sig);
  } else {
    if (!Ensure(sig - 32)) return false;
    const uint64_t hi = Take(sig - 32);
    if (!Ensure(32)) return false;
    bits = hi << 32 | Take(32);
  }
  v_ ^= bits << trailing_;
  return true;
}

bool XorIterator::Next() {
  if (error_ || read_ == total_) return false;
  bool ok;
  if (read_ >= 2) {
    // The prefix and the widest bucket it names fit in 24 bits.
    int64_t dod = 0;
    ok = Ensure(24) || Ensure(1);
    if (ok) {
      // Bits past avail_ are zeros, so a prefix cut short ends there.
      const unsigned ones = static_cast<unsigned>(std::countl_one(acc_));
      static constexpr unsigned kWidth[] = {0, 14, 17, 20};
      if (ones == 0) {
        Take(1);
      } else if (ones < 4) {
        const unsigned n = kWidth[ones];
        ok = avail_ >= ones + 1 + n;
        if (ok) {
          Take(ones + 1);
          uint64_t bits = Take(n);
          // Negative values come back as large unsigned ones (see FitsBits).
          if (bits > uint64_t{1} << (n - 1)) bits -= uint64_t{1} << n;
          dod = static_cast<int64_t>(bits);
        }
      } else {
        ok = avail_ >= 4;
        if (ok) {
          Take(4);
          ok = Ensure(32);
          const uint64_t hi = ok ? Take(32) : 0;
          ok = ok && Ensure(32);
          if (ok) dod = static_cast<int64_t>(hi << 32 | Take(32));
        }
      }
    }
    if (ok) {
      t_delta_ += static_cast<uint64_t>(dod);
      t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
      ok = ReadValue();
    }
  } else if (read_ == 0) {
    uint64_t zz;
    ok = ReadVarint(&zz);
    if (ok) {
      t_ = static_cast<int64_t>(zz >> 1) ^ -static_cast<int64_t>(zz & 1);
      ok = Ensure(32);
      const uint64_t hi = ok ? Take(32) : 0;
      ok = ok && Ensure(32);
      if (ok) v_ = hi << 32 | Take(32);
    }
  } else {
    uint64_t d;
    ok = ReadVarint(&d);
    if (ok) {
      t_delta_ = d;
      t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + d);
      ok = ReadValue();
    }
  }
  if (!ok) {
    error_ = true;
    return false;
  }
  ++read_;
  return true;
}

}  // namespace walproof
