// Typed records made from entropy, and field-level mutation of a decoded
// record. Used by the roundtrip and replay targets to choose what to write,
// and by the custom mutator to change a record's fields (then re-encode it,
// so that the bytes stay well-formed and the fuzzer reaches past the decoder
// into whatever consumes the record).
#pragma once

#include "entropy.h"
#include "walproof/record.h"

namespace walproof::fuzz {

struct GenLimits {
  size_t max_entries = 8;   // per record
  size_t max_labels = 4;
  size_t max_string = 12;
  size_t max_buckets = 6;
  uint64_t ref_space = 0;   // 0: any ref; else refs drawn from [1, ref_space]
};

// A record of any type the reference knows, or now and then an unknown one.
Record GenerateRecord(Entropy& e, const GenLimits& lim);
// One of each decoded type, by type byte 1..8 (anything else: unknown).
Record GenerateRecordOfType(Entropy& e, const GenLimits& lim, uint8_t type);
// Labels sorted by name, names distinct (as Prometheus keeps them).
Labels GenerateLabels(Entropy& e, const GenLimits& lim);

// Changes one thing in `r`: a field value, an entry added, dropped or
// duplicated, a string, a count; sometimes the record becomes another type.
void MutateRecord(Entropy& e, Record* r);

}  // namespace walproof::fuzz
