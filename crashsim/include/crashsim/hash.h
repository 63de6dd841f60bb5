// Hash64: the fast non-cryptographic hash crashsim deduplicates crash images
// with. Two states with equal hashes are recovered once, so the hash must mix
// well (a collision would silently skip a state); it need not resist an
// adversary, because every image is made by crashsim itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crashsim {

uint64_t Hash64(const void* data, size_t n, uint64_t seed = 0);
inline uint64_t Hash64(std::string_view s, uint64_t seed = 0) { return Hash64(s.data(), s.size(), seed); }

// Order-sensitive combination of two hashes.
inline uint64_t HashCombine(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  return x;
}

}  // namespace crashsim
