// XOR chunks: float samples compressed the way Prometheus's chunkenc XOR
// encoding does (Gorilla), byte for byte, so that a replayed head holds a
// regular sample in one to three bytes instead of sixteen.
//
// A chunk is a 2-byte big-endian sample count, then a bit stream written most
// significant bit first:
//   sample 0   t as a zigzag varint, v as its 64 raw bits;
//   sample 1   t - t0 as a uvarint, v XOR-encoded against v0;
//   sample n   delta-of-delta of t behind a prefix: 0 (dod 0), 10 (14 bits),
//              110 (17 bits), 1110 (20 bits), 1111 (64 bits); v XOR-encoded.
// XOR encoding of v against the previous value p: 0 when equal; else 1, then
// either 0 and the meaningful bits within the previous leading/trailing-zero
// window, or 1, 5 bits of leading zeros (clamped to 31), 6 bits of length
// (64 written as 0) and the meaningful bits. Values are handled as bits, so
// NaN payloads (the stale marker), -0.0 and infinities come back exactly.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace walproof {

// Prometheus's target size of a head chunk; the head cuts a new chunk when
// the open one holds this many samples.
inline constexpr uint16_t kSamplesPerChunk = 120;

// The open chunk of a series. Appends write into a buffer that keeps zero
// bytes of slack past the stream, so that a sample's bit fields are ORed in
// with one or two 64-bit loads and stores. The caller enforces time order and
// cuts chunks (a chunk holds at most 65535 samples).
class XorAppender {
 public:
  XorAppender() = default;
  XorAppender(XorAppender&& o) noexcept;
  XorAppender& operator=(XorAppender&& o) noexcept;
  XorAppender(const XorAppender&) = delete;
  XorAppender& operator=(const XorAppender&) = delete;
  ~XorAppender();

  // Inline: the common case is a few dozen instructions, and replay makes
  // one call per sample.
  [[gnu::always_inline]] void Append(int64_t t, uint64_t v_bits) {
    if (num_ < 2 || !TryAppendFast(t, v_bits)) AppendSlow(t, v_bits);
  }

  uint16_t num_samples() const { return num_; }
  bool empty() const { return num_ == 0; }
  int64_t max_time() const { return t_; }  // meaningful when !empty()
  // The chunk as it stands; valid until the next Append or Reset.
  std::string_view bytes() const;
  // Bytes allocated, slack included.
  size_t capacity() const { return buf_ ? cap_ : 0; }
  // Where the next sample goes (for prefetching); may be null.
  const void* write_hint() const { return buf_ ? buf_ + (bit_pos_ >> 3) : nullptr; }

  // Empties the chunk, keeping its buffer for the next one.
  void Reset();
  // The size of the buffer the first Append allocates (a guess from other
  // series spares a series its growth steps). No effect once allocated.
  void Reserve(size_t bytes);

 private:
  bool TryAppendFast(int64_t t, uint64_t v_bits);
  void AppendSlow(int64_t t, uint64_t v_bits);
  void Grow(size_t need);
  void PutBits(uint64_t v, unsigned n);

  uint8_t* buf_ = nullptr;
  uint32_t cap_ = 0;        // with buf_ == nullptr: the size to start with
  uint32_t bit_pos_ = 16;   // the header is 16 bits
  uint16_t num_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no leading/trailing window yet
  uint8_t trailing_ = 0;
  int64_t t_ = 0;
  uint64_t t_delta_ = 0;
  uint64_t v_ = 0;
};

// ---- The append hot path, inline ----

namespace xor_internal {

// A 64-bit store at the write position touches 8 bytes.
inline constexpr size_t kSlack = 8;
// Bits one 64-bit access can take at any bit offset.
inline constexpr unsigned kMaxFastBits = 57;

inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

inline void StoreBE64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}

// Whether dod fits the n-bit bucket. The range is upstream's, one wider on
// the positive side than two's complement: +2^(n-1) is read back as positive
// because the reader subtracts 2^n only above it.
inline bool FitsBits(int64_t dod, unsigned n) {
  const int64_t half = int64_t{1} << (n - 1);
  return -(half - 1) <= dod && dod <= half;
}

}  // namespace xor_internal

// Writes the low n bits of v (n <= 64): one 64-bit access for up to 57 bits
// (the buffer has kSlack zero bytes past the write position), two beyond.
inline void XorAppender::PutBits(uint64_t v, unsigned n) {
  if (n > xor_internal::kMaxFastBits) {
    PutBits(v >> 32, n - 32);
    v &= 0xffffffffu;
    n = 32;
  }
  if (n == 0) return;
  v &= (uint64_t{1} << n) - 1;
  uint8_t* p = buf_ + (bit_pos_ >> 3);
  const unsigned off = bit_pos_ & 7;
  xor_internal::StoreBE64(p, xor_internal::LoadBE64(p) | v << (64 - n - off));
  bit_pos_ += n;
}

