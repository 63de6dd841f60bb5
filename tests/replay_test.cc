// Replay: sequential replay applies the reference semantics; parallel replay
// must leave an equal head (contents, counters, digest) and stop at the same
// corruption, for every thread count, on WALs of many segments with aliases,
// unknown refs, out-of-order samples, tombstones, a checkpoint, a min valid
// time, and corruption in the middle.
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "wal_test_util.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/head.h"
#include "walproof/head/head_digest.h"
#include "walproof/head/replay.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_writer.h"

namespace walproof {
namespace {

using testutil::TempDir;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;
constexpr uint64_t kSmallSegment = 64 * 1024;

Labels SeriesLabels(int i) {
  return {{"__name__", "metric_" + std::to_string(i % 13)},
          {"instance", "host-" + std::to_string(i)},
          {"job", "replay_test"}};
}

Histogram IntHistogram(int64_t k) {
  Histogram h;
  h.schema = 1;
  h.count = static_cast<uint64_t>(k);
  h.sum = double(k) * 0.5;
  h.positive_spans = {{0, 2}, {3, 1}};
  h.positive_buckets = {k, 1, -1};
  return h;
}

FloatHistogram FloatHist(int64_t k) {
  FloatHistogram h;
  h.schema = 2;
  h.count = double(k);
  h.zero_count = 1;
  h.negative_spans = {{1, 1}};
  h.negative_buckets = {double(k) / 3};
  return h;
}

// The records of a WAL that exercises every replay rule. Series refs are
// 1..series; scrape k is at 1000 + 15000*k.
std::vector<std::string> RichRecords(int series, int scrapes, uint32_t seed, size_t max_record = 97) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  auto log = [&](auto encode) {
    std::string rec;
    encode(&rec);
    out.push_back(std::move(rec));
  };
  const int first = series / 2;  // the rest are created midway
  auto create = [&](int from, int to) {
    std::vector<RefSeries> batch;
    for (int i = from; i < to; ++i) batch.push_back({uint64_t(i) + 1, SeriesLabels(i)});
    log([&](std::string* r) { EncodeSeries(batch, r); });
  };
  create(0, first);
  log([&](std::string* r) { EncodeMetadata({{1, 1, "seconds", "the first"}, {5000000, 2, "", ""}}, r); });
  for (int k = 0; k < scrapes; ++k) {
    const int64_t t = 1000 + 15000 * int64_t(k);
    if (k == scrapes / 3) {
      // Samples for refs whose series record comes next: unknown now.
      log([&](std::string* r) { EncodeSamples({{uint64_t(first) + 1, t - 1, 1.0}}, r); });
      create(first, series);
      // Aliases: new refs for existing label sets; and one repeated record.
      std::vector<RefSeries> aliases;
      for (int i = 0; i < series; i += 7) aliases.push_back({100000 + uint64_t(i), SeriesLabels(i)});
      aliases.push_back({2, SeriesLabels(3)});  // rebinds ref 2 (series 1) as an alias of series 3
      aliases.push_back({5, SeriesLabels(4)});  // series 4's own record again
      log([&](std::string* r) { EncodeSeries(aliases, r); });
    }
    const int live = k >= scrapes / 3 ? series : first;
    std::vector<RefSample> samples;
    for (int i = 0; i < live; ++i) {
      uint64_t ref = uint64_t(i) + 1;
      if (k > scrapes / 3 && i % 7 == 0 && k % 2 == 0) ref = 100000 + uint64_t(i);  // via the alias
      double v = double(i) * 1000 + k;
      if (i % 11 == 0 && k % 10 == 9) v = std::bit_cast<double>(kStaleNaN);
      if (i % 17 == 0) v = std::bit_cast<double>(rng());  // any bits at all
      samples.push_back({ref, t, v});
    }
    samples.push_back({777777, t, 1.0});  // never a series
    if (k > 0) samples.push_back({3, t - 15000, 5.0});  // out of order (or a duplicate)
    samples.push_back({4, t, 6.0});                     // duplicate of this scrape's sample
    std::shuffle(samples.begin() + live / 2, samples.end(), rng);
    // Split into records of varying size, as many appenders commit.
    for (size_t at = 0; at < samples.size();) {
      const size_t n = std::min<size_t>(samples.size() - at, 1 + rng() % max_record);
      std::vector<RefSample> part(samples.begin() + at, samples.begin() + at + n);
      log([&](std::string* r) { EncodeSamples(part, r); });
      at += n;
    }
    if (k % 5 == 2) {
      log([&](std::string* r) {
        EncodeTombstones({{uint64_t(k % series) + 1, t - 40000, t - 20000},
                          {100000, t - 100, t},
                          {uint64_t(k % series) + 1, t - 19999, t - 15000},
                          {888888, 0, 1}},
                         r);
      });
    }
    if (k % 4 == 1) {
      log([&](std::string* r) {
        EncodeExemplars({{uint64_t(k % series) + 1, t, 0.5, {{"trace_id", std::to_string(k)}}},
                         {5, t - 5, 1.5, {}},
                         {999999, t, 1, {}}},
                        r);
      });
    }
    if (k % 6 == 3) {
      log([&](std::string* r) { EncodeHistogramSamples({{9, t + 1, IntHistogram(k)}, {424242, t, {}}}, r); });
      log([&](std::string* r) { EncodeFloatHistogramSamples({{10, t + 2, FloatHist(k)}}, r); });
      log([&](std::string* r) { EncodeMetadata({{uint64_t(k % series) + 1, 3, "bytes", "help " + std::to_string(k)}}, r); });
    }
    if (k % 9 == 4) {
      log([&](std::string* r) { EncodeMmapMarkers({{1, 12345}}, r); });  // skipped by replay
      out.push_back(std::string("\x0b\x01\x02\x03", 4));                  // a 3.x type: skipped
      out.push_back(std::string(1, static_cast<char>(RecordType::kSamples)));  // empty record
    }
  }
  return out;
}

void WriteWal(const std::string& dir, const std::vector<std::string>& records,
              Compression compression = Compression::kNone, uint64_t segment_size = kSmallSegment) {
  WalWriterOptions options;
  options.segment_size = segment_size;
  options.compression = compression;
  auto writer = WalWriter::Open(PosixFs(), dir, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const std::string& r : records) ASSERT_OK((*writer)->Log(r));
  ASSERT_OK((*writer)->Close());
}

struct Replayed {
  Status status;
  ReplayReport report;
  HeadDigest digest;
};

Replayed DoReplay(const std::string& dir, Head* head, int threads, ReplayOptions options = {}) {
  Replayed r;
  r.status = threads == 0 ? ReplaySequential(PosixFs(), dir, head, options, &r.report)
                          : ReplayParallel(PosixFs(), dir, head, options, threads, &r.report);
  r.digest = DigestHead(*head);
  return r;
}

// Series by series, everything a reader can see.
void ExpectSameHead(const Head& a, const Head& b) {
  ASSERT_EQ(a.num_series(), b.num_series());
  const std::vector<SeriesId> sa = a.SortedSeries(), sb = b.SortedSeries();
  for (size_t i = 0; i < sa.size(); ++i) {
    const SeriesId x = sa[i], y = sb[i];
    ASSERT_EQ(a.labels(x), b.labels(y));
    EXPECT_EQ(a.series_ref(x), b.series_ref(y));
    EXPECT_EQ(a.FloatSamples(x), b.FloatSamples(y));
    EXPECT_EQ(a.FloatChunks(x), b.FloatChunks(y));
    EXPECT_EQ(a.histograms(x), b.histograms(y));
    EXPECT_EQ(a.float_histograms(x), b.float_histograms(y));
    EXPECT_EQ(a.tombstones(x), b.tombstones(y));
    EXPECT_EQ(a.exemplars(x), b.exemplars(y));
    ASSERT_EQ(a.metadata(x) == nullptr, b.metadata(y) == nullptr);
    if (a.metadata(x)) {
      EXPECT_EQ(*a.metadata(x), *b.metadata(y));
    }
  }
  EXPECT_EQ(a.counters(), b.counters());
}

void ExpectSameReport(const Replayed& a, const Replayed& b) {
  EXPECT_EQ(a.status.code(), b.status.code());
  EXPECT_EQ(a.status.message(), b.status.message());
  EXPECT_EQ(a.report.records, b.report.records);
  EXPECT_EQ(a.report.records_skipped, b.report.records_skipped);
  EXPECT_EQ(a.report.series, b.report.series);
  EXPECT_EQ(a.report.samples, b.report.samples);
  EXPECT_EQ(a.report.histogram_samples, b.report.histogram_samples);
  EXPECT_EQ(a.report.counters, b.report.counters);
  ASSERT_EQ(a.report.corruption.has_value(), b.report.corruption.has_value());
  if (a.report.corruption) {
    EXPECT_EQ(a.report.corruption->path, b.report.corruption->path);
    EXPECT_EQ(a.report.corruption->segment, b.report.corruption->segment);
    EXPECT_EQ(a.report.corruption->offset, b.report.corruption->offset);
    EXPECT_EQ(a.report.corruption->reason, b.report.corruption->reason);
  }
  EXPECT_EQ(a.digest, b.digest);
}

// Sequential, then parallel with 1..8 threads (and small batches, so that
// parts hand over many pieces), all equal.
void ExpectParallelEqualsSequential(const std::string& dir, HeadOptions head_options = {},
                                    Replayed* sequential = nullptr) {
  Head seq(head_options);
  const Replayed s = DoReplay(dir, &seq, 0);
  for (int threads = 1; threads <= 8; ++threads) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    ReplayOptions options;
    options.batch_entries = threads % 2 ? 257 : 1 << 15;
    options.parts_ahead = threads == 3 ? 1 : 0;
    options.batches_per_part = threads == 5 ? 1 : 4;
    Head par(head_options);
    const Replayed p = DoReplay(dir, &par, threads, options);
    EXPECT_TRUE(p.report.parallel);
    ExpectSameReport(s, p);
    ExpectSameHead(seq, par);
  }
  if (sequential) *sequential = s;
}

