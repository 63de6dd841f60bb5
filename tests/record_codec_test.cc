// Record codec tests: round trips of every record type, golden bytes worked
// out by hand from Prometheus 2.42's encoder, and every way a record can be
// damaged (cut, trailing byte, varint overflow, absurd counts). The section
// "Rejections, one per decoder error" holds one short test per distinct
// error the decoders return, with its exact message; docs/format.md,
// "Corruption cases", names them (fragment-level cases are in
// segment_reader_test.cc).
#include "walproof/format/record_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace walproof {
namespace {

constexpr int64_t kMinT = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxT = std::numeric_limits<int64_t>::max();
constexpr uint64_t kMaxRef = std::numeric_limits<uint64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

double FromBits(uint64_t bits) { return std::bit_cast<double>(bits); }
// Prometheus marks a series stale with this NaN; its payload must survive.
const double kStale = FromBits(0x7ff0000000000002);
const double kQuietNaN = FromBits(0x7ff8000000000001);
const double kNegSignalingNaN = FromBits(0xfff4000000000000);

// Raw bytes for golden records; text is appended with +.
std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

template <typename T>
using Encoder = void (*)(const std::vector<T>&, std::string*);
template <typename T>
using Decoder = Status (*)(std::string_view, std::vector<T>*);

template <typename T>
std::string Encode(Encoder<T> enc, const std::vector<T>& entries) {
  std::string rec;
  enc(entries, &rec);
  return rec;
}

// Decodes with the typed decoder and with DecodeRecord, and re-encodes the
// Record: all three must agree with the input.
template <typename T>
void ExpectRoundTrip(Encoder<T> enc, Decoder<T> dec, const std::vector<T>& in) {
  const std::string rec = Encode(enc, in);
  std::vector<T> out;
  const Status s = dec(rec, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(out == in);
  Record r;
  ASSERT_TRUE(DecodeRecord(rec, &r).ok());
  EXPECT_EQ(EncodeRecord(r), rec);
}

// ---- Fixtures with awkward values ----

std::vector<RefSeries> AwkwardSeries() {
  return {
      {1, {{"__name__", "up"}, {"job", "node"}}},
      {kMaxRef, {}},
      {0, {{"", ""}, {"empty", ""}, {"long", std::string(100000, 'x')}}},
      {kMaxRef - 1, {{"ünïcødé", "値🙂\u00e9"}, {"zero", std::string("a\0b", 3)}}},
  };
}

std::vector<RefSample> AwkwardSamples() {
  return {
      {5, 1000, 1.0},
      {3, 1010, kStale},  // negative ref delta
      {kMaxRef, kMaxT, kQuietNaN},
      {0, kMinT, -0.0},
      {kMaxRef - 1, -1, kInf},
      {1, 0, -kInf},
      {7, 7, kNegSignalingNaN},
      {8, 8, std::numeric_limits<double>::denorm_min()},
  };
}

std::vector<RefTombstone> AwkwardTombstones() {
  return {
      {1, kMinT, kMaxT},
      {kMaxRef, -5, -1},
      {1, 0, 0},  // a second interval of series 1 is a second entry
  };
}

std::vector<RefExemplar> AwkwardExemplars() {
  return {
      {10, 100, 1.5, {{"trace_id", "abc123"}}},
      {2, kMinT, kStale, {}},
      {kMaxRef, kMaxT, kQuietNaN, {{"span_id", std::string(70000, 's')}, {"ü", ""}}},
  };
}

std::vector<RefMmapMarker> AwkwardMarkers() {
  return {{1, 2}, {kMaxRef, 0}, {0, kMaxRef}};
}

std::vector<RefMetadata> AwkwardMetadata() {
  return {
      {1, 1, "seconds", "Total time spent."},
      {kMaxRef, 7, "", ""},
      {300, 0, "ü", std::string(5000, 'h')},
  };
}

Histogram SmallHistogram() {
  Histogram h;
  h.counter_reset_hint = 2;
  h.schema = -1;
  h.zero_threshold = 0;
  h.zero_count = 3;
  h.count = 5;
  h.sum = 0.5;
  h.positive_spans = {{-2, 2}};
  h.positive_buckets = {1, -1};
  return h;
}

std::vector<RefHistogramSample> AwkwardHistograms() {
  Histogram extreme;
  extreme.counter_reset_hint = 255;
  extreme.schema = std::numeric_limits<int32_t>::min();
  extreme.zero_threshold = -0.0;
  extreme.zero_count = kMaxRef;
  extreme.count = kMaxRef;
  extreme.sum = kStale;
  extreme.positive_spans = {{std::numeric_limits<int32_t>::min(), 0},
                            {std::numeric_limits<int32_t>::max(), 1}};
  extreme.negative_spans = {{0, std::numeric_limits<uint32_t>::max()}};
  extreme.positive_buckets = {kMinT, kMaxT};
  extreme.negative_buckets = {0, -1, 1};
  Histogram top = extreme;
  top.schema = std::numeric_limits<int32_t>::max();
  return {{7, 100, SmallHistogram()}, {0, kMinT, extreme}, {kMaxRef, kMaxT, top}, {7, 100, {}}};
}

std::vector<RefFloatHistogramSample> AwkwardFloatHistograms() {
  FloatHistogram h;
  h.counter_reset_hint = 1;
  h.schema = 8;
  h.zero_threshold = 1e-128;
  h.zero_count = -0.0;
  h.count = kInf;
  h.sum = kStale;
  h.positive_spans = {{-3, 2}, {5, 1}};
  h.negative_spans = {{1, 1}};
  h.positive_buckets = {kQuietNaN, 2.5, kNegSignalingNaN};
  h.negative_buckets = {-kInf};
  return {{3, 50, h}, {1, kMinT, {}}, {kMaxRef, kMaxT, h}};
}

// ---- Round trips ----

TEST(RecordCodecTest, SeriesRoundTrip) {
  ExpectRoundTrip(EncodeSeries, DecodeSeries, AwkwardSeries());
}

TEST(RecordCodecTest, SamplesRoundTrip) {
  ExpectRoundTrip(EncodeSamples, DecodeSamples, AwkwardSamples());
}

TEST(RecordCodecTest, SamplesRoundTripWithExtremeFirstSample) {
  // The base is the first sample, so extremes there make every delta wrap.
  ExpectRoundTrip(EncodeSamples, DecodeSamples,
                  std::vector<RefSample>{{kMaxRef, kMinT, kStale}, {0, kMaxT, -0.0}, {1, 0, 1}});
  ExpectRoundTrip(EncodeSamples, DecodeSamples,
                  std::vector<RefSample>{{0, kMaxT, 0}, {kMaxRef, kMinT, kQuietNaN}});
}

TEST(RecordCodecTest, TombstonesRoundTrip) {
  ExpectRoundTrip(EncodeTombstones, DecodeTombstones, AwkwardTombstones());
}

TEST(RecordCodecTest, ExemplarsRoundTrip) {
  ExpectRoundTrip(EncodeExemplars, DecodeExemplars, AwkwardExemplars());
}

TEST(RecordCodecTest, MmapMarkersRoundTrip) {
  ExpectRoundTrip(EncodeMmapMarkers, DecodeMmapMarkers, AwkwardMarkers());
}

TEST(RecordCodecTest, MetadataRoundTrip) {
  ExpectRoundTrip(EncodeMetadata, DecodeMetadata, AwkwardMetadata());
}

TEST(RecordCodecTest, HistogramSamplesRoundTrip) {
  ExpectRoundTrip(EncodeHistogramSamples, DecodeHistogramSamples, AwkwardHistograms());
}

TEST(RecordCodecTest, FloatHistogramSamplesRoundTrip) {
  ExpectRoundTrip(EncodeFloatHistogramSamples, DecodeFloatHistogramSamples,
                  AwkwardFloatHistograms());
}

TEST(RecordCodecTest, EmptyListsRoundTripAsLoneTypeByte) {
  EXPECT_EQ(Encode<RefSeries>(EncodeSeries, {}), B({1}));
  EXPECT_EQ(Encode<RefSample>(EncodeSamples, {}), B({2}));
  EXPECT_EQ(Encode<RefTombstone>(EncodeTombstones, {}), B({3}));
  EXPECT_EQ(Encode<RefExemplar>(EncodeExemplars, {}), B({4}));
  EXPECT_EQ(Encode<RefMmapMarker>(EncodeMmapMarkers, {}), B({5}));
  EXPECT_EQ(Encode<RefMetadata>(EncodeMetadata, {}), B({6}));
  EXPECT_EQ(Encode<RefHistogramSample>(EncodeHistogramSamples, {}), B({7}));
  EXPECT_EQ(Encode<RefFloatHistogramSample>(EncodeFloatHistogramSamples, {}), B({8}));
  ExpectRoundTrip<RefSeries>(EncodeSeries, DecodeSeries, {});
  ExpectRoundTrip<RefSample>(EncodeSamples, DecodeSamples, {});
  ExpectRoundTrip<RefTombstone>(EncodeTombstones, DecodeTombstones, {});
  ExpectRoundTrip<RefExemplar>(EncodeExemplars, DecodeExemplars, {});
  ExpectRoundTrip<RefMmapMarker>(EncodeMmapMarkers, DecodeMmapMarkers, {});
  ExpectRoundTrip<RefMetadata>(EncodeMetadata, DecodeMetadata, {});
  ExpectRoundTrip<RefHistogramSample>(EncodeHistogramSamples, DecodeHistogramSamples, {});
  ExpectRoundTrip<RefFloatHistogramSample>(EncodeFloatHistogramSamples,
                                           DecodeFloatHistogramSamples, {});
}

TEST(RecordCodecTest, EncodeRecordAndDecodeRecordCoverEveryType) {
  const std::vector<Record> records = {
      SeriesRecord{AwkwardSeries()},         SamplesRecord{AwkwardSamples()},
      TombstonesRecord{AwkwardTombstones()}, ExemplarsRecord{AwkwardExemplars()},
      MmapMarkersRecord{AwkwardMarkers()},   MetadataRecord{AwkwardMetadata()},
      HistogramsRecord{AwkwardHistograms()}, FloatHistogramsRecord{AwkwardFloatHistograms()},
      UnknownRecord{200},
  };
  Record out;
  for (const Record& r : records) {
    const std::string bytes = EncodeRecord(r);
    ASSERT_TRUE(DecodeRecord(bytes, &out).ok());
    EXPECT_TRUE(out == r) << "type " << int{PeekRecordType(bytes)};
  }
}

TEST(RecordCodecTest, EncodersAppend) {
  std::string out = "xy";
  EncodeSamples({{1, 2, 3}}, &out);
  EXPECT_EQ(out.substr(0, 3), "xy" + B({2}));
  EXPECT_EQ(out.size(), 2u + 1 + 16 + 10);
}

// ---- Golden bytes, worked out by hand from record.go in Prometheus 2.42 ----

TEST(RecordCodecTest, SamplesGoldenBytes) {
  const std::string want = B({0x02,
                              0, 0, 0, 0, 0, 0, 0, 0x05,     // base ref 5
                              0, 0, 0, 0, 0, 0, 0x03, 0xe8,  // base time 1000
                              0x00, 0x00,                    // first sample: deltas 0, 0
                              0x3f, 0xf0, 0, 0, 0, 0, 0, 0,  // 1.0
                              0x03,                          // ref delta -2, zigzag 3
                              0x14,                          // time delta 10, zigzag 20
                              0x7f, 0xf0, 0, 0, 0, 0, 0, 0x02});  // stale marker
  const std::vector<RefSample> samples = {{5, 1000, 1.0}, {3, 1010, kStale}};
  EXPECT_EQ(Encode(EncodeSamples, samples), want);
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(want, &out).ok());
  EXPECT_TRUE(out == samples);
}

TEST(RecordCodecTest, SeriesGoldenBytes) {
  const std::string want = B({0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x08}) + "__name__" +
                           B({0x02}) + "up" + B({0x03}) + "job" + B({0x01}) + "a" +
                           B({0, 0, 0, 0, 0, 0, 0, 0x02, 0x00});  // ref 2, no labels
  const std::vector<RefSeries> series = {{1, {{"__name__", "up"}, {"job", "a"}}}, {2, {}}};
  EXPECT_EQ(Encode(EncodeSeries, series), want);
  std::vector<RefSeries> out;
  ASSERT_TRUE(DecodeSeries(want, &out).ok());
  EXPECT_TRUE(out == series);
}

TEST(RecordCodecTest, MetadataGoldenBytes) {
  // ref 300 is uvarint 0xac 0x02; type 1 (counter); two fields.
  const std::string want = B({0x06, 0xac, 0x02, 0x01, 0x02, 0x04}) + "UNIT" + B({0x01}) + "s" +
                           B({0x04}) + "HELP" + B({0x01}) + "h";
  const std::vector<RefMetadata> metadata = {{300, 1, "s", "h"}};
  EXPECT_EQ(Encode(EncodeMetadata, metadata), want);
  std::vector<RefMetadata> out;
  ASSERT_TRUE(DecodeMetadata(want, &out).ok());
  EXPECT_TRUE(out == metadata);
}

TEST(RecordCodecTest, TombstonesGoldenBytes) {
  const std::string want = B({0x03,
                              0, 0, 0, 0, 0, 0, 0, 0x07, 0x01, 0xd8, 0x04,  // -1 .. 300
                              0, 0, 0, 0, 0, 0, 0, 0x07, 0x00, 0x02});      // 0 .. 1
  const std::vector<RefTombstone> tombstones = {{7, -1, 300}, {7, 0, 1}};
  EXPECT_EQ(Encode(EncodeTombstones, tombstones), want);
  std::vector<RefTombstone> out;
  ASSERT_TRUE(DecodeTombstones(want, &out).ok());
  EXPECT_TRUE(out == tombstones);
}

TEST(RecordCodecTest, HistogramSamplesGoldenBytes) {
  const std::string want = B({0x07,
                              0, 0, 0, 0, 0, 0, 0, 0x01,     // base ref 1
                              0, 0, 0, 0, 0, 0, 0, 0x02,     // base time 2
                              0x00, 0x00,                    // deltas
                              0x02,                          // counter reset hint
                              0x01,                          // schema -1
                              0, 0, 0, 0, 0, 0, 0, 0,        // zero threshold 0.0
                              0x03, 0x05,                    // zero count, count
                              0x3f, 0xe0, 0, 0, 0, 0, 0, 0,  // sum 0.5
                              0x01, 0x03, 0x02,              // one positive span {-2, 2}
                              0x00,                          // no negative span
                              0x02, 0x02, 0x01,              // positive buckets 1, -1
                              0x00});                        // no negative bucket
  const std::vector<RefHistogramSample> histograms = {{1, 2, SmallHistogram()}};
  EXPECT_EQ(Encode(EncodeHistogramSamples, histograms), want);
  std::vector<RefHistogramSample> out;
  ASSERT_TRUE(DecodeHistogramSamples(want, &out).ok());
  EXPECT_TRUE(out == histograms);
}

TEST(RecordCodecTest, FloatHistogramSamplesGoldenBytes) {
  const std::string want = B({0x08,
                              0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02,
                              0x00, 0x00,                    // deltas
                              0x00, 0x00,                    // hint, schema 0
                              0x3f, 0xe0, 0, 0, 0, 0, 0, 0,  // zero threshold 0.5
                              0x3f, 0xf0, 0, 0, 0, 0, 0, 0,  // zero count 1.0
                              0x40, 0x00, 0, 0, 0, 0, 0, 0,  // count 2.0
                              0x80, 0x00, 0, 0, 0, 0, 0, 0,  // sum -0.0
                              0x01, 0x00, 0x01, 0x00,        // spans: {0, 1}; none
                              0x01, 0x40, 0, 0, 0, 0, 0, 0, 0,  // positive buckets: 2.0
                              0x00});
  FloatHistogram h;
  h.zero_threshold = 0.5;
  h.zero_count = 1;
  h.count = 2;
  h.sum = -0.0;
  h.positive_spans = {{0, 1}};
  h.positive_buckets = {2};
  const std::vector<RefFloatHistogramSample> histograms = {{1, 2, h}};
  EXPECT_EQ(Encode(EncodeFloatHistogramSamples, histograms), want);
  std::vector<RefFloatHistogramSample> out;
  ASSERT_TRUE(DecodeFloatHistogramSamples(want, &out).ok());
  EXPECT_TRUE(out == histograms);
}

// ---- Decoding details matching upstream ----

TEST(RecordCodecTest, MetadataSkipsUnknownFieldsInAnyOrder) {
  const std::string rec = B({0x06, 0x05, 0x02, 0x03, 0x04}) + "HELP" + B({0x01}) + "h" +
                          B({0x03}) + "FOO" + B({0x03}) + "bar" + B({0x04}) + "UNIT" +
                          B({0x01}) + "s" + B({0x01, 0x03, 0x00});  // ref 1, type 3, no field
  std::vector<RefMetadata> out = {{9, 9, "old unit", "old help"}, {9, 9, "x", "y"}};
  ASSERT_TRUE(DecodeMetadata(rec, &out).ok());
  // Fields a reused entry does not get are empty, not left over.
  const std::vector<RefMetadata> want = {{5, 2, "s", "h"}, {1, 3, "", ""}};
  EXPECT_TRUE(out == want);
}

TEST(RecordCodecTest, SamplesHeaderWithoutSamplesIsEmpty) {
  // Prometheus never writes it but its decoder accepts it; so do we.
  const std::string rec = B({0x02, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x06});
  std::vector<RefSample> out = {{1, 1, 1}};
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(RecordCodecTest, NonMinimalVarintIsAccepted) {
  // Go's Uvarint accepts padded encodings; 0x80 0x00 is zero.
  const std::string rec = B({0x02, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x06,
                             0x80, 0x00, 0x82, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0});
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ref, 5u);
  EXPECT_EQ(out[0].t, 7);
}

TEST(RecordCodecTest, LargestTenByteUvarintIsAccepted) {
  const std::string rec =
      B({0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x04, 0x00});
  std::vector<RefMetadata> out;
  ASSERT_TRUE(DecodeMetadata(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ref, kMaxRef);
  EXPECT_EQ(out[0].type, 4);
}

TEST(RecordCodecTest, SpanLengthIsNarrowedLikeUpstream) {
  // Upstream reads lengths with uint32(Uvarint64()) and keeps the low bits.
  std::string rec = Encode(EncodeHistogramSamples, std::vector<RefHistogramSample>{{1, 2, {}}});
  ASSERT_EQ(rec.back(), 0);
  rec.resize(rec.size() - 4);  // drop the four empty counts
  rec += B({0x01, 0x00, 0x85, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00, 0x00});  // length 2^32 + 5
  std::vector<RefHistogramSample> out;
  ASSERT_TRUE(DecodeHistogramSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].h.positive_spans.size(), 1u);
  EXPECT_EQ(out[0].h.positive_spans[0].length, 5u);
}

TEST(RecordCodecTest, DecodeReplacesOutputAndKeepsCapacity) {
  std::vector<RefSample> samples(1000, RefSample{9, 9, 9});
  const size_t capacity = samples.capacity();
  ASSERT_TRUE(DecodeSamples(Encode(EncodeSamples, std::vector<RefSample>{{1, 2, 3}}), &samples).ok());
  EXPECT_TRUE(samples == (std::vector<RefSample>{{1, 2, 3}}));
  EXPECT_GE(samples.capacity(), capacity);

  std::vector<RefSeries> series = AwkwardSeries();
  const std::vector<RefSeries> one = {{4, {{"a", "b"}}}};
  ASSERT_TRUE(DecodeSeries(Encode(EncodeSeries, one), &series).ok());
  EXPECT_TRUE(series == one);

  Record record = SamplesRecord{AwkwardSamples()};
  ASSERT_TRUE(DecodeRecord(Encode(EncodeSeries, one), &record).ok());
  EXPECT_TRUE(record == Record(SeriesRecord{one}));
}

// ---- Damaged records ----

// Cuts `entries`' record at every length. A cut on an entry boundary is a
// valid shorter record (upstream accepts a base header with no entry after it
// too); any other cut must be Corruption with the output emptied.
template <typename T>
void ExpectEveryCutHandled(Encoder<T> enc, Decoder<T> dec, const std::vector<T>& entries,
                           bool has_base) {
  const std::string full = Encode(enc, entries);
  std::map<size_t, size_t> boundaries;  // cut length -> whole entries before it
  for (size_t k = 0; k <= entries.size(); ++k) {
    const std::vector<T> prefix(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(k));
    const std::string rec = Encode(enc, prefix);
    ASSERT_EQ(full.compare(0, rec.size(), rec), 0);
    boundaries[rec.size()] = k;
  }
  if (has_base) boundaries.emplace(1 + 16, 0);

  for (size_t cut = 1; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(full.size()));
    const std::string_view rec = std::string_view(full).substr(0, cut);
    std::vector<T> out(1);
    const Status s = dec(rec, &out);
    Record record;
    const Status rs = DecodeRecord(rec, &record);
    EXPECT_EQ(rs.code(), s.code());
    if (auto it = boundaries.find(cut); it != boundaries.end()) {
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_TRUE(out == std::vector<T>(entries.begin(),
                                        entries.begin() + static_cast<ptrdiff_t>(it->second)));
    } else {
      ASSERT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_TRUE(out.empty());
      EXPECT_NE(s.message().find(RecordTypeName(PeekRecordType(full))), std::string::npos)
          << s.message();
    }
  }
}

