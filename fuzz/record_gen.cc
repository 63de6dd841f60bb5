#include "record_gen.h"

#include <algorithm>
#include <type_traits>

namespace walproof::fuzz {
namespace {

// Wrapping addition: generated times may sit at the ends of int64.
int64_t Add(int64_t a, uint64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + b); }

uint64_t Ref(Entropy& e, const GenLimits& lim) {
  return lim.ref_space ? e.InRange(1, lim.ref_space) : e.Uint64();
}

std::vector<HistogramSpan> Spans(Entropy& e, const GenLimits& lim) {
  std::vector<HistogramSpan> s(e.Below(lim.max_buckets / 2 + 1));
  for (auto& x : s) {
    x.offset = static_cast<int32_t>(e.Int64());
    x.length = static_cast<uint32_t>(e.Below(4));
  }
  return s;
}

template <typename H>
void FillHistogram(Entropy& e, const GenLimits& lim, H* h) {
  h->counter_reset_hint = static_cast<uint8_t>(e.Below(4));
  h->schema = static_cast<int32_t>(e.InRange(0, 12)) - 4;
  h->zero_threshold = e.Double();
  h->sum = e.Double();
  h->positive_spans = Spans(e, lim);
  h->negative_spans = Spans(e, lim);
  if constexpr (std::is_same_v<H, Histogram>) {
    h->zero_count = e.Uint64();
    h->count = e.Uint64();
    h->positive_buckets.resize(e.Below(lim.max_buckets + 1));
    h->negative_buckets.resize(e.Below(lim.max_buckets + 1));
    for (auto& b : h->positive_buckets) b = e.Int64();
    for (auto& b : h->negative_buckets) b = e.Int64();
  } else {
    h->zero_count = e.Double();
    h->count = e.Double();
    h->positive_buckets.resize(e.Below(lim.max_buckets + 1));
    h->negative_buckets.resize(e.Below(lim.max_buckets + 1));
    for (auto& b : h->positive_buckets) b = e.Double();
    for (auto& b : h->negative_buckets) b = e.Double();
  }
}

}  // namespace

