// The runner: executes a scenario's workload on a recording SimFs, enumerates
// its crash states class by class, rebuilds each, skips those whose image was
// already recovered (by hash), recovers the rest and asks the oracle.
//
// Budgets: classes are interleaved in seeded random order, a batch of each
// per round, so a run cut short by its budget is a uniform sample of every
// class rather than all of the first one. A run that finishes is exhaustive
// (up to the enumerator's documented bounds).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/crash_spec.h"
#include "crashsim/oracle.h"
#include "crashsim/recovery.h"
#include "crashsim/scenario.h"

namespace crashsim {

struct RunOptions {
  uint64_t seed = 1;
  double budget_seconds = 0;  // 0: no limit
  int shard = 0;
  int shards = 1;
  FaultClassSet classes = FaultClassSet::All();
  bool progress = false;
  Variant* variant = nullptr;  // replaces the scenario's own (selftest)
  uint32_t compound_parents = 12;
  bool stop_at_first_failure = false;
  // With stop_at_first_failure: keep checking this long after the first
  // failure, to collect every kind of violation nearby (selftest).
  double grace_seconds = 0;
};

struct Finding {
  Violation violation = Violation::kNone;
  FaultClass cls = FaultClass::kCut;
  bool limitation = false;
  std::string limitation_reason;
  std::string known;  // a known finding against the reference (oracle.h), if attributed to one
  StateId id;
  std::string state;   // CrashBuilder::Describe
  std::string detail;  // the oracle's words
  uint32_t point = 0;
  uint64_t image_bytes = 0;
  uint64_t count = 0;  // states with this (class, violation)
};

struct ClassStats {
  uint64_t enumerated = 0;
  uint64_t checked = 0;
  uint64_t recoveries = 0;  // distinct images actually recovered
  uint64_t failed = 0;
  uint64_t limitations = 0;
  uint64_t known = 0;
  std::map<Violation, uint64_t> by_violation;
};

// One crash point of the base run: the recovery staircase.
struct StairStep {
  uint32_t point = 0;
  uint32_t acked = 0;
  uint32_t logged = 0;
  uint32_t min_recovered = UINT32_MAX;
  uint32_t max_recovered = 0;
  uint32_t states = 0;
  uint32_t failures = 0;
  uint16_t phase = 0;
};

struct ScenarioResult {
  std::string name;
  std::string summary;
  std::string issue;
  std::string protocol;
  std::string variant;
  std::string trace_dir;  // a real program's recording (crashsim trace run), not a scenario
  Scenario::Expect expect = Scenario::Expect::kPass;
  Violation expected_violation = Violation::kNone;
  uint64_t seed = 0;
  int shard = 0, shards = 1;
  uint64_t ops = 0;
  uint64_t records = 0;
  uint64_t acked = 0;
  uint64_t io_runs = 0;
  ClassStats classes[kNumFaultClasses + 1];
  uint64_t enumerated = 0;
  uint64_t checked = 0;
  uint64_t recoveries = 0;
  uint64_t failures = 0;
  uint64_t limitations = 0;
  uint64_t known = 0;
  bool exhaustive = true;
  double seconds = 0;
  double cpu_seconds = 0;  // of this thread: the honest rate on a loaded machine
  std::vector<Finding> findings;  // the smallest reproducer of each (class, violation)
  std::vector<StairStep> staircase;

  // kPass: no failure. kFinding: a failure (of the expected kind) was found.
  bool passed() const;
  std::string Verdict() const;
};

ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options);

// Rebuilds one state and judges it again: the reproducer behind a state id.
struct ReplayedState {
  std::string description;
  CrashImage image;
  Expectation expectation;
  Verdict verdict;
  std::vector<std::string> ops;  // the run's ops up to the crash point
};
walproof::Result<ReplayedState> ReplayState(const Scenario& scenario, uint64_t seed, const StateId& id,
                                            Variant* variant = nullptr);

// What the state being checked is, for a crash handler to print ("scenario seed state").
const char* CurrentStateLabel();
// Counts states started, so that a watchdog can tell a hang from slow progress.
uint64_t StatesStarted();

}  // namespace crashsim
