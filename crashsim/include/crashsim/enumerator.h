// The crash states of a recorded run, class by class, in a fixed order: the
// i-th spec of class c is state "c.i" (crash_spec.h), whatever other classes
// are switched on. Exhaustive where the count is small; where a choice
// explodes (subsets of pages, bit flips) a bounded, seeded sample is taken,
// so the same (scenario, seed) always yields the same list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crashsim/crash_spec.h"
#include "crashsim/sim_fs.h"

namespace crashsim {

struct EnumLimits {
  uint32_t max_prefixes_per_file = 128;   // class 2: prefix cuts of one file at one point
  uint32_t max_piece_sets = 96;           // class 2: page/sector subsets of one file at one point
  uint32_t max_pages_lost = 3;            // 4 KiB pages lost together
  uint32_t max_sectors_lost = 2;          // 512 B sectors lost together
  uint32_t max_torn_per_write = 96;       // class 3
  uint32_t max_dir_subset_ops = 6;        // class 4: every subset up to this many pending ops
  uint32_t max_bit_flips = 1200;          // class 6
  uint32_t max_zeroed_sectors = 400;      // class 6
  // Class 6: damage only files whose path contains this (empty: every file).
  std::string at_rest_only;
};

std::vector<CrashSpec> EnumerateClass(const SimFs& run, FaultClass cls, const EnumLimits& limits,
                                      uint64_t seed);

// Class 5 works on other runs: the workload again, with one call failing.
struct IoRun {
  int64_t call = -1;
  IoFault fault = IoFault::kNone;
};
inline constexpr uint32_t kStatesPerIoRun = 4;
// One run per faultable call of the base run and fault that applies to it.
std::vector<IoRun> EnumerateIoRuns(const SimFs& base_run);
// State `local` (0..3) of an I/O-error run: right after the failed call or at
// the end of the run, with unsynced data and dir ops kept or lost.
CrashSpec IoRunState(const IoRun& run, uint32_t local);

// Class 7: crash states of a recovery run (repair included), for a second
// crash during recovery: every op boundary with unsynced data kept, the
// durable image after every op, and each unsynced dir op lost alone.
std::vector<CrashSpec> EnumerateCompoundChildren(const SimFs& recovery_run);

}  // namespace crashsim
