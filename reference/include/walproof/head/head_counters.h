// HeadCounters: what replay did with every entry (appended, dropped and
// why). Sequential and parallel replay must end with equal counters, which is
// how the tests compare them; included by head.h.
#pragma once

#include <cstdint>

namespace walproof {

// What replay did with every entry. Parallel and sequential replay must
// produce equal counters.
struct HeadCounters {
  uint64_t series_created = 0;
  uint64_t series_aliased = 0;    // a new ref bound to an existing label set
  uint64_t series_repeated = 0;   // the same ref and labels again: nothing to do
  uint64_t series_rebound = 0;    // a bound ref moved to another series

  uint64_t samples_appended = 0;
  uint64_t samples_too_old = 0;
  uint64_t samples_unknown_ref = 0;
  uint64_t samples_out_of_order = 0;
  uint64_t samples_duplicate = 0;

  // Integer and float histograms together.
  uint64_t histograms_appended = 0;
  uint64_t histograms_too_old = 0;
  uint64_t histograms_unknown_ref = 0;
  uint64_t histograms_out_of_order = 0;
  uint64_t histograms_duplicate = 0;

  uint64_t tombstones_added = 0;  // intervals
  uint64_t tombstones_too_old = 0;
  uint64_t tombstones_empty = 0;
  uint64_t tombstones_unknown_ref = 0;

  uint64_t exemplars_added = 0;
  uint64_t exemplars_too_old = 0;
  uint64_t exemplars_out_of_order = 0;  // duplicates included
  uint64_t exemplars_unknown_ref = 0;

  uint64_t metadata_set = 0;
  uint64_t metadata_unknown_ref = 0;

  HeadCounters& operator+=(const HeadCounters& o);
  bool operator==(const HeadCounters&) const = default;
};

enum class AppendOutcome : uint8_t { kAppended, kOutOfOrder, kDuplicate };

// Adds one outcome to the float (or histogram) counters. Inline: the
// appenders count every sample through them.
inline void CountFloatOutcome(AppendOutcome outcome, HeadCounters* c) {
  switch (outcome) {
    case AppendOutcome::kAppended: ++c->samples_appended; break;
    case AppendOutcome::kOutOfOrder: ++c->samples_out_of_order; break;
    case AppendOutcome::kDuplicate: ++c->samples_duplicate; break;
  }
}

inline void CountHistogramOutcome(AppendOutcome outcome, HeadCounters* c) {
  switch (outcome) {
    case AppendOutcome::kAppended: ++c->histograms_appended; break;
    case AppendOutcome::kOutOfOrder: ++c->histograms_out_of_order; break;
    case AppendOutcome::kDuplicate: ++c->histograms_duplicate; break;
  }
}

}  // namespace walproof
