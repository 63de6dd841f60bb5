// Who else is using a data directory: the guard of every command that writes
// (repair --yes, checkpoint, demo into an existing directory).
//
// The lock file is not enough: Debian's Prometheus 2.42 takes DATA/lock only
// with --storage.tsdb.use-lockfile, so a server started without it holds no
// lock while it appends to the WAL. What such a server cannot hide is its
// files. Both /proc/PID/fd and /proc/PID/maps are scanned because each sees
// what the other misses: the WAL segment being appended to and the lock are
// open file descriptors, while head chunks (chunks_head) and blocks are
// mmapped, and a mapping outlives the descriptor it was made from (a process
// may map a file and close it). The working directory (/proc/PID/cwd) is
// deliberately not scanned: a shell sitting in the data directory writes
// nothing there and must not block the operator.
//
// A process whose fd and maps cannot be read (another user's, when not root)
// is not assumed harmless: it blocks when its user could write the data
// directory or the WAL directory (by the owner/group/other write bits, or
// CAP_DAC_OVERRIDE, which root has), and the refusal names it and says why.
// A process of walproof's own user that is closed to it all the same (it made
// itself non-dumpable, or holds capabilities walproof lacks, as a VM's or
// container's supervisor can) is named on stderr but does not block: the
// case the check exists for, another user's server, always blocks.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "walproof/io/status.h"

namespace walproof::cli {

struct DirUser {
  int pid = 0;
  std::string command;  // its command line, or [comm] when it has none
  std::string path;     // one file under the directory it holds
  bool mapped = false;  // seen in maps (else an open descriptor)
};

struct UncheckedProcess {
  int pid = 0;
  std::string command;
  uid_t uid = 0;
  std::string why;  // what could not be read, and the error
};

struct DirUsers {
  std::vector<DirUser> users;
  std::vector<UncheckedProcess> unchecked;  // another user's, who could write `writable_dirs`
  // Processes of our own user that could not be inspected all the same (non-
  // dumpable, or holding capabilities we lack): reported, not blocking.
  std::vector<UncheckedProcess> same_user_unchecked;
};

// Every process other than this one that has a file under `root` (or root
// itself) open or mapped; and every process that could not be inspected but
// whose user could write one of `writable_dirs`.
Result<DirUsers> FindDirUsers(const std::string& root, const std::vector<std::string>& writable_dirs);

// Ok when nobody else uses `root`; otherwise Busy, naming each PID, its
// command line and one of its files (or why it could not be checked).
Status RefuseIfDirInUse(const std::string& root, const std::vector<std::string>& writable_dirs);

// Whether a process with these user and group ids (any of them) and
// CAP_DAC_OVERRIDE or not could create files in a directory of this mode and
// owner, by the kernel's rule: the owner bits for the owner, else the group
// bits for a member of the group, else the other bits.
struct DirOwner {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
bool CouldWriteDir(const DirOwner& dir, const std::vector<uid_t>& uids, const std::vector<gid_t>& gids,
                   bool dac_override);

}  // namespace walproof::cli
