// A library of its own (gen/, target walproof::gen), not tests/support: crashsim
// ships it in a tool, fuzz/ and property/ in tests, and it needs only the reference.
//
// Choices: the one source of decisions every generator of WAL content draws
// from. A generator written against it (records.h, workload.h) runs unchanged
// on fuzz input bytes (fuzz/entropy.h), on a seeded PRNG (PrngChoices below,
// crashsim's Rng) and on RapidCheck (rc_choices.h, which keeps shrinking).
//
// Sources implement two primitives, Bits and Below, and may override Fill and
// Pick to draw a whole string or a weighted option in one step (RapidCheck
// shrinks better that way). Everything else is written once, here, in terms
// of those: the order and kind of primitive calls is part of the contract,
// since the fuzz corpus is bytes read through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

namespace walproof::gen {

class Choices {
 public:
  virtual ~Choices() = default;

  // `n` (1 to 64) random bits.
  virtual uint64_t Bits(int n) = 0;
  // A number in [0, n); 0 when n <= 1.
  virtual uint64_t Below(uint64_t n) = 0;
  // `n` chars, each one of `alphabet`, or any byte when `alphabet` is empty.
  virtual void Fill(char* out, size_t n, std::string_view alphabet) {
    for (size_t i = 0; i < n; ++i) {
      out[i] = alphabet.empty() ? static_cast<char>(Bits(8)) : alphabet[Below(alphabet.size())];
    }
  }
  // The index of one of `weights` (not all zero), with chances in proportion.
  virtual size_t Pick(std::initializer_list<uint32_t> weights) {
    uint64_t total = 0;
    for (uint32_t w : weights) total += w;
    uint64_t r = Below(total);
    size_t i = 0;
    for (uint32_t w : weights) {
      if (r < w) return i;
      r -= w;
      ++i;
    }
    return 0;
  }

  // Built on the primitives above.
  uint8_t Byte() { return static_cast<uint8_t>(Bits(8)); }
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
      case 1: bits = 0x8000000000000000ull; break;  // -0.0
      case 2: bits = 0x7ff0000000000002ull; break;  // Prometheus stale marker
      case 3: bits = 0x7ff8000000000001ull; break;  // NaN
      case 4: bits = 0x7ff0000000000000ull; break;  // +Inf
      case 5: bits = 0xfff0000000000000ull; break;  // -Inf
      case 6: {
        double d = static_cast<double>(Below(1000));
        std::memcpy(&bits, &d, 8);
        break;
      }
      default: bits = Bits(64);
    }
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  // A short string: from a small vocabulary or lower-case letters most of
  // the time (so labels repeat and compress), now and then any bytes.
  std::string String(size_t max_len) {
    static constexpr std::string_view kWords[] = {"__name__", "job", "instance", "le", "quantile",
                                                  "http_requests_total", "node", "UNIT", "HELP", ""};
    if (OneIn(3)) return std::string(kWords[Below(std::size(kWords))]);
    std::string s(Below(max_len + 1), '\0');
    const bool any = OneIn(4);
    Fill(s.data(), s.size(), any ? std::string_view() : std::string_view("abcdefghijklmnopqrstuvwxyz"));
    return s;
  }
};

// Choices from a 64-bit PRNG with `uint64_t Next()` (crashsim's Rng): Below
// is Next() % n and Bits the top n bits of one Next(), so code that used the
// PRNG directly (rng.Below(n), rng.Next() >> 11) draws the same numbers
// through this.
template <typename Prng>
class PrngChoices final : public Choices {
 public:
  explicit PrngChoices(Prng& prng) : prng_(prng) {}
  uint64_t Bits(int n) override { return n >= 64 ? prng_.Next() : prng_.Next() >> (64 - n); }
  uint64_t Below(uint64_t n) override { return n == 0 ? 0 : prng_.Next() % n; }
  Prng& prng() { return prng_; }

 private:
  Prng& prng_;
};

}  // namespace walproof::gen
