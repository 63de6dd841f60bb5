// The black-box oracle of a traced run: what the program logged and what it
// acknowledged, from the trace alone, and the verdict on what a checker
// recovered from a crash image.
//
// Logged: the samples of every record in the WAL segments the program wrote
// (files named wal/NNNNNNNN; checkpoints only copy them), decoded by the
// reference reader in write order, each with the op after which its last
// byte had been written. Acknowledged: from the first completed fsync of the
// segment that covers the record's last byte: that is the program's own claim
// that it is durable. The file-system model then decides what a crash takes
// away, and the verdict compares, series by series (label sets, since refs
// are private to a WAL):
// - the recovered samples are a prefix of the logged ones in WAL order (a
//   checker that reads only the WAL, such as walproof, sees a contiguous run
//   that starts where the newest block of the image ends);
// - none was never logged (or logged after the crash point);
// - every acknowledged sample is there, unless the state damaged synced data
//   (class 6) and the checker reported corruption.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "crashsim/crash_spec.h"
#include "crashsim/record_matcher.h"
#include "crashsim/sim_fs.h"

namespace crashsim {

struct TraceSample {
  int64_t t = 0;
  double v = 0;
  uint32_t logged_at = 0;  // ops done when its record was complete
  uint32_t acked_at = UINT32_MAX;  // ops done when its record was fsynced
};

class TraceWalModel {
 public:
  static walproof::Result<TraceWalModel> FromRun(const SimFs& run);
  // Series (label-set key "a=1,b=2") -> samples in WAL order.
  const std::map<std::string, std::vector<TraceSample>>& series() const { return series_; }
  uint64_t records() const { return records_; }
  uint64_t samples() const { return samples_; }
  uint64_t segments() const { return segments_; }
  // Samples logged / acknowledged by crash point k.
  uint64_t LoggedBy(uint32_t k) const;
  uint64_t AckedBy(uint32_t k) const;
  // A sample a tombstone logged by crash point k deletes: recovery may or
  // may not have it (the tombstone itself may be lost), so it is not judged.
  bool Deleted(const std::string& key, int64_t t, uint32_t k) const;

 private:
  struct Tombstone {
    int64_t mint = 0, maxt = 0;
    uint32_t logged_at = 0;
  };
  std::map<std::string, std::vector<TraceSample>> series_;
  std::map<std::string, std::vector<Tombstone>> tombstones_;
  uint64_t records_ = 0, samples_ = 0, segments_ = 0;
};

// What a checker reported about one crash image.
struct CheckerReport {
  bool ran = false;            // false: the checker itself could not run (not a finding)
  std::string error;           // why it could not run
  bool started = false;        // the program started on the image
  bool corruption_reported = false;
  bool reads_samples = false;  // false for exec: checkers, which only say consistent or not
  bool consistent = true;      // exec: exit status 0
  int exit_code = 0;
  std::string log;             // what the program logged (excerpt)
  int64_t wal_only_after = INT64_MIN;  // walproof: samples at or before this time live in blocks
  std::map<std::string, std::vector<std::pair<int64_t, double>>> series;
};

struct TraceVerdict {
  Violation violation = Violation::kNone;
  std::string detail;
  uint64_t recovered = 0, acked = 0, logged = 0;
  bool failed() const { return violation != Violation::kNone; }
};

TraceVerdict JudgeTraceState(const TraceWalModel& model, const CheckerReport& report, uint32_t point,
                             FaultClass cls);

}  // namespace crashsim
