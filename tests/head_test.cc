// Head, XOR chunks and the head digest: replay semantics entry by entry
// (aliases, unknown refs, order, min valid time, tombstones, exemplars,
// metadata), chunk encoding bit for bit, and a digest that depends on content
// only.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "walproof/head/head.h"
#include "walproof/head/head_digest.h"
#include "walproof/head/xor_chunk.h"

namespace walproof {
namespace {

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;  // Prometheus's staleness marker
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

double Bits(uint64_t b) { return std::bit_cast<double>(b); }

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back({n, v});
  return out;
}

Labels Named(const std::string& name) { return {{"__name__", name}, {"job", "test"}}; }

Histogram IntHistogram(uint64_t count) {
  Histogram h;
  h.schema = 3;
  h.count = count;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 2};
  return h;
}

FloatHistogram FloatHist(double sum) {
  FloatHistogram h;
  h.sum = sum;
  h.negative_spans = {{-1, 1}};
  h.negative_buckets = {0.5};
  return h;
}

std::string HexToBytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct Point {
  int64_t t;
  uint64_t v;
};

// Encodes, then decodes, and checks every sample comes back bit for bit.
void ExpectRoundTrip(const std::vector<Point>& points) {
  XorAppender app;
  for (const Point& p : points) app.Append(p.t, p.v);
  ASSERT_EQ(app.num_samples(), points.size());
  XorIterator it(app.bytes());
  for (size_t i = 0; i < points.size(); ++i) {
    ASSERT_TRUE(it.Next()) << "sample " << i;
    EXPECT_EQ(it.t(), points[i].t) << "sample " << i;
    EXPECT_EQ(it.v_bits(), points[i].v) << "sample " << i;
  }
  EXPECT_FALSE(it.Next());
  EXPECT_FALSE(it.error());
  // What the header and first bytes tell without decoding.
  EXPECT_EQ(XorChunkSamples(app.bytes()), points.size());
  if (!points.empty()) {
    EXPECT_EQ(XorChunkMinTime(app.bytes()), points[0].t);
  }
}

// ---- XOR chunks ----

TEST(XorChunk, SpecialValuesRoundTripBitExact) {
  const uint64_t values[] = {
      kStaleNaN,
      0x7ff8000000000000ULL,  // the usual quiet NaN
      0x7ff8000000000001ULL,  // quiet NaN with a payload
      0xfff8000000000000ULL,  // negative NaN
      0x7ff0000000000001ULL,  // signalling NaN
      0x7fffffffffffffffULL,
      kStaleNaN,
      std::bit_cast<uint64_t>(-0.0),
      std::bit_cast<uint64_t>(0.0),
      std::bit_cast<uint64_t>(-0.0),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::infinity()),
      std::bit_cast<uint64_t>(-std::numeric_limits<double>::infinity()),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::denorm_min()),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::max()),
      std::bit_cast<uint64_t>(1.0),
      1,  // a denormal
      0x8000000000000001ULL,
      ~uint64_t{0},
  };
  std::vector<Point> points;
  int64_t t = 1700000000000;
  for (uint64_t v : values) points.push_back({t += 15000, v});
  ExpectRoundTrip(points);
}

TEST(XorChunk, DeltaOfDeltaBucketEdges) {
  // Upstream's buckets take -(2^(n-1)-1) .. +2^(n-1); one beyond moves up.
  std::vector<int64_t> dods = {0, 1, -1};
  for (int n : {14, 17, 20}) {
    const int64_t half = int64_t{1} << (n - 1);
    for (int64_t d : {half - 1, half, half + 1, -(half - 1), -half, -(half + 1)}) dods.push_back(d);
  }
  dods.push_back(int64_t{1} << 40);
  dods.push_back(-(int64_t{1} << 40));
  std::vector<Point> points = {{0, 0}, {1000, 1}};
  int64_t delta = 1000;
  for (size_t i = 0; i < dods.size(); ++i) {
    delta += dods[i];
    points.push_back({points.back().t + delta, i});
  }
  ExpectRoundTrip(points);
}

