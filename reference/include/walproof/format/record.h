// Records: the typed contents of the WAL (upstream package tsdb/record).
//
// The first byte of a record is its RecordType. The structs below are what a
// record of each type carries, as logged: a Series record of 5 series holds 5
// entries. Values keep their exact bits (NaN payloads, the stale marker), so
// equality compares doubles bitwise, never with ==.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace walproof {

enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kExemplars = 4,
  kMmapMarkers = 5,
  kMetadata = 6,
  kHistogramSamples = 7,
  kFloatHistogramSamples = 8,
  // 9..13 are written by Prometheus 3.x (custom-bucket histograms, SamplesV2,
  // histograms V2). The reference skips them, counted, as it does any unknown type.
};

// The type number of a record's first byte as a name ("series", ...,
// "unknown" for anything the reference does not decode).
const char* RecordTypeName(uint8_t type);

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
};
// Sorted by name, as Prometheus keeps them.
using Labels = std::vector<Label>;

// A label whose strings live elsewhere (Head::label_views).
struct LabelView {
  std::string_view name;
  std::string_view value;
};

// Bitwise equality of doubles: NaN payloads and -0.0 matter in a WAL.
bool SameBits(double a, double b);

struct RefSeries {
  uint64_t ref = 0;
  Labels labels;
  bool operator==(const RefSeries&) const = default;
};

struct RefSample {
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
  bool operator==(const RefSample& o) const { return ref == o.ref && t == o.t && SameBits(v, o.v); }
};

// One deleted interval of one series: a Tombstones record holds one entry per
// interval, with absolute times.
struct RefTombstone {
  uint64_t ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
  bool operator==(const RefTombstone&) const = default;
};

struct RefExemplar {
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
  Labels labels;
  bool operator==(const RefExemplar& o) const {
    return ref == o.ref && t == o.t && SameBits(v, o.v) && labels == o.labels;
  }
};

struct RefMmapMarker {
  uint64_t ref = 0;
  uint64_t mmap_ref = 0;
  bool operator==(const RefMmapMarker&) const = default;
};

struct RefMetadata {
  uint64_t ref = 0;
  uint8_t type = 0;  // metric type 0..7 (unknown, counter, gauge, ...)
  std::string unit;
  std::string help;
  bool operator==(const RefMetadata&) const = default;
};

struct HistogramSpan {
  int32_t offset = 0;
  uint32_t length = 0;
  bool operator==(const HistogramSpan&) const = default;
};

// Integer (native) histogram; buckets are deltas, as Prometheus stores them.
struct Histogram {
  uint8_t counter_reset_hint = 0;
  int32_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count = 0;
  uint64_t count = 0;
  double sum = 0;
  std::vector<HistogramSpan> positive_spans;
  std::vector<HistogramSpan> negative_spans;
  std::vector<int64_t> positive_buckets;
  std::vector<int64_t> negative_buckets;
  bool operator==(const Histogram& o) const;
};

// Float histogram; buckets are absolute counts.
struct FloatHistogram {
  uint8_t counter_reset_hint = 0;
  int32_t schema = 0;
  double zero_threshold = 0;
  double zero_count = 0;
  double count = 0;
  double sum = 0;
  std::vector<HistogramSpan> positive_spans;
  std::vector<HistogramSpan> negative_spans;
  std::vector<double> positive_buckets;
  std::vector<double> negative_buckets;
  bool operator==(const FloatHistogram& o) const;
};

struct RefHistogramSample {
  uint64_t ref = 0;
  int64_t t = 0;
  Histogram h;
  bool operator==(const RefHistogramSample&) const = default;
};

struct RefFloatHistogramSample {
  uint64_t ref = 0;
  int64_t t = 0;
  FloatHistogram h;
  bool operator==(const RefFloatHistogramSample&) const = default;
};

struct SeriesRecord { std::vector<RefSeries> series; bool operator==(const SeriesRecord&) const = default; };
struct SamplesRecord { std::vector<RefSample> samples; bool operator==(const SamplesRecord&) const = default; };
struct TombstonesRecord { std::vector<RefTombstone> tombstones; bool operator==(const TombstonesRecord&) const = default; };
struct ExemplarsRecord { std::vector<RefExemplar> exemplars; bool operator==(const ExemplarsRecord&) const = default; };
struct MmapMarkersRecord { std::vector<RefMmapMarker> markers; bool operator==(const MmapMarkersRecord&) const = default; };
struct MetadataRecord { std::vector<RefMetadata> metadata; bool operator==(const MetadataRecord&) const = default; };
struct HistogramsRecord { std::vector<RefHistogramSample> histograms; bool operator==(const HistogramsRecord&) const = default; };
struct FloatHistogramsRecord { std::vector<RefFloatHistogramSample> histograms; bool operator==(const FloatHistogramsRecord&) const = default; };
// A record whose type the reference does not decode (0, 9..255, or an empty
// record), or one DecodeRecordAsReplayed leaves unread (mmap markers too).
// Skipped by replay, counted by stats.
struct UnknownRecord { uint8_t type = 0; bool operator==(const UnknownRecord&) const = default; };

using Record = std::variant<SeriesRecord, SamplesRecord, TombstonesRecord, ExemplarsRecord,
                            MmapMarkersRecord, MetadataRecord, HistogramsRecord,
                            FloatHistogramsRecord, UnknownRecord>;

}  // namespace walproof
