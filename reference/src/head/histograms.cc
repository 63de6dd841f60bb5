// Integer and float histogram samples: admitted like floats (they share the
// series' last time, as upstream's head chunk does) and kept as decoded.
#include <utility>

#include "head/ref_index.h"
#include "head/series.h"
#include "walproof/head/head.h"

namespace walproof {

AppendOutcome Head::AppendHistogramTo(SeriesId id, int64_t t, Histogram&& h) {
  Series& s = at(id);
  const AppendOutcome outcome = s.Admit(t);
  if (outcome == AppendOutcome::kAppended) {
    s.hist().ints.push_back({t, std::move(h)});
    s.histograms->last_t = t;
  }
  return outcome;
}

AppendOutcome Head::AppendFloatHistogramTo(SeriesId id, int64_t t, FloatHistogram&& h) {
  Series& s = at(id);
  const AppendOutcome outcome = s.Admit(t);
  if (outcome == AppendOutcome::kAppended) {
    s.hist().floats.push_back({t, std::move(h)});
    s.histograms->last_t = t;
  }
  return outcome;
}

// The checks both histogram kinds share, in upstream's order (too old, then
// unknown ref); `append(id)` stores a copy of the sample.
template <typename Sample, typename Append>
void Head::AdmitHistogram(const Sample& s, Append append) {
  if (s.t < options_.min_valid_time) {
    ++counters_.histograms_too_old;
    return;
  }
  const SeriesId id = refs_->Find(s.ref);  // inline, unlike Resolve
  if (id == kNoSeries) {
    ++counters_.histograms_unknown_ref;
    return;
  }
  CountHistogramOutcome(append(id), &counters_);
}

void Head::AppendHistogram(const RefHistogramSample& s) {
  AdmitHistogram(s, [&](SeriesId id) { return AppendHistogramTo(id, s.t, Histogram(s.h)); });
}

void Head::AppendFloatHistogram(const RefFloatHistogramSample& s) {
  AdmitHistogram(s, [&](SeriesId id) { return AppendFloatHistogramTo(id, s.t, FloatHistogram(s.h)); });
}

const std::vector<HistogramPoint>& Head::histograms(SeriesId id) const {
  const Series& s = at(id);
  return s.histograms ? s.histograms->ints : EmptyVector<HistogramPoint>();
}

const std::vector<FloatHistogramPoint>& Head::float_histograms(SeriesId id) const {
  const Series& s = at(id);
  return s.histograms ? s.histograms->floats : EmptyVector<FloatHistogramPoint>();
}

}  // namespace walproof