TEST(XorChunk, ExtremeTimestamps) {
  ExpectRoundTrip({{kMin, 1}, {kMin + 1, 2}, {kMax, 3}, {-5, 4}, {kMin, 5}, {0, 6}});
  ExpectRoundTrip({{kMax, 7}});
  ExpectRoundTrip({{-1, kStaleNaN}, {0, kStaleNaN}});
}

TEST(XorChunk, RandomRoundTrip) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<Point> points;
    uint64_t t = rng();  // time steps wrap around, as int64 deltas may
    uint64_t v = rng();
    const int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0: t += 15000; break;
        case 1: t += rng() % 100000; break;
        default: t += rng() >> (rng() % 64); break;
      }
      switch (rng() % 5) {
        case 0: break;  // same value
        case 1: v = rng(); break;
        case 2: v ^= uint64_t{1} << (rng() % 64); break;
        case 3: v = std::bit_cast<uint64_t>(std::bit_cast<double>(v) + 1.0); break;
        default: v ^= rng() >> (rng() % 64) << (rng() % 8); break;
      }
      points.push_back({static_cast<int64_t>(t), v});
    }
    ExpectRoundTrip(points);
  }
}

// A chunk Prometheus 2.42 wrote (promtool tsdb bench write, chunks_head of
// 300k series x 600 scrapes: series ref 3's first chunk, 120 samples): decoded
// and re-encoded by walproof, it must come back byte for byte.
constexpr std::string_view kPrometheusChunk =
    "0078e0d403419d6f43f4000000b0ea01f6441bd138548f782fc2a1068cea10e9c6a1068c2a0fe842b9a1ff068023500c"
    "3a009d407068021500c7a008540f06802f500c3a008d407068021500cfa008541f068023500c3a00fd407068021500c7"
    "a008540f068027500c3a008d407068021500dfa008543f068023500c3a009d407068021500c7a008540f06801f50043a"
    "018d4010680e15004fa01854010683e350043a01bd4010680e150047a01854010681e750043a018d4010680e15007fa0"
    "185401068fe350043a019d4010680e150047a01854010681ef50043a018d4010680e15004fa01854010683e350043a00"
    "7d403068021501c7ad06940106806150047a078540106806750043a038d4010680615003fa00855ff068023500c3a009"
    "d407068021500c78";

TEST(XorChunk, ByteCompatibleWithPrometheus) {
  const std::string chunk = HexToBytes(kPrometheusChunk);
  XorIterator it(chunk);
  EXPECT_EQ(it.num_samples(), 120);
  XorAppender app;
  // bench write scrapes every 30 s; values start at 123456789 + 1000 and
  // grow by 1000, starting over every 100 scrapes.
  for (int i = 0; it.Next(); ++i) {
    EXPECT_EQ(it.t(), 30000 * (i + 1));
    EXPECT_EQ(it.v(), 123456789.0 + 1000.0 * (i % 100 + 1));
    app.Append(it.t(), it.v_bits());
  }
  EXPECT_FALSE(it.error());
  EXPECT_EQ(app.num_samples(), 120);
  EXPECT_EQ(app.bytes(), chunk);
}

TEST(XorChunk, HandComputedBytes) {
  // (1000, 1.0), (2000, 1.0), (3000, 2.0): header 00 03; zigzag varint of
  // 1000 (d0 0f) and the bits of 1.0; uvarint 1000 (e8 07); then bits
  // 0 (same value), 0 (dod 0), 11 00001 001011 11111111111 (new window).
  XorAppender app;
  app.Append(1000, std::bit_cast<uint64_t>(1.0));
  app.Append(2000, std::bit_cast<uint64_t>(1.0));
  app.Append(3000, std::bit_cast<uint64_t>(2.0));
  EXPECT_EQ(app.bytes(), HexToBytes("0003d00f3ff0000000000000e8073097ffc0"));
}

