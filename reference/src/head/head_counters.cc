// What replay did with every entry, added up across threads.
#include "walproof/head/head_counters.h"

namespace walproof {

HeadCounters& HeadCounters::operator+=(const HeadCounters& o) {
  series_created += o.series_created;
  series_aliased += o.series_aliased;
  series_repeated += o.series_repeated;
  series_rebound += o.series_rebound;
  samples_appended += o.samples_appended;
  samples_too_old += o.samples_too_old;
  samples_unknown_ref += o.samples_unknown_ref;
  samples_out_of_order += o.samples_out_of_order;
  samples_duplicate += o.samples_duplicate;
  histograms_appended += o.histograms_appended;
  histograms_too_old += o.histograms_too_old;
  histograms_unknown_ref += o.histograms_unknown_ref;
  histograms_out_of_order += o.histograms_out_of_order;
  histograms_duplicate += o.histograms_duplicate;
  tombstones_added += o.tombstones_added;
  tombstones_too_old += o.tombstones_too_old;
  tombstones_empty += o.tombstones_empty;
  tombstones_unknown_ref += o.tombstones_unknown_ref;
  exemplars_added += o.exemplars_added;
  exemplars_too_old += o.exemplars_too_old;
  exemplars_out_of_order += o.exemplars_out_of_order;
  exemplars_unknown_ref += o.exemplars_unknown_ref;
  metadata_set += o.metadata_set;
  metadata_unknown_ref += o.metadata_unknown_ref;
  return *this;
}

}  // namespace walproof
