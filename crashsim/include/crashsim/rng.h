// Rng: the only source of randomness in crashsim (SplitMix64). Every random
// choice (garbage bytes, sampling order, workload sizes) derives from the
// run's seed and a stable key, so any crash state is rebuilt bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crashsim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  void Fill(char* out, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = Next();
      for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
    }
  }

 private:
  uint64_t state_;
};

// A seed for one purpose of one run: the same (seed, a, b) always gives the same stream.
inline uint64_t DeriveSeed(uint64_t seed, uint64_t a, uint64_t b = 0) {
  Rng r(seed ^ (a * 0xD6E8FEB86659FD93ull) ^ (b * 0xA0761D6478BD642Full));
  r.Next();
  return r.Next();
}

}  // namespace crashsim
