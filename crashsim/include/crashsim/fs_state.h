// FsState: the whole simulated file system at one moment, cheap to copy.
//
// File contents are immutable shared strings and directory tables immutable
// shared maps, so a snapshot per operation costs a few pointers and crash
// images share every byte they do not change. Inodes are never reused or
// dropped: an unlinked file keeps its last contents, because a lost unlink
// (no directory fsync) can bring it back after a crash.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crashsim {

using Bytes = std::shared_ptr<const std::string>;
const Bytes& EmptyBytes();
// The string itself is not const: SimFs appends in place to bytes that
// nothing else holds (see SimFs::AppendTo).
inline Bytes MakeBytes(std::string s) { return std::make_shared<std::string>(std::move(s)); }

// name -> inode; sorted, so that listings are deterministic.
using DirEntries = std::map<std::string, int>;
using EntriesPtr = std::shared_ptr<const DirEntries>;
const EntriesPtr& EmptyEntries();

struct Inode {
  bool is_dir = false;
  Bytes data;          // files
  EntriesPtr entries;  // directories
};

inline constexpr int kRootInode = 0;

struct FsState {
  std::vector<Inode> inodes;  // index = inode number; 0 is the root directory
};

// "a/b/c", "/a//b/./c" -> {"a", "b", "c"}. ".." is not supported (no caller uses it).
std::vector<std::string> SplitPath(std::string_view path);

}  // namespace crashsim
