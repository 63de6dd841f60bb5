// Scenario: a named workload, the protocol it runs under, and what crashsim
// must conclude about it.
//
// A scenario with Expect::kPass must survive every crash state (the
// reference's claim). One with Expect::kFinding runs upstream's behaviour
// (the prometheus-2.42 protocol, or an emulation of its writer) and crashsim
// must catch the failure the upstream issue describes: if it does not, the
// simulator has lost its teeth, and the run fails.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crashsim/crash_spec.h"
#include "crashsim/enumerator.h"
#include "crashsim/oracle.h"
#include "crashsim/protocol.h"
#include "crashsim/record_matcher.h"
#include "crashsim/variant.h"
#include "crashsim/workload.h"

namespace crashsim {

struct Scenario {
  enum class Expect { kPass, kFinding };

  std::string name;
  std::string summary;
  std::string issue;  // upstream issue it is named after ("#13027"), if any
  Protocol protocol = Protocol::kReference;
  uint64_t segment_size = 2 * 32 * 1024;
  walproof::Compression compression = walproof::Compression::kNone;
  FaultClassSet classes = FaultClassSet::All();
  EnumLimits limits;
  std::function<void(Workload&)> run;
  // The WAL directory exists (durably) before the run; false: the writer makes it.
  bool wal_dir_exists = true;
  // An emulation of upstream behaviour to run under (null: the reference).
  std::function<std::unique_ptr<Variant>()> variant;
  Expect expect = Expect::kPass;
  // kFinding: the violation that must be found (kNone: any failure).
  Violation expected_violation = Violation::kNone;
  // Part of `crashsim selftest` (default protocol, reference variant only).
  bool selftest = true;
  // Weight of its share of a run's budget.
  double weight = 1.0;
  // A scenario about something other than the WAL writer (rescue) may start
  // from a disk of its own (durable, as after a clean shutdown) and judge its
  // crash states itself instead of with recovery and the WAL oracle; its
  // workload then logs nothing to the model. Null: the WAL directory alone,
  // and the oracle.
  std::function<CrashImage()> initial_image;
  std::function<Verdict(const CrashImage&, const Expectation&)> judge;
};

const std::vector<Scenario>& AllScenarios();
const Scenario* FindScenario(const std::string& name);

// Registration, one function per scenarios_*.cc file.
void AddWriterScenarios(std::vector<Scenario>* out);
void AddUpstreamScenarios(std::vector<Scenario>* out);
void AddCheckpointScenarios(std::vector<Scenario>* out);
void AddExportScenarios(std::vector<Scenario>* out);
void AddRescueScenarios(std::vector<Scenario>* out);

}  // namespace crashsim
