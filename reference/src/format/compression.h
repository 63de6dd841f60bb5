// Whole-record compression as the WAL uses it: snappy's raw block format
// (what Go's snappy.Encode writes) and one zstd frame per record.
#pragma once

#include <string>
#include <string_view>

#include "walproof/format/fragment.h"
#include "walproof/io/status.h"

namespace walproof {

// The most a compressed record may claim to expand to. Prometheus has no
// limit; without one a 20-byte zstd frame could ask for gigabytes.
inline constexpr size_t kMaxDecompressedRecord = 256u * 1024 * 1024;

// Compresses `in` into *out. Returns false (out untouched or garbage) when the
// compressed form is not strictly shorter, in which case the record is stored
// plain, as upstream does.
bool CompressRecord(Compression c, std::string_view in, std::string* out);

// Decompresses a whole record into *out (replacing it). Corruption when the
// bytes are not valid or claim more than kMaxDecompressedRecord.
Status DecompressRecord(Compression c, std::string_view in, std::string* out);

}  // namespace walproof