TEST(XorChunk, MalformedBytesStopWithError) {
  const std::string chunk = HexToBytes(kPrometheusChunk);
  for (size_t cut = 0; cut < chunk.size(); cut += 7) {
    XorIterator it(std::string_view(chunk).substr(0, cut));
    int n = 0;
    while (it.Next()) ++n;
    EXPECT_LE(n, 120);
    if (cut >= 2) {
      EXPECT_TRUE(it.error()) << "cut at " << cut;
    }
  }
}

TEST(XorChunk, ResetKeepsEncodingExact) {
  XorAppender app;
  for (int i = 0; i < 50; ++i) app.Append(i * 10, std::bit_cast<uint64_t>(i * 0.5));
  app.Reset();
  XorAppender fresh;
  for (int i = 0; i < 20; ++i) {
    app.Append(1000 + i * 7, std::bit_cast<uint64_t>(i * 3.25));
    fresh.Append(1000 + i * 7, std::bit_cast<uint64_t>(i * 3.25));
  }
  EXPECT_EQ(app.bytes(), fresh.bytes());
}

// ---- Series, aliases, refs ----

TEST(Head, AliasSamplesGoToOriginalSeries) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AddSeries(7, Named("a"));  // same labels under a new ref
  EXPECT_EQ(head.num_series(), 1u);
  EXPECT_EQ(head.counters().series_aliased, 1u);
  EXPECT_EQ(head.Resolve(1), head.Resolve(7));
  head.AppendSample({1, 100, 1.0});
  head.AppendSample({7, 200, 2.0});
  head.AppendSample({7, 150, 3.0});  // older than what the series holds
  head.AppendSample({1, 200, 4.0});  // the alias already wrote t=200
  const SeriesId id = head.FindByLabels(Named("a"));
  ASSERT_NE(id, kNoSeries);
  EXPECT_EQ(head.series_ref(id), 1u);
  EXPECT_EQ(head.FloatSamples(id), (std::vector<FloatSample>{{100, 1.0}, {200, 2.0}}));
  EXPECT_EQ(head.counters().samples_appended, 2u);
  EXPECT_EQ(head.counters().samples_out_of_order, 1u);
  EXPECT_EQ(head.counters().samples_duplicate, 1u);
}

TEST(Head, AliasResolvesEveryKindOfEntry) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AddSeries(2, Named("a"));
  head.AddTombstone({2, 10, 20});
  head.AddExemplar({2, 15, 1.5, L({{"trace_id", "x"}})});
  head.SetMetadata({2, 1, "seconds", "help"});
  head.AppendHistogram({2, 30, IntHistogram(3)});
  const SeriesId id = head.Resolve(1);
  EXPECT_EQ(head.tombstones(id), (std::vector<TimeInterval>{{10, 20}}));
  ASSERT_EQ(head.exemplars(id).size(), 1u);
  ASSERT_NE(head.metadata(id), nullptr);
  EXPECT_EQ(head.metadata(id)->unit, "seconds");
  ASSERT_EQ(head.histograms(id).size(), 1u);
  EXPECT_EQ(head.histograms(id)[0].h.count, 3u);
}

TEST(Head, RepeatedAndReboundSeriesRecords) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AddSeries(1, Named("a"));  // logged again: nothing changes
  EXPECT_EQ(head.counters().series_repeated, 1u);
  head.AddSeries(2, Named("a"));
  head.AddSeries(2, Named("a"));  // the alias logged again
  EXPECT_EQ(head.counters().series_repeated, 2u);
  EXPECT_EQ(head.counters().series_aliased, 1u);
  // A bound ref with other labels: a new series, and the ref follows it.
  head.AddSeries(1, Named("b"));
  EXPECT_EQ(head.num_series(), 2u);
  EXPECT_EQ(head.counters().series_rebound, 1u);
  EXPECT_EQ(head.Resolve(1), head.FindByLabels(Named("b")));
  EXPECT_EQ(head.Resolve(2), head.FindByLabels(Named("a")));
  EXPECT_EQ(head.counters().series_created, 2u);
}