TEST(RecordCodecTest, SeriesCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeSeries, DecodeSeries,
                        std::vector<RefSeries>{{1, {{"__name__", "up"}, {"job", "a"}}}, {2, {}},
                                               {300, {{"k", "v"}}}},
                        false);
}

TEST(RecordCodecTest, SamplesCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeSamples, DecodeSamples, AwkwardSamples(), true);
}

TEST(RecordCodecTest, TombstonesCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeTombstones, DecodeTombstones, AwkwardTombstones(), false);
}

TEST(RecordCodecTest, ExemplarsCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeExemplars, DecodeExemplars,
                        std::vector<RefExemplar>{{10, 100, 1.5, {{"trace_id", "abc"}}},
                                                 {kMaxRef, kMinT, kStale, {}}},
                        true);
}

TEST(RecordCodecTest, MmapMarkersCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeMmapMarkers, DecodeMmapMarkers, AwkwardMarkers(), false);
}

TEST(RecordCodecTest, MetadataCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeMetadata, DecodeMetadata,
                        std::vector<RefMetadata>{{300, 1, "s", "help"}, {kMaxRef, 7, "", ""}},
                        false);
}

TEST(RecordCodecTest, HistogramSamplesCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeHistogramSamples, DecodeHistogramSamples, AwkwardHistograms(),
                        true);
}

