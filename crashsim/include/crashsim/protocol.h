// Protocol: which durability protocol the code under test follows. The
// reference's own (kReference), or what Prometheus 2.42 does (no directory
// fsync when a segment is created, its checkpoint and repair order), which
// crashsim runs to show what upstream's choices cost.
#pragma once

#include <string>

#include "walproof/wal/wal_writer.h"

namespace crashsim {

enum class Protocol { kReference, kPrometheus242 };

const char* ProtocolName(Protocol p);
// Writer options for a protocol, with the given segment size and compression.
walproof::WalWriterOptions WriterOptions(Protocol p, uint64_t segment_size, walproof::Compression c);

}  // namespace crashsim