TEST(Replay, SequentialAppliesEveryRule) {
  TempDir tmp;
  WriteWal(tmp.path(), RichRecords(60, 200, 1), Compression::kNone, 2 * kPageSize);
  Head head;
  const Replayed r = DoReplay(tmp.path(), &head, 0);
  ASSERT_OK(r.status);
  EXPECT_FALSE(r.report.corruption);
  EXPECT_GE(r.report.plan.segments.size(), 3u);
  EXPECT_EQ(r.report.series, 60u);
  const HeadCounters& c = r.report.counters;
  EXPECT_EQ(c.series_created, 60u);
  EXPECT_EQ(c.series_aliased, 10u);  // i = 0, 7, ..., 56, and ref 2
  EXPECT_EQ(c.series_repeated, 1u);
  EXPECT_EQ(c.series_rebound, 1u);   // ref 2 moved from series 1 to series 3
  EXPECT_EQ(head.Resolve(2), head.FindByLabels(SeriesLabels(3)));
  EXPECT_GT(c.samples_unknown_ref, 40u);
  EXPECT_GT(c.samples_out_of_order + c.samples_duplicate, 40u);
  EXPECT_GT(c.samples_duplicate, 0u);
  EXPECT_GT(c.tombstones_added, 0u);
  EXPECT_GT(c.tombstones_unknown_ref, 0u);
  EXPECT_GT(c.exemplars_added, 0u);
  EXPECT_GT(c.histograms_appended, 0u);
  EXPECT_GT(c.histograms_unknown_ref, 0u);
  EXPECT_GT(c.metadata_set, 0u);
  EXPECT_GT(c.metadata_unknown_ref, 1u);  // one never exists, some come before their series
  EXPECT_GT(r.report.records_skipped, 0u);
  EXPECT_EQ(r.report.samples, c.samples_appended);
  // The alias's samples landed on the original series.
  const SeriesId s7 = head.FindByLabels(SeriesLabels(7));
  EXPECT_EQ(head.Resolve(100007), s7);
  EXPECT_EQ(head.series_ref(s7), 8u);
  EXPECT_EQ(head.num_float_samples(s7), 200u);
  const std::vector<TimeInterval>& tomb = head.tombstones(head.Resolve(3));
  EXPECT_FALSE(tomb.empty());
  // Every series' samples are in time order.
  for (SeriesId id : head.SortedSeries()) {
    const std::vector<FloatSample> f = head.FloatSamples(id);
    for (size_t i = 1; i < f.size(); ++i) ASSERT_LT(f[i - 1].t, f[i].t);
  }
}

