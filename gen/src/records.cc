// Records from Choices: see gen/records.h. The draw order of every function
// here is what a fuzz input's bytes mean: with the default Limits, change it
// only together with the fuzz corpus (fuzz/README.md).
#include "gen/records.h"

#include <algorithm>
#include <bit>
#include <type_traits>

namespace walproof::gen {
namespace {

// Wrapping addition: generated times may sit at the ends of int64.
int64_t Add(int64_t a, uint64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + b); }

// SplitMix64: the expansion of (kind, len, seed) into bytes and samples.
uint64_t Mix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Up to 12 code points of every UTF-8 length (surrogates are not scalar
// values, so never drawn).
std::string Unicode(Choices& c) {
  std::string s;
  for (uint64_t i = 0, n = c.Below(13); i < n; ++i) {
    switch (c.Pick({2, 2, 2, 1, 2})) {
      case 0: AppendUtf8(static_cast<char32_t>(c.Below(0x80)), &s); break;
      case 1: AppendUtf8(static_cast<char32_t>(c.InRange(0x80, 0x7ff)), &s); break;
      case 2: AppendUtf8(static_cast<char32_t>(c.InRange(0x800, 0xd7ff)), &s); break;
      case 3: AppendUtf8(static_cast<char32_t>(c.InRange(0xe000, 0xffff)), &s); break;
      default: AppendUtf8(static_cast<char32_t>(c.InRange(0x10000, 0x10ffff)), &s); break;
    }
  }
  return s;
}

// A string of up to `max_len` bytes, or one of the corners `lim` asks for.
std::string Str(Choices& c, const Limits& lim, size_t max_len, bool allow_long) {
  if (lim.unicode || lim.long_string) {
    switch (c.Pick({64, lim.unicode ? 16u : 0u, allow_long && lim.long_string ? 1u : 0u})) {
      case 1: return Unicode(c);
      case 2: return Blob(c, 0, lim.long_string);
      default: break;
    }
  }
  return c.String(max_len);
}

std::vector<HistogramSpan> Spans(Choices& c, const Limits& lim) {
  std::vector<HistogramSpan> s(c.Below(lim.max_buckets / 2 + 1));
  for (auto& x : s) {
    x.offset = static_cast<int32_t>(c.Int64());
    x.length = static_cast<uint32_t>(c.Below(4));
  }
  return s;
}

// Integer and float histograms take the same choices in the same order.
template <typename H>
void FillHistogram(Choices& c, const Limits& lim, H* h) {
  h->counter_reset_hint = static_cast<uint8_t>(c.Below(4));
  h->schema = static_cast<int32_t>(c.InRange(0, 12)) - 4;
  h->zero_threshold = c.Double();
  h->sum = c.Double();
  h->positive_spans = Spans(c, lim);
  h->negative_spans = Spans(c, lim);
  if constexpr (std::is_same_v<H, Histogram>) {
    h->zero_count = c.Uint64();
    h->count = c.Uint64();
    h->positive_buckets.resize(c.Below(lim.max_buckets + 1));
    h->negative_buckets.resize(c.Below(lim.max_buckets + 1));
    for (auto& b : h->positive_buckets) b = c.Int64();
    for (auto& b : h->negative_buckets) b = c.Int64();
  } else {
    h->zero_count = c.Double();
    h->count = c.Double();
    h->positive_buckets.resize(c.Below(lim.max_buckets + 1));
    h->negative_buckets.resize(c.Below(lim.max_buckets + 1));
    for (auto& b : h->positive_buckets) b = c.Double();
    for (auto& b : h->negative_buckets) b = c.Double();
  }
}

// The value of one sample of a bulk Samples record: ordinary numbers with
// the bit patterns that matter mixed in.
double BulkValue(uint64_t& state) {
  const uint64_t r = Mix(state);
  switch (r % 8) {
    case 0: return std::bit_cast<double>(kStaleMarkerBits);
    case 1: return std::bit_cast<double>(Mix(state));
    case 2: return -0.0;
    default: return static_cast<double>(static_cast<int64_t>(r >> 40)) / 7.0;
  }
}

// A Samples record of up to several pages in four choices: samples over a
// few refs with increasing times, expanded from a seed.
SamplesRecord BulkSamples(Choices& c, const Limits& lim) {
  const size_t n = c.Below(lim.bulk_samples + 1);
  uint64_t state = c.Bits(64);
  const uint64_t base_ref = AnyRef(c, lim);
  const int64_t base_t = c.Int64();
  const uint64_t refs = 1 + Mix(state) % 200;
  SamplesRecord r;
  r.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.samples[i].ref = base_ref + Mix(state) % refs;
    // Times wrap around int64 the way the codec's deltas do.
    r.samples[i].t = Add(base_t, i * 15000 + Mix(state) % 1000);
    r.samples[i].v = BulkValue(state);
  }
  return r;
}

}  // namespace

uint64_t AnyRef(Choices& c, const Limits& lim) {
  return lim.ref_space ? c.InRange(1, lim.ref_space) : c.Uint64();
}

std::string LabelString(Choices& c, const Limits& lim, bool allow_long) {
  return Str(c, lim, lim.max_string, allow_long);
}

