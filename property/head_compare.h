// Structural comparison of two heads: series by label set, and for each its
// creating ref, float samples (bitwise), chunk layout, histograms, tombstones,
// exemplars and metadata; and of counters field by field. A digest would say
// only "different"; this says where, which is what a shrunk counterexample
// needs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "walproof/head/head.h"

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
// Where each of `refs` points once replay is done: both heads must resolve it
// to the same label set, or both to none. Series contents cannot show this
// for a ref no later record uses (an alias, a rebinding), yet the next WAL
// record to use it would land in different series.
std::string DiffRefBindings(const Head& a, const Head& b, const std::vector<uint64_t>& refs);

// Applies one record to a head through its entry-by-entry API, with no WAL
// in between: what a record means, for models to compare replay against.
void ApplyRecord(const Record& record, Head* head);

}  // namespace walproof::prop