TEST(RecordCodecTest, FloatHistogramSamplesCutAtEveryByte) {
  ExpectEveryCutHandled(EncodeFloatHistogramSamples, DecodeFloatHistogramSamples,
                        AwkwardFloatHistograms(), true);
}

TEST(RecordCodecTest, TrailingByteIsCorruption) {
  const std::vector<std::string> records = {
      EncodeRecord(SeriesRecord{AwkwardSeries()}),
      EncodeRecord(SamplesRecord{AwkwardSamples()}),
      EncodeRecord(TombstonesRecord{AwkwardTombstones()}),
      EncodeRecord(ExemplarsRecord{AwkwardExemplars()}),
      EncodeRecord(MmapMarkersRecord{AwkwardMarkers()}),
      EncodeRecord(MetadataRecord{AwkwardMetadata()}),
      EncodeRecord(HistogramsRecord{AwkwardHistograms()}),
      EncodeRecord(FloatHistogramsRecord{AwkwardFloatHistograms()}),
  };
  for (const std::string& valid : records) {
    for (const std::string& rec : {valid + B({0x00}), valid + B({0x01}),
                                   valid.substr(0, 1) + B({0x00})}) {
      SCOPED_TRACE(RecordTypeName(PeekRecordType(rec)));
      Record out;
      const Status s = DecodeRecord(rec, &out);
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    }
  }
}

