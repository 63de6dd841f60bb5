// PosixFs: the Fs of a real machine, on POSIX system calls.
#pragma once

#include "walproof/io/fs.h"

namespace walproof {

// The process-wide POSIX file system. Stateless, so one instance serves all.
Fs& PosixFs();

}  // namespace walproof
