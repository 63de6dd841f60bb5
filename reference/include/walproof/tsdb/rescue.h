// Rescue: turn a WAL that a Prometheus cannot replay in its memory into TSDB
// blocks, and the WAL into an empty one, losing nothing.
//
// SurveyRescue replays the WAL (checkpoint and segments) into a head, the
// way Prometheus would at start-up (samples older than the newest existing
// block are dropped, as upstream's min valid time drops them), and works out
// what rescue would write: series and samples per block range, the metric
// names and targets (job/instance) that hold the most series, what --drop
// removes, and what a block cannot hold (exemplars, metadata, float
// histograms), counted so that nothing is dropped silently.
//
// WriteRescueBlocks then writes one block per range (head_blocks.h), reads
// each back from disk (CheckBlock) and compares series, samples, chunks and
// digest with what it wrote; only when every block matches may the caller
// replace the WAL (rescue_journal.h, SwapInEmptyWal). The journal is written
// before the first block, so that an interrupted run is settled by the next.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "walproof/head/head.h"
#include "walproof/head/replay.h"
#include "walproof/io/fs.h"
#include "walproof/tsdb/block_check.h"
#include "walproof/tsdb/head_blocks.h"
#include "walproof/tsdb/label_matcher.h"

namespace walproof::tsdb {

struct RescueOptions {
  int64_t block_duration = 2 * 60 * 60 * 1000;
  std::vector<SeriesSelector> drop;
  // Parts the series are split into (partial_replay.h), one head at a time:
  // a rescue within a memory budget smaller than the whole head. Each part
  // writes its own blocks over the same ranges, as several blocks over one
  // range, which Prometheus (2.39 and later) merges at compaction.
  uint32_t parts = 1;
  // Threads for replaying (one part), finishing and reading back blocks. The
  // Fs must allow calls from several threads when this is above 1; crashsim's
  // recording one wants 1, so that its operations come in one order.
  int threads = 1;
};

struct RankedName {
  std::string name;
  uint64_t series = 0;
  uint64_t samples = 0;
};

struct DroppedSeries {
  std::string labels;  // {a="b", ...}
  uint64_t samples = 0;
};

struct RescueSurvey {
  std::string data_dir;
  std::string wal_dir;
  ReplayReport replay;
  int last_segment = -1;
  int64_t min_valid_time = 0;  // from the newest existing block; INT64_MIN when none
  size_t existing_blocks = 0;
  uint32_t parts = 1;
  // Kept series (after --drop) and what they hold.
  uint64_t series_count = 0;
  std::vector<SeriesId> series;  // with one part: the head's, in label order
  HeadTimeSpan span;
  std::vector<int64_t> block_starts;
  std::vector<RankedName> top_metrics;  // by series, then samples; ten at most
  std::vector<RankedName> top_targets;  // job/instance
  std::vector<DroppedSeries> dropped;   // every series --drop removes
  uint64_t dropped_samples = 0;
  // What blocks cannot hold (reported, never written).
  uint64_t exemplars = 0;
  uint64_t metadata = 0;
  uint64_t float_histogram_samples = 0;
  uint64_t series_without_samples = 0;  // series records with no sample left to write
  HeadMemory head_memory;  // summed over the parts
  uint64_t wal_bytes = 0;
  double survey_seconds = 0;  // the replays' seconds are in `replay`
};

// Where WriteBlocks's time went, summed over the parts.
struct RescueTimes {
  double replay = 0;  // with several parts: replaying each part again
  double write = 0;   // chunks, index, fsyncs, renames
  double read_back = 0;
};

class Rescue {
 public:
  static Result<std::unique_ptr<Rescue>> Survey(Fs& fs, const std::string& data_dir, const std::string& wal_dir,
                                                const RescueOptions& options);
  ~Rescue();

  const RescueSurvey& survey() const { return survey_; }
  const Head& head() const { return *head_; }

  // Writes and verifies every block (with several parts, replaying each
  // part again); `ulid_for(i)` names block i. Reports
  // each block when verified. On a mismatch or failure the blocks written
  // so far are removed and the journal with them.
  using BlockDone = std::function<void(const BlockSummary& written, const BlockSummary& read_back)>;
  Status WriteBlocks(Fs& fs, const std::function<std::string(size_t)>& ulid_for, const BlockDone& done,
                     std::vector<BlockSummary>* blocks, RescueTimes* times = nullptr);

 private:
  struct Tally;
  Rescue() = default;
  // Adds a head's series to the survey; returns the ones to write, in label
  // order. The series are split among options_.threads.
  std::vector<SeriesId> Analyze(const Head& head, Tally* tally, RescueSurvey* into) const;
  std::vector<SeriesId> AnalyzeSeries(const Head& head, std::span<const SeriesId> series, Tally* tally,
                                      RescueSurvey* into) const;
  static void Merge(Tally&& from, Tally* into);
  static void Merge(RescueSurvey&& from, RescueSurvey* into);
  Status ReplayInto(Fs& fs, uint32_t part, Head* head, ReplayReport* report) const;
  HeadOptions HeadOptionsForRescue() const;
  RescueOptions options_;
  RescueSurvey survey_;
  std::unique_ptr<Head> head_;
};

// {a="b", c="d"} as PromQL prints a label set.
std::string FormatLabels(const Labels& labels);

}  // namespace walproof::tsdb