TEST(RecordCodecTest, VarintOverflowIsCorruption) {
  const std::string header = B({0x02, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x06});
  const std::string value = B({0, 0, 0, 0, 0, 0, 0, 0});
  const std::string eleven_bytes = B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00});
  const std::string tenth_too_big = B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02});
  for (const std::string& bad : {eleven_bytes, tenth_too_big}) {
    std::vector<RefSample> out;
    const Status s = DecodeSamples(header + bad + B({0x00}) + value, &out);
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_EQ(s.message(), "samples record: ref delta at offset 17: varint overflow");
    EXPECT_TRUE(out.empty());
  }
  // Ten continuation bytes and then nothing: Go calls that too short, not overflow.
  std::vector<RefMetadata> out;
  const Status s = DecodeMetadata(B({0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}), &out);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "metadata record: series ref at offset 1: truncated");
}

// Each of these claims far more items or bytes than the record holds; decoding
// must fail on the count itself, before sizing anything from it.
TEST(RecordCodecTest, HugeCountsFailFast) {
  const std::string ref = B({0, 0, 0, 0, 0, 0, 0, 0x01});
  const std::string max_uvarint = B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  const std::string two_pow_40 = B({0x80, 0x80, 0x80, 0x80, 0x80, 0x20});
  std::string histogram_prefix =
      Encode(EncodeHistogramSamples, std::vector<RefHistogramSample>{{1, 2, {}}});
  histogram_prefix.resize(histogram_prefix.size() - 4);  // up to the span count
  std::string float_histogram_prefix =
      Encode(EncodeFloatHistogramSamples, std::vector<RefFloatHistogramSample>{{1, 2, {}}});
  float_histogram_prefix.resize(float_histogram_prefix.size() - 2);  // up to bucket counts

  struct Case {
    std::string rec;
    const char* field;
  };
  const std::vector<Case> cases = {
      {B({0x01}) + ref + two_pow_40 + B({0x01, 0x61}), "label count"},
      {B({0x01}) + ref + max_uvarint + B({0x01, 0x61}), "label count"},
      {B({0x01}) + ref + B({0x02, 0x00, 0x00}), "label count"},  // 2 labels need 4 bytes
      {B({0x01}) + ref + B({0x01}) + two_pow_40 + "abc", "label name"},
      {B({0x01}) + ref + B({0x01, 0x01, 0x61}) + max_uvarint, "label value"},
      {B({0x06, 0x01, 0x01}) + two_pow_40 + B({0x00, 0x00}), "field count"},
      {B({0x06, 0x01, 0x01, 0x01, 0x09}) + "UNIT", "field name"},
      {histogram_prefix + two_pow_40 + B({0x00, 0x00}), "span count"},
      {histogram_prefix + B({0x00, 0x00}) + max_uvarint, "bucket count"},
      {float_histogram_prefix + B({0x01, 0, 0, 0, 0, 0, 0, 0}), "bucket count"},  // 7 of 8 bytes
  };
  for (const Case& c : cases) {
    Record out;
    const Status s = DecodeRecord(c.rec, &out);
    ASSERT_TRUE(s.IsCorruption()) << c.field << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.field), std::string::npos) << s.message();
  }
}

