// Tombstones: deleted intervals per series, merged as upstream's
// Intervals.Add. They hide samples from queries; the samples stay.
#include <algorithm>

#include "head/series.h"
#include "walproof/head/head.h"

namespace walproof {
namespace {

// Closed integer intervals that overlap or touch (a.maxt + 1 == b.mint),
// computed without overflow at the ends of int64.
bool AtMostOneAbove(int64_t x, int64_t y) { return x <= y || x - 1 <= y; }  // x <= y + 1
bool Touch(const TimeInterval& a, const TimeInterval& b) {
  return AtMostOneAbove(b.mint, a.maxt) && AtMostOneAbove(a.mint, b.maxt);
}

}  // namespace

void Head::AddTombstone(const RefTombstone& t) {
  if (t.maxt < options_.min_valid_time) {
    ++counters_.tombstones_too_old;
    return;
  }
  const SeriesId id = Resolve(t.ref);
  if (id == kNoSeries) {
    ++counters_.tombstones_unknown_ref;
    return;
  }
  if (t.mint > t.maxt) {
    ++counters_.tombstones_empty;
    return;
  }
  // Keep the intervals sorted, disjoint and not touching: fold every
  // interval the new one meets into it.
  std::vector<TimeInterval>& list = at(id).extra().tombstones;
  TimeInterval merged{t.mint, t.maxt};
  size_t kept = 0;
  for (const TimeInterval& iv : list) {
    if (Touch(iv, merged)) {
      merged.mint = std::min(merged.mint, iv.mint);
      merged.maxt = std::max(merged.maxt, iv.maxt);
    } else {
      list[kept++] = iv;
    }
  }
  list.resize(kept);
  auto pos = std::lower_bound(list.begin(), list.end(), merged,
                              [](const TimeInterval& a, const TimeInterval& b) { return a.mint < b.mint; });
  list.insert(pos, merged);
  ++counters_.tombstones_added;
}

const std::vector<TimeInterval>& Head::tombstones(SeriesId id) const {
  const Series& s = at(id);
  return s.extras ? s.extras->tombstones : EmptyVector<TimeInterval>();
}

bool Head::IsDeleted(SeriesId id, int64_t t) const {
  for (const TimeInterval& iv : tombstones(id)) {
    if (iv.mint <= t && t <= iv.maxt) return true;
  }
  return false;
}

}  // namespace walproof
