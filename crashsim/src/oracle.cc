#include "crashsim/oracle.h"

namespace crashsim {

const char* LimitationReason(const Expectation& e, Violation v) {
  const FaultClass cls = e.cls;
  const Fill fill = e.fill;
  // (An empty record read from a torn fragment header through the padding
  // of a short page was one until the reader reported such a header as
  // torn; it now fails a run.)
  if (cls == FaultClass::kTorn && fill == Fill::kStale &&
      (v == Violation::kInvented || v == Violation::kDuplicate || v == Violation::kOutOfOrder)) {
    // Fragments carry no segment identity (LevelDB's recyclable format adds a
    // log number for this): a reused block holding an older segment's page at
    // the same offset is a valid page.
    return "stale blocks of an older segment are valid fragments: the format has no per-segment salt";
  }
  if (cls == FaultClass::kAtRest && e.fate == FileFate::kZeroRange &&
      (v == Violation::kSilentLoss || v == Violation::kOutOfOrder)) {
    // Zeros are the format's padding and are not checksummed: a zeroed run
    // that starts at a fragment header and reaches the end of the page (or of
    // the file) reads as a page terminator, and the records in it vanish
    // without a trace. A stricter reader can catch some cases (see the
    // crashsim notes), not all: at the end of the newest segment it is the
    // same image as a write that never landed.
    return "a zeroed run from a fragment header to the end of a page reads as padding (zeros are not checksummed)";
  }
  return nullptr;
}

const char* KnownFindingFor(const Expectation&, Violation) {
  return nullptr;  // none at present (see oracle.h)
}

Verdict Judge(const RecoveryOutcome& o, const Model& model, const Expectation& e) {
  Verdict v;
  v.corruption_reported = o.first.corruption || !o.first.opened;
  v.repaired = o.repaired;
  const ReadPass& first = o.first;
  const ReadPass& fin = o.final_pass;
  v.recovered = fin.opened ? fin.matched_end : 0;
  auto fail = [&](Violation what, std::string detail) {
    v.violation = what;
    v.detail = std::move(detail);
    if (LimitationReason(e, what)) v.limitation = true;
    if (const char* known = KnownFindingFor(e, what)) v.known = known;
    return v;
  };

  if (!fin.opened) {
    if (e.cls == FaultClass::kAtRest && v.corruption_reported) return v;
    return fail(Violation::kOpenFailed, fin.error + (o.repair_error.empty() ? "" : "; repair: " + o.repair_error));
  }
  if (first.opened && first.violation != Violation::kNone) return fail(first.violation, first.detail);
  if (fin.violation != Violation::kNone) return fail(fin.violation, "after repair: " + fin.detail);
  const bool at_rest = e.cls == FaultClass::kAtRest;
  // Corruption at rest may leave nothing to repair from (a damaged
  // checkpoint is refused by design); reporting it is what counts there.
  if (!o.repair_error.empty() && !(at_rest && v.corruption_reported)) {
    return fail(Violation::kRepairFailed, o.repair_error);
  }
  if (!fin.error.empty()) return fail(Violation::kOpenFailed, fin.error);
  if (first.opened && fin.matched_end < first.matched_end) {
    return fail(Violation::kRepairDropped, "repair kept logged records [0, " + std::to_string(fin.matched_end) +
                                               ") of the [0, " + std::to_string(first.matched_end) +
                                               ") that read cleanly before it");
  }
  const uint32_t need = model.RequiredEnd(e.acked);
  const uint32_t got = first.opened ? std::min(first.matched_end, fin.matched_end) : fin.matched_end;
  if (got < need) {
    if (at_rest) {
      if (!v.corruption_reported) {
        return fail(Violation::kSilentLoss, "only logged records [0, " + std::to_string(got) + ") of [0, " +
                                                std::to_string(need) + ") came back and no corruption was reported");
      }
    } else {
      std::string why = first.corruption ? "; reader: " + first.corruption_text : std::string();
      return fail(Violation::kAckedLost, "recovered logged records [0, " + std::to_string(got) + ") but [0, " +
                                             std::to_string(need) + ") were acknowledged durable" + why);
    }
  }
  if (e.recovered_before > 0 && got < model.RequiredEnd(e.recovered_before)) {
    return fail(Violation::kRecoveredThenLost,
                "the interrupted recovery had read logged records [0, " + std::to_string(e.recovered_before) +
                    ") intact; after the crash inside it only [0, " + std::to_string(got) + ") came back");
  }
  if (at_rest) return v;  // corruption at rest: reported is all that can be asked
  if (o.head_violation != Violation::kNone) return fail(o.head_violation, o.head_detail);
  if (!o.append_error.empty()) return fail(Violation::kNotWritable, o.append_error);
  if (o.after_crash_checked) {
    const ReadPass& a = o.after_crash;
    if (!a.opened) return fail(Violation::kLostAfterRecovery, "after the next crash the WAL does not open: " + a.error);
    if (a.violation != Violation::kNone) return fail(a.violation, "after the next crash: " + a.detail);
    if (a.matched_end < fin.matched_end) {
      return fail(Violation::kLostAfterRecovery,
                  "after the next crash only logged records [0, " + std::to_string(a.matched_end) + ") of the [0, " +
                      std::to_string(fin.matched_end) + ") recovered came back" +
                      (a.corruption ? " (" + a.corruption_text + ")" : ""));
    }
    if (!a.marker_seen) {
      return fail(Violation::kLostAfterRecovery,
                  "the record appended and fsynced after recovery was lost in the next crash" +
                      (a.corruption ? " (" + a.corruption_text + ")" : std::string()));
    }
  }
  if (first.phantom_empty > 0 || fin.phantom_empty > 0) {
    return fail(Violation::kPhantomEmpty, "the reader returned an empty record that was never logged");
  }
  return v;
}

}  // namespace crashsim