TEST(RecordCodecTest, WrongTypeIsInvalidArgument) {
  for (int type = 0; type <= 9; ++type) {
    const std::string rec = B({type});
    std::vector<RefSeries> series;
    std::vector<RefSample> samples;
    std::vector<RefTombstone> tombstones;
    std::vector<RefExemplar> exemplars;
    std::vector<RefMmapMarker> markers;
    std::vector<RefMetadata> metadata;
    std::vector<RefHistogramSample> histograms;
    std::vector<RefFloatHistogramSample> float_histograms;
    const Status results[] = {
        DecodeSeries(rec, &series),
        DecodeSamples(rec, &samples),
        DecodeTombstones(rec, &tombstones),
        DecodeExemplars(rec, &exemplars),
        DecodeMmapMarkers(rec, &markers),
        DecodeMetadata(rec, &metadata),
        DecodeHistogramSamples(rec, &histograms),
        DecodeFloatHistogramSamples(rec, &float_histograms),
    };
    for (int i = 0; i < 8; ++i) {
      const bool matches = (i + 1 == type);
      EXPECT_EQ(results[i].code(),
                matches ? Status::Code::kOk : Status::Code::kInvalidArgument)
          << "decoder " << i + 1 << " on type " << type;
    }
  }
  std::vector<RefSample> samples;
  EXPECT_EQ(DecodeSamples("", &samples).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodeSamples(Encode(EncodeSeries, AwkwardSeries()), &samples).code(),
            Status::Code::kInvalidArgument);
}