TEST(Replay, ParallelEqualsSequentialManySegments) {
  TempDir tmp;
  WriteWal(tmp.path(), RichRecords(400, 250, 2));
  Replayed s;
  ExpectParallelEqualsSequential(tmp.path(), {}, &s);
  EXPECT_OK(s.status);
  EXPECT_GT(s.report.plan.segments.size(), 10u);
}

TEST(Replay, ParallelEqualsSequentialBigRecords) {
  // Records far bigger than a batch (a whole scrape in one commit) are
  // handed over in slices; a corrupt one must still be refused whole.
  TempDir tmp;
  std::vector<std::string> records = RichRecords(3000, 40, 10, 6000);
  std::string truncated;
  std::vector<RefSample> scrape;
  for (int i = 0; i < 3000; ++i) scrape.push_back({uint64_t(i) + 1, 1000 + 15000 * 40, 1.0});
  EncodeSamples(scrape, &truncated);
  truncated.pop_back();
  std::vector<std::string> corrupt = records;
  corrupt.insert(corrupt.begin() + static_cast<ptrdiff_t>(corrupt.size() * 2 / 3), truncated);
  WriteWal(tmp.path(), records, Compression::kSnappy, 4 * kSmallSegment);
  ExpectParallelEqualsSequential(tmp.path());
  TempDir bad;
  WriteWal(bad.path(), corrupt, Compression::kSnappy, 4 * kSmallSegment);
  Replayed s;
  ExpectParallelEqualsSequential(bad.path(), {}, &s);
  ASSERT_TRUE(s.report.corruption.has_value());
  EXPECT_EQ(s.report.corruption->reason.rfind("decode samples: ", 0), 0u);
}

