// Counterexample printing: see show.h.
#include "show.h"

#include <bit>
#include <cstdio>
#include <sstream>
#include <type_traits>

namespace walproof::prop {
namespace {

void PutLabels(const Labels& labels, std::ostream& os) {
  os << "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i == 8 && labels.size() > 10) {
      os << ", ...(" << labels.size() << " labels)";
      break;
    }
    os << (i ? ", " : "") << Abbrev(labels[i].name) << "=" << Abbrev(labels[i].value);
  }
  os << "}";
}

template <typename Span>
void PutSpans(const Span& spans, std::ostream& os) {
  os << "[";
  for (const auto& s : spans) os << "(" << s.offset << "," << s.length << ")";
  os << "]";
}

template <typename H>
void PutHistogram(const H& h, std::ostream& os) {
  os << "{hint=" << int(h.counter_reset_hint) << " schema=" << h.schema
     << " zt=" << Bits(h.zero_threshold) << " sum=" << Bits(h.sum) << " pos=";
  PutSpans(h.positive_spans, os);
  os << " neg=";
  PutSpans(h.negative_spans, os);
  os << " buckets=" << h.positive_buckets.size() << "+" << h.negative_buckets.size() << "}";
}

}  // namespace

std::string Abbrev(std::string_view bytes) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : bytes) {
    if (shown++ == 48) break;
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  out += "\"";
  if (bytes.size() > 48) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string Bits(double v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx",
                static_cast<unsigned long long>(std::bit_cast<uint64_t>(v)));
  return buf;
}

std::string Describe(const Record& record) {
  std::ostringstream os;
  std::visit(
      [&os](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        auto list = [&os](const char* name, const auto& entries, auto put) {
          os << name << "[" << entries.size() << "]{";
          size_t i = 0;
          for (const auto& e : entries) {
            if (i == 6 && entries.size() > 8) {
              os << " ...";
              break;
            }
            os << (i++ ? " " : "");
            put(e);
          }
          os << "}";
        };
        if constexpr (std::is_same_v<R, SeriesRecord>) {
          list("Series", r.series, [&os](const RefSeries& s) {
            os << s.ref << ":";
            PutLabels(s.labels, os);
          });
        } else if constexpr (std::is_same_v<R, SamplesRecord>) {
          list("Samples", r.samples, [&os](const RefSample& s) {
            os << "(" << s.ref << "," << s.t << "," << Bits(s.v) << ")";
          });
        } else if constexpr (std::is_same_v<R, TombstonesRecord>) {
          list("Tombstones", r.tombstones, [&os](const RefTombstone& t) {
            os << "(" << t.ref << ",[" << t.mint << "," << t.maxt << "])";
          });
        } else if constexpr (std::is_same_v<R, ExemplarsRecord>) {
          list("Exemplars", r.exemplars, [&os](const RefExemplar& e) {
            os << "(" << e.ref << "," << e.t << "," << Bits(e.v) << ",";
            PutLabels(e.labels, os);
            os << ")";
          });
        } else if constexpr (std::is_same_v<R, MmapMarkersRecord>) {
          list("MmapMarkers", r.markers, [&os](const RefMmapMarker& m) {
            os << "(" << m.ref << "," << m.mmap_ref << ")";
          });
        } else if constexpr (std::is_same_v<R, MetadataRecord>) {
          list("Metadata", r.metadata, [&os](const RefMetadata& m) {
            os << "(" << m.ref << ",type=" << int(m.type) << ",unit=" << Abbrev(m.unit)
               << ",help=" << Abbrev(m.help) << ")";
          });
        } else if constexpr (std::is_same_v<R, HistogramsRecord>) {
          list("Histograms", r.histograms, [&os](const RefHistogramSample& s) {
            os << "(" << s.ref << "," << s.t << ",";
            PutHistogram(s.h, os);
            os << ")";
          });
        } else if constexpr (std::is_same_v<R, FloatHistogramsRecord>) {
          list("FloatHistograms", r.histograms, [&os](const RefFloatHistogramSample& s) {
            os << "(" << s.ref << "," << s.t << ",";
            PutHistogram(s.h, os);
            os << ")";
          });
        } else {
          os << "Unknown{type=" << int(r.type) << "}";
        }
      },
      record);
  return os.str();
}

}  // namespace walproof::prop

namespace walproof {

void showValue(const Label& label, std::ostream& os) {
  os << prop::Abbrev(label.name) << "=" << prop::Abbrev(label.value);
}

void showValue(const Record& record, std::ostream& os) { os << prop::Describe(record); }

void showValue(Compression c, std::ostream& os) { os << CompressionName(c); }

}  // namespace walproof
