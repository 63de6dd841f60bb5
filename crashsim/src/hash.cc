// Four independent multiply-rotate lanes over 32-byte blocks, then a
// murmur-style finaliser: about as fast as memcpy on the images crashsim
// makes, which matters because every crash state is hashed before recovery.
#include "crashsim/hash.h"

#include <cstring>

namespace crashsim {
namespace {

constexpr uint64_t kM1 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kM2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kM3 = 0x165667B19E3779F9ull;

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t Round(uint64_t acc, uint64_t w) { return Rotl(acc + w * kM2, 31) * kM1; }
inline uint64_t Fmix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

uint64_t Hash64(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t a = seed + kM1 + kM2, b = seed + kM2, c = seed, d = seed - kM1;
  size_t left = n;
  while (left >= 32) {
    a = Round(a, Load64(p));
    b = Round(b, Load64(p + 8));
    c = Round(c, Load64(p + 16));
    d = Round(d, Load64(p + 24));
    p += 32;
    left -= 32;
  }
  uint64_t h = Rotl(a, 1) + Rotl(b, 7) + Rotl(c, 12) + Rotl(d, 18) + n * kM3;
  while (left >= 8) {
    h = Rotl(h ^ Round(0, Load64(p)), 27) * kM1 + kM3;
    p += 8;
    left -= 8;
  }
  uint64_t tail = 0;
  for (size_t i = 0; i < left; ++i) tail |= uint64_t{p[i]} << (8 * i);
  h ^= Round(0, tail ^ (uint64_t{left} << 56));
  return Fmix(h);
}

}  // namespace crashsim
