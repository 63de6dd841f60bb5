// What one series gives the blocks: the head's own chunks where they fit a
// block range and no deletion touches them, else its samples decoded (the
// deleted ones left out) and re-encoded into chunks cut at range ends.
// Private to src/tsdb: head_blocks.cc writes these, and surveys with them.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "walproof/head/head.h"
#include "walproof/tsdb/block_writer.h"

namespace walproof::tsdb {

struct FloatPoint {
  int64_t t;
  uint64_t v;
};

// The series' float samples that no tombstone hides, in time order, into
// *out; the hidden ones are counted into *deleted.
void Floats(const Head& head, SeriesId id, const std::vector<ChunkView>& chunks, std::vector<FloatPoint>* out,
            uint64_t* deleted);

// Indexes of the series' histograms that no tombstone hides.
void Histograms(const Head& head, SeriesId id, std::vector<size_t>* out, uint64_t* deleted);

// Whether the head's chunks can go into blocks as they are: no tombstone
// hides one of their samples and none spans two ranges of `duration`.
bool ChunksFitRanges(const Head& head, SeriesId id, const std::vector<ChunkView>& chunks, int64_t duration);

// The series' chunks, deletions applied, each inside one range, in time
// order: views of the head's bytes where they fit, else re-encoded into
// *storage (which keeps them where they are until it is cleared).
void SeriesChunks(const Head& head, SeriesId id, int64_t duration, std::vector<EncodedChunk>* out,
                  std::deque<std::string>* storage);

}  // namespace walproof::tsdb
