// Recoverer: runs recovery on a crash image exactly as Prometheus start-up
// would with the reference, and records what it saw, independent of where the
// crash was (so identical images are recovered once):
//  1. remove leftovers (checkpoint.*.tmp, *.repair.tmp), as on open;
//  2. read every record in replay order, matching them against the model;
//  3. if reading stopped at a corruption or could not start (a gap, an
//     upstream N.repair), repair and read again;
//  4. replay into a Head and compare its digest with the model's head;
//  5. open a writer, log one marker record, fsync; power-cut that (only what
//     is durable survives) and recover again: the marker and every record of
//     step 3 must come back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/model.h"
#include "crashsim/model_head.h"
#include "crashsim/protocol.h"
#include "crashsim/record_matcher.h"
#include "crashsim/sim_fs.h"
#include "crashsim/variant.h"

namespace crashsim {

struct RecoveryConfig {
  std::string dir = "wal";
  Protocol protocol = Protocol::kReference;
  walproof::WalWriterOptions writer;  // for the post-recovery append
  Variant* variant = nullptr;         // null: the reference
  bool check_head = true;
  bool post_append = true;
};

// One pass of reading the WAL in replay order.
struct ReadPass {
  bool opened = false;
  std::string error;  // why reading could not start, or an I/O error
  bool corruption = false;
  std::string corruption_text;
  std::optional<int> checkpoint;
  uint32_t base = 0;  // model index where the segments after the checkpoint start
  uint32_t records = 0;
  uint32_t matched_end = 0;
  std::vector<uint32_t> skipped;
  uint32_t phantom_empty = 0;
  bool marker_seen = false;
  uint64_t signature = 0;
  Violation violation = Violation::kNone;
  std::string detail;
};

struct RecoveryOutcome {
  ReadPass first;
  ReadPass final_pass;  // after repair; equals `first` when none was needed
  bool repaired = false;  // repair changed the disk
  std::string repair_error;
  bool head_checked = false;
  Violation head_violation = Violation::kNone;
  std::string head_detail;
  std::string append_error;  // empty: the marker was logged and synced
  bool after_crash_checked = false;
  ReadPass after_crash;  // the final pass of recovering the post-append crash
  std::string after_crash_repair_error;
};

class Recoverer {
 public:
  Recoverer(const Model& model, const RecoveryConfig& config);

  // `fs_out`, when given, receives the recording SimFs the recovery ran on
  // (class 7 enumerates crash states of it).
  RecoveryOutcome Recover(const CrashImage& image, std::unique_ptr<SimFs>* fs_out = nullptr);

  const std::string& marker() const { return marker_; }
  Variant& variant() { return *variant_; }

 private:
  RecoveryOutcome RecoverAt(const CrashImage& image, int depth, std::unique_ptr<SimFs>* fs_out);
  ReadPass Read(walproof::Fs& fs);
  void CheckHead(walproof::Fs& fs, RecoveryOutcome* out);
  bool FastAfterCrash(const SimFs& sim, size_t ops_before_append, const FsState& before_append,
                      RecoveryOutcome& out);

  const Model& model_;
  RecoveryConfig config_;
  Variant* variant_;
  ModelHeads heads_;
  std::unordered_map<uint64_t, walproof::HeadDigest> replay_cache_;
  std::string marker_;
};

}  // namespace crashsim
