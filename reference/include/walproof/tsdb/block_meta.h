// A block's meta.json (tsdb.BlockMeta, 2.42) and its ULID.
//
// The time range is half open, [min_time, max_time): upstream's head
// compaction gives a block the range of its 2-hour window and every sample
// in it is below max_time. A block walproof writes is compaction level 1
// with itself as its only source, as a block cut from the head is.
//
// ParseBlockMeta is a strict reader of exactly the fields walproof needs
// (ulid, minTime, maxTime, stats, version), not a general JSON parser: it
// accepts what upstream and walproof write and names the field it could not
// read otherwise.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "walproof/io/status.h"

namespace walproof::tsdb {

// 26 characters of Crockford base32: 48 bits of milliseconds since the
// epoch, then 80 bits of randomness.
std::string MakeUlid(uint64_t unix_ms, const std::array<uint8_t, 10>& entropy);
// Whether `s` is a ULID as upstream's ulid.Parse accepts it (the names of
// block directories).
bool IsUlid(std::string_view s);

struct BlockStats {
  uint64_t samples = 0;
  uint64_t series = 0;
  uint64_t chunks = 0;
  uint64_t tombstones = 0;
};

struct BlockMeta {
  std::string ulid;
  int64_t min_time = 0;
  int64_t max_time = 0;  // exclusive
  BlockStats stats;
  int compaction_level = 1;
  int version = 1;
};

// The file as upstream writes it (tab-indented JSON).
std::string EncodeBlockMeta(const BlockMeta& meta);
// Corruption naming the file and field when it cannot be read.
Result<BlockMeta> ParseBlockMeta(std::string_view json, const std::string& path);

}  // namespace walproof::tsdb
