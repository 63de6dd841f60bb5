// MutateRecord: see gen/records.h. Used by the fuzz targets' custom mutator
// (fuzz/wal_mutator.cc), so a record's fields are changed and re-encoded
// rather than its bytes; the mutator draws from its own seeded source, so
// this draw order is free to change.
#include <algorithm>
#include <type_traits>

#include "gen/records.h"

namespace walproof::gen {
namespace {

int64_t Add(int64_t a, uint64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + b); }

// A fresh histogram of the same kind as `like`.
Histogram FillLike(Choices& c, const Limits& lim, const Histogram&) { return AnyHistogram(c, lim); }
FloatHistogram FillLike(Choices& c, const Limits& lim, const FloatHistogram&) { return AnyFloatHistogram(c, lim); }

}  // namespace

namespace {

// Index of an entry to change, or of a place to insert one.
template <typename V>
size_t At(Choices& c, const V& v) {
  return v.empty() ? 0 : c.Below(v.size());
}

// Structural change of an entry list: drop, duplicate, swap, or grow.
// Returns true when it did something.
template <typename V, typename Make>
bool MutateList(Choices& c, V* v, Make make) {
  switch (c.Below(6)) {
    case 0:
      if (v->empty()) return false;
      v->erase(v->begin() + static_cast<long>(At(c, *v)));
      return true;
    case 1:
      if (v->empty()) return false;
      v->insert(v->begin() + static_cast<long>(At(c, *v)), (*v)[At(c, *v)]);
      return true;
    case 2:
      if (v->size() < 2) return false;
      std::swap((*v)[At(c, *v)], (*v)[At(c, *v)]);
      return true;
    case 3:
      v->insert(v->begin() + static_cast<long>(c.Below(v->size() + 1)), make());
      return true;
    default:
      return false;
  }
}

void MutateString(Choices& c, std::string* s) {
  switch (c.Below(5)) {
    case 0: s->clear(); break;
    case 1: s->push_back(static_cast<char>(c.Byte())); break;
    case 2: if (!s->empty()) (*s)[c.Below(s->size())] = static_cast<char>(c.Byte()); break;
    case 3: s->append(*s); break;
    default: *s = c.String(16); break;
  }
}

void MutateLabels(Choices& c, Labels* ls) {
  const Limits lim;
  if (MutateList(c, ls, [&] { return Label{c.String(8), c.String(8)}; })) return;
  if (ls->empty()) {
    *ls = AnyLabels(c, lim);
    return;
  }
  Label& l = (*ls)[At(c, *ls)];
  MutateString(c, c.Bool() ? &l.name : &l.value);
}

void MutateI64(Choices& c, int64_t* v) {
  switch (c.Below(4)) {
    case 0: *v = Add(*v, 1); break;
    case 1: *v = Add(*v, UINT64_MAX); break;
    case 2: *v = static_cast<int64_t>(static_cast<uint64_t>(*v) ^ (uint64_t{1} << c.Below(64))); break;
    default: *v = c.Int64();
  }
}
void MutateU64(Choices& c, uint64_t* v) {
  int64_t x = static_cast<int64_t>(*v);
  MutateI64(c, &x);
  *v = static_cast<uint64_t>(x);
}

template <typename H>
void MutateHistogram(Choices& c, H* h) {
  switch (c.Below(9)) {
    case 0: h->counter_reset_hint = c.Byte(); break;
    case 1: h->schema = static_cast<int32_t>(c.Int64()); break;
    case 2: h->zero_threshold = c.Double(); break;
    case 3: h->sum = c.Double(); break;
    case 4: MutateList(c, &h->positive_spans, [&] { return HistogramSpan{static_cast<int32_t>(c.Int64()), static_cast<uint32_t>(c.Bits(32))}; }); break;
    case 5: MutateList(c, &h->negative_spans, [&] { return HistogramSpan{static_cast<int32_t>(c.Int64()), static_cast<uint32_t>(c.Bits(32))}; }); break;
    case 6:
      if constexpr (std::is_same_v<H, Histogram>) {
        MutateList(c, &h->positive_buckets, [&] { return c.Int64(); });
      } else {
        MutateList(c, &h->positive_buckets, [&] { return c.Double(); });
      }
      break;
    case 7:
      if constexpr (std::is_same_v<H, Histogram>) {
        MutateList(c, &h->negative_buckets, [&] { return c.Int64(); });
      } else {
        MutateList(c, &h->negative_buckets, [&] { return c.Double(); });
      }
      break;
    default:
      if constexpr (std::is_same_v<H, Histogram>) {
        MutateU64(c, c.Bool() ? &h->count : &h->zero_count);
      } else {
        (c.Bool() ? h->count : h->zero_count) = c.Double();
      }
  }
}

}  // namespace

