// The oracle on hand-made outcomes, and a small end-to-end run and replay.
#include "crashsim/oracle.h"

#include <gtest/gtest.h>

#include "crashsim/runner.h"
#include "crashsim/scenario.h"
#include "crashsim/variants.h"

namespace crashsim {
namespace {

Model ThreeRecords(bool middle_ok = true) {
  Model m;
  m.AddLogged({"r0"}, true, 0);
  m.AddLogged({"r1"}, middle_ok, 1);
  m.AddLogged({"r2"}, true, 2);
  return m;
}

TEST(RecordMatcher, PrefixInOrderIsFine) {
  Model m = ThreeRecords();
  RecordMatcher r(m, 0, "");
  r.Feed("r0");
  r.Feed("r1");
  EXPECT_EQ(r.violation(), Violation::kNone);
  EXPECT_EQ(r.matched_end(), 2u);
}

TEST(RecordMatcher, CatchesInventedDuplicateAndGap) {
  Model m = ThreeRecords();
  {
    RecordMatcher r(m, 0, "");
    r.Feed("r0");
    r.Feed("zz");
    EXPECT_EQ(r.violation(), Violation::kInvented);
  }
  {
    RecordMatcher r(m, 0, "");
    r.Feed("r0");
    r.Feed("r0");
    EXPECT_EQ(r.violation(), Violation::kDuplicate);
  }
  {
    RecordMatcher r(m, 0, "");
    r.Feed("r0");
    r.Feed("r2");
    EXPECT_EQ(r.violation(), Violation::kOutOfOrder);
  }
}

TEST(RecordMatcher, MaybeRecordsMaySkip) {
  Model m = ThreeRecords(/*middle_ok=*/false);
  RecordMatcher r(m, 0, "");
  r.Feed("r0");
  r.Feed("r2");
  EXPECT_EQ(r.violation(), Violation::kNone);
  EXPECT_EQ(r.skipped(), std::vector<uint32_t>({1}));
  EXPECT_EQ(m.RequiredEnd(2), 1u);  // r1 may be missing
}

TEST(Judge, AckedRecordsMustSurvive) {
  Model m = ThreeRecords();
  m.AddAck(10);
  RecoveryOutcome o;
  o.first.opened = true;
  o.first.matched_end = 2;
  o.final_pass = o.first;
  Expectation e;
  e.point = 11;
  e.acked = m.AckedAt(11);
  EXPECT_EQ(e.acked, 3u);
  Verdict v = Judge(o, m, e);
  EXPECT_EQ(v.violation, Violation::kAckedLost);
  EXPECT_TRUE(v.failed());
  e.acked = m.AckedAt(9);
  EXPECT_TRUE(Judge(o, m, e).ok());
  // Corruption at rest may lose records, but only if it was reported.
  e.cls = FaultClass::kAtRest;
  e.acked = 3;
  EXPECT_EQ(Judge(o, m, e).violation, Violation::kSilentLoss);
  o.first.corruption = true;
  EXPECT_TRUE(Judge(o, m, e).ok());
}

// The reader reports a fragment header torn at the end of a short file, so
// an empty record that was never logged is no longer a limitation: it fails.
TEST(Judge, PhantomEmptyRecordFails) {
  Model m = ThreeRecords();
  RecoveryOutcome o;
  o.first.opened = true;
  o.first.matched_end = 3;
  o.first.phantom_empty = 1;
  o.final_pass = o.first;
  Expectation e;
  e.cls = FaultClass::kCut;
  Verdict v = Judge(o, m, e);
  EXPECT_EQ(v.violation, Violation::kPhantomEmpty);
  EXPECT_FALSE(v.limitation);
  EXPECT_TRUE(v.failed());
}

TEST(EndToEnd, DefaultWorkloadCutStatesPassAndReplay) {
  const Scenario* s = FindScenario("segment-switch");
  ASSERT_NE(s, nullptr);
  RunOptions o;
  o.classes = FaultClassSet::None().With(FaultClass::kLostData).With(FaultClass::kDirOps);
  ScenarioResult r = RunScenario(*s, o);
  EXPECT_TRUE(r.exhaustive);
  EXPECT_GT(r.checked, 50u);
  EXPECT_EQ(r.failures, 0u) << (r.findings.empty() ? "" : r.findings[0].detail);
  auto again = ReplayState(*s, 1, StateId{FaultClass::kLostData, 0});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->verdict.ok());
}

TEST(EndToEnd, BrokenVariantIsCaughtAndReplayReproducesIt) {
  const Scenario* s = FindScenario("segment-switch");
  ASSERT_NE(s, nullptr);
  auto v = MakeVariant("skip-file-fsync");
  RunOptions o;
  o.variant = v.get();
  o.classes = FaultClassSet::None().With(FaultClass::kLostData);
  ScenarioResult r = RunScenario(*s, o);
  ASSERT_GT(r.failures, 0u);
  const Finding& f = r.findings.front();
  auto again = ReplayState(*s, 1, f.id, v.get());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verdict.violation, f.violation);
}

TEST(EndToEnd, UpstreamDirFsyncIsFound) {
  const Scenario* s = FindScenario("dir-fsync-new-segment-2.42");
  ASSERT_NE(s, nullptr);
  RunOptions o;
  o.classes = FaultClassSet::None().With(FaultClass::kDirOps);
  ScenarioResult r = RunScenario(*s, o);
  EXPECT_TRUE(r.passed()) << r.Verdict();  // kFinding: the failure is reproduced
}

}  // namespace
}  // namespace crashsim