TEST(Head, UnknownRefsAreCountedNeverErrors) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AppendSample({99, 1, 1.0});
  head.AppendSamples(std::vector<RefSample>{{98, 1, 1.0}, {1, 1, 1.0}, {97, 2, 1.0}}.data(), 3);
  head.AppendHistogram({99, 1, {}});
  head.AppendFloatHistogram({99, 1, {}});
  head.AddTombstone({99, 1, 2});
  head.AddExemplar({99, 1, 1.0, {}});
  head.SetMetadata({99, 1, "", ""});
  const HeadCounters& c = head.counters();
  EXPECT_EQ(c.samples_unknown_ref, 3u);
  EXPECT_EQ(c.samples_appended, 1u);
  EXPECT_EQ(c.histograms_unknown_ref, 2u);
  EXPECT_EQ(c.tombstones_unknown_ref, 1u);
  EXPECT_EQ(c.exemplars_unknown_ref, 1u);
  EXPECT_EQ(c.metadata_unknown_ref, 1u);
  EXPECT_EQ(head.num_series(), 1u);
}

TEST(Head, SparseAndHugeRefs) {
  Head head;
  const uint64_t refs[] = {0, 5, uint64_t{1} << 40, ~uint64_t{0}, 3, 70000, 1 << 20, 12345678901ULL};
  for (size_t i = 0; i < std::size(refs); ++i) head.AddSeries(refs[i], Named("s" + std::to_string(i)));
  for (size_t i = 0; i < std::size(refs); ++i) {
    const SeriesId id = head.Resolve(refs[i]);
    ASSERT_NE(id, kNoSeries);
    EXPECT_EQ(head.labels(id), Named("s" + std::to_string(i)));
    EXPECT_EQ(head.series_ref(id), refs[i]);
  }
  EXPECT_EQ(head.Resolve(4), kNoSeries);
  EXPECT_EQ(head.Resolve((uint64_t{1} << 40) + 1), kNoSeries);
}

TEST(Head, ManySeriesAcrossBlocks) {
  Head head;
  constexpr int kSeries = 10000;  // several blocks, several rehashes
  for (int i = 0; i < kSeries; ++i) head.AddSeries(static_cast<uint64_t>(i) * 3 + 1, Named("m" + std::to_string(i)));
  for (int i = 0; i < kSeries; ++i) head.AppendSample({static_cast<uint64_t>(i) * 3 + 1, i, double(i)});
  EXPECT_EQ(head.num_series(), static_cast<size_t>(kSeries));
  for (int i = 0; i < kSeries; i += 997) {
    const SeriesId id = head.FindByLabels(Named("m" + std::to_string(i)));
    ASSERT_NE(id, kNoSeries);
    EXPECT_EQ(head.FloatSamples(id), (std::vector<FloatSample>{{i, double(i)}}));
  }
  EXPECT_EQ(head.num_float_samples(), static_cast<uint64_t>(kSeries));
}

// ---- Sample order, chunks, histograms ----

TEST(Head, OutOfOrderAndDuplicatesAreDropped) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AppendSample({1, 100, 1.0});
  head.AppendSample({1, 100, 1.0});  // same sample again
  head.AppendSample({1, 100, 2.0});  // same time, other value: still dropped
  head.AppendSample({1, 99, 3.0});
  head.AppendSample({1, 101, 4.0});
  const SeriesId id = head.Resolve(1);
  EXPECT_EQ(head.FloatSamples(id), (std::vector<FloatSample>{{100, 1.0}, {101, 4.0}}));
  EXPECT_EQ(head.counters().samples_duplicate, 2u);
  EXPECT_EQ(head.counters().samples_out_of_order, 1u);
}