TEST(Replay, ParallelEqualsSequentialCompressed) {
  for (Compression c : {Compression::kSnappy, Compression::kZstd}) {
    SCOPED_TRACE(CompressionName(c));
    TempDir tmp;
    WriteWal(tmp.path(), RichRecords(200, 100, 3), c);
    ExpectParallelEqualsSequential(tmp.path());
  }
}

TEST(Replay, ParallelEqualsSequentialWithMinValidTime) {
  TempDir tmp;
  WriteWal(tmp.path(), RichRecords(120, 100, 4));
  const HeadOptions options{.min_valid_time = 1000 + 15000 * 50};
  Replayed s;
  ExpectParallelEqualsSequential(tmp.path(), options, &s);
  EXPECT_GT(s.report.counters.samples_too_old, 0u);
  EXPECT_GT(s.report.counters.tombstones_too_old, 0u);
  EXPECT_GT(s.report.counters.exemplars_too_old, 0u);
  EXPECT_GT(s.report.counters.histograms_too_old, 0u);
}

TEST(Replay, CheckpointThenSegments) {
  TempDir tmp;
  const std::string dir = tmp.path();
  const std::vector<std::string> records = RichRecords(150, 100, 5);
  const size_t split = records.size() / 2;
  // Segments 0..3 are covered by checkpoint.00000003: their junk must not be
  // replayed. Then the rest of the records in segments 4, 5, ...
  {
    WalWriterOptions options;
    options.segment_size = kSmallSegment;
    auto w = WalWriter::Open(PosixFs(), dir, options);
    ASSERT_TRUE(w.ok());
    std::string junk;
    EncodeSeries({{1, {{"__name__", "junk"}}}}, &junk);
    for (int s = 0; s < 4; ++s) {
      ASSERT_OK((*w)->Log(junk));
      ASSERT_TRUE((*w)->NextSegment().ok());
    }
    ASSERT_EQ((*w)->active_segment(), 4);
    for (size_t i = split; i < records.size(); ++i) ASSERT_OK((*w)->Log(records[i]));
    ASSERT_OK((*w)->Close());
  }
  // The checkpoint, several segments long, holds the first half.
  WriteWal(JoinPath(dir, CheckpointDirName(3)),
           std::vector<std::string>(records.begin(), records.begin() + split), Compression::kNone,
           2 * kPageSize);
  Replayed s;
  ExpectParallelEqualsSequential(dir, {}, &s);
  ASSERT_OK(s.status);
  ASSERT_TRUE(s.report.plan.checkpoint.has_value());
  EXPECT_EQ(*s.report.plan.checkpoint, 3);
  EXPECT_GT(s.report.plan.checkpoint_segments.size(), 1u);
  EXPECT_EQ(s.report.plan.skipped_segments, (std::vector<int>{0, 1, 2, 3}));
  // The same records in a plain WAL give the same head.
  TempDir plain;
  WriteWal(plain.path(), records);
  Head a, b;
  const Replayed x = DoReplay(dir, &a, 2);
  const Replayed y = DoReplay(plain.path(), &b, 0);
  EXPECT_EQ(x.digest, y.digest);
  EXPECT_EQ(a.counters(), b.counters());
  EXPECT_EQ(b.FindByLabels({{"__name__", "junk"}}), kNoSeries);
}

