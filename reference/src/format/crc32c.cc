#include "walproof/format/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace walproof::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // Castagnoli, reflected.

// tables[k][b]: CRC of byte b followed by k zero bytes, for slicing-by-8.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// Polynomial arithmetic modulo the CRC polynomial, in the reflected bit
// order of the register (bit 31 is the coefficient of x^0). A CRC register
// is linear in its input: running it over n more zero bytes multiplies it by
// x^(8n). That lets independent stripes of the input be checksummed in
// parallel and their registers joined afterwards.
constexpr uint32_t MulMod(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int i = 0; i < 32; ++i) {
    if (a & (0x80000000u >> i)) product ^= b;  // a has x^i: add b * x^i
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;   // b *= x
  }
  return product;
}

// x^(8n) mod P.
constexpr uint32_t ShiftByBytes(uint64_t n) {
  uint32_t result = 0x80000000u;   // 1
  uint32_t power = 0x80000000u >> 8;  // x^8: one byte
  for (; n > 0; n >>= 1) {
    if (n & 1) result = MulMod(result, power);
    power = MulMod(power, power);
  }
  return result;
}

// Multiplication by a fixed x^(8n) mod P, a byte of the register at a time
// (it is linear in the register): joining stripes must cost far less than
// checksumming one.
struct ShiftTables {
  std::array<std::array<uint32_t, 256>, 4> t{};
  constexpr explicit ShiftTables(uint64_t bytes) {
    const uint32_t k = ShiftByBytes(bytes);
    for (int j = 0; j < 4; ++j) {
      for (uint32_t b = 0; b < 256; ++b) t[j][b] = MulMod(b << (8 * j), k);
    }
  }
  uint32_t Apply(uint32_t c) const {
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
  }
};

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) inline uint64_t Crc64Words(uint64_t c, const char* p, size_t words) {
  for (size_t i = 0; i < words; ++i) {
    uint64_t word;
    std::memcpy(&word, p + 8 * i, 8);
    c = _mm_crc32_u64(c, word);
  }
  return c;
}

// Three stripes of `kStripe` bytes at once: the crc32 instruction has a
// latency of three cycles but accepts one a cycle, so one dependent chain
// runs at a third of its speed. The stripes' registers are joined by
// shifting the first two past the bytes that follow them.
template <size_t kStripe>
__attribute__((target("sse4.2"))) uint64_t ThreeStripes(uint64_t c, const char** p, size_t* n) {
  static constexpr ShiftTables kShift1(kStripe);
  static constexpr ShiftTables kShift2(2 * kStripe);
  while (*n >= 3 * kStripe) {
    uint64_t a = c, b = 0, d = 0;
    const char* q = *p;
    for (size_t i = 0; i < kStripe; i += 8) {
      uint64_t wa, wb, wd;
      std::memcpy(&wa, q + i, 8);
      std::memcpy(&wb, q + kStripe + i, 8);
      std::memcpy(&wd, q + 2 * kStripe + i, 8);
      a = _mm_crc32_u64(a, wa);
      b = _mm_crc32_u64(b, wb);
      d = _mm_crc32_u64(d, wd);
    }
    c = kShift2.Apply(static_cast<uint32_t>(a)) ^ kShift1.Apply(static_cast<uint32_t>(b)) ^ static_cast<uint32_t>(d);
    *p += 3 * kStripe;
    *n -= 3 * kStripe;
  }
  return c;
}

__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const char* p, size_t n) {
  uint64_t c = ~crc;
  c = ThreeStripes<4096>(c, &p, &n);
  c = ThreeStripes<256>(c, &p, &n);
  c = Crc64Words(c, p, n / 8);
  p += n / 8 * 8;
  n %= 8;
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*p++));
    --n;
  }
  return ~c32;
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

ExtendFn ChooseExtend() {
  return HardwareAvailable() ? ExtendHardware : ExtendPortable;
}

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo = c ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                       uint32_t(p[3]) << 24);
    c = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
        kTables[4][lo >> 24] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^
        kTables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
    --n;
  }
  return ~c;
}

bool HardwareAvailable() {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
#else
  return false;
#endif
}

uint32_t ExtendHardware(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (HardwareAvailable()) return ExtendSse42(crc, data, n);
#endif
  return ExtendPortable(crc, data, n);
}

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
  static const ExtendFn chosen = ChooseExtend();
  return chosen(crc, data, n);
}

}  // namespace walproof::crc32c
