// FsOp: one recorded call of the simulated file system, with enough detail
// to rebuild any crash state from the log: which inode, which directory
// entry, which bytes at which offset (the bytes themselves are in the state
// snapshot after the op), and what the workload was doing at the time.
#pragma once

#include <cstdint>
#include <string>

namespace crashsim {

enum class OpKind : uint8_t {
  kAppend,    // inode: file; bytes [offset, offset+length) written (at the end: an append)
  kTruncate,  // inode: file; offset = new size (Create of an existing file too)
  kSync,      // inode: file; its data is durable from here
  kLink,      // inode: directory; name -> target (a new file or directory)
  kUnlink,    // inode: directory; name (was target) removed
  kRename,    // inode: source dir, name -> dest_dir, name2; target moved
  kSyncDir,   // inode: directory; its entries are durable from here
};

// An I/O error injected into one call (fault class 5).
enum class IoFault : uint8_t { kNone, kNoSpace, kIoError, kShortWrite };

const char* OpKindName(OpKind kind);
const char* IoFaultName(IoFault fault);

struct FsOp {
  OpKind kind = OpKind::kAppend;
  // A failed call is logged for the record but changed nothing, except a
  // short write, which appended `length` bytes before failing.
  bool failed = false;
  IoFault fault = IoFault::kNone;
  uint16_t phase = 0;  // workload phase (see workload.h) the op was made in
  int inode = -1;
  int target = -1;
  int dest_dir = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string name;
  std::string name2;
  std::string path;  // for people: the path operated on
};

inline bool IsDirOp(OpKind k) { return k == OpKind::kLink || k == OpKind::kUnlink || k == OpKind::kRename; }
inline bool IsDataOp(OpKind k) { return k == OpKind::kAppend || k == OpKind::kTruncate; }

}  // namespace crashsim