// Flips one byte of a segment in the middle of the WAL.
void FlipByte(const std::string& path, size_t offset) {
  std::string bytes = testutil::ReadFileOrDie(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
  testutil::WriteFileOrDie(path, bytes);
}

TEST(Replay, CorruptionMidWalStopsAtTheSameRecord) {
  TempDir tmp;
  WriteWal(tmp.path(), RichRecords(400, 250, 6));
  auto listing = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok());
  ASSERT_GT(listing->size(), 8u);
  const int mid = (*listing)[listing->size() / 2];
  FlipByte(testutil::SegPath(tmp.path(), mid), kPageSize + 1000);
  Replayed s;
  ExpectParallelEqualsSequential(tmp.path(), {}, &s);
  EXPECT_TRUE(s.status.IsCorruption());
  ASSERT_TRUE(s.report.corruption.has_value());
  EXPECT_EQ(s.report.corruption->segment, mid);
  EXPECT_EQ(s.report.corruption->reason.rfind("unexpected checksum", 0), 0u) << s.report.corruption->reason;
  // Records before the corruption are applied, none after it.
  Head full;
  TempDir clean;
  WriteWal(clean.path(), RichRecords(400, 250, 6));
  const Replayed c = DoReplay(clean.path(), &full, 0);
  EXPECT_LT(s.report.records, c.report.records);
  EXPECT_GT(s.report.records, 0u);
  EXPECT_LT(s.report.samples, c.report.samples);
}

TEST(Replay, UndecodableRecordIsCorruptionAtReaderPosition) {
  TempDir tmp;
  std::vector<std::string> records = RichRecords(100, 150, 7);
  const size_t bad = records.size() / 2;
  // Intact fragments (the CRC matches), but a sample cut short.
  std::string truncated;
  EncodeSamples({{1, 5, 1.0}, {2, 6, 2.0}}, &truncated);
  truncated.resize(truncated.size() - 3);
  records.insert(records.begin() + static_cast<ptrdiff_t>(bad), truncated);
  WriteWal(tmp.path(), records);
  Replayed s;
  ExpectParallelEqualsSequential(tmp.path(), {}, &s);
  ASSERT_TRUE(s.report.corruption.has_value());
  EXPECT_EQ(s.report.records, bad);
  std::vector<RefSample> ignored;
  const Status why = DecodeSamples(truncated, &ignored);
  EXPECT_EQ(s.report.corruption->reason, "decode samples: " + why.message());
  EXPECT_GT(s.report.corruption->segment, 0);
}