// The common case in one go: a third or later sample whose bits fit one
// 64-bit write, with the buffer grown only by what that write needs. Changes
// nothing and returns false when the sample needs the general path.
[[gnu::always_inline]] inline bool XorAppender::TryAppendFast(int64_t t, uint64_t v_bits) {
  const uint64_t d = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
  const auto dod = static_cast<int64_t>(d - t_delta_);
  const auto u = static_cast<uint64_t>(dod);
  uint64_t bits;
  unsigned n;
  if (dod == 0) {
    bits = 0;
    n = 1;
  } else if (xor_internal::FitsBits(dod, 14)) {
    bits = uint64_t{0b10} << 14 | (u & 0x3fff);
    n = 16;
  } else if (xor_internal::FitsBits(dod, 17)) {
    bits = uint64_t{0b110} << 17 | (u & 0x1ffff);
    n = 20;
  } else if (xor_internal::FitsBits(dod, 20)) {
    bits = uint64_t{0b1110} << 20 | (u & 0xfffff);
    n = 24;
  } else {
    return false;
  }
  uint8_t leading = leading_;
  uint8_t trailing = trailing_;
  const uint64_t delta = v_bits ^ v_;
  if (delta == 0) {
    bits <<= 1;
    n += 1;
  } else {
    unsigned lead = static_cast<unsigned>(std::countl_zero(delta));
    const unsigned trail = static_cast<unsigned>(std::countr_zero(delta));
    if (lead >= 32) lead = 31;
    if (leading_ != 0xff && lead >= leading_ && trail >= trailing_) {
      const unsigned sig = 64u - leading_ - trailing_;
      if (n + 2 + sig > xor_internal::kMaxFastBits) return false;
      bits = bits << (2 + sig) | uint64_t{0b10} << sig | delta >> trailing_;
      n += 2 + sig;
    } else {
      const unsigned sig = 64u - lead - trail;
      if (n + 13 + sig > xor_internal::kMaxFastBits) return false;
      const uint64_t control = uint64_t{0b11} << 11 | uint64_t{lead} << 6 | (sig & 63u);
      bits = bits << (13 + sig) | control << sig | delta >> trail;
      n += 13 + sig;
      leading = static_cast<uint8_t>(lead);
      trailing = static_cast<uint8_t>(trail);
    }
  }
  const size_t need = (bit_pos_ >> 3) + xor_internal::kSlack;
  if (need > cap_) Grow(need);
  PutBits(bits, n);
  leading_ = leading;
  trailing_ = trailing;
  t_delta_ = d;
  t_ = t;
  v_ = v_bits;
  ++num_;
  buf_[0] = static_cast<uint8_t>(num_ >> 8);
  buf_[1] = static_cast<uint8_t>(num_);
  return true;
}

// Reads the samples of a chunk in order. Malformed bytes stop it with error()
// set, never a read past the end.
class XorIterator {
 public:
  explicit XorIterator(std::string_view chunk);

  bool Next();
  int64_t t() const { return t_; }
  uint64_t v_bits() const { return v_; }
  double v() const;
  bool error() const { return error_; }
  uint16_t num_samples() const { return total_; }

 private:
  // Bits are taken from the top of acc_, which holds avail_ of them and is
  // topped up from the bytes (8 at a time while 8 remain).
  void Refill();
  bool Ensure(unsigned n);    // at least n <= 56 bits in acc_; false past the end
  uint64_t Take(unsigned n);  // 1 <= n <= min(avail_, 56)
  bool ReadVarint(uint64_t* out);
  bool ReadValue();

  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t acc_ = 0;
  unsigned avail_ = 0;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  bool error_ = false;
  int64_t t_ = 0;
  uint64_t t_delta_ = 0;
  uint64_t v_ = 0;
};

// The time of a chunk's first sample, without decoding the chunk: the zigzag
// varint right after the 2-byte count, byte-aligned there (0 for an empty
// chunk or a cut varint).
inline int64_t XorChunkMinTime(std::string_view chunk) {
  if (chunk.size() < 3 || (chunk[0] == 0 && chunk[1] == 0)) return 0;
  uint64_t zz = 0;
  for (size_t i = 2, shift = 0; i < chunk.size() && shift < 64; ++i, shift += 7) {
    const auto b = static_cast<uint8_t>(chunk[i]);
    zz |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return static_cast<int64_t>(zz >> 1) ^ -static_cast<int64_t>(zz & 1);
  }
  return 0;
}

// The sample count in a chunk's header (0 for a chunk too short to have one).
inline uint16_t XorChunkSamples(std::string_view chunk) {
  if (chunk.size() < 2) return 0;
  return static_cast<uint16_t>(static_cast<uint8_t>(chunk[0]) << 8 | static_cast<uint8_t>(chunk[1]));
}

}  // namespace walproof
