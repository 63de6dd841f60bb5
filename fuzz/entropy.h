// Entropy: where fuzz targets and the custom mutator get their choices.
//
// Targets draw from the input bytes (InputEntropy: an exhausted input reads
// as zeros, so every input is valid and short inputs mean small cases); the
// mutator draws from a seeded PRNG (SeededEntropy). Record generation is
// written once against the interface and used by both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

namespace walproof::fuzz {

class Entropy {
 public:
  virtual ~Entropy() = default;
  virtual uint8_t Byte() = 0;
  virtual bool exhausted() const { return false; }

  uint64_t Bits(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i += 8) v = (v << 8) | Byte();
    return n >= 64 ? v : v & ((uint64_t{1} << n) - 1);
  }
  // Uniform enough in [0, n); 0 when n is 0.
  uint64_t Below(uint64_t n) {
    if (n <= 1) return 0;
    int bits = 0;
    while (bits < 64 && (uint64_t{1} << bits) < n) bits += 8;
    return Bits(bits) % n;
  }
  uint64_t InRange(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  bool Bool() { return Byte() & 1; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

  // Integers that find bugs: extremes, small values, and anything.
  int64_t Int64() {
    switch (Below(8)) {
      case 0: return 0;
      case 1: return INT64_MIN;
      case 2: return INT64_MAX;
      case 3: return static_cast<int64_t>(Below(64)) - 32;
      case 4: return static_cast<int64_t>(Bits(16));
      case 5: return 1700000000000 + static_cast<int64_t>(Bits(24));  // a plausible ms timestamp
      default: return static_cast<int64_t>(Bits(64));
    }
  }
  uint64_t Uint64() {
    switch (Below(6)) {
      case 0: return 0;
      case 1: return UINT64_MAX;
      case 2: return Below(64);
      case 3: return Bits(16);
      default: return Bits(64);
    }
  }
  // Doubles with the bit patterns a WAL cares about: the stale marker, other
  // NaN payloads, -0.0, infinities.
  double Double() {
    uint64_t bits;
    switch (Below(9)) {
      case 0: bits = 0; break;
      case 1: bits = 0x8000000000000000ull; break;          // -0.0
      case 2: bits = 0x7ff0000000000002ull; break;          // Prometheus stale marker
      case 3: bits = 0x7ff8000000000001ull; break;          // NaN
      case 4: bits = 0x7ff0000000000000ull; break;          // +Inf
      case 5: bits = 0xfff0000000000000ull; break;          // -Inf
      case 6: {
        double d = static_cast<double>(Below(1000));
        __builtin_memcpy(&bits, &d, 8);
        break;
      }
      default: bits = Bits(64);
    }
    double d;
    __builtin_memcpy(&d, &bits, 8);
    return d;
  }
  // A short string: from a small alphabet most of the time (so labels repeat
  // and compress), now and then any bytes.
  std::string String(size_t max_len) {
    static constexpr std::string_view kWords[] = {"__name__", "job", "instance", "le", "quantile",
                                                  "http_requests_total", "node", "UNIT", "HELP", ""};
    if (OneIn(3)) return std::string(kWords[Below(std::size(kWords))]);
    size_t n = Below(max_len + 1);
    std::string s(n, '\0');
    bool any = OneIn(4);
    for (char& c : s) c = any ? static_cast<char>(Byte()) : static_cast<char>('a' + Below(26));
    return s;
  }
};

// Reads choices from fuzz input bytes; exhausted input yields zeros.
class InputEntropy : public Entropy {
 public:
  InputEntropy(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint8_t Byte() override { return p_ == end_ ? 0 : *p_++; }
  bool exhausted() const override { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // Up to n raw bytes, taken as they are.
  std::string_view Take(size_t n) {
    n = std::min(n, remaining());
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

class SeededEntropy : public Entropy {
 public:
  explicit SeededEntropy(uint64_t seed) : state_(seed) {}
  uint8_t Byte() override {
    if (left_ == 0) {
      word_ = Next();
      left_ = 8;
    }
    --left_;
    uint8_t b = static_cast<uint8_t>(word_);
    word_ >>= 8;
    return b;
  }

 private:
  // splitmix64: tiny, fast, and good enough to steer mutations.
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
  uint64_t word_ = 0;
  int left_ = 0;
};

}  // namespace walproof::fuzz