TEST(RecordCodecTest, UnknownTypesDecodeAsUnknownRecord) {
  for (int type : {0, 9, 10, 11, 12, 13, 200, 255}) {
    for (const std::string& rec : {B({type}), B({type, 0xff, 0x00, 0x80})}) {
      Record out = SamplesRecord{AwkwardSamples()};
      const Status s = DecodeRecord(rec, &out);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_TRUE(out == Record(UnknownRecord{static_cast<uint8_t>(type)})) << type;
    }
  }
  Record out = SamplesRecord{AwkwardSamples()};
  ASSERT_TRUE(DecodeRecord("", &out).ok());
  EXPECT_TRUE(out == Record(UnknownRecord{0}));
  EXPECT_EQ(EncodeRecord(UnknownRecord{200}), B({200}));
}

// ---- Rejections, one per decoder error ----
//
// The decoders fail in exactly these ways; each message names the record
// type, the field and the byte offset in the record where it starts. A
// decoder's leftover-bytes check ("unexpected N bytes left in entry") is a
// guard that no input reaches, since every loop reads until the record is
// used up; unknown record types are not an error (see above).

TEST(RecordCodecTest, RecordOfAnotherTypeIsRefusedNamingItsTypeByte) {
  std::vector<RefSample> out;
  const Status s = DecodeSamples(B({0x01}), &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "not a samples record: type byte 1");
}