TEST(Head, FloatsAndHistogramsShareLastTime) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AppendSample({1, 100, 1.0});
  head.AppendHistogram({1, 100, {}});       // duplicate of the float's time
  head.AppendHistogram({1, 200, {}});
  head.AppendSample({1, 150, 2.0});          // older than the histogram
  head.AppendFloatHistogram({1, 200, {}});  // duplicate
  head.AppendFloatHistogram({1, 300, FloatHist(2.5)});
  head.AppendSample({1, 400, 3.0});
  const SeriesId id = head.Resolve(1);
  EXPECT_EQ(head.FloatSamples(id), (std::vector<FloatSample>{{100, 1.0}, {400, 3.0}}));
  ASSERT_EQ(head.histograms(id).size(), 1u);
  EXPECT_EQ(head.histograms(id)[0].t, 200);
  ASSERT_EQ(head.float_histograms(id).size(), 1u);
  EXPECT_EQ(head.float_histograms(id)[0].h.sum, 2.5);
  EXPECT_EQ(head.counters().histograms_duplicate, 2u);
  EXPECT_EQ(head.counters().samples_out_of_order, 1u);
  EXPECT_EQ(head.counters().histograms_appended, 2u);
}

TEST(Head, CutsChunksAt120Samples) {
  Head head;
  head.AddSeries(1, Named("a"));
  for (int i = 0; i < 250; ++i) head.AppendSample({1, i * 15000, double(i)});
  const SeriesId id = head.Resolve(1);
  const std::vector<ChunkView> chunks = head.FloatChunks(id);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].samples(), 120);
  EXPECT_EQ(chunks[0].mint(), 0);
  EXPECT_EQ(chunks[0].maxt, 119 * 15000);
  EXPECT_EQ(chunks[1].samples(), 120);
  EXPECT_EQ(chunks[1].mint(), 120 * 15000);
  EXPECT_EQ(chunks[2].samples(), 10);
  EXPECT_EQ(chunks[2].maxt, 249 * 15000);
  const std::vector<FloatSample> got = head.FloatSamples(id);
  ASSERT_EQ(got.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(got[i], (FloatSample{i * 15000, double(i)}));
  EXPECT_EQ(head.num_float_samples(id), 250u);
  // A regular series costs a few bytes a sample, not sixteen.
  size_t bytes = 0;
  for (const ChunkView& c : chunks) bytes += c.bytes.size();
  EXPECT_LT(bytes, 250u * 4);
  EXPECT_GE(head.Memory().chunk_bytes, bytes);
  // The last chunk is the open one: the next sample goes into it, and the
  // closed ones stay as they were.
  head.AppendSample({1, 250 * 15000, 250.0});
  const std::vector<ChunkView> after = head.FloatChunks(id);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].samples(), 11);
  EXPECT_EQ(after[0], chunks[0]);
  EXPECT_EQ(after[1], chunks[1]);
}

// As upstream's head does, a chunk never reaches past the end of its chunk
// range (2 h by default), so that a block takes it whole; what the head
// keeps of each chunk (its last time) matches its samples.
TEST(Head, CutsChunksAtTheEndOfEachChunkRange) {
  constexpr int64_t kRange = 2 * 60 * 60 * 1000;
  Head head;
  head.AddSeries(1, Named("a"));
  // Every 60 s from 20 minutes before a range ends: 20 samples, a cut, 30 more.
  const int64_t t0 = 5 * kRange - 20 * 60000;
  for (int i = 0; i < 50; ++i) head.AppendSample({1, t0 + i * 60000, double(i)});
  const SeriesId id = head.Resolve(1);
  const std::vector<ChunkView> chunks = head.FloatChunks(id);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].samples(), 20);
  EXPECT_EQ(chunks[0].mint(), t0);
  EXPECT_EQ(chunks[0].maxt, 5 * kRange - 60000);
  EXPECT_EQ(chunks[1].samples(), 30);
  EXPECT_EQ(chunks[1].mint(), 5 * kRange);
  EXPECT_EQ(chunks[1].maxt, t0 + 49 * 60000);
  for (const ChunkView& c : chunks) {
    int64_t last = 0;
    for (XorIterator it(c.bytes); it.Next();) last = it.t();
    EXPECT_EQ(c.maxt, last);
  }
  // Negative times have ranges of their own too.
  head.AddSeries(2, Named("b"));
  head.AppendSample({2, -1000, 1});
  head.AppendSample({2, 0, 2});
  EXPECT_EQ(head.FloatChunks(head.Resolve(2)).size(), 2u);
}

