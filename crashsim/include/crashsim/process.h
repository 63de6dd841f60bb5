// Child processes for crashsim trace: the traced command under strace, its
// driver, and the checkers. Each child gets its own process group, so that
// stopping it stops everything it started, and nothing outlives a run.
#pragma once

#include <string>
#include <vector>

#include "walproof/io/status.h"

namespace crashsim {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  bool timed_out = false;
  std::string output;  // stdout (and stderr when merged)
};

// Runs argv to completion with `input` on its stdin; captures stdout (and
// stderr too when merge_stderr). After timeout_seconds (0: none) the group
// is sent SIGKILL and timed_out is set.
walproof::Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::string& input,
                                           double timeout_seconds, bool merge_stderr);

// Starts argv in a new process group with inherited stdio; returns its pid.
walproof::Result<int> StartProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
// Waits for pid; after timeout_seconds (0: forever) returns false with *status untouched.
bool WaitProcess(int pid, double timeout_seconds, int* exit_code);
// Signals a whole process group.
void SignalGroup(int pid, int sig);

}  // namespace crashsim
