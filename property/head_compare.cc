// Head comparison: see head_compare.h.
#include "head_compare.h"

#include <sstream>

#include "show.h"

namespace walproof::prop {
namespace {

std::string Name(const Head& h, SeriesId id) {
  std::ostringstream os;
  os << "series {";
  const Labels labels = h.labels(id);
  for (size_t i = 0; i < labels.size(); ++i) {
    os << (i ? ", " : "") << Abbrev(labels[i].name) << "=" << Abbrev(labels[i].value);
  }
  os << "} (ref " << h.series_ref(id) << ")";
  return os.str();
}

template <typename T, typename Show>
std::string DiffLists(const std::vector<T>& a, const std::vector<T>& b, const char* what, Show show) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (!(a[i] == b[i])) {
      return std::string(what) + " #" + std::to_string(i) + " differs: " + show(a[i]) + " vs " +
             show(b[i]);
    }
  }
  if (a.size() != b.size()) {
    return std::string(what) + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  }
  return {};
}

std::string DiffSeries(const Head& a, SeriesId x, const Head& b, SeriesId y, bool metadata) {
  if (a.series_ref(x) != b.series_ref(y)) {
    return "created by ref " + std::to_string(a.series_ref(x)) + " vs " +
           std::to_string(b.series_ref(y));
  }
  std::string d = DiffLists(a.FloatSamples(x), b.FloatSamples(y), "float sample",
                            [](const FloatSample& s) { return std::to_string(s.t) + "=" + Bits(s.v); });
  if (!d.empty()) return d;
  const auto ca = a.FloatChunks(x), cb = b.FloatChunks(y);
  if (ca.size() != cb.size()) {
    return "chunks: " + std::to_string(ca.size()) + " vs " + std::to_string(cb.size());
  }
  for (size_t i = 0; i < ca.size(); ++i) {
    if (ca[i].mint() != cb[i].mint() || ca[i].maxt != cb[i].maxt || ca[i].samples() != cb[i].samples() ||
        ca[i].bytes.size() != cb[i].bytes.size()) {
      return "chunk #" + std::to_string(i) + " differs";
    }
  }
  d = DiffLists(a.histograms(x), b.histograms(y), "histogram",
                [](const HistogramPoint& p) { return std::to_string(p.t); });
  if (!d.empty()) return d;
  d = DiffLists(a.float_histograms(x), b.float_histograms(y), "float histogram",
                [](const FloatHistogramPoint& p) { return std::to_string(p.t); });
  if (!d.empty()) return d;
  d = DiffLists(a.tombstones(x), b.tombstones(y), "tombstone", [](const TimeInterval& i) {
    return "[" + std::to_string(i.mint) + "," + std::to_string(i.maxt) + "]";
  });
  if (!d.empty()) return d;
  d = DiffLists(a.exemplars(x), b.exemplars(y), "exemplar",
                [](const Exemplar& e) { return std::to_string(e.t) + "=" + Bits(e.v); });
  if (!d.empty() || !metadata) return d;
  const SeriesMetadata* ma = a.metadata(x);
  const SeriesMetadata* mb = b.metadata(y);
  auto show = [](const SeriesMetadata* m) {
    return m ? "{type " + std::to_string(m->type) + ", unit " + Abbrev(m->unit) + ", help " +
                   Abbrev(m->help) + "}"
             : std::string("none");
  };
  if ((ma == nullptr) != (mb == nullptr) || (ma && !(*ma == *mb))) {
    return "metadata " + show(ma) + " vs " + show(mb);
  }
  return {};
}

}  // namespace

std::string DiffHeads(const Head& a, const Head& b, const DiffOptions& options) {
  const auto& include = options.include;
  std::vector<SeriesId> sa, sb;
  for (SeriesId id : a.SortedSeries()) {
    if (!include || include(a.labels(id))) sa.push_back(id);
  }
  for (SeriesId id : b.SortedSeries()) {
    if (!include || include(b.labels(id))) sb.push_back(id);
  }
  for (size_t i = 0; i < sa.size() && i < sb.size(); ++i) {
    if (a.encoded_labels(sa[i]) != b.encoded_labels(sb[i])) {
      return "series #" + std::to_string(i) + " in label order: " + Name(a, sa[i]) + " vs " +
             Name(b, sb[i]);
    }
    const std::string d = DiffSeries(a, sa[i], b, sb[i], options.metadata);
    if (!d.empty()) return Name(a, sa[i]) + ": " + d;
  }
  if (sa.size() != sb.size()) {
    const Head& more = sa.size() > sb.size() ? a : b;
    const SeriesId extra = sa.size() > sb.size() ? sa[sb.size()] : sb[sa.size()];
    return std::to_string(sa.size()) + " vs " + std::to_string(sb.size()) +
           " series; first extra: " + Name(more, extra);
  }
  return {};
}