TEST(Head, ChunkRangeZeroCutsOnSampleCountAlone) {
  HeadOptions options;
  options.chunk_range = 0;
  Head head(options);
  head.AddSeries(1, Named("a"));
  constexpr int64_t kRange = 2 * 60 * 60 * 1000;
  for (int i = 0; i < 130; ++i) head.AppendSample({1, kRange - 60000 + i * 60000, double(i)});
  const std::vector<ChunkView> chunks = head.FloatChunks(head.Resolve(1));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].samples(), 120);
  EXPECT_EQ(chunks[0].maxt, kRange + 118 * 60000);
  EXPECT_EQ(chunks[1].samples(), 10);
}

TEST(Head, StaleMarkersAndNaNPayloadsKeptBitExact) {
  Head head;
  head.AddSeries(1, Named("a"));
  const uint64_t values[] = {kStaleNaN, 0x7ff8000000000001ULL, std::bit_cast<uint64_t>(-0.0),
                             std::bit_cast<uint64_t>(0.0), kStaleNaN};
  for (size_t i = 0; i < std::size(values); ++i) head.AppendSample({1, int64_t(i), Bits(values[i])});
  size_t i = 0;
  for (Head::FloatIterator it(head, head.Resolve(1)); it.Next(); ++i) EXPECT_EQ(it.v_bits(), values[i]);
  EXPECT_EQ(i, std::size(values));
}

// ---- Min valid time ----

TEST(Head, MinValidTimeDropsOldEntries) {
  Head head(HeadOptions{.min_valid_time = 1000});
  head.AddSeries(1, Named("a"));
  head.AppendSample({1, 999, 1.0});
  head.AppendSample({1, 1000, 2.0});
  head.AppendSample({99, 5, 1.0});  // too old is checked before unknown, as upstream
  head.AppendHistogram({1, 999, {}});
  head.AddTombstone({1, 0, 999});      // ends before the min valid time
  head.AddTombstone({1, 500, 1000});   // reaches it: kept whole
  head.AddExemplar({1, 999, 1.0, {}});
  head.AddExemplar({1, 1000, 1.0, {}});
  const SeriesId id = head.Resolve(1);
  EXPECT_EQ(head.FloatSamples(id), (std::vector<FloatSample>{{1000, 2.0}}));
  const HeadCounters& c = head.counters();
  EXPECT_EQ(c.samples_too_old, 2u);
  EXPECT_EQ(c.samples_unknown_ref, 0u);
  EXPECT_EQ(c.histograms_too_old, 1u);
  EXPECT_EQ(c.tombstones_too_old, 1u);
  EXPECT_EQ(head.tombstones(id), (std::vector<TimeInterval>{{500, 1000}}));
  EXPECT_EQ(c.exemplars_too_old, 1u);
  EXPECT_EQ(head.exemplars(id).size(), 1u);
}

// ---- Tombstones, exemplars, metadata ----

TEST(Head, TombstonesMergeLikeUpstream) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AddTombstone({1, 10, 20});
  head.AddTombstone({1, 40, 50});
  head.AddTombstone({1, 21, 25});   // adjacent to [10,20]: joins it
  head.AddTombstone({1, 100, 200});
  head.AddTombstone({1, 45, 110});  // bridges [40,50] and [100,200]
  head.AddTombstone({1, 30, 30});
  head.AddTombstone({1, 5, 1});     // empty: dropped
  const SeriesId id = head.Resolve(1);
  EXPECT_EQ(head.tombstones(id),
            (std::vector<TimeInterval>{{10, 25}, {30, 30}, {40, 200}}));
  EXPECT_EQ(head.counters().tombstones_empty, 1u);
  EXPECT_TRUE(head.IsDeleted(id, 25));
  EXPECT_FALSE(head.IsDeleted(id, 26));
  EXPECT_TRUE(head.IsDeleted(id, 30));
  // The ends of int64 do not overflow.
  head.AddTombstone({1, kMin, kMin});
  head.AddTombstone({1, kMax, kMax});
  head.AddTombstone({1, kMin + 1, 0});
  head.AddTombstone({1, 201, kMax - 1});
  EXPECT_EQ(head.tombstones(id),
            (std::vector<TimeInterval>{{kMin, 0}, {10, 25}, {30, 30}, {40, kMax}}));
}

