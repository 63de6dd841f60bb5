// A block's tombstones file (tsdb/tombstones, 2.42):
//
//   magic 0x0130BA30 BE32 | version 1 | (series ref uvarint, mint varint,
//   maxt varint)* | CRC-32C of the entries BE32
//
// walproof applies the WAL's deletions while it writes a block (deleted
// samples are not written), so the blocks it writes carry an empty file; the
// reader still accepts and returns entries, as a block upstream compacted
// from a head with pending deletions has them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/status.h"

namespace walproof::tsdb {

struct Tombstone {
  uint64_t series_ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
};

std::string EncodeTombstones(const std::vector<Tombstone>& stones);
// Corruption naming `path` and the offset of what is wrong.
Result<std::vector<Tombstone>> DecodeTombstones(std::string_view data, const std::string& path);

}  // namespace walproof::tsdb