std::string DiffRefBindings(const Head& a, const Head& b, const std::vector<uint64_t>& refs) {
  for (uint64_t ref : refs) {
    const SeriesId x = a.Resolve(ref), y = b.Resolve(ref);
    if ((x == kNoSeries) != (y == kNoSeries) ||
        (x != kNoSeries && a.encoded_labels(x) != b.encoded_labels(y))) {
      return "ref " + std::to_string(ref) + " resolves to " +
             (x == kNoSeries ? std::string("nothing") : Name(a, x)) + " vs " +
             (y == kNoSeries ? std::string("nothing") : Name(b, y));
    }
  }
  return {};
}

void ApplyRecord(const Record& record, Head* head) {
  if (auto* r = std::get_if<SeriesRecord>(&record)) {
    for (const RefSeries& s : r->series) head->AddSeries(s.ref, s.labels);
  } else if (auto* r = std::get_if<SamplesRecord>(&record)) {
    for (const RefSample& s : r->samples) head->AppendSample(s);
  } else if (auto* r = std::get_if<HistogramsRecord>(&record)) {
    for (const RefHistogramSample& s : r->histograms) head->AppendHistogram(s);
  } else if (auto* r = std::get_if<FloatHistogramsRecord>(&record)) {
    for (const RefFloatHistogramSample& s : r->histograms) head->AppendFloatHistogram(s);
  } else if (auto* r = std::get_if<TombstonesRecord>(&record)) {
    for (const RefTombstone& t : r->tombstones) head->AddTombstone(t);
  } else if (auto* r = std::get_if<ExemplarsRecord>(&record)) {
    for (const RefExemplar& e : r->exemplars) head->AddExemplar(e);
  } else if (auto* r = std::get_if<MetadataRecord>(&record)) {
    for (const RefMetadata& m : r->metadata) head->SetMetadata(m);
  }
}

std::string DiffCounters(const HeadCounters& a, const HeadCounters& b) {
  std::string out;
#define WALPROOF_DIFF(field)                                                               \
  if (a.field != b.field) {                                                                \
    out += std::string(out.empty() ? "" : ", ") + #field + " " + std::to_string(a.field) + \
           " vs " + std::to_string(b.field);                                               \
  }
  WALPROOF_DIFF(series_created)
  WALPROOF_DIFF(series_aliased)
  WALPROOF_DIFF(series_repeated)
  WALPROOF_DIFF(series_rebound)
  WALPROOF_DIFF(samples_appended)
  WALPROOF_DIFF(samples_too_old)
  WALPROOF_DIFF(samples_unknown_ref)
  WALPROOF_DIFF(samples_out_of_order)
  WALPROOF_DIFF(samples_duplicate)
  WALPROOF_DIFF(histograms_appended)
  WALPROOF_DIFF(histograms_too_old)
  WALPROOF_DIFF(histograms_unknown_ref)
  WALPROOF_DIFF(histograms_out_of_order)
  WALPROOF_DIFF(histograms_duplicate)
  WALPROOF_DIFF(tombstones_added)
  WALPROOF_DIFF(tombstones_too_old)
  WALPROOF_DIFF(tombstones_empty)
  WALPROOF_DIFF(tombstones_unknown_ref)
  WALPROOF_DIFF(exemplars_added)
  WALPROOF_DIFF(exemplars_too_old)
  WALPROOF_DIFF(exemplars_out_of_order)
  WALPROOF_DIFF(exemplars_unknown_ref)
  WALPROOF_DIFF(metadata_set)
  WALPROOF_DIFF(metadata_unknown_ref)
#undef WALPROOF_DIFF
  if (out.empty() && !(a == b)) out = "a counter not listed in DiffCounters differs";
  return out;
}

}  // namespace walproof::prop
