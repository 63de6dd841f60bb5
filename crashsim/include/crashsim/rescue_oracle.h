// The oracle of the `rescue` scenario: a crash during `walproof rescue --yes`
// (tsdb/rescue.h) must leave the old WAL intact, or complete blocks and an
// empty WAL, or both, and never neither; and a second rescue run on what the
// crash left must end with exactly the WAL's content in blocks, nothing lost
// and nothing twice.
//
// Content is compared, not records: per label set, every sample (time and
// value bits; a histogram as its BlockDigest), deletions applied. What the WAL
// holds is read by replaying DATA/wal as Prometheus would; what the blocks
// hold by reading every ULID directory in DATA as Prometheus would load it
// (a *.tmp-for-creation directory is not a block: start-up deletes it). A
// ULID directory that does not check (block_check.h) is a failure: Prometheus
// would load it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/oracle.h"
#include "walproof/io/fs.h"

namespace crashsim {

// Per label set ({a="b", ...}), its samples in time order.
using SeriesContent = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

// What a WAL directory replays to; ok false when it cannot be replayed
// cleanly (a missing directory is an empty WAL, as Prometheus makes one).
struct WalContent {
  bool ok = true;
  std::string error;
  SeriesContent content;
};
WalContent ContentOfWal(walproof::Fs& fs, const std::string& wal_dir);

// What the blocks of a data directory hold, merged; ok false (and why) when
// a block directory does not check, or two blocks hold the same sample.
struct BlocksContent {
  bool ok = true;
  std::string error;
  size_t blocks = 0;
  SeriesContent content;
};
BlocksContent ContentOfBlocks(walproof::Fs& fs, const std::string& data_dir);

// Runs rescue as an operator would after the crash (settle, survey, write,
// swap) on `fs`; the error if it failed.
walproof::Status RunRescue(walproof::Fs& fs, const std::string& data_dir);

// Judges one crash state of a rescue of `expected` (the WAL's content before
// rescue) in DATA dir `data_dir` of `image`.
Verdict JudgeRescue(const CrashImage& image, const std::string& data_dir, const SeriesContent& expected);

}  // namespace crashsim
