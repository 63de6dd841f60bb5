#include "crashsim/protocol.h"

namespace crashsim {

const char* ProtocolName(Protocol p) { return p == Protocol::kReference ? "reference" : "prometheus-2.42"; }

walproof::WalWriterOptions WriterOptions(Protocol p, uint64_t segment_size, walproof::Compression c) {
  walproof::WalWriterOptions o;
  o.segment_size = segment_size;
  o.compression = c;
  o.sync_dir_on_new_segment = p == Protocol::kReference;
  return o;
}

}  // namespace crashsim
