// CRC-32C (Castagnoli), the checksum of every WAL fragment payload.
//
// Value(data) equals Go's crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)).
// On x86-64 CPUs with SSE4.2 the crc32 instruction is used, chosen once at
// run time; elsewhere a portable slicing-by-8 table does the work.
#pragma once

#include <cstdint>
#include <string_view>

namespace walproof::crc32c {

// CRC of `data` continuing from a previous Value() result `crc` (0 to start).
uint32_t Extend(uint32_t crc, const char* data, size_t n);
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// The two implementations, exposed so tests can check both on any machine.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);
// Falls back to the portable one when the CPU lacks SSE4.2.
uint32_t ExtendHardware(uint32_t crc, const char* data, size_t n);
bool HardwareAvailable();

}  // namespace walproof::crc32c
