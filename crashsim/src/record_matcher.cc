#include "crashsim/record_matcher.h"

#include "crashsim/hash.h"

namespace crashsim {

const char* ViolationName(Violation v) {
  switch (v) {
    case Violation::kNone: return "ok";
    case Violation::kOpenFailed: return "open-failed";
    case Violation::kInvented: return "invented-record";
    case Violation::kDuplicate: return "duplicate-record";
    case Violation::kOutOfOrder: return "not-a-prefix";
    case Violation::kAckedLost: return "acked-record-lost";
    case Violation::kSilentLoss: return "silent-corruption";
    case Violation::kRepairFailed: return "repair-failed";
    case Violation::kRepairDropped: return "repair-dropped-record";
    case Violation::kReplayMismatch: return "replay-mismatch";
    case Violation::kHeadMismatch: return "head-mismatch";
    case Violation::kNotWritable: return "not-writable-after-recovery";
    case Violation::kLostAfterRecovery: return "lost-after-recovery";
    case Violation::kRecoveredThenLost: return "recovered-then-lost";
    case Violation::kPhantomEmpty: return "phantom-empty-record";
    case Violation::kRescueNeither: return "rescue-neither-wal-nor-blocks";
    case Violation::kRescueRedo: return "rescue-rerun-lost-or-duplicated";
    case Violation::kCount: break;
  }
  return "?";
}

RecordMatcher::RecordMatcher(const Model& model, uint32_t base, std::string_view marker)
    : model_(model), marker_(marker), next_(base) {}

void RecordMatcher::Fail(Violation v, std::string detail) {
  if (violation_ != Violation::kNone) return;
  violation_ = v;
  detail_ = std::move(detail);
}

bool RecordMatcher::Expected(std::string_view record) const {
  if (!marker_.empty() && record == marker_) return true;
  // Byte comparisons, cheapest first: almost always the next record matches.
  const auto& recs = model_.records();
  for (uint32_t t = next_; t < recs.size(); ++t) {
    if (recs[t].bytes == record) return true;
    if (recs[t].definite) return false;
  }
  return false;
}

void RecordMatcher::Feed(std::string_view record) {
  const uint32_t pos = records_++;
  const auto& recs = model_.records();
  // The common case: the next logged record, whose hash the model already has.
  if (violation_ == Violation::kNone && !marker_seen_ && next_ < recs.size() && recs[next_].bytes == record) {
    signature_ = HashCombine(signature_, recs[next_].hash);
    ++next_;
    return;
  }
  const uint64_t h = Hash64(record);
  signature_ = HashCombine(signature_, h);
  if (violation_ != Violation::kNone) return;
  if (!marker_.empty() && record == marker_) {
    if (marker_seen_) Fail(Violation::kDuplicate, "the post-recovery marker record came back twice");
    marker_seen_ = true;
    return;
  }
  if (marker_seen_) {
    Fail(Violation::kInvented, "record " + std::to_string(pos) + " (" + std::to_string(record.size()) +
                                   " bytes) follows the post-recovery marker");
    return;
  }
  if (record.empty()) {
    // The workloads never log an empty record; see kPhantomEmpty.
    ++phantom_empty_;
    return;
  }
  uint32_t t = next_;
  while (t < recs.size() && !recs[t].definite && !(recs[t].hash == h && recs[t].bytes == record)) ++t;
  if (t < recs.size() && recs[t].hash == h && recs[t].bytes == record) {
    for (uint32_t s = next_; s < t; ++s) skipped_.push_back(s);
    next_ = t + 1;
    return;
  }
  const int idx = model_.Find(record, h);
  if (idx < 0) {
    Fail(Violation::kInvented, "record " + std::to_string(pos) + " (" + std::to_string(record.size()) +
                                   " bytes, type " +
                                   std::to_string(record.empty() ? 0 : static_cast<uint8_t>(record[0])) +
                                   ") was never logged; expected logged record " + std::to_string(next_));
  } else if (static_cast<uint32_t>(idx) < next_) {
    Fail(Violation::kDuplicate, "record " + std::to_string(pos) + " repeats logged record " + std::to_string(idx));
  } else {
    Fail(Violation::kOutOfOrder, "record " + std::to_string(pos) + " is logged record " + std::to_string(idx) +
                                     " but logged record " + std::to_string(t) + " is missing before it");
  }
}

}  // namespace crashsim