Labels GenerateLabels(Entropy& e, const GenLimits& lim) {
  Labels ls(e.Below(lim.max_labels + 1));
  for (Label& l : ls) {
    l.name = e.String(lim.max_string);
    l.value = e.String(lim.max_string);
  }
  std::sort(ls.begin(), ls.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  ls.erase(std::unique(ls.begin(), ls.end(), [](const Label& a, const Label& b) { return a.name == b.name; }),
           ls.end());
  return ls;
}

Record GenerateRecordOfType(Entropy& e, const GenLimits& lim, uint8_t type) {
  size_t n = e.Below(lim.max_entries + 1);
  switch (type) {
    case 1: {
      SeriesRecord r;
      r.series.resize(n);
      for (auto& s : r.series) {
        s.ref = Ref(e, lim);
        s.labels = GenerateLabels(e, lim);
      }
      return r;
    }
    case 2: {
      SamplesRecord r;
      r.samples.resize(n);
      int64_t t = e.Int64();
      for (auto& s : r.samples) {
        s.ref = Ref(e, lim);
        s.t = e.OneIn(4) ? e.Int64() : (t = Add(t, e.Below(60000)));
        s.v = e.Double();
      }
      return r;
    }
    case 3: {
      TombstonesRecord r;
      r.tombstones.resize(n);
      for (auto& t : r.tombstones) {
        t.ref = Ref(e, lim);
        t.mint = e.Int64();
        t.maxt = e.OneIn(3) ? e.Int64() : Add(t.mint, e.Below(100000));
      }
      return r;
    }
    case 4: {
      ExemplarsRecord r;
      r.exemplars.resize(n);
      for (auto& x : r.exemplars) {
        x.ref = Ref(e, lim);
        x.t = e.Int64();
        x.v = e.Double();
        x.labels = GenerateLabels(e, lim);
      }
      return r;
    }
    case 5: {
      MmapMarkersRecord r;
      r.markers.resize(n);
      for (auto& m : r.markers) {
        m.ref = Ref(e, lim);
        m.mmap_ref = e.Uint64();
      }
      return r;
    }
    case 6: {
      MetadataRecord r;
      r.metadata.resize(n);
      for (auto& m : r.metadata) {
        m.ref = Ref(e, lim);
        m.type = static_cast<uint8_t>(e.Below(8));
        m.unit = e.String(lim.max_string);
        m.help = e.String(lim.max_string * 2);
      }
      return r;
    }
    case 7:
    case 8: {
      // Integer and float histograms take the same bytes in the same order.
      auto fill = [&](auto r) -> Record {
        r.histograms.resize(n);
        for (auto& h : r.histograms) {
          h.ref = Ref(e, lim);
          h.t = e.Int64();
          FillHistogram(e, lim, &h.h);
        }
        return r;
      };
      return type == 7 ? fill(HistogramsRecord{}) : fill(FloatHistogramsRecord{});
    }
    default:
      return UnknownRecord{type};
  }
}

Record GenerateRecord(Entropy& e, const GenLimits& lim) {
  uint8_t type = static_cast<uint8_t>(e.Below(9) + 1);  // 1..9
  if (type == 9) type = e.OneIn(2) ? static_cast<uint8_t>(9 + e.Below(5)) : static_cast<uint8_t>(e.Byte());
  if (type >= 1 && type <= 8) return GenerateRecordOfType(e, lim, type);
  return UnknownRecord{type};
}

namespace {

// Index of an entry to change, or of a place to insert one.
template <typename V>
size_t Pick(Entropy& e, const V& v) {
  return v.empty() ? 0 : e.Below(v.size());
}

// Structural change of an entry list: drop, duplicate, swap, or grow.
// Returns true when it did something.
template <typename V, typename Make>
bool MutateList(Entropy& e, V* v, Make make) {
  switch (e.Below(6)) {
    case 0:
      if (v->empty()) return false;
      v->erase(v->begin() + static_cast<long>(Pick(e, *v)));
      return true;
    case 1:
      if (v->empty()) return false;
      v->insert(v->begin() + static_cast<long>(Pick(e, *v)), (*v)[Pick(e, *v)]);
      return true;
    case 2:
      if (v->size() < 2) return false;
      std::swap((*v)[Pick(e, *v)], (*v)[Pick(e, *v)]);
      return true;
    case 3:
      v->insert(v->begin() + static_cast<long>(e.Below(v->size() + 1)), make());
      return true;
    default:
      return false;
  }
}

void MutateString(Entropy& e, std::string* s) {
  switch (e.Below(5)) {
    case 0: s->clear(); break;
    case 1: s->push_back(static_cast<char>(e.Byte())); break;
    case 2: if (!s->empty()) (*s)[e.Below(s->size())] = static_cast<char>(e.Byte()); break;
    case 3: s->append(*s); break;
    default: *s = e.String(16); break;
  }
}

void MutateLabels(Entropy& e, Labels* ls) {
  GenLimits lim;
  if (MutateList(e, ls, [&] { return Label{e.String(8), e.String(8)}; })) return;
  if (ls->empty()) {
    *ls = GenerateLabels(e, lim);
    return;
  }
  Label& l = (*ls)[Pick(e, *ls)];
  MutateString(e, e.Bool() ? &l.name : &l.value);
}

void MutateI64(Entropy& e, int64_t* v) {
  switch (e.Below(4)) {
    case 0: *v = Add(*v, 1); break;
    case 1: *v = Add(*v, UINT64_MAX); break;
    case 2: *v = static_cast<int64_t>(static_cast<uint64_t>(*v) ^ (uint64_t{1} << e.Below(64))); break;
    default: *v = e.Int64();
  }
}
void MutateU64(Entropy& e, uint64_t* v) {
  int64_t x = static_cast<int64_t>(*v);
  MutateI64(e, &x);
  *v = static_cast<uint64_t>(x);
}

template <typename H>
void MutateHistogram(Entropy& e, H* h) {
  switch (e.Below(9)) {
    case 0: h->counter_reset_hint = e.Byte(); break;
    case 1: h->schema = static_cast<int32_t>(e.Int64()); break;
    case 2: h->zero_threshold = e.Double(); break;
    case 3: h->sum = e.Double(); break;
    case 4: MutateList(e, &h->positive_spans, [&] { return HistogramSpan{static_cast<int32_t>(e.Int64()), static_cast<uint32_t>(e.Bits(32))}; }); break;
    case 5: MutateList(e, &h->negative_spans, [&] { return HistogramSpan{static_cast<int32_t>(e.Int64()), static_cast<uint32_t>(e.Bits(32))}; }); break;
    case 6:
      if constexpr (std::is_same_v<H, Histogram>) {
        MutateList(e, &h->positive_buckets, [&] { return e.Int64(); });
      } else {
        MutateList(e, &h->positive_buckets, [&] { return e.Double(); });
      }
      break;
    case 7:
      if constexpr (std::is_same_v<H, Histogram>) {
        MutateList(e, &h->negative_buckets, [&] { return e.Int64(); });
      } else {
        MutateList(e, &h->negative_buckets, [&] { return e.Double(); });
      }
      break;
    default:
      if constexpr (std::is_same_v<H, Histogram>) {
        MutateU64(e, e.Bool() ? &h->count : &h->zero_count);
      } else {
        (e.Bool() ? h->count : h->zero_count) = e.Double();
      }
  }
}

}  // namespace

void MutateRecord(Entropy& e, Record* r) {
  GenLimits lim;
  if (e.OneIn(16)) {
    // Another type altogether (or a fresh one of the same type).
    *r = GenerateRecord(e, lim);
    return;
  }
  std::visit(
      [&](auto& rec) {
        using R = std::decay_t<decltype(rec)>;
        if constexpr (std::is_same_v<R, SeriesRecord>) {
          if (MutateList(e, &rec.series, [&] { return RefSeries{e.Uint64(), GenerateLabels(e, lim)}; })) return;
          if (rec.series.empty()) return;
          auto& s = rec.series[Pick(e, rec.series)];
          if (e.Bool()) MutateU64(e, &s.ref); else MutateLabels(e, &s.labels);
        } else if constexpr (std::is_same_v<R, SamplesRecord>) {
          if (MutateList(e, &rec.samples, [&] { return RefSample{e.Uint64(), e.Int64(), e.Double()}; })) return;
          if (rec.samples.empty()) return;
          auto& s = rec.samples[Pick(e, rec.samples)];
          switch (e.Below(3)) {
            case 0: MutateU64(e, &s.ref); break;
            case 1: MutateI64(e, &s.t); break;
            default: s.v = e.Double();
          }
        } else if constexpr (std::is_same_v<R, TombstonesRecord>) {
          if (MutateList(e, &rec.tombstones, [&] { return RefTombstone{e.Uint64(), e.Int64(), e.Int64()}; })) return;
          if (rec.tombstones.empty()) return;
          auto& t = rec.tombstones[Pick(e, rec.tombstones)];
          switch (e.Below(4)) {
            case 0: MutateU64(e, &t.ref); break;
            case 1: MutateI64(e, &t.mint); break;
            case 2: MutateI64(e, &t.maxt); break;
            default: std::swap(t.mint, t.maxt);
          }
        } else if constexpr (std::is_same_v<R, ExemplarsRecord>) {
          if (MutateList(e, &rec.exemplars, [&] { return RefExemplar{e.Uint64(), e.Int64(), e.Double(), GenerateLabels(e, lim)}; })) return;
          if (rec.exemplars.empty()) return;
          auto& x = rec.exemplars[Pick(e, rec.exemplars)];
          switch (e.Below(4)) {
            case 0: MutateU64(e, &x.ref); break;
            case 1: MutateI64(e, &x.t); break;
            case 2: x.v = e.Double(); break;
            default: MutateLabels(e, &x.labels);
          }
        } else if constexpr (std::is_same_v<R, MmapMarkersRecord>) {
          if (MutateList(e, &rec.markers, [&] { return RefMmapMarker{e.Uint64(), e.Uint64()}; })) return;
          if (rec.markers.empty()) return;
          auto& m = rec.markers[Pick(e, rec.markers)];
          MutateU64(e, e.Bool() ? &m.ref : &m.mmap_ref);
        } else if constexpr (std::is_same_v<R, MetadataRecord>) {
          if (MutateList(e, &rec.metadata, [&] { return RefMetadata{e.Uint64(), static_cast<uint8_t>(e.Below(8)), e.String(8), e.String(16)}; })) return;
          if (rec.metadata.empty()) return;
          auto& m = rec.metadata[Pick(e, rec.metadata)];
          switch (e.Below(4)) {
            case 0: MutateU64(e, &m.ref); break;
            case 1: m.type = e.Byte(); break;
            case 2: MutateString(e, &m.unit); break;
            default: MutateString(e, &m.help);
          }
        } else if constexpr (std::is_same_v<R, HistogramsRecord> || std::is_same_v<R, FloatHistogramsRecord>) {
          using Entry = typename decltype(rec.histograms)::value_type;
          if (MutateList(e, &rec.histograms, [&] {
                Entry x;
                x.ref = e.Uint64();
                x.t = e.Int64();
                FillHistogram(e, lim, &x.h);
                return x;
              })) {
            return;
          }
          if (rec.histograms.empty()) return;
          auto& h = rec.histograms[Pick(e, rec.histograms)];
          switch (e.Below(4)) {
            case 0: MutateU64(e, &h.ref); break;
            case 1: MutateI64(e, &h.t); break;
            default: MutateHistogram(e, &h.h);
          }
        } else {
          rec.type = e.Byte();
        }
      },
      *r);
}

}  // namespace walproof::fuzz
