// Rescue end to end in the library: survey, blocks written and read back,
// the WAL swapped for an empty one, and an interrupted run settled either
// way (tsdb/rescue.h, tsdb/rescue_journal.h).
#include <gtest/gtest.h>

#include <cmath>

#include "wal_test_util.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/head/head_digest.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/partial_replay.h"
#include "walproof/tsdb/rescue.h"
#include "walproof/tsdb/rescue_journal.h"
#include "walproof/wal/wal_writer.h"

namespace walproof::tsdb {
namespace {

using testutil::TempDir;

constexpr int64_t kH = kDefaultBlockDuration;
constexpr int64_t kT0 = 1700000000000 / kH * kH + kH - 60000;  // a minute before a boundary

// DATA/wal over two segments: series 1 (floats across a block boundary, with
// a deletion), 2 (native histograms), 3 (the runaway job), an exemplar and
// metadata.
void WriteWal(const std::string& data) {
  WalWriterOptions options;
  auto w = WalWriter::Open(PosixFs(), JoinPath(data, "wal"), options);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::string rec;
  rec.clear();
  EncodeSeries({{1, {{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}}},
                {2, {{"__name__", "lat"}, {"instance", "a:9100"}, {"job", "node"}}},
                {3, {{"__name__", "up"}, {"instance", "b"}, {"job", "runaway"}}}},
               &rec);
  ASSERT_TRUE((*w)->Log(rec).ok());
  for (int i = 0; i < 8; ++i) {
    std::vector<RefSample> s = {{1, kT0 + 15000 * i, double(i)}, {3, kT0 + 15000 * i, 1}};
    rec.clear();
    EncodeSamples(s, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    Histogram h;
    h.schema = 0;
    h.zero_threshold = std::ldexp(0.5, -127);
    h.count = uint64_t(i) * 2;
    h.sum = i;
    h.positive_spans = {{0, 1}};
    h.positive_buckets = {int64_t(i) * 2};
    rec.clear();
    EncodeHistogramSamples({{2, kT0 + 15000 * i, h}}, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    if (i == 3) {
      ASSERT_TRUE((*w)->NextSegment().ok());
    }
  }
  rec.clear();
  EncodeTombstones({{1, kT0, kT0 + 15000}}, &rec);  // deletes the first two samples of series 1
  ASSERT_TRUE((*w)->Log(rec).ok());
  rec.clear();
  EncodeExemplars({{1, kT0 + 15000 * 7, 3, {{"trace_id", "x"}}}}, &rec);
  ASSERT_TRUE((*w)->Log(rec).ok());
  rec.clear();
  EncodeMetadata({{1, 2, "", "up or not"}}, &rec);
  ASSERT_TRUE((*w)->Log(rec).ok());
  ASSERT_TRUE((*w)->Close().ok());
}

RescueOptions DropRunaway() {
  RescueOptions o;
  o.drop.push_back(*SeriesSelector::Parse("{job=\"runaway\"}"));
  return o;
}

std::string Ulid(size_t i) { return "01H0000000000000000000000" + std::to_string(i); }

TEST(TsdbRescue, SurveySeesEverythingAndWhatIsDropped) {
  TempDir tmp;
  WriteWal(tmp.path());
  auto r = Rescue::Survey(PosixFs(), tmp.path(), tmp.Sub("wal"), DropRunaway());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RescueSurvey& s = (*r)->survey();
  EXPECT_EQ(s.last_segment, 1);
  EXPECT_EQ(s.series.size(), 2u);
  EXPECT_EQ(s.span.float_samples, 6u);  // 8 minus 2 deleted
  EXPECT_EQ(s.span.deleted_samples, 2u);
  EXPECT_EQ(s.span.histogram_samples, 8u);
  ASSERT_EQ(s.dropped.size(), 1u);
  EXPECT_EQ(s.dropped[0].labels, "{__name__=\"up\", instance=\"b\", job=\"runaway\"}");
  EXPECT_EQ(s.dropped[0].samples, 8u);
  EXPECT_EQ(s.exemplars, 1u);
  EXPECT_EQ(s.metadata, 1u);
  EXPECT_EQ(s.block_starts, (std::vector<int64_t>{kT0 + 60000 - kH, kT0 + 60000}));
  ASSERT_FALSE(s.top_targets.empty());
  EXPECT_EQ(s.top_targets[0].name, "node/a:9100");
  EXPECT_EQ(s.top_targets[0].series, 2u);
}

// The test WAL in tmp, surveyed without the runaway job, and its blocks
// written and read back (the journal stays: the WAL is not swapped yet).
void WriteBlocksOfTheWal(const TempDir& tmp, std::vector<BlockSummary>* blocks) {
  WriteWal(tmp.path());
  auto r = Rescue::Survey(PosixFs(), tmp.path(), tmp.Sub("wal"), DropRunaway());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->WriteBlocks(PosixFs(), Ulid, nullptr, blocks).ok());
}

// Every series in exactly one part, and each part's series exactly as the
// whole replay has them: labels, floats, histograms (buckets included),
// tombstones, exemplars and metadata; decoding on a second thread or not.
TEST(TsdbRescue, PartsSplitTheHeadWithoutChangingASeries) {
  TempDir tmp;
  WriteWal(tmp.path());
  Head whole;
  ReplayReport report;
  ASSERT_TRUE(ReplaySequential(PosixFs(), tmp.Sub("wal"), &whole, {}, &report).ok());
  for (int threads : {1, 2})
  for (uint32_t parts : {1u, 2u, 3u}) {
    size_t seen = 0;
    for (uint32_t part = 0; part < parts; ++part) {
      Head head;
      ReplayReport r;
      ASSERT_TRUE(ReplayPart(PosixFs(), tmp.Sub("wal"), part, parts, &head, &r, threads).ok());
      EXPECT_EQ(r.records, report.records);
      for (SeriesId id : head.SortedSeries()) {
        ++seen;
        const SeriesId w = whole.FindByLabels(head.labels(id));
        ASSERT_NE(w, kNoSeries);
        EXPECT_EQ(PartOfLabels(head.labels(id), parts), part);
        EXPECT_EQ(head.FloatSamples(id), whole.FloatSamples(w));
        EXPECT_EQ(head.histograms(id), whole.histograms(w));
        EXPECT_EQ(head.tombstones(id), whole.tombstones(w));
        EXPECT_EQ(head.exemplars(id), whole.exemplars(w));
        EXPECT_EQ(head.metadata(id) != nullptr, whole.metadata(w) != nullptr);
      }
    }
    EXPECT_EQ(seen, whole.num_series()) << parts << " parts, " << threads << " thread(s)";
  }
}

// Enough series that the survey splits them among threads: the same findings
// as on one thread, in the same order.
TEST(TsdbRescue, ThreadsChangeNothingSurveyedOrWritten) {
  TempDir one, two;
  for (const TempDir* tmp : {&one, &two}) {
    WalWriterOptions options;
    auto w = WalWriter::Open(PosixFs(), JoinPath(tmp->path(), "wal"), options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<RefSeries> series;
    std::vector<RefSample> samples;
    for (uint64_t ref = 1; ref <= 20000; ++ref) {
      series.push_back({ref, {{"__name__", "m" + std::to_string(ref % 7)},
                              {"id", std::to_string(ref)},
                              {"instance", "i" + std::to_string(ref % 1013)},
                              {"job", ref % 5 == 0 ? "runaway" : "node"}}});
      for (int k = 0; k < 3; ++k) samples.push_back({ref, kT0 + 60000 * k + int64_t(ref % 3) * 15000, double(k)});
    }
    std::string rec;
    EncodeSeries(series, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    EncodeSamples(samples, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  RescueOptions options = DropRunaway();
  auto a = Rescue::Survey(PosixFs(), one.path(), one.Sub("wal"), options);
  options.threads = 3;
  auto b = Rescue::Survey(PosixFs(), two.path(), two.Sub("wal"), options);
  ASSERT_TRUE(a.ok() && b.ok());
  const RescueSurvey& x = (*a)->survey();
  const RescueSurvey& y = (*b)->survey();
  EXPECT_EQ(x.series_count, 16000u);
  EXPECT_EQ(y.series_count, x.series_count);
  EXPECT_EQ(y.span.float_samples, x.span.float_samples);
  EXPECT_EQ(y.span.mint, x.span.mint);
  EXPECT_EQ(y.span.maxt, x.span.maxt);
  EXPECT_EQ(y.block_starts, x.block_starts);
  ASSERT_EQ(y.dropped.size(), 4000u);
  ASSERT_EQ(y.dropped.size(), x.dropped.size());
  for (size_t i = 0; i < x.dropped.size(); ++i) EXPECT_EQ(y.dropped[i].labels, x.dropped[i].labels);
  ASSERT_EQ(y.top_targets.size(), x.top_targets.size());
  for (size_t i = 0; i < x.top_targets.size(); ++i) {
    EXPECT_EQ(y.top_targets[i].name, x.top_targets[i].name);
    EXPECT_EQ(y.top_targets[i].series, x.top_targets[i].series);
    EXPECT_EQ(y.top_targets[i].samples, x.top_targets[i].samples);
  }
  ASSERT_EQ(y.top_metrics.size(), 7u);
  for (size_t i = 0; i < x.top_metrics.size(); ++i) EXPECT_EQ(y.top_metrics[i].series, x.top_metrics[i].series);
  std::vector<BlockSummary> bx, by;
  ASSERT_TRUE((*a)->WriteBlocks(PosixFs(), Ulid, nullptr, &bx).ok());
  ASSERT_TRUE((*b)->WriteBlocks(PosixFs(), Ulid, nullptr, &by).ok());
  ASSERT_EQ(bx.size(), by.size());
  for (size_t i = 0; i < bx.size(); ++i) EXPECT_EQ(bx[i].digest, by[i].digest);
}

// A corruption stops a part's replay where it stops the whole replay, with
// the decoding on a second thread too.
TEST(TsdbRescue, PartReplayStopsAtTheCorruption) {
  TempDir tmp;
  WriteWal(tmp.path());
  const std::string seg = JoinPath(tmp.Sub("wal"), "00000000");
  std::string bytes = testutil::ReadFileOrDie(seg);
  bytes[bytes.size() / 2] ^= 0x40;
  testutil::WriteFileOrDie(seg, bytes);
  Head whole;
  ReplayReport want;
  const Status whole_status = ReplaySequential(PosixFs(), tmp.Sub("wal"), &whole, {}, &want);
  ASSERT_FALSE(whole_status.ok());
  ASSERT_TRUE(want.corruption.has_value());
  for (int threads : {1, 2}) {
    Head head;
    ReplayReport r;
    EXPECT_EQ(ReplayPart(PosixFs(), tmp.Sub("wal"), 0, 2, &head, &r, threads).ToString(), whole_status.ToString());
    ASSERT_TRUE(r.corruption.has_value()) << threads;
    EXPECT_EQ(r.corruption->ToString(), want.corruption->ToString()) << threads;
    EXPECT_EQ(r.records, want.records) << threads;
  }
}

TEST(TsdbRescue, BlocksReadBackThenTheWalIsEmpty) {
  TempDir tmp;
  std::vector<BlockSummary> blocks;
  ASSERT_NO_FATAL_FAILURE(WriteBlocksOfTheWal(tmp, &blocks));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].float_samples + blocks[1].float_samples, 6u);
  EXPECT_EQ(blocks[0].histogram_samples + blocks[1].histogram_samples, 8u);
  // Four samples of each series before the boundary; two floats deleted.
  EXPECT_EQ(blocks[0].float_samples, 2u);
  EXPECT_EQ(blocks[0].histogram_samples, 4u);
  // The journal names both blocks until the WAL is swapped.
  auto journal = ReadRescueJournal(PosixFs(), tmp.path());
  ASSERT_TRUE(journal.ok() && *journal);
  EXPECT_EQ((*journal)->ulids, (std::vector<std::string>{Ulid(0), Ulid(1)}));
  ASSERT_TRUE(SwapInEmptyWal(PosixFs(), tmp.path(), 1).ok());
  EXPECT_TRUE(*IsRescuedWal(PosixFs(), tmp.Sub("wal"), 1));
  EXPECT_FALSE(*ReadRescueJournal(PosixFs(), tmp.path()));
  EXPECT_EQ(*PosixFs().Stat(tmp.Sub(kRescueOldWalName)), FileKind::kMissing);
  Head head;
  ReplayReport report;
  ASSERT_TRUE(ReplaySequential(PosixFs(), tmp.Sub("wal"), &head, {}, &report).ok());
  EXPECT_EQ(head.num_series(), 0u);
  EXPECT_EQ(*PosixFs().Stat(tmp.Sub(Ulid(0))), FileKind::kDir);
}

TEST(TsdbRescue, InterruptedBeforeTheSwapIsUndone) {
  TempDir tmp;
  std::vector<BlockSummary> blocks;
  ASSERT_NO_FATAL_FAILURE(WriteBlocksOfTheWal(tmp, &blocks));
  // A half-written third directory, as a crash inside a block leaves.
  ASSERT_TRUE(PosixFs().MakeDir(tmp.Sub(Ulid(1) + kTmpForCreationSuffix)).ok());
  SettleOutcome outcome;
  std::string what;
  ASSERT_TRUE(SettleInterruptedRescue(PosixFs(), tmp.path(), &outcome, &what).ok());
  EXPECT_EQ(outcome, SettleOutcome::kUndone);
  EXPECT_EQ(what, "an interrupted rescue left the WAL intact; its 3 block director(ies) were removed and the "
                  "rescue starts over");
  EXPECT_EQ(*PosixFs().Stat(tmp.Sub(Ulid(0))), FileKind::kMissing);
  EXPECT_EQ(*PosixFs().Stat(tmp.Sub(Ulid(1))), FileKind::kMissing);
  EXPECT_FALSE(*ReadRescueJournal(PosixFs(), tmp.path()));
  EXPECT_FALSE(*IsRescuedWal(PosixFs(), tmp.Sub("wal"), 1));
}

TEST(TsdbRescue, InterruptedBetweenTheRenamesIsFinished) {
  TempDir tmp;
  std::vector<BlockSummary> blocks;
  ASSERT_NO_FATAL_FAILURE(WriteBlocksOfTheWal(tmp, &blocks));
  // The state after DATA/wal -> wal.rescue.old and before the new WAL's
  // rename: build wal.rescue.new by swapping elsewhere and moving it back.
  ASSERT_TRUE(PosixFs().Rename(tmp.Sub("wal"), tmp.Sub(kRescueOldWalName)).ok());
  ASSERT_TRUE(PosixFs().MakeDir(tmp.Sub(kRescueNewWalName)).ok());
  ASSERT_TRUE(PosixFs().MakeDir(JoinPath(tmp.Sub(kRescueNewWalName), "checkpoint.00000001")).ok());
  ASSERT_TRUE(WriteWholeFile(PosixFs(), JoinPath(tmp.Sub(kRescueNewWalName), "checkpoint.00000001/00000000"), "").ok());
  ASSERT_TRUE(WriteWholeFile(PosixFs(), JoinPath(tmp.Sub(kRescueNewWalName), "00000002"), "").ok());
  SettleOutcome outcome;
  std::string what;
  ASSERT_TRUE(SettleInterruptedRescue(PosixFs(), tmp.path(), &outcome, &what).ok());
  EXPECT_EQ(outcome, SettleOutcome::kFinished);
  EXPECT_TRUE(*IsRescuedWal(PosixFs(), tmp.Sub("wal"), 1));
  EXPECT_EQ(*PosixFs().Stat(tmp.Sub(kRescueOldWalName)), FileKind::kMissing);
  EXPECT_EQ(*PosixFs().Stat(tmp.Sub(Ulid(0))), FileKind::kDir);
  EXPECT_FALSE(*ReadRescueJournal(PosixFs(), tmp.path()));
}

}  // namespace
}  // namespace walproof::tsdb