TEST(Head, ExemplarsKeepTimeOrder) {
  Head head;
  head.AddSeries(1, Named("a"));
  head.AddExemplar({1, 10, 1.0, L({{"trace_id", "a"}})});
  head.AddExemplar({1, 10, 1.0, L({{"trace_id", "a"}})});  // duplicate
  head.AddExemplar({1, 5, 2.0, {}});                       // out of order
  head.AddExemplar({1, 20, Bits(kStaleNaN), L({{"trace_id", "b"}})});
  const SeriesId id = head.Resolve(1);
  ASSERT_EQ(head.exemplars(id).size(), 2u);
  EXPECT_EQ(head.exemplars(id)[1], (Exemplar{20, Bits(kStaleNaN), L({{"trace_id", "b"}})}));
  EXPECT_EQ(head.counters().exemplars_out_of_order, 2u);
}

TEST(Head, LatestMetadataWins) {
  Head head;
  head.AddSeries(1, Named("a"));
  EXPECT_EQ(head.metadata(head.Resolve(1)), nullptr);
  head.SetMetadata({1, 1, "bytes", "first"});
  head.SetMetadata({1, 2, "seconds", "second"});
  EXPECT_EQ(*head.metadata(head.Resolve(1)), (SeriesMetadata{2, "seconds", "second"}));
  EXPECT_EQ(head.counters().metadata_set, 2u);
}

// ---- Label order ----

TEST(Head, SortedSeriesInPrometheusLabelOrder) {
  Head head;
  head.AddSeries(1, L({{"a", "2"}}));
  head.AddSeries(2, L({{"a", "1"}, {"b", "1"}}));
  head.AddSeries(3, L({{"a", "1"}}));  // a prefix sorts first
  head.AddSeries(4, L({{"A", "9"}}));
  head.AddSeries(5, L({}));
  std::vector<Labels> order;
  for (SeriesId id : head.SortedSeries()) order.push_back(head.labels(id));
  EXPECT_EQ(order, (std::vector<Labels>{L({}), L({{"A", "9"}}), L({{"a", "1"}}),
                                        L({{"a", "1"}, {"b", "1"}}), L({{"a", "2"}})}));
  EXPECT_EQ(DecodeLabelSet(EncodeLabelSet(order[3])), order[3]);
}

// ---- Digest ----

// Builds the same content in two heads with different refs and a different
// order of series creation and appends.
void Fill(Head* head, bool reversed) {
  const int n = 40;
  std::vector<int> order;
  for (int i = 0; i < n; ++i) order.push_back(reversed ? n - 1 - i : i);
  const uint64_t base = reversed ? 1000 : 1;
  for (int i : order) head->AddSeries(base + i, Named("d" + std::to_string(i)));
  for (int k = 0; k < 300; ++k) {
    for (int i : order) {
      const double v = (i == 3 && k == 7) ? Bits(kStaleNaN) : i * 1000.0 + k;
      head->AppendSample({base + i, int64_t(k) * 15000, v});
    }
  }
  for (int i : order) {
    if (i % 5 == 0) head->AddTombstone({base + i, 0, 30000});
    if (i % 7 == 0) head->SetMetadata({base + i, 2, "s", "help " + std::to_string(i)});
    if (i % 4 == 0) head->AddExemplar({base + i, 9000000, 1.5, {{"trace_id", std::to_string(i)}}});
    if (i % 9 == 0) head->AppendHistogram({base + i, 5000000, IntHistogram(uint64_t(i))});
  }
}

