// Structural comparison of two heads: series by label set, and for each its
// creating ref, float samples (bitwise), chunk layout, histograms, tombstones,
// exemplars and metadata; and of counters field by field. A digest would say
// only "different"; this says where, which is what a shrunk counterexample
// needs.
#pragma once

#include <functional>
#include <string>

#include "walproof/head.h"

namespace walproof::prop {

struct DiffOptions {
  // Only series whose labels this accepts are compared (both heads must
  // agree on which of those exist). Null: all.
  std::function<bool(const Labels&)> include;
  bool metadata = true;
};

// Empty when equal, else the first difference found, in words.
std::string DiffHeads(const Head& a, const Head& b, const DiffOptions& options = {});
std::string DiffCounters(const HeadCounters& a, const HeadCounters& b);

// Applies one record to a head through its entry-by-entry API, with no WAL
// in between: what a record means, for models to compare replay against.
void ApplyRecord(const Record& record, Head* head);

}  // namespace walproof::prop
