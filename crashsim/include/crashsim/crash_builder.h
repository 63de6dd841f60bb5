// CrashBuilder: rebuilds the disk of a recorded run at a crash state.
//
// Everything durable at the crash point is there: file data as of each
// file's last fsync, directory entries as of each directory's last fsync.
// What was not durable gets the spec's fate. Directory entries and file data
// are decided separately: a file whose entry was lost is simply not in the
// image, whatever its data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/crash_spec.h"
#include "crashsim/sim_fs.h"

namespace crashsim {

class CrashBuilder {
 public:
  // `run` must have been recorded from its first op; it must outlive the builder.
  explicit CrashBuilder(const SimFs& run) : run_(run) {}

  // The concrete crash point of a spec (class 5 specs use symbolic points).
  uint32_t ResolvePoint(const CrashSpec& spec) const;
  CrashImage Build(const CrashSpec& spec) const;
  // A sentence for people: where the crash is and what was lost.
  std::string Describe(const CrashSpec& spec) const;
  // The run's ops up to `point`, one line each ("12 [log] append wal/00000000 @96 +54").
  std::vector<std::string> OpLines(uint32_t point) const;

  // Facts the enumerator needs about a point.
  struct FileView {
    int inode = -1;
    uint64_t stable = 0;  // bytes [0, stable) are the same durable and volatile
    uint64_t vol_size = 0;
    uint64_t dur_size = 0;
    std::vector<uint64_t> write_ends;  // ends of the unsynced appends, in order
  };
  // Files (reachable or not) whose volatile data differs from their durable data.
  std::vector<FileView> UnsyncedFiles(uint32_t point) const;
  FileView ViewOf(int inode, uint32_t point) const;
  // Directory ops before `point` not yet made durable by a directory fsync (op indexes).
  std::vector<size_t> PendingDirOps(uint32_t point) const;

 private:
  Bytes FileData(const CrashSpec& spec, uint32_t point, int inode) const;

  const SimFs& run_;
};

}  // namespace crashsim
