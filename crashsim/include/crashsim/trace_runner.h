// The campaign over a recording of a real program: its crash states (classes
// 1-4 and 6 from the recording itself, exactly as `crashsim run` builds them
// from a SimFs run; class 5 from its fault-injected re-runs in TRACE/io/),
// each materialised as a directory in a scratch dir (tmpfs where present),
// handed to a checker, and judged by the trace oracle.
#pragma once

#include <cstdint>
#include <string>

#include "crashsim/runner.h"
#include "crashsim/trace_oracle.h"
#include "crashsim/trace_recording.h"

namespace crashsim {

struct CheckerSpec {
  // "prometheus", "walproof" or "exec:COMMAND".
  std::string name;
  std::string scripts_dir;   // where check_prometheus.py and check_walproof.py live
  std::string walproof_bin;  // for "walproof"
  std::string prometheus_bin = "/usr/bin/prometheus";
  double timeout_seconds = 120;
};

// Runs the checker on one image directory; `acknowledged_stdout` is what the
// program had written to its standard output before the crash (exec: stdin).
CheckerReport RunChecker(const CheckerSpec& checker, const std::string& image_dir,
                         const std::string& acknowledged_stdout);

struct TraceRunOptions {
  uint64_t seed = 1;
  double budget_seconds = 0;  // 0: every state
  uint64_t max_states = 0;    // 0: no limit
  int shard = 0, shards = 1;
  FaultClassSet classes = FaultClassSet::All();
  int jobs = 1;
  std::string scratch;  // empty: /dev/shm when it exists, else the temp dir
  bool progress = false;
  bool keep_going_after_finding = true;
};

struct TraceRunResult {
  ScenarioResult result;  // for the shared text, JSON and HTML reports
  bool checker_failed = false;
  std::string checker_error;
  uint64_t samples_logged = 0, samples_acked = 0;
};

TraceRunResult RunTraceCampaign(const LoadedTrace& trace, const CheckerSpec& checker, const TraceRunOptions& options);

// One state of a recording, rebuilt: for `crashsim trace replay`.
struct TraceState {
  std::string description;
  CrashImage image;
  uint32_t point = 0;
  std::string stdout_before;
};
walproof::Result<TraceState> BuildTraceState(const LoadedTrace& trace, const StateId& id, uint64_t seed);

}  // namespace crashsim
