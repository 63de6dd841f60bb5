// Scenarios named after the upstream failures in docs/format.md, "Known
// upstream failures". Each row comes as a pair where crashsim can show the
// difference: the reference protocol, which must survive it, and the
// prometheus-2.42 protocol (or an emulation of its writer), in which crashsim
// must reproduce the failure.
#include "crashsim/scenario.h"
#include "crashsim/variants.h"

namespace crashsim {
namespace {

constexpr uint64_t kPage = 32 * 1024;

// Small segments and frequent fsyncs: many new segments, each acknowledged.
void ManySegments(Workload& w) {
  w.Open();
  for (int i = 0; i < 14; ++i) {
    w.Log(w.gen().Next(i % 3 == 0 ? RecordSize::kMedium : RecordSize::kSmall));
    if (i % 3 == 2) w.Sync();
    if (i % 5 == 4) w.NextSegment();
  }
  w.Sync();
}

// Multi-fragment records, where an error midway leaves half a record.
void BigRecords(Workload& w) {
  w.Open();
  w.Log(w.gen().Next(RecordSize::kTiny));
  w.Log(w.gen().Next(RecordSize::kMultiPage));
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Log(w.gen().Next(RecordSize::kMultiPage));
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
}

// Small writes, where a short write lands a few bytes of one record.
void SmallWrites(Workload& w) {
  w.Open();
  for (int i = 0; i < 10; ++i) {
    w.Log(w.gen().Next(i % 4 == 1 ? RecordSize::kMedium : RecordSize::kSmall));
    if (i % 2 == 1) w.Sync();
  }
  w.Close();
}

void TornThenRepair(Workload& w) {
  w.Open();
  for (int i = 0; i < 5; ++i) {
    w.Log(w.gen().Next(RecordSize::kSmall));
    if (i % 2 == 1) w.Sync();
  }
  w.NextSegment();
  w.Log(w.gen().Next(RecordSize::kMedium));
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  std::string torn = {'\x02', '\x00', '\x04', '\x00', '\x00', '\x00', '\x00', 'a', 'b', 'c', 'd'};
  w.Damage(torn);
  w.Repair();
  w.Open();
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Close();
}

// #7506 / #16074: a page terminator followed by non-zero bytes in the same page.
void GarbageAfterTerminator(Workload& w) {
  w.Open();
  for (int i = 0; i < 6; ++i) w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  std::string garbage(64, '\0');
  garbage += "\x01\x02\x03garbage-after-terminator";
  w.Damage(garbage);
  w.Open();  // start-up: replay stops at the garbage, repair cuts it off
  for (int i = 0; i < 4; ++i) w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Close();
}

// #4695: a torn last record, then head truncation over it.
void TornThenTruncate(Workload& w) {
  w.Open();
  for (int s = 0; s < 2; ++s) {
    w.Log(w.gen().Series(1));
    w.Log(w.gen().Samples(3));
    w.Sync();
    w.NextSegment();
  }
  w.Log(w.gen().Samples(3));
  w.Sync();
  std::string torn = {'\x02', '\x00', '\x04', '\x00', '\x00', '\x00', '\x00', 'x', 'y'};
  w.Damage(torn);
  w.Repair();
  const int64_t mint = w.gen().now();
  w.Open();
  for (int s = 0; s < 3; ++s) {
    w.Log(w.gen().Samples(3));
    w.Sync();
    w.NextSegment();
  }
  w.Truncate(mint);
  w.Log(w.gen().Samples(2));
  w.Sync();
  w.Close();
}

// #5867 and friends: corruption at rest in an old segment (class 6 does the
// damage) under a WAL with a checkpoint: it must be reported.
void OldSegments(Workload& w) {
  w.Open();
  for (int s = 0; s < 4; ++s) {
    w.Log(w.gen().Series(1));
    w.Log(w.gen().Samples(4));
    w.Sync();
    w.NextSegment();
  }
  w.Truncate(w.gen().now());
  w.Log(w.gen().Samples(2));
  w.Close();
}

// #16058: a series deleted (a full-range tombstone) and created again under
// a new ref before the checkpoint that covers both. The checkpoint must keep
// the new ref's series record (and the tombstone) while later segments still
// hold samples for it; upstream's dropped it and the next replay lost those
// samples as "unknown series".
void DeleteThenRecreate(Workload& w) {
  w.Open();
  w.Log(w.gen().Series(2));  // refs 1 and 2
  w.Log(w.gen().Samples(4));
  w.Sync();
  w.NextSegment();
  w.Log(w.gen().DeleteSeries(1));
  w.Log(w.gen().SeriesAgain(1));  // ref 3: the labels of ref 1
  w.Log(w.gen().Samples(6));
  w.Sync();
  w.NextSegment();
  const int64_t mint = w.gen().now();
  w.Log(w.gen().Samples(6));
  w.Sync();
  w.NextSegment();
  w.Log(w.gen().Samples(3));
  w.Sync();
  w.Truncate(mint);
  w.Log(w.gen().Samples(6));
  w.Sync();
  w.Close();
}

// #6976 / #9605: a checkpoint directory with nothing in it (what a crash
// between creating it and writing its first segment left behind upstream),
// found at start-up. Upstream panicked. The reference never makes one (it
// renames a finished checkpoint.N.tmp) and refuses to guess what one held: it
// reports a damaged checkpoint, and start-up stops there. Run as class 6
// only, whose oracle asks exactly that: recovery never crashes, and what it
// cannot bring back it reports.
void EmptyCheckpointDir(Workload& w) {
  w.Open();
  for (int i = 0; i < 4; ++i) {
    w.Log(w.gen().Next(i == 0 ? RecordSize::kTiny : RecordSize::kSmall));
    w.Sync();
  }
  w.Kill();
  w.io().MakeDir(w.config().dir + "/checkpoint.00000000");
  w.io().SyncDir(w.config().dir);
  w.Open();
  for (int i = 0; i < 3; ++i) w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Close();
}

Scenario Make(std::string name, std::string summary, std::string issue, void (*run)(Workload&)) {
  Scenario s;
  s.name = std::move(name);
  s.summary = std::move(summary);
  s.issue = std::move(issue);
  s.run = run;
  s.segment_size = kPage;
  return s;
}

// The prometheus-2.42 twin of a scenario: must reproduce the failure.
Scenario Upstream(Scenario s, std::string summary, Violation expected = Violation::kNone) {
  s.name += "-2.42";
  s.summary = std::move(summary);
  s.protocol = Protocol::kPrometheus242;
  s.expect = Scenario::Expect::kFinding;
  s.expected_violation = expected;
  s.selftest = false;
  return s;
}

}  // namespace

void AddUpstreamScenarios(std::vector<Scenario>* out) {
  Scenario s = Make("dir-fsync-new-segment", "new segments every 5 records, fsync every 3: the directory fsync of a new "
                    "segment keeps acknowledged records",
                    "none filed (docs/format.md, Known upstream failures)", ManySegments);
  out->push_back(s);
  out->push_back(Upstream(s, "no directory fsync on segment create (2.42): power loss drops a synced segment",
                          Violation::kAckedLost));

  s = Make("issue-13027-enospc-mid-record", "ENOSPC and EIO at every write of multi-page records: the writer undoes "
           "the half record", "#13027", BigRecords);
  s.segment_size = 4 * kPage;
  s.classes = FaultClassSet::None().With(FaultClass::kIoError).With(FaultClass::kCut);
  out->push_back(s);
  Scenario u = Upstream(s, "2.42 writer (emulated): the unflushed fragment is written later without its record");
  u.variant = [] { return MakeVariant("upstream-enospc-buffer"); };
  u.protocol = Protocol::kReference;  // only the writer's buffering differs
  out->push_back(u);

  s = Make("issue-8125-short-write", "short writes at every write: the writer cuts the partial bytes back",
           "#8125", SmallWrites);
  s.classes = FaultClassSet::None().With(FaultClass::kIoError);
  out->push_back(s);
  u = Upstream(s, "2.42 writer (emulated): a short write retried from the start duplicates bytes");
  u.variant = [] { return MakeVariant("upstream-short-write-retry"); };
  u.protocol = Protocol::kReference;
  out->push_back(u);

  s = Make("issue-6080-crash-during-repair", "a torn record repaired at start-up, crashes at every step of the repair",
           "#6080", TornThenRepair);
  out->push_back(s);
  out->push_back(Upstream(s, "2.42 repair order: a crash leaves N.repair and a gap (\"segments are not sequential\")"));

  out->push_back(Make("issue-7506-garbage-after-terminator",
                      "non-zero bytes after a page terminator, then a restart and more records", "#7506 / #16074",
                      GarbageAfterTerminator));
  out->push_back(Make("issue-4695-torn-last-record", "a torn last record, repaired, then head truncation over it",
                      "#4695", TornThenTruncate));
  s = Make("issue-5867-old-segment-corruption",
           "bit flips and zeroed sectors in old segments and the checkpoint: always reported",
           "#5867, #7409, #13152, #18552", OldSegments);
  s.classes = FaultClassSet::None().With(FaultClass::kAtRest);
  out->push_back(s);

  s = Make("issue-6976-empty-checkpoint-dir",
           "an empty checkpoint directory found at start-up: reported as a damaged checkpoint, no crash",
           "#6976 / #9605", EmptyCheckpointDir);
  s.classes = FaultClassSet::None().With(FaultClass::kAtRest);
  out->push_back(s);

  out->push_back(Make("issue-16058-series-recreated",
                      "a series deleted and created again under a new ref, then a checkpoint over both: its later "
                      "samples survive",
                      "#16058", DeleteThenRecreate));

  s = Make("issue-7530-corrupt-checkpoint",
           "bit flips and zeroed sectors in the checkpoint only: reported, and repair must not cut WAL segments",
           "#7530", OldSegments);
  s.classes = FaultClassSet::None().With(FaultClass::kAtRest);
  s.limits.at_rest_only = "checkpoint.";
  out->push_back(s);
}

}  // namespace crashsim