TEST(HeadDigest, IndependentOfRefsAndInsertionOrder) {
  Head a, b;
  Fill(&a, false);
  Fill(&b, true);
  EXPECT_NE(a.series_ref(a.FindByLabels(Named("d0"))), b.series_ref(b.FindByLabels(Named("d0"))));
  const HeadDigest da = DigestHead(a);
  EXPECT_EQ(da, DigestHead(b));
  EXPECT_EQ(da, DigestHead(b, 4));
  EXPECT_EQ(da.Hex().size(), 32u);
  EXPECT_EQ(da.Hex(), DigestHead(a, 3).Hex());
}

TEST(HeadDigest, ChangesWithContent) {
  Head base;
  Fill(&base, false);
  const HeadDigest d = DigestHead(base);
  auto changed = [&](auto mutate) {
    Head h;
    Fill(&h, false);
    mutate(&h);
    return DigestHead(h) != d;
  };
  EXPECT_TRUE(changed([](Head* h) { h->AppendSample({1, 10000000, 1.0}); }));
  EXPECT_TRUE(changed([](Head* h) { h->AddTombstone({2, 1, 1}); }));
  EXPECT_TRUE(changed([](Head* h) { h->SetMetadata({2, 2, "s", "other"}); }));
  EXPECT_TRUE(changed([](Head* h) { h->AddExemplar({2, 9000001, 1.5, {}}); }));
  EXPECT_TRUE(changed([](Head* h) { h->AddSeries(500, Named("new")); }));
  EXPECT_TRUE(changed([](Head* h) { h->AppendFloatHistogram({2, 9000000, {}}); }));
  // A NaN payload is content: the stale marker and a plain NaN differ.
  Head x, y;
  x.AddSeries(1, Named("n"));
  y.AddSeries(1, Named("n"));
  x.AppendSample({1, 1, Bits(kStaleNaN)});
  y.AppendSample({1, 1, Bits(0x7ff8000000000001ULL)});
  EXPECT_NE(DigestHead(x), DigestHead(y));
  // So is the sign of zero.
  Head p, q;
  p.AddSeries(1, Named("z"));
  q.AddSeries(1, Named("z"));
  p.AppendSample({1, 1, 0.0});
  q.AppendSample({1, 1, -0.0});
  EXPECT_NE(DigestHead(p), DigestHead(q));
}

TEST(HeadDigest, EmptyHeadsAgree) { EXPECT_EQ(DigestHead(Head()), DigestHead(Head(), 8)); }

// ---- Threading contract ----

// Appends to disjoint series on lanes while another thread creates series and
// adds tombstones (run under TSan in CI).
TEST(Head, ConcurrentAppendsOnLanes) {
  Head head;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  head.SetAppendLanes(kThreads);
  std::vector<SeriesId> ids;
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    head.AddSeries(uint64_t(i) + 1, Named("c" + std::to_string(i)));
    ids.push_back(head.Resolve(uint64_t(i) + 1));
  }
  std::vector<HeadCounters> counters(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      std::vector<Head::IdSample> batch;
      for (int k = 0; k < 300; ++k) {
        batch.clear();
        for (int i = w; i < kThreads * kPerThread; i += kThreads) batch.push_back({ids[i], k, double(k)});
        head.AppendFloatsTo(batch.data(), batch.size(), static_cast<size_t>(w), &counters[w]);
      }
    });
  }
  for (int i = 0; i < 5000; ++i) head.AddSeries(100000 + uint64_t(i), Named("late" + std::to_string(i)));
  for (int i = 0; i < 100; ++i) head.AddTombstone({uint64_t(i) + 1, 0, 1});
  for (std::thread& t : threads) t.join();
  uint64_t appended = 0;
  for (const HeadCounters& c : counters) appended += c.samples_appended;
  EXPECT_EQ(appended, uint64_t{kThreads} * kPerThread * 300);
  EXPECT_EQ(head.num_float_samples(), appended);
}

}  // namespace
}  // namespace walproof
