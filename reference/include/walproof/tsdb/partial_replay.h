// ReplayPart: a replay that keeps one part of the series, for a rescue that
// must fit a memory budget smaller than the whole head.
//
// A series belongs to part hash(label set) % parts, so every record naming
// it (samples, histograms, tombstones, exemplars, metadata, an alias ref
// with the same labels) lands in the same part, and parts are disjoint. The
// records of the other parts are decoded and dropped, so each part costs a
// full read of the WAL but only its share of the head's memory. With one
// part this is the sequential replay (replay.h) with the same head.
#pragma once

#include <cstdint>
#include <string>

#include "walproof/head/head.h"
#include "walproof/head/replay.h"
#include "walproof/io/fs.h"

namespace walproof::tsdb {

// Which part a label set belongs to.
uint32_t PartOfLabels(const Labels& labels, uint32_t parts);

// Replays `wal_dir` into `head`, keeping the series of `part` only. The
// report counts records read and, like ReplaySequential, the first
// corruption (Corruption status). With threads > 1, records are read and
// decoded on a second thread (Fs must allow that) while this one applies.
Status ReplayPart(Fs& fs, const std::string& wal_dir, uint32_t part, uint32_t parts, Head* head,
                  ReplayReport* report, int threads = 1);

}  // namespace walproof::tsdb
