// Blocks from a replayed head: what `walproof rescue` writes, the way
// Prometheus's head compaction would have written them had the server lived.
//
// The head's samples are cut on the block boundaries upstream uses: ranges
// [k * duration, (k + 1) * duration) of milliseconds since the epoch (2 hours
// by default), one block per range that holds a sample. Within a block a
// series gets XOR chunks of at most 120 floats and histogram chunks
// (histogram_chunk.h), in time order. Deletions (the head's tombstones) are
// applied: a deleted sample is not written, so the blocks' tombstones files
// are empty. Float histograms are not written: a 2.42 block has no encoding
// for them; they are counted so that the caller can say so.
//
// Each block is written in two passes over the chosen series: the first
// collects its symbols (the index needs them before any series), the second
// encodes chunks and writes them as it goes, so memory holds one series'
// samples at a time plus the index's postings.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "walproof/head/head.h"
#include "walproof/io/fs.h"
#include "walproof/tsdb/block_check.h"

namespace walproof::tsdb {

// The start of the block range holding t (floor division, also below 0).
int64_t BlockStart(int64_t t, int64_t duration);

struct HeadTimeSpan {
  bool any = false;
  int64_t mint = 0;
  int64_t maxt = 0;
  uint64_t float_samples = 0;      // not deleted
  uint64_t histogram_samples = 0;  // not deleted
  uint64_t deleted_samples = 0;    // floats and histograms a tombstone hides
  uint64_t float_histogram_samples = 0;
};

// What one series holds, deletions applied, in one pass over its samples;
// with `starts`, also adds the block ranges it has samples in.
HeadTimeSpan SurveySeries(const Head& head, SeriesId id, int64_t duration, std::set<int64_t>* starts);

// Writes the block for [mint, maxt) of `series` (in label order) under
// `parent` with the given ULID, and returns what was written, digest included,
// computed from the head (CheckBlock computes the same from the disk). A
// range where no chosen series has a sample writes nothing and returns a
// summary of zero series.
Result<BlockSummary> WriteHeadBlock(Fs& fs, const Head& head, const std::vector<SeriesId>& series,
                                    const std::string& parent, int64_t mint, int64_t maxt, const std::string& ulid);

}  // namespace walproof::tsdb