TEST(Replay, CorruptSampleRecordsStopWhereTheCodecDoes) {
  // Replay decodes samples with its own fast path; whatever it takes or
  // refuses must be what the codec takes or refuses.
  std::mt19937 rng(8);
  std::vector<RefSample> base;
  for (int i = 0; i < 40; ++i) base.push_back({uint64_t(1 + i % 5), 1000 + int64_t(i) * (i % 3 ? 1 : 300), double(i)});
  base.push_back({uint64_t(1) << 35, int64_t(1) << 50, 1.0});
  base.push_back({3, -5, std::bit_cast<double>(kStaleNaN)});
  std::string good;
  EncodeSamples(base, &good);
  std::string series;
  EncodeSeries({{1, SeriesLabels(1)}, {2, SeriesLabels(2)}, {3, SeriesLabels(3)}, {4, SeriesLabels(4)}}, &series);
  for (int round = 0; round < 60; ++round) {
    std::string rec = good;
    switch (round % 4) {
      case 0: rec.resize(1 + rng() % (rec.size() - 1)); break;
      case 1: rec[1 + rng() % (rec.size() - 1)] = static_cast<char>(rng()); break;
      case 2: rec.insert(1 + rng() % (rec.size() - 1), std::string(1 + rng() % 12, '\xff')); break;
      default: rec += std::string(1 + rng() % 20, static_cast<char>(0x80 | rng())); break;
    }
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir tmp;
    WriteWal(tmp.path(), {series, rec, good});
    Head seq, par;
    const Replayed s = DoReplay(tmp.path(), &seq, 0);
    const Replayed p = DoReplay(tmp.path(), &par, 2);
    ExpectSameReport(s, p);
    std::vector<RefSample> decoded;
    const Status codec = DecodeSamples(rec, &decoded);
    if (codec.ok()) {
      EXPECT_OK(s.status);
      Head model;
      model.AddSeries(1, SeriesLabels(1));
      model.AddSeries(2, SeriesLabels(2));
      model.AddSeries(3, SeriesLabels(3));
      model.AddSeries(4, SeriesLabels(4));
      for (const RefSample& x : decoded) model.AppendSample(x);
      for (const RefSample& x : base) model.AppendSample(x);
      EXPECT_EQ(DigestHead(model), s.digest);
      EXPECT_EQ(model.counters(), seq.counters());
    } else {
      ASSERT_TRUE(s.report.corruption.has_value());
      EXPECT_EQ(s.report.corruption->reason, "decode samples: " + codec.message());
      EXPECT_EQ(s.report.records, 1u);
    }
  }
}

TEST(Replay, EmptyAndMissingDirectories) {
  TempDir tmp;
  Head a, b;
  const Replayed s = DoReplay(tmp.path(), &a, 0);
  const Replayed p = DoReplay(tmp.path(), &b, 4);
  EXPECT_OK(s.status);
  EXPECT_OK(p.status);
  EXPECT_EQ(s.report.records, 0u);
  EXPECT_EQ(s.digest, p.digest);
  Head c, d;
  EXPECT_FALSE(DoReplay(tmp.Sub("nope"), &c, 0).status.ok());
  EXPECT_FALSE(DoReplay(tmp.Sub("nope"), &d, 3).status.ok());
}

TEST(Replay, ReportsPhaseTimes) {
  TempDir tmp;
  WriteWal(tmp.path(), RichRecords(200, 30, 9), Compression::kSnappy);
  for (int threads : {0, 2}) {
    Head head;
    const Replayed r = DoReplay(tmp.path(), &head, threads);
    ASSERT_OK(r.status);
    EXPECT_GT(r.report.seconds, 0);
    EXPECT_GT(r.report.phases.read + r.report.phases.checksum + r.report.phases.decompress, 0);
    EXPECT_GT(r.report.phases.decode, 0);
    EXPECT_GT(r.report.phases.apply, 0);
    EXPECT_EQ(r.report.threads, threads == 0 ? 1 : threads);
    ReplayOptions quiet;
    quiet.timing = false;
    Head other;
    const Replayed q = DoReplay(tmp.path(), &other, threads, quiet);
    EXPECT_EQ(q.report.phases.decode, 0);
    EXPECT_EQ(q.digest, r.digest);
  }
}

}  // namespace
}  // namespace walproof
