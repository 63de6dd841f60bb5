// WalReader: every record of a WAL directory in replay order, as Prometheus
// replays it at start-up: the newest checkpoint.N (its segments as one
// stream), then WAL segments N+1, N+2, ... each as a stream of its own.
//
// A checkpoint that is not a directory, or holds no segment, is an error that
// names it (upstream panicked on an empty one, #6976). Segments at or below
// the checkpoint index are not replayed; they are listed in the plan.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "walproof/wal/segment_reader.h"

namespace walproof {

struct WalReadPlan {
  std::string dir;
  std::optional<int> checkpoint;          // index N of checkpoint.N, if any
  std::string checkpoint_dir;             // its path
  std::vector<SegmentFile> checkpoint_segments;
  std::vector<SegmentFile> segments;      // WAL segments to replay, in order
  std::vector<int> skipped_segments;      // WAL segments covered by the checkpoint
};

// Lists `dir` and decides what replay reads. Fails on a gap in the segments
// ("segments are not sequential"), on a gap between the checkpoint and the
// first segment after it, and on an unusable checkpoint.
Result<WalReadPlan> PlanWalRead(Fs& fs, const std::string& dir);

class WalReader {
 public:
  WalReader(Fs& fs, WalReadPlan plan);

  // The next record, valid until the next call. False at the end or on a
  // problem (see status()).
  bool Next(std::string_view* record);
  const Status& status() const { return status_; }
  const std::optional<CorruptionInfo>& corruption() const { return corruption_; }

  // Where the last record came from.
  bool in_checkpoint() const { return part_ == 0 && plan_.checkpoint.has_value(); }
  int segment() const { return reader_ ? reader_->segment() : -1; }
  std::string segment_path() const { return reader_ ? reader_->segment_path() : std::string(); }
  uint64_t offset() const { return reader_ ? reader_->offset() : 0; }
  bool last_compressed() const { return reader_ && reader_->last_compressed(); }
  size_t last_stored_size() const { return reader_ ? reader_->last_stored_size() : 0; }

  const WalReadPlan& plan() const { return plan_; }
  ReadPhaseTimes phase_times() const;
  // A record that fails to decode is corruption at the reader's position, as
  // in Prometheus ("decode series: ..."); this builds that report and makes
  // it this reader's status.
  const CorruptionInfo& FailDecode(const std::string& what, const Status& why);
  void set_timing(bool on) { timing_ = on; }

 private:
  bool OpenPart(size_t part);

  Fs& fs_;
  WalReadPlan plan_;
  // Part 0 is the checkpoint (when there is one), then one part per segment.
  size_t part_ = 0;
  size_t parts_ = 0;
  std::unique_ptr<SegmentReader> reader_;
  Status status_;
  std::optional<CorruptionInfo> corruption_;
  ReadPhaseTimes finished_times_;
  bool timing_ = false;
};

}  // namespace walproof