TEST(RecordCodecTest, RecordWithoutATypeByteIsRefused) {
  std::vector<RefSeries> out;
  const Status s = DecodeSeries("", &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "not a series record: type byte missing");
}

TEST(RecordCodecTest, FieldCutShortIsTruncatedAtItsOffset) {
  // Base ref and time (offsets 1 and 9), deltas 0 and 0, then 3 of a value's 8 bytes.
  const std::string rec = B({0x02, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x06, 0x00,
                             0x00, 0x3f, 0xf0, 0x00});
  std::vector<RefSample> out(1);
  const Status s = DecodeSamples(rec, &out);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "samples record: value at offset 19: truncated");
  EXPECT_TRUE(out.empty());
}

TEST(RecordCodecTest, VarintPastSixtyFourBitsIsOverflowAtItsOffset) {
  // A tombstone's mint whose tenth byte carries bits past the 64th.
  const std::string rec = B({0x03, 0, 0, 0, 0, 0, 0, 0, 0x07, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0xff, 0xff, 0xff, 0xff, 0x7f, 0x00});
  std::vector<RefTombstone> out;
  const Status s = DecodeTombstones(rec, &out);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "tombstones record: mint at offset 9: varint overflow");
  EXPECT_TRUE(out.empty());
}

TEST(RecordCodecTest, StringLongerThanTheRestOfTheRecordIsRefused) {
  // One label whose name claims 5 bytes where 2 are left.
  const std::string rec = B({0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x05}) + "ab";
  std::vector<RefSeries> out;
  const Status s = DecodeSeries(rec, &out);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "series record: label name at offset 10: length 5 exceeds the 2 bytes left");
  EXPECT_TRUE(out.empty());
}

