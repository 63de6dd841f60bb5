// The bytes the head keeps label sets in: uvarints (the WAL's own encoding of
// lengths and counts) and a fast hash for the head's tables.
// Inline in a header because AddSeries and every label lookup run through
// them, and without LTO a call into another .cc would not inline.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace walproof::head_internal {

inline void PutUvarint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  out->push_back(static_cast<char>(v));
}

// Reads what PutUvarint wrote; the head only parses its own encodings.
inline uint64_t GetUvarint(const char** p) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*(*p)++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
}

inline std::string_view GetString(const char** p) {
  const size_t n = GetUvarint(p);
  std::string_view s(*p, n);
  *p += n;
  return s;
}

// A 64-bit hash of bytes (symbols, label sets as symbols), for the head's own
// tables: well spread, not adversary-proof.
inline uint64_t HashBytes(std::string_view s) {
  constexpr uint64_t kMul = 0x9fb21c651e98df25ULL;
  uint64_t h = 0x2d358dccaa6c78a5ULL ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

}  // namespace walproof::head_internal
