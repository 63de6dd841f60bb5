// CheckBlock: everything in a block read back and checked, as rescue does
// before it lets go of the WAL: the index (block_reader.h), every chunk's
// CRC, every chunk decoded with its samples in time order and inside the
// range the index gives it, the sample, series and chunk counts of
// meta.json, and the block's digest (block_digest.h).
#pragma once

#include <cstdint>
#include <string>

#include "walproof/io/fs.h"
#include "walproof/tsdb/block_meta.h"

namespace walproof::tsdb {

struct BlockSummary {
  BlockMeta meta;
  uint64_t series = 0;
  uint64_t float_samples = 0;
  uint64_t histogram_samples = 0;
  uint64_t chunks = 0;
  uint64_t digest = 0;
};

// Corruption naming the file and offset of the first problem.
Result<BlockSummary> CheckBlock(Fs& fs, const std::string& dir);

}  // namespace walproof::tsdb
