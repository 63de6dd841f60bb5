// Crash-testing code that is not walproof's: a log, a manifest, any file
// format written through the walproof::Fs seam. You give a workload and an
// oracle; crashsim records the workload on a SimFs, rebuilds the disk at every
// crash state of that run (the classes of crash_spec.h) and asks the oracle
// about each. The scenarios of `crashsim run` are this, with walproof's
// writer as the workload and oracle.h as the oracle.
//
// The oracle judges the disk as it is after the crash; what the workload
// acknowledged before the crash point is the test's own bookkeeping (note
// SimFs::log().size() when an fsync returns OK: a record acknowledged at
// that count must survive every state whose point is at least that).
// Class 7 (a crash during recovery) needs recovery to run inside crashsim
// and is not offered here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crashsim/crash_spec.h"
#include "crashsim/enumerator.h"
#include "crashsim/sim_fs.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"

namespace crashsim {

struct CrashState {
  StateId id;
  uint32_t point = 0;        // ops of the run done before the crash
  std::string description;   // where the crash is and what was lost, for people
};

class CrashTest {
 public:
  virtual ~CrashTest() = default;
  // Runs the workload on `fs`: a fresh, empty SimFs, recording. Called once
  // for the run every state of classes 1-4 and 6 comes from, then once per
  // class 5 run with one call failing (your code sees the error).
  virtual void Run(SimFs& fs) = 0;
  // Judges the crash state `state` of the latest Run: `disk` holds its image,
  // all durable (recover from it as your program would at start-up). Returns
  // an empty string when the state is acceptable, else why it is not.
  virtual std::string Check(walproof::Fs& disk, const CrashState& state) = 0;
};

struct CheckOptions {
  // Class 6 (damage at rest) is off by default: only a checksummed format
  // that reports damage can pass it, and the oracle must allow for that.
  FaultClassSet classes = FaultClassSet::None()
                              .With(FaultClass::kCut)
                              .With(FaultClass::kLostData)
                              .With(FaultClass::kTorn)
                              .With(FaultClass::kDirOps)
                              .With(FaultClass::kIoError);
  EnumLimits limits;
  uint64_t seed = 1;          // for the sampled parts of the enumeration
  int shard = 0, shards = 1;  // keep states whose index in their class is shard mod shards
  size_t keep_failures = 10;  // failures kept with their reasons, the first ones found
};

struct FailedState {
  CrashState state;
  std::string why;
};

struct CheckResult {
  uint64_t checked = 0;
  uint64_t failed = 0;
  uint64_t checked_by_class[kNumFaultClasses + 1] = {};
  uint64_t failed_by_class[kNumFaultClasses + 1] = {};
  std::vector<FailedState> failures;  // in the order checked: classes 1, 2, 3, 4, 6, then 5
};

// InvalidArgument for class 7 or a bad shard; the verdict is in the result.
walproof::Result<CheckResult> CheckCrashStates(CrashTest& test, const CheckOptions& options = {});

}  // namespace crashsim
