// Blocks from a replayed head: what `walproof rescue` writes, the way
// Prometheus's head compaction would have written them had the server lived.
//
// The head's samples are cut on the block boundaries upstream uses: ranges
// [k * duration, (k + 1) * duration) of milliseconds since the epoch (2 hours
// by default), one block per range that holds a sample. Deletions (the
// head's tombstones) are applied: a deleted sample is not written, so the
// blocks' tombstones files are empty. Float histograms are not written: a
// 2.42 block has no encoding for them; they are counted so that the caller
// can say so.
//
// Chunks are copied, not re-encoded, wherever the head's chunks fit: the
// head cuts them at its chunk range (HeadOptions::chunk_range), so with a
// block duration that is a multiple of it every chunk lies inside one
// block, as upstream's compaction takes head chunks as they are. A series
// with a tombstone, with histograms, or with a chunk that spans two ranges
// is decoded and re-encoded instead: XOR chunks of at most 120 floats and
// histogram chunks (histogram_chunk.h), in time order, cut at range ends.
//
// All blocks are written in one pass over the series, each series' head
// chunks walked once (they are scattered through memory: walking them once
// per block cost more than writing). Every block gets the symbols of all the
// series, as upstream's compactor also writes the symbols of series that a
// deletion empties; they are found through the head's own symbol numbers, so
// no string is hashed. Memory holds a few hundred series' chunk lists at a
// time plus each block's index postings.
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

// What one series holds, deletions applied; with `starts`, also adds the
// block ranges it has samples in. Decodes only what the chunks' headers and
// times cannot tell (a tombstone, a chunk spanning two ranges).
HeadTimeSpan SurveySeries(const Head& head, SeriesId id, int64_t duration, std::set<int64_t>* starts);

// Writes the blocks [starts[i], starts[i] + duration) of `series` (in label
// order) under `parent`, block i with ulids[i], and returns what each holds,
// digest included (CheckBlock computes the same from the disk). A range
// where no chosen series has a sample writes nothing and gets a summary of
// zero series. On an error, blocks already renamed into place stay: the
// caller's journal removes them (rescue_journal.h). With threads > 1 the
// blocks are finished (postings, fsyncs) on that many threads at once, which
// `fs` must allow.
Result<std::vector<BlockSummary>> WriteHeadBlocks(Fs& fs, const Head& head, const std::vector<SeriesId>& series,
                                                  const std::string& parent, const std::vector<int64_t>& starts,
                                                  int64_t duration, const std::vector<std::string>& ulids,
                                                  int threads = 1);

}  // namespace walproof::tsdb
