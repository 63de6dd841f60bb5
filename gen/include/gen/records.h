// Records of every type the codec knows, drawn from Choices, for the fuzz
// targets, the property tests and anything else that needs WAL content.
// A new record type or field goes in here (records.cc, and mutate.cc for its
// mutations) and every harness sees it.
//
// Corners beyond what the fuzz targets ask for (huge label sets, long and
// multi-byte strings, Samples records of several pages) are switched on by
// Limits fields that are off by default; while off they draw nothing, so the
// bytes of a fuzz input keep meaning the same records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gen/choices.h"
#include "walproof/format/record.h"

namespace walproof::gen {

// Prometheus' stale marker: a NaN whose payload must survive bit for bit.
inline constexpr uint64_t kStaleMarkerBits = 0x7ff0000000000002ull;

struct Limits {
  size_t max_entries = 8;   // per record
  size_t max_labels = 4;
  size_t max_string = 12;
  size_t max_buckets = 6;
  uint64_t ref_space = 0;   // 0: any ref; else refs drawn from [1, ref_space]
  // Off (0 / false) unless asked for; see above.
  size_t many_labels = 0;   // sometimes a label set of up to this many labels
  size_t long_string = 0;   // sometimes a label value or help text up to this long
  bool unicode = false;     // sometimes multi-byte UTF-8 strings
  size_t bulk_samples = 0;  // sometimes a Samples record of up to this many samples

  // The property tests' shape: bigger records and every corner above.
  static Limits Wide() {
    Limits l;
    l.max_entries = 30;
    l.max_labels = 6;
    l.max_string = 24;
    l.max_buckets = 12;
    l.many_labels = 150;
    l.long_string = 70000;
    l.unicode = true;
    l.bulk_samples = 12000;
    return l;
  }
};

// A record of any type the reference knows, or now and then an unknown one.
Record AnyRecord(Choices& c, const Limits& lim);
// One of each decoded type, by type byte 1..8 (anything else: unknown).
Record RecordOfType(Choices& c, const Limits& lim, uint8_t type);
// Labels sorted by name, names distinct (as Prometheus keeps them). Without
// `allow_long`, no string is longer than lim.max_string.
Labels AnyLabels(Choices& c, const Limits& lim, bool allow_long = true);
// A label name or value, a unit or a help text.
std::string LabelString(Choices& c, const Limits& lim, bool allow_long);
uint64_t AnyRef(Choices& c, const Limits& lim);
Histogram AnyHistogram(Choices& c, const Limits& lim);
FloatHistogram AnyFloatHistogram(Choices& c, const Limits& lim);

// Changes one thing in `r`: a field value, an entry added, dropped or
// duplicated, a string, a count; sometimes the record becomes another type.
void MutateRecord(Choices& c, Record* r);

// Bytes of a given kind and length: 0 zeros, 1 a short repeated motif,
// 2 incompressible noise, 3 ASCII text. Deterministic in (kind, len, seed):
// large payloads are drawn as three choices, not one per byte.
std::string ExpandBytes(int kind, size_t len, uint64_t seed);
// Such bytes, of min_len to max_len bytes.
std::string Blob(Choices& c, size_t min_len, size_t max_len);

}  // namespace walproof::gen
