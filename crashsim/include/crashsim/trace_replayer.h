// TraceReplayer: turns the system calls a real program made (StraceLog)
// into the op log of a recording SimFs, so that every crash state of the
// real run can be enumerated and built exactly as for a simulated one.
//
// Only calls on paths under the traced data directory change the SimFs; its
// root is that directory, started from the snapshot taken before the run.
// The replayer keeps what the kernel keeps: per process a descriptor table
// (shared by threads, copied by fork, dup'd entries sharing one open file
// description with its offset and O_APPEND flag), so a write lands at the
// offset the kernel used. Anything under the directory it cannot model (a
// shared writable mmap, a hard link, copy_file_range into it, a call it does
// not know) fails the replay naming the strace line: nothing is dropped.
//
// A preallocation (fallocate mode 0) that extends a file by more than 1 MiB
// is kept pending instead of being written out as zeros: Prometheus
// preallocates 512 MiB for every block chunk file and cuts it back to the
// data when the block is done, and half a gigabyte of zeros copied at every
// op would cost more than the whole campaign. Writes into the pending range
// land as they would (the gap reads as zeros); a truncate ends it; one never
// cut back is written at the end of the run, so the self-check still holds.
// The only difference: a crash image taken while it is pending has the file
// without its tail of zeros (Prometheus deletes such a block's .tmp
// directory at start-up, unread).
//
// Files matching an exclusion pattern stand outside the crash model: calls on
// them are counted and skipped, and crash images keep them as they were
// before the run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/sim_fs.h"
#include "crashsim/strace_log.h"

namespace crashsim {

struct TraceOptions {
  std::string data_dir;               // absolute, as the traced program saw it
  std::vector<std::string> excludes;  // fnmatch patterns on paths relative to data_dir, or on base names
  std::string cwd;                    // of the traced command when it started
};

// Bytes the traced program wrote to its standard output, and how many ops
// of the run had happened by then: what it had acknowledged to its user.
struct StdoutWrite {
  uint32_t ops_before = 0;
  std::string bytes;
};

struct ReplayedTrace {
  std::unique_ptr<SimFs> run;  // recording; volatile_state() is the directory after the run
  CrashImage before;           // the snapshot, for excluded files
  std::vector<StdoutWrite> stdout_writes;
  std::map<std::string, uint64_t> excluded_calls;  // relative path -> calls skipped
  uint64_t calls = 0;           // calls read from the trace
  uint64_t calls_in_dir = 0;    // of which touched the data directory
  uint64_t injected_in_dir = 0; // failed by strace --inject on the data directory
  uint64_t injected_elsewhere = 0;
  std::vector<std::string> injected;  // one line per injected failure in the data directory
};

bool IsExcluded(const TraceOptions& options, const std::string& relative_path);

walproof::Result<ReplayedTrace> ReplayTrace(const StraceLog& log, const CrashImage& before,
                                            const TraceOptions& options);

// The sim's view of a file: `path` relative to the data directory.
std::string RelativeTo(const std::string& dir, const std::string& path);

}  // namespace crashsim
