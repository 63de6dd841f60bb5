// Metadata: the latest record per series wins.
#include "head/series.h"
#include "walproof/head/head.h"

namespace walproof {

void Head::SetMetadata(const RefMetadata& m) {
  const SeriesId id = Resolve(m.ref);
  if (id == kNoSeries) {
    ++counters_.metadata_unknown_ref;
    return;
  }
  at(id).extra().metadata = SeriesMetadata{m.type, m.unit, m.help};
  ++counters_.metadata_set;
}

const SeriesMetadata* Head::metadata(SeriesId id) const {
  const Series& s = at(id);
  return s.extras && s.extras->metadata ? &*s.extras->metadata : nullptr;
}

}  // namespace walproof
