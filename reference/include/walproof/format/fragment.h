// The physical format shared by writer and reader: 32 KiB pages holding
// fragments of records, each with a 7-byte header (docs/format.md,
// "Pages and fragments").
//
//   +------+----------+----------+-----------------+
//   | type | len (BE) | crc (BE) | payload (len B) |
//   +------+----------+----------+-----------------+
#pragma once

#include <cstddef>
#include <cstdint>

namespace walproof {

inline constexpr size_t kPageSize = 32 * 1024;
inline constexpr size_t kFragmentHeaderSize = 7;
inline constexpr size_t kMaxFragmentPayload = kPageSize - kFragmentHeaderSize;  // 32761
inline constexpr uint64_t kDefaultSegmentSize = 128ull * 1024 * 1024;

// Bits 0-2 of the type byte.
enum class FragmentType : uint8_t {
  kPageTerm = 0,  // the rest of the page is zeros
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
};

inline constexpr uint8_t kFragmentTypeMask = 0x07;
inline constexpr uint8_t kSnappyBit = 0x08;
inline constexpr uint8_t kZstdBit = 0x10;  // Prometheus 2.46 and later

enum class Compression { kNone, kSnappy, kZstd };

const char* CompressionName(Compression c);
// Parses "none", "snappy" or "zstd".
bool ParseCompression(const char* name, Compression* out);

}  // namespace walproof
