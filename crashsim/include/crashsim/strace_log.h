// StraceLog: the output of `strace -f -y -e write=all` read back as a list of
// completed system calls, in the order they returned.
//
// With -f, a call another thread interrupts is printed in two halves
// ("<unfinished ...>" and "<... name resumed>"); they are joined here, and
// the call takes its place in the list when it returns: that is the moment
// its effect is visible to every other thread. -y decorates every file
// descriptor with the path it refers to (`3</data/wal/00000000>`, also
// `AT_FDCWD</cwd>`), so relative paths need no cwd tracking for *at calls.
// -e write=all follows each write-like call with a hex dump of the bytes it
// actually wrote (` | 00000  68 65 ...`): the exact bytes, whatever -s says.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/status.h"

namespace crashsim {

struct Syscall {
  size_t line = 0;  // 1-based line of the strace output where it returned
  int pid = 0;
  std::string name;
  std::vector<std::string> args;  // top-level arguments, as printed
  int64_t ret = 0;                // -1 on error
  std::string ret_path;           // -y decoration of a returned fd
  std::string error;              // "ENOSPC" etc. when ret is -1
  bool injected = false;          // strace --inject made it fail
  std::string data;               // bytes written (write, writev, pwrite*)
};

// A process event: clone/fork children, exec, exit. Kept as Syscall entries
// too (clone's ret is the child's id), so that order is preserved.

class StraceLog {
 public:
  // Parses the whole output. Lines it cannot read fail with their number.
  static walproof::Result<StraceLog> Parse(std::string_view text);
  const std::vector<Syscall>& calls() const { return calls_; }
  int first_pid() const { return first_pid_; }

 private:
  std::vector<Syscall> calls_;
  int first_pid_ = 0;
};

// Argument helpers. A decorated fd: "3</a/b>" -> fd 3, path "/a/b";
// "AT_FDCWD</cwd>" -> fd kAtFdCwd. False when `arg` is not an fd.
inline constexpr int kAtFdCwd = -100;
bool ParseFdArg(std::string_view arg, int* fd, std::string* path);
// A quoted C string as strace prints it ("a\"b\x01\0"), unescaped. False
// when it is not a complete quoted string (strace cut it: "..." after it).
bool ParseQuoted(std::string_view arg, std::string* out);
bool ParseInt(std::string_view arg, int64_t* out);
// "O_WRONLY|O_CREAT" contains "O_CREAT".
bool HasFlag(std::string_view flags, std::string_view flag);

}  // namespace crashsim