void MutateRecord(Choices& c, Record* r) {
  const Limits lim;
  if (c.OneIn(16)) {
    // Another type altogether (or a fresh one of the same type).
    *r = AnyRecord(c, lim);
    return;
  }
  std::visit(
      [&](auto& rec) {
        using R = std::decay_t<decltype(rec)>;
        if constexpr (std::is_same_v<R, SeriesRecord>) {
          if (MutateList(c, &rec.series, [&] { return RefSeries{c.Uint64(), AnyLabels(c, lim)}; })) return;
          if (rec.series.empty()) return;
          auto& s = rec.series[At(c, rec.series)];
          if (c.Bool()) MutateU64(c, &s.ref); else MutateLabels(c, &s.labels);
        } else if constexpr (std::is_same_v<R, SamplesRecord>) {
          if (MutateList(c, &rec.samples, [&] { return RefSample{c.Uint64(), c.Int64(), c.Double()}; })) return;
          if (rec.samples.empty()) return;
          auto& s = rec.samples[At(c, rec.samples)];
          switch (c.Below(3)) {
            case 0: MutateU64(c, &s.ref); break;
            case 1: MutateI64(c, &s.t); break;
            default: s.v = c.Double();
          }
        } else if constexpr (std::is_same_v<R, TombstonesRecord>) {
          if (MutateList(c, &rec.tombstones, [&] { return RefTombstone{c.Uint64(), c.Int64(), c.Int64()}; })) return;
          if (rec.tombstones.empty()) return;
          auto& t = rec.tombstones[At(c, rec.tombstones)];
          switch (c.Below(4)) {
            case 0: MutateU64(c, &t.ref); break;
            case 1: MutateI64(c, &t.mint); break;
            case 2: MutateI64(c, &t.maxt); break;
            default: std::swap(t.mint, t.maxt);
          }
        } else if constexpr (std::is_same_v<R, ExemplarsRecord>) {
          if (MutateList(c, &rec.exemplars, [&] { return RefExemplar{c.Uint64(), c.Int64(), c.Double(), AnyLabels(c, lim)}; })) return;
          if (rec.exemplars.empty()) return;
          auto& x = rec.exemplars[At(c, rec.exemplars)];
          switch (c.Below(4)) {
            case 0: MutateU64(c, &x.ref); break;
            case 1: MutateI64(c, &x.t); break;
            case 2: x.v = c.Double(); break;
            default: MutateLabels(c, &x.labels);
          }
        } else if constexpr (std::is_same_v<R, MmapMarkersRecord>) {
          if (MutateList(c, &rec.markers, [&] { return RefMmapMarker{c.Uint64(), c.Uint64()}; })) return;
          if (rec.markers.empty()) return;
          auto& m = rec.markers[At(c, rec.markers)];
          MutateU64(c, c.Bool() ? &m.ref : &m.mmap_ref);
        } else if constexpr (std::is_same_v<R, MetadataRecord>) {
          if (MutateList(c, &rec.metadata, [&] { return RefMetadata{c.Uint64(), static_cast<uint8_t>(c.Below(8)), c.String(8), c.String(16)}; })) return;
          if (rec.metadata.empty()) return;
          auto& m = rec.metadata[At(c, rec.metadata)];
          switch (c.Below(4)) {
            case 0: MutateU64(c, &m.ref); break;
            case 1: m.type = c.Byte(); break;
            case 2: MutateString(c, &m.unit); break;
            default: MutateString(c, &m.help);
          }
        } else if constexpr (std::is_same_v<R, HistogramsRecord> || std::is_same_v<R, FloatHistogramsRecord>) {
          using Entry = typename decltype(rec.histograms)::value_type;
          if (MutateList(c, &rec.histograms, [&] {
                Entry x;
                x.ref = c.Uint64();
                x.t = c.Int64();
                x.h = FillLike(c, lim, x.h);
                return x;
              })) {
            return;
          }
          if (rec.histograms.empty()) return;
          auto& h = rec.histograms[At(c, rec.histograms)];
          switch (c.Below(4)) {
            case 0: MutateU64(c, &h.ref); break;
            case 1: MutateI64(c, &h.t); break;
            default: MutateHistogram(c, &h.h);
          }
        } else {
          rec.type = c.Byte();
        }
      },
      *r);
}

}  // namespace walproof::gen