TEST(RecordCodecTest, CountThatCannotFitInTheRestOfTheRecordIsRefused) {
  // Two labels need at least four bytes; two are left.
  const std::string rec = B({0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x00, 0x00});
  std::vector<RefSeries> out;
  const Status s = DecodeSeries(rec, &out);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(),
            "series record: label count at offset 9: 2 items cannot fit in the 2 bytes left");
  EXPECT_TRUE(out.empty());
}

// ---- record.h helpers ----

TEST(RecordCodecTest, PeekRecordType) {
  EXPECT_EQ(PeekRecordType(""), 0);
  EXPECT_EQ(PeekRecordType(B({0x02, 0x00})), 2);
  EXPECT_EQ(PeekRecordType(B({0xff})), 255);
}

TEST(RecordCodecTest, RecordTypeNames) {
  EXPECT_STREQ(RecordTypeName(1), "series");
  EXPECT_STREQ(RecordTypeName(2), "samples");
  EXPECT_STREQ(RecordTypeName(3), "tombstones");
  EXPECT_STREQ(RecordTypeName(4), "exemplars");
  EXPECT_STREQ(RecordTypeName(5), "mmapmarkers");
  EXPECT_STREQ(RecordTypeName(6), "metadata");
  EXPECT_STREQ(RecordTypeName(7), "histogram_samples");
  EXPECT_STREQ(RecordTypeName(8), "float_histogram_samples");
  for (int type : {0, 9, 13, 255}) EXPECT_STREQ(RecordTypeName(static_cast<uint8_t>(type)), "unknown");
}

TEST(RecordCodecTest, SameBitsComparesBitPatterns) {
  EXPECT_TRUE(SameBits(kStale, kStale));
  EXPECT_TRUE(SameBits(kQuietNaN, FromBits(0x7ff8000000000001)));
  EXPECT_FALSE(SameBits(kStale, kQuietNaN));
  EXPECT_FALSE(SameBits(0.0, -0.0));
  EXPECT_TRUE(SameBits(kInf, kInf));
  EXPECT_FALSE(SameBits(kInf, -kInf));
}

TEST(RecordCodecTest, HistogramEqualityIsBitwise) {
  Histogram a = SmallHistogram();
  a.sum = kStale;
  Histogram b = a;
  EXPECT_TRUE(a == b);
  b.sum = kQuietNaN;
  EXPECT_FALSE(a == b);
  b = a;
  b.zero_threshold = -0.0;
  EXPECT_FALSE(a == b);
  b = a;
  b.negative_buckets = {0};
  EXPECT_FALSE(a == b);

  FloatHistogram f;
  f.positive_buckets = {kStale, -0.0};
  FloatHistogram g = f;
  EXPECT_TRUE(f == g);
  g.positive_buckets[1] = 0.0;
  EXPECT_FALSE(f == g);
  g = f;
  g.positive_buckets.push_back(1);
  EXPECT_FALSE(f == g);
  g = f;
  g.count = -0.0;
  EXPECT_FALSE(f == g);
}

}  // namespace
}  // namespace walproof
