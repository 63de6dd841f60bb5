// Exemplars: per series, in time order; one not newer than the last is
// dropped, as upstream's out-of-order and duplicate exemplar errors do.
#include "head/series.h"
#include "walproof/head/head.h"

namespace walproof {

void Head::AddExemplar(const RefExemplar& e) {
  if (e.t < options_.min_valid_time) {
    ++counters_.exemplars_too_old;
    return;
  }
  const SeriesId id = Resolve(e.ref);
  if (id == kNoSeries) {
    ++counters_.exemplars_unknown_ref;
    return;
  }
  std::vector<Exemplar>& list = at(id).extra().exemplars;
  if (!list.empty() && e.t <= list.back().t) {
    ++counters_.exemplars_out_of_order;
    return;
  }
  list.push_back({e.t, e.v, e.labels});
  ++counters_.exemplars_added;
}

const std::vector<Exemplar>& Head::exemplars(SeriesId id) const {
  const Series& s = at(id);
  return s.extras ? s.extras->exemplars : EmptyVector<Exemplar>();
}

}  // namespace walproof
