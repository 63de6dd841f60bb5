// Entropy: where fuzz targets and the custom mutator get their choices, as a
// source of gen::Choices (gen/choices.h), so the shared record generator
// (gen/records.h) and the interesting-value helpers run on fuzz bytes.
//
// Targets draw from the input bytes (InputEntropy: an exhausted input reads
// as zeros, so every input is valid and short inputs mean small cases); the
// mutator draws from a seeded PRNG (SeededEntropy). How bytes become numbers
// (Bits, Below) is what the committed corpus means: do not change it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include "gen/choices.h"

namespace walproof::fuzz {

class Entropy : public gen::Choices {
 public:
  // The one primitive of an entropy source: the next byte.
  virtual uint8_t NextByte() = 0;
  virtual bool exhausted() const { return false; }

  // Bytes taken big-endian, as many as n bits need.
  uint64_t Bits(int n) override {
    uint64_t v = 0;
    for (int i = 0; i < n; i += 8) v = (v << 8) | NextByte();
    return n >= 64 ? v : v & ((uint64_t{1} << n) - 1);
  }
  // Uniform enough in [0, n): whole bytes, modulo n; 0 when n <= 1, reading nothing.
  uint64_t Below(uint64_t n) override {
    if (n <= 1) return 0;
    int bits = 0;
    while (bits < 64 && (uint64_t{1} << bits) < n) bits += 8;
    return Bits(bits) % n;
  }
};

// Reads choices from fuzz input bytes; exhausted input yields zeros.
class InputEntropy : public Entropy {
 public:
  InputEntropy(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint8_t NextByte() override { return p_ == end_ ? 0 : *p_++; }
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
  uint8_t NextByte() override {
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