Labels AnyLabels(Choices& c, const Limits& lim, bool allow_long) {
  size_t n;
  if (lim.many_labels && c.OneIn(10)) {
    n = c.Below(lim.many_labels + 1);
    allow_long = false;  // hundreds of long strings would make every record megabytes
  } else {
    n = c.Below(lim.max_labels + 1);
    // Long strings in one set of four: in every set, they would make most
    // Series records span pages.
    if (allow_long && lim.long_string && !c.OneIn(4)) allow_long = false;
  }
  Labels ls(n);
  for (Label& l : ls) {
    l.name = Str(c, lim, lim.max_string, allow_long);
    l.value = Str(c, lim, lim.max_string, allow_long);
  }
  std::sort(ls.begin(), ls.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  ls.erase(std::unique(ls.begin(), ls.end(), [](const Label& a, const Label& b) { return a.name == b.name; }),
           ls.end());
  return ls;
}

Histogram AnyHistogram(Choices& c, const Limits& lim) {
  Histogram h;
  FillHistogram(c, lim, &h);
  return h;
}

FloatHistogram AnyFloatHistogram(Choices& c, const Limits& lim) {
  FloatHistogram h;
  FillHistogram(c, lim, &h);
  return h;
}

Record RecordOfType(Choices& c, const Limits& lim, uint8_t type) {
  size_t n = c.Below(lim.max_entries + 1);
  switch (type) {
    case 1: {
      SeriesRecord r;
      r.series.resize(n);
      for (auto& s : r.series) {
        s.ref = AnyRef(c, lim);
        s.labels = AnyLabels(c, lim);
      }
      return r;
    }
    case 2: {
      if (lim.bulk_samples && c.OneIn(5)) return BulkSamples(c, lim);
      SamplesRecord r;
      r.samples.resize(n);
      int64_t t = c.Int64();
      for (auto& s : r.samples) {
        s.ref = AnyRef(c, lim);
        s.t = c.OneIn(4) ? c.Int64() : (t = Add(t, c.Below(60000)));
        s.v = c.Double();
      }
      return r;
    }
    case 3: {
      TombstonesRecord r;
      r.tombstones.resize(n);
      for (auto& t : r.tombstones) {
        t.ref = AnyRef(c, lim);
        t.mint = c.Int64();
        t.maxt = c.OneIn(3) ? c.Int64() : Add(t.mint, c.Below(100000));
      }
      return r;
    }
    case 4: {
      ExemplarsRecord r;
      r.exemplars.resize(n);
      for (auto& x : r.exemplars) {
        x.ref = AnyRef(c, lim);
        x.t = c.Int64();
        x.v = c.Double();
        x.labels = AnyLabels(c, lim, false);
      }
      return r;
    }
    case 5: {
      MmapMarkersRecord r;
      r.markers.resize(n);
      for (auto& m : r.markers) {
        m.ref = AnyRef(c, lim);
        m.mmap_ref = c.Uint64();
      }
      return r;
    }
    case 6: {
      MetadataRecord r;
      r.metadata.resize(n);
      for (auto& m : r.metadata) {
        m.ref = AnyRef(c, lim);
        m.type = static_cast<uint8_t>(c.Below(8));
        m.unit = Str(c, lim, lim.max_string, false);
        m.help = Str(c, lim, lim.max_string * 2, true);
      }
      return r;
    }
    case 7:
    case 8: {
      auto fill = [&](auto r) -> Record {
        r.histograms.resize(n);
        for (auto& h : r.histograms) {
          h.ref = AnyRef(c, lim);
          h.t = c.Int64();
          FillHistogram(c, lim, &h.h);
        }
        return r;
      };
      return type == 7 ? fill(HistogramsRecord{}) : fill(FloatHistogramsRecord{});
    }
    default:
      return UnknownRecord{type};
  }
}

Record AnyRecord(Choices& c, const Limits& lim) {
  uint8_t type = static_cast<uint8_t>(c.Below(9) + 1);  // 1..9
  if (type == 9) type = c.OneIn(2) ? static_cast<uint8_t>(9 + c.Below(5)) : c.Byte();
  if (type >= 1 && type <= 8) return RecordOfType(c, lim, type);
  return UnknownRecord{type};
}

std::string ExpandBytes(int kind, size_t len, uint64_t seed) {
  static const char* const kWords[] = {"http_requests_total", "job", "instance", "le", "0.5",
                                       "GET", "/api/v1/query", "200", "node", " ", "\n"};
  std::string out;
  out.reserve(len);
  uint64_t state = seed;
  switch (kind) {
    case 0:
      out.assign(len, '\0');
      break;
    case 1: {
      std::string motif(1 + Mix(state) % 16, '\0');
      for (char& ch : motif) ch = static_cast<char>(Mix(state));
      while (out.size() < len) out.append(motif, 0, std::min(motif.size(), len - out.size()));
      break;
    }
    case 2:
      while (out.size() < len) {
        uint64_t r = Mix(state);
        for (int i = 0; i < 8 && out.size() < len; ++i, r >>= 8) out.push_back(static_cast<char>(r));
      }
      break;
    default:
      while (out.size() < len) {
        const char* w = kWords[Mix(state) % std::size(kWords)];
        out.append(w, std::min(std::char_traits<char>::length(w), len - out.size()));
      }
      break;
  }
  return out;
}

std::string Blob(Choices& c, size_t min_len, size_t max_len) {
  const int kind = static_cast<int>(c.Below(4));
  const size_t len = c.InRange(min_len, max_len);
  return ExpandBytes(kind, len, c.Bits(64));
}

}  // namespace walproof::gen
