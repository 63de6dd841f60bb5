// A recording of a real program's run, as `crashsim trace record` leaves it:
//
//   TRACE/trace.json   what was run (command, data directory, exclusions, the
//                      injected fault if any) and the self-check's result
//   TRACE/before/      the data directory as it was before the run
//   TRACE/strace.log   strace's output (every call, every byte written)
//   TRACE/io/NNN/      fault-injected re-runs (class 5), each a recording
//
// Loading a recording replays strace.log onto `before` (trace_replayer.h);
// the self-check compares that replay with the directory the program left.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/strace_log.h"
#include "crashsim/trace_replayer.h"

namespace crashsim {

struct TraceMeta {
  std::string data_dir;  // absolute path the program used
  std::string cwd;
  std::vector<std::string> command;
  std::string driver;
  std::vector<std::string> excludes;
  std::string exclude_reason;
  std::string inject;  // strace --inject expression of a class 5 run
  int exit_code = 0;
  bool self_check_ok = false;
  uint64_t files_checked = 0;
  std::string checker_hint;  // the checker that fits the program ("prometheus", "walproof")
};

walproof::Status SaveTraceMeta(const std::string& trace_dir, const TraceMeta& meta);
walproof::Result<TraceMeta> LoadTraceMeta(const std::string& trace_dir);

// Every directory and file below `dir`, read through POSIX.
walproof::Result<CrashImage> SnapshotDir(const std::string& dir);

// The self-check: the replayed trace must reproduce every file of the real
// directory byte for byte (SHA-256 of each), except the excluded ones.
struct SelfCheck {
  uint64_t files = 0;
  uint64_t dirs = 0;
  std::vector<std::string> mismatches;  // one line each
  std::vector<std::string> excluded;    // files not compared, and why
  bool ok() const { return mismatches.empty(); }
  std::string Summary() const;
};
SelfCheck CheckAgainstDisk(const ReplayedTrace& replayed, const CrashImage& on_disk, const TraceOptions& options);

struct LoadedTrace {
  std::string dir;
  TraceMeta meta;
  TraceOptions options;
  ReplayedTrace replayed;
};
walproof::Result<LoadedTrace> LoadTrace(const std::string& trace_dir);

// The crash image plus the excluded files as they were before the run.
CrashImage WithExcluded(const CrashImage& image, const LoadedTrace& trace);

}  // namespace crashsim
