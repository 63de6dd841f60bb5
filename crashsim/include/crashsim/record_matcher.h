// RecordMatcher: checks, record by record, that what a recovery returns is
// what was logged: in order, none invented, none duplicated, none skipped
// (except "maybe" records, whose Log failed), optionally followed by the
// marker record the oracle appends after recovery.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crashsim/model.h"

namespace crashsim {

enum class Violation : uint8_t {
  kNone,
  kOpenFailed,         // recovery could not open or read the WAL at all
  kInvented,           // a record that was never logged (or a garbled one)
  kDuplicate,          // a record returned twice
  kOutOfOrder,         // a logged record missing while a later one is there
  kAckedLost,          // a record acknowledged durable is missing
  kSilentLoss,         // records lost to corruption at rest, and no corruption reported
  kRepairFailed,       // repair returned an error
  kRepairDropped,      // repair lost records that read fine before it
  kReplayMismatch,     // replay read a different number of records than the reader
  kHeadMismatch,       // the replayed head differs from the model's head for those records
  kNotWritable,        // the WAL refused a new record after recovery
  kLostAfterRecovery,  // a record kept or appended after recovery was lost in the next crash
  kRecoveredThenLost,  // compound: recovery 1 returned it, a crash during recovery 1 lost it
  kPhantomEmpty,       // an empty record that was never logged (e.g. a torn header read through padding)
  kRescueNeither,      // rescue: neither the old WAL intact nor whole blocks and an empty WAL
  kRescueRedo,         // rescue: a second run lost or duplicated data, or failed
  kCount,
};
const char* ViolationName(Violation v);

class RecordMatcher {
 public:
  // Matching starts at model record `base` (the first after a checkpoint).
  RecordMatcher(const Model& model, uint32_t base, std::string_view marker);

  void Feed(std::string_view record);
  // Whether `record` is the next one expected (or the marker), without
  // consuming it.
  bool Expected(std::string_view record) const;

  uint32_t records() const { return records_; }
  // Model index just past the last record matched.
  uint32_t matched_end() const { return next_; }
  // Maybe records passed over (not returned), in order.
  const std::vector<uint32_t>& skipped() const { return skipped_; }
  uint32_t phantom_empty() const { return phantom_empty_; }
  bool marker_seen() const { return marker_seen_; }
  // Order-sensitive hash of every record fed: equal for equal sequences.
  uint64_t signature() const { return signature_; }
  Violation violation() const { return violation_; }
  const std::string& detail() const { return detail_; }

 private:
  void Fail(Violation v, std::string detail);

  const Model& model_;
  std::string_view marker_;
  uint32_t next_;
  uint32_t records_ = 0;
  uint32_t phantom_empty_ = 0;
  bool marker_seen_ = false;
  std::vector<uint32_t> skipped_;
  uint64_t signature_ = 0;
  Violation violation_ = Violation::kNone;
  std::string detail_;
};

}  // namespace crashsim
