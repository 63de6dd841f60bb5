// Checkpoint, truncation and repair inside the workload, so that every crash
// point during them is a crash state ("crash during checkpoint", "crash
// during repair", "crash during segment switch").
#include "crashsim/scenario.h"

namespace crashsim {
namespace {

constexpr uint64_t kPage = 32 * 1024;

// A few segments of series and samples, each closed by a segment switch.
void FillSegments(Workload& w, int segments) {
  for (int s = 0; s < segments; ++s) {
    w.Log(w.gen().Series(2));
    for (int i = 0; i < 3; ++i) w.Log(w.gen().Samples(4));
    w.Sync();
    w.NextSegment();
  }
}

void CheckpointTruncate(Workload& w) {
  w.Open();
  FillSegments(w, 2);
  const int64_t mint = w.gen().now();  // samples from here on survive truncation
  FillSegments(w, 3);
  w.Truncate(mint);
  w.Log(w.gen().Samples(4));
  w.Sync();
  w.Close();
}

void CheckpointTwice(Workload& w) {
  w.Open();
  FillSegments(w, 2);
  int64_t mint = w.gen().now();
  FillSegments(w, 2);
  w.Truncate(mint);
  mint = w.gen().now();
  FillSegments(w, 3);
  w.Truncate(mint);
  w.Log(w.gen().Samples(3));
  w.Sync();
}

// A torn record left by an earlier crash, repaired at start-up, then logging goes on.
void RepairInRun(Workload& w) {
  w.Open();
  for (int i = 0; i < 6; ++i) {
    w.Log(w.gen().NextMixed());
    if (i % 2 == 1) w.Sync();
  }
  w.NextSegment();
  for (int i = 0; i < 4; ++i) w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  // A FIRST fragment whose record never got its LAST: what a crash mid-write leaves.
  std::string torn = {'\x02', '\x00', '\x04', '\x00', '\x00', '\x00', '\x00', 'a', 'b', 'c', 'd'};
  w.Damage(torn);
  w.Repair();
  w.Open();
  for (int i = 0; i < 3; ++i) w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Close();
}

Scenario Make(std::string name, std::string summary, void (*run)(Workload&)) {
  Scenario s;
  s.name = std::move(name);
  s.summary = std::move(summary);
  s.run = run;
  s.segment_size = kPage;
  return s;
}

}  // namespace

void AddCheckpointScenarios(std::vector<Scenario>* out) {
  out->push_back(Make("checkpoint-truncate",
                      "five segments of series and samples, then head truncation: checkpoint, delete covered segments",
                      CheckpointTruncate));
  Scenario u = Make("checkpoint-truncate-2.42",
                     "checkpoint-truncate under the 2.42 protocol (checkpoint and truncation without directory fsyncs)",
                     CheckpointTruncate);
  u.protocol = Protocol::kPrometheus242;
  u.expect = Scenario::Expect::kFinding;
  u.selftest = false;
  out->push_back(u);
  out->push_back(Make("checkpoint-twice", "two truncations, the second one reading the first checkpoint",
                      CheckpointTwice));
  out->push_back(Make("repair-in-run",
                      "a torn record from an earlier crash, repaired at start-up; crashes during the repair itself",
                      RepairInRun));
}

}  // namespace crashsim
