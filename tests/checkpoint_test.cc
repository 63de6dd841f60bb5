// Checkpoint and truncation tests: what a checkpoint keeps per record type,
// its inputs (an older checkpoint plus segments), its errors, the
// head-truncation range rule, and a crash at every file-system call of a
// whole truncation.
#include "walproof/wal/checkpoint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "crash_points_fs.h"
#include "wal_test_util.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"
#include "walproof/wal/wal_writer.h"

namespace walproof {
namespace {

using testutil::kSmallSegment;
using testutil::WriteSegments;

using testutil::TempDir;

constexpr int64_t kMint = 100;

Labels L(uint64_t ref) { return {{"__name__", "metric"}, {"id", std::to_string(ref)}}; }

std::string SeriesRec(const std::vector<uint64_t>& refs) {
  std::vector<RefSeries> v;
  for (uint64_t r : refs) v.push_back({r, L(r)});
  std::string out;
  EncodeSeries(v, &out);
  return out;
}

std::string SamplesRec(const std::vector<std::pair<uint64_t, int64_t>>& s) {
  std::vector<RefSample> v;
  for (auto [ref, t] : s) v.push_back({ref, t, static_cast<double>(t) / 2});
  std::string out;
  EncodeSamples(v, &out);
  return out;
}

Histogram H(int64_t t) {
  Histogram h;
  h.schema = 1;
  h.count = static_cast<uint64_t>(t);
  h.sum = 1.5;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 2};
  return h;
}

FloatHistogram FH(int64_t t) {
  FloatHistogram h;
  h.schema = 2;
  h.count = static_cast<double>(t);
  h.sum = 2.5;
  h.positive_spans = {{1, 1}};
  h.positive_buckets = {3.0};
  return h;
}

std::string HistRec(const std::vector<std::pair<uint64_t, int64_t>>& s) {
  std::vector<RefHistogramSample> v;
  for (auto [ref, t] : s) v.push_back({ref, t, H(t)});
  std::string out;
  EncodeHistogramSamples(v, &out);
  return out;
}

std::string FloatHistRec(const std::vector<std::pair<uint64_t, int64_t>>& s) {
  std::vector<RefFloatHistogramSample> v;
  for (auto [ref, t] : s) v.push_back({ref, t, FH(t)});
  std::string out;
  EncodeFloatHistogramSamples(v, &out);
  return out;
}

std::string ExemplarRec(const std::vector<std::pair<uint64_t, int64_t>>& s) {
  std::vector<RefExemplar> v;
  for (auto [ref, t] : s) v.push_back({ref, t, 1.0, {{"trace_id", std::to_string(t)}}});
  std::string out;
  EncodeExemplars(v, &out);
  return out;
}

std::string TombRec(const std::vector<RefTombstone>& t) {
  std::string out;
  EncodeTombstones(t, &out);
  return out;
}

std::string MetaRec(const std::vector<RefMetadata>& m) {
  std::string out;
  EncodeMetadata(m, &out);
  return out;
}

std::vector<Record> DecodeAll(const std::vector<std::string>& recs) {
  std::vector<Record> out;
  for (const std::string& r : recs) {
    Record rec;
    Status st = DecodeRecord(r, &rec);
    EXPECT_TRUE(st.ok()) << st.ToString();
    out.push_back(std::move(rec));
  }
  return out;
}

// Every record of checkpoint.<index>, decoded.
std::vector<Record> CheckpointRecords(const std::string& dir, int index) {
  const std::string cp = JoinPath(dir, CheckpointDirName(index));
  auto segs = ListSequentialSegments(PosixFs(), cp);
  EXPECT_TRUE(segs.ok());
  std::vector<SegmentFile> files;
  for (int s : *segs) files.push_back({s, JoinPath(cp, SegmentFileName(s))});
  testutil::ReadOutcome out = testutil::ReadStream(files);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  return DecodeAll(out.records);
}

template <typename T>
std::vector<T> AllOf(const std::vector<Record>& recs) {
  std::vector<T> out;
  for (const Record& r : recs) {
    if (const T* x = std::get_if<T>(&r)) out.push_back(*x);
  }
  return out;
}

const KeepSeriesFn kKeepAll = [](uint64_t) { return true; };
const KeepSeriesFn kKeepEven = [](uint64_t ref) { return ref % 2 == 0; };

Result<CheckpointStats> Cp(const std::string& dir, int from, int to, const KeepSeriesFn& keep,
                            CheckpointOptions o = {}) {
  o.segment_size = kSmallSegment;
  return Checkpoint(PosixFs(), dir, from, to, keep, kMint, o);
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> out;
  auto entries = PosixFs().ListDir(dir);
  EXPECT_TRUE(entries.ok());
  for (const auto& e : *entries) out.insert(e.name);
  return out;
}

// ---- Contents per record type ----

TEST(checkpoint, SeriesKeptByPredicate) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1, 2, 3})}, {SeriesRec({4, 5})}, {}});
  auto st = Cp(t.path(), 0, 1, kKeepEven);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto series = AllOf<SeriesRecord>(CheckpointRecords(t.path(), 1));
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].series, (std::vector<RefSeries>{{2, L(2)}}));
  EXPECT_EQ(series[1].series, (std::vector<RefSeries>{{4, L(4)}}));
  EXPECT_EQ(st->total_series, 5u);
  EXPECT_EQ(st->dropped_series, 3u);
}

TEST(checkpoint, SamplesFilteredByMint) {
  TempDir t;
  WriteSegments(t.path(), {{SamplesRec({{1, 50}, {2, 99}})}, {SamplesRec({{1, 100}, {3, 99}, {2, 150}})}, {}});
  auto st = Cp(t.path(), 0, 1, kKeepAll);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto recs = CheckpointRecords(t.path(), 1);
  // The first record lies wholly below mint and is gone; the second keeps t >= mint.
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(std::get<SamplesRecord>(recs[0]).samples,
            (std::vector<RefSample>{{1, 100, 50.0}, {2, 150, 75.0}}));
  EXPECT_EQ(st->total_samples, 5u);
  EXPECT_EQ(st->dropped_samples, 3u);
}

TEST(checkpoint, SamplesOfDroppedSeriesStay) {
  // As upstream: samples are filtered by time only; replay drops those of
  // unknown series.
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1, 2}), SamplesRec({{1, 200}, {2, 200}})}, {}});
  ASSERT_TRUE(Cp(t.path(), 0, 0, kKeepEven).ok());
  auto samples = AllOf<SamplesRecord>(CheckpointRecords(t.path(), 0));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].samples.size(), 2u);
}

TEST(checkpoint, ExemplarsFilteredByMint) {
  TempDir t;
  WriteSegments(t.path(), {{ExemplarRec({{1, 10}, {1, 100}, {2, 300}})}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok());
  auto ex = AllOf<ExemplarsRecord>(CheckpointRecords(t.path(), 0));
  ASSERT_EQ(ex.size(), 1u);
  ASSERT_EQ(ex[0].exemplars.size(), 2u);
  EXPECT_EQ(ex[0].exemplars[0].t, 100);
  EXPECT_EQ(ex[0].exemplars[1].t, 300);
  EXPECT_EQ(st->dropped_exemplars, 1u);
}

TEST(checkpoint, HistogramsFilteredByMint) {
  TempDir t;
  WriteSegments(t.path(), {{HistRec({{1, 10}, {1, 120}}), HistRec({{2, 5}})}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok());
  auto h = AllOf<HistogramsRecord>(CheckpointRecords(t.path(), 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].histograms, (std::vector<RefHistogramSample>{{1, 120, H(120)}}));
  EXPECT_EQ(st->total_histograms, 3u);
  EXPECT_EQ(st->dropped_histograms, 2u);
}

TEST(checkpoint, FloatHistogramsKept) {
  // Prometheus 2.42 drops every float histogram here (fixed in 2.52).
  TempDir t;
  WriteSegments(t.path(), {{FloatHistRec({{1, 99}, {1, 100}, {3, 400}})}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok());
  auto h = AllOf<FloatHistogramsRecord>(CheckpointRecords(t.path(), 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].histograms,
            (std::vector<RefFloatHistogramSample>{{1, 100, FH(100)}, {3, 400, FH(400)}}));
  EXPECT_EQ(st->dropped_histograms, 1u);
}

TEST(checkpoint, TombstonesByMaxtAndSeries) {
  TempDir t;
  const std::vector<RefTombstone> stones = {
      {2, 0, 99},             // ends before mint: gone
      {2, 0, 100},            // reaches mint: kept
      {2, -1000, 5000},       // kept
      {3, 0, 200},            // series 3 is dropped: gone with it (newer upstream)
      {4, INT64_MIN, INT64_MAX},  // full range, kept series
  };
  WriteSegments(t.path(), {{TombRec(stones)}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepEven);
  ASSERT_TRUE(st.ok());
  auto tomb = AllOf<TombstonesRecord>(CheckpointRecords(t.path(), 0));
  ASSERT_EQ(tomb.size(), 1u);
  EXPECT_EQ(tomb[0].tombstones,
            (std::vector<RefTombstone>{{2, 0, 100}, {2, -1000, 5000}, {4, INT64_MIN, INT64_MAX}}));
  EXPECT_EQ(st->total_tombstones, 5u);
  EXPECT_EQ(st->dropped_tombstones, 2u);
}

TEST(checkpoint, TombstonesOfDroppedSeriesOption) {
  // Prometheus up to 3.13 keeps a tombstone on maxt alone.
  TempDir t;
  WriteSegments(t.path(), {{TombRec({{3, 0, 200}, {3, 0, 50}})}, {}});
  CheckpointOptions o;
  o.keep_tombstones_of_dropped_series = true;
  ASSERT_TRUE(Cp(t.path(), 0, 0, kKeepEven, o).ok());
  auto tomb = AllOf<TombstonesRecord>(CheckpointRecords(t.path(), 0));
  ASSERT_EQ(tomb.size(), 1u);
  EXPECT_EQ(tomb[0].tombstones, (std::vector<RefTombstone>{{3, 0, 200}}));
}

TEST(checkpoint, LatestMetadataOfDefinedRefsOnlyWrittenLast) {
  TempDir t;
  // {2, "u"} comes before ref 2's Series record: replay drops it, so must the checkpoint.
  WriteSegments(t.path(), {{MetaRec({{4, 1, "old", "h"}, {2, 2, "u", "x"}}), SeriesRec({2, 4}),
                            MetaRec({{3, 1, "dropped", ""}, {4, 1, "new", "h2"}})},
                           {SamplesRec({{2, 500}})},
                           {}});
  auto st = Cp(t.path(), 0, 1, kKeepEven);
  ASSERT_TRUE(st.ok());
  auto recs = CheckpointRecords(t.path(), 1);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<SeriesRecord>(recs[0]));
  EXPECT_TRUE(std::holds_alternative<SamplesRecord>(recs[1]));
  ASSERT_TRUE(std::holds_alternative<MetadataRecord>(recs[2]));
  EXPECT_EQ(std::get<MetadataRecord>(recs[2]).metadata,
            (std::vector<RefMetadata>{{4, 1, "new", "h2"}}));
  EXPECT_EQ(st->total_metadata, 4u);
  EXPECT_EQ(st->dropped_metadata, 3u);
}

TEST(checkpoint, MetadataWrittenInLoggedOrderSoAliasesEndTheSame) {
  TempDir t;
  // Logged order, not ref order: were refs 2 and 4 aliases of one series,
  // replaying the checkpoint would end with ref 2's "last", as the WAL does.
  WriteSegments(t.path(), {{SeriesRec({2, 4}), MetaRec({{2, 1, "first", ""}}),
                            MetaRec({{4, 1, "middle", ""}}), MetaRec({{2, 1, "last", ""}})},
                           {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok());
  auto recs = CheckpointRecords(t.path(), 0);
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<MetadataRecord>(recs[1]));
  EXPECT_EQ(std::get<MetadataRecord>(recs[1]).metadata,
            (std::vector<RefMetadata>{{4, 1, "middle", ""}, {2, 1, "last", ""}}));
}

TEST(checkpoint, MmapMarkersAndUnknownDropped) {
  TempDir t;
  std::string markers;
  EncodeMmapMarkers({{1, 7}}, &markers);
  WriteSegments(t.path(), {{markers, std::string("\x2a\x01\x02", 3), std::string("\x09", 1), SeriesRec({2})}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto recs = CheckpointRecords(t.path(), 0);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SeriesRecord>(recs[0]));
  EXPECT_EQ(st->dropped_mmap_markers, 1u);
  EXPECT_EQ(st->dropped_unknown_records, 2u);
}

TEST(checkpoint, MalformedMmapMarkersDroppedNotCorruption) {
  // Replay skips type 5 unread, so the checkpoint of a WAL that replays clean
  // must not fail on one (fuzz/FINDINGS.md, finding 3).
  TempDir t;
  WriteSegments(t.path(), {{std::string("\x05\xff", 2), SeriesRec({2})}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto recs = CheckpointRecords(t.path(), 0);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SeriesRecord>(recs[0]));
  EXPECT_EQ(st->dropped_mmap_markers, 0u);
  EXPECT_EQ(st->dropped_unknown_records, 1u);
}

TEST(checkpoint, NothingKeptStillWritesAnEmptySegment) {
  TempDir t;
  WriteSegments(t.path(), {{SamplesRec({{1, 1}})}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->records_written, 0u);
  EXPECT_TRUE(CheckpointRecords(t.path(), 0).empty());
  auto plan = PlanWalRead(PosixFs(), t.path());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->checkpoint, 0);
}

TEST(checkpoint, SpansSeveralSegments) {
  TempDir t;
  std::vector<std::string> big;
  for (int i = 0; i < 30; ++i) {
    std::vector<std::pair<uint64_t, int64_t>> s;
    for (int j = 0; j < 600; ++j) s.push_back({static_cast<uint64_t>(j), 1000 + i});
    big.push_back(SamplesRec(s));
  }
  WriteSegments(t.path(), {big, {}});
  auto before = ListSequentialSegments(PosixFs(), t.path());
  ASSERT_TRUE(before.ok());
  const int to = before->back() - 1;
  auto st = Cp(t.path(), 0, to, kKeepAll);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto cp_segments = ListSequentialSegments(PosixFs(), JoinPath(t.path(), CheckpointDirName(to)));
  ASSERT_TRUE(cp_segments.ok());
  EXPECT_GT(cp_segments->size(), 1u);
  for (int s : *cp_segments) {
    // Every segment of the checkpoint is closed: padded to a whole page.
    EXPECT_EQ(testutil::FileSize(JoinPath(JoinPath(t.path(), CheckpointDirName(to)), SegmentFileName(s))) %
                  kPageSize,
              0u);
  }
  EXPECT_EQ(CheckpointRecords(t.path(), to).size(), big.size());
}

// ---- Compression ----

void ExpectCompressed(Compression c, uint8_t bit) {
  TempDir t;
  std::vector<std::pair<uint64_t, int64_t>> s;
  for (int i = 0; i < 200; ++i) s.push_back({1, 1000});
  WriteSegments(t.path(), {{SeriesRec({1}), SamplesRec(s)}, {}}, Compression::kNone);
  CheckpointOptions o;
  o.compression = c;
  ASSERT_TRUE(Cp(t.path(), 0, 0, kKeepAll, o).ok());
  const std::string seg = JoinPath(JoinPath(t.path(), CheckpointDirName(0)), SegmentFileName(0));
  auto frags = testutil::ParseSegmentFile(seg);
  ASSERT_FALSE(frags.empty());
  // The samples record compresses well; whether the small series record
  // does is the codec's business.
  EXPECT_EQ(frags.back().type_byte & (kSnappyBit | kZstdBit), bit);
  EXPECT_EQ(CheckpointRecords(t.path(), 0).size(), 2u);
}

TEST(checkpoint, CompressionSnappy) { ExpectCompressed(Compression::kSnappy, kSnappyBit); }
TEST(checkpoint, CompressionZstd) { ExpectCompressed(Compression::kZstd, kZstdBit); }
TEST(checkpoint, CompressionNone) { ExpectCompressed(Compression::kNone, 0); }

// ---- Inputs and errors ----

TEST(checkpoint, ExistingCheckpointIsInput) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1, 2, 3})}, {SamplesRec({{1, 50}, {2, 150}})}, {SeriesRec({4})},
                           {SamplesRec({{4, 400}, {3, 20}})}, {SeriesRec({6})}, {}});
  ASSERT_TRUE(Cp(t.path(), 0, 1, kKeepAll).ok());
  // Segments 0..1 are gone in a real truncation; here they stay and must be
  // ignored: from is raised to 2.
  auto st = Cp(t.path(), 0, 3, kKeepEven);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->previous, 1);
  EXPECT_EQ(st->first_segment, 2);
  auto recs = CheckpointRecords(t.path(), 3);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(std::get<SeriesRecord>(recs[0]).series, (std::vector<RefSeries>{{2, L(2)}}));
  EXPECT_EQ(std::get<SamplesRecord>(recs[1]).samples, (std::vector<RefSample>{{2, 150, 75.0}}));
  EXPECT_EQ(std::get<SeriesRecord>(recs[2]).series, (std::vector<RefSeries>{{4, L(4)}}));
  EXPECT_EQ(std::get<SamplesRecord>(recs[3]).samples, (std::vector<RefSample>{{4, 400, 200.0}}));
  EXPECT_EQ(st->total_series, 4u);  // 3 from checkpoint.1, 1 from segment 2
}

TEST(checkpoint, UnexpectedGapToLastCheckpoint) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}, {}, {}, {}});
  ASSERT_TRUE(Cp(t.path(), 0, 1, kKeepAll).ok());
  auto st = Cp(t.path(), 3, 4, kKeepAll);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("unexpected gap to last checkpoint. expected:2, requested:3"),
            std::string::npos)
      << st.status().ToString();
  EXPECT_FALSE(Names(t.path()).count(CheckpointDirName(4)));
}

TEST(checkpoint, AlreadyCheckpointedWritesNothing) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}, {}});
  ASSERT_TRUE(Cp(t.path(), 0, 2, kKeepAll).ok());
  const auto names = Names(t.path());
  auto st = Cp(t.path(), 0, 1, kKeepAll);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_TRUE(st->already_checkpointed);
  EXPECT_EQ(st->index, 2);
  EXPECT_EQ(Names(t.path()), names);
}

TEST(checkpoint, MissingSegmentIsError) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}});
  auto st = Cp(t.path(), 0, 5, kKeepAll);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find(SegmentFileName(3)), std::string::npos) << st.status().ToString();
}

TEST(checkpoint, EmptyCheckpointDirIsError) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}});
  ASSERT_OK(PosixFs().MakeDir(JoinPath(t.path(), CheckpointDirName(0))));
  auto st = Cp(t.path(), 1, 1, kKeepAll);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("holds no segment"), std::string::npos) << st.status().ToString();
  EXPECT_NE(st.status().message().find(CheckpointDirName(0)), std::string::npos);
  EXPECT_FALSE(Names(t.path()).count(CheckpointDirName(1)));
  EXPECT_FALSE(DeleteSegmentsUpTo(PosixFs(), t.path(), 0).ok());
}

TEST(checkpoint, NonDirCheckpointIsError) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}});
  testutil::WriteFileOrDie(JoinPath(t.path(), CheckpointDirName(0)), "junk");
  auto st = Cp(t.path(), 1, 1, kKeepAll);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("not a directory"), std::string::npos) << st.status().ToString();
}

TEST(checkpoint, CorruptInputAborts) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1}), SamplesRec({{1, 200}})}, {SamplesRec({{1, 300}}), SamplesRec({{1, 400}})}, {}});
  const std::string seg1 = testutil::SegPath(t.path(), 1);
  std::string bytes = testutil::ReadFileOrDie(seg1);
  bytes[10] ^= 0x5a;  // inside the first record's payload
  testutil::WriteFileOrDie(seg1, bytes);
  auto st = Cp(t.path(), 0, 1, kKeepAll);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.status().IsCorruption());
  EXPECT_NE(st.status().message().find(seg1 + " at "), std::string::npos) << st.status().ToString();
  EXPECT_NE(st.status().message().find("checksum"), std::string::npos);
  const auto names = Names(t.path());
  EXPECT_FALSE(names.count(CheckpointDirName(1)));
  EXPECT_FALSE(names.count(CheckpointDirName(1) + ".tmp"));
}

TEST(checkpoint, UndecodableInputAborts) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1}), std::string("\x01\x00", 2)}, {}});
  auto st = Cp(t.path(), 0, 0, kKeepAll);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("decode series"), std::string::npos) << st.status().ToString();
  EXPECT_NE(st.status().message().find(testutil::SegPath(t.path(), 0)), std::string::npos);
  EXPECT_FALSE(Names(t.path()).count(CheckpointDirName(0) + ".tmp"));
}

TEST(checkpoint, DryRunWritesNothing) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1, 2}), SamplesRec({{1, 5}, {2, 500}})}, {}});
  const auto names = Names(t.path());
  CheckpointOptions o;
  o.dry_run = true;
  auto st = Cp(t.path(), 0, 0, kKeepEven, o);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->dropped_series, 1u);
  EXPECT_EQ(st->dropped_samples, 1u);
  EXPECT_EQ(st->records_written, 2u);
  EXPECT_EQ(Names(t.path()), names);
}

// ---- Leftovers and deletion ----

TEST(checkpoint, LeftoverTmpRemoved) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}});
  const std::string tmp_dir = JoinPath(t.path(), CheckpointDirName(1) + ".tmp");
  ASSERT_OK(PosixFs().MakeDir(tmp_dir));
  testutil::WriteFileOrDie(JoinPath(tmp_dir, SegmentFileName(0)), "half a checkpoint");
  testutil::WriteFileOrDie(JoinPath(t.path(), CheckpointDirName(7) + ".tmp"), "x");
  int removed = 0;
  ASSERT_OK(RemoveLeftoverCheckpoints(PosixFs(), t.path(), &removed));
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(Names(t.path()), (std::set<std::string>{"00000000", "00000001", "00000002"}));
}

TEST(checkpoint, OldTmpOfSameIndexReplaced) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}});
  const std::string tmp_dir = JoinPath(t.path(), CheckpointDirName(1) + ".tmp");
  ASSERT_OK(PosixFs().MakeDir(tmp_dir));
  testutil::WriteFileOrDie(JoinPath(tmp_dir, SegmentFileName(3)), "stale");
  ASSERT_TRUE(Cp(t.path(), 0, 1, kKeepAll).ok());
  EXPECT_FALSE(Names(t.path()).count(CheckpointDirName(1) + ".tmp"));
  EXPECT_EQ(Names(JoinPath(t.path(), CheckpointDirName(1))), (std::set<std::string>{"00000000"}));
}

TEST(checkpoint, OlderCheckpointsDeleted) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}, {}, {}, {}});
  ASSERT_TRUE(Cp(t.path(), 0, 1, kKeepAll).ok());
  ASSERT_TRUE(Cp(t.path(), 0, 3, kKeepAll).ok());
  ASSERT_TRUE(Cp(t.path(), 0, 4, kKeepAll).ok());
  ASSERT_OK(DeleteCheckpointsBefore(PosixFs(), t.path(), 4));
  auto listing = ListWalDir(PosixFs(), t.path());
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  EXPECT_EQ(listing->checkpoints[0].index, 4);
  // Nothing at or above 9: refused, nothing deleted.
  EXPECT_FALSE(DeleteCheckpointsBefore(PosixFs(), t.path(), 9).ok());
  EXPECT_TRUE(Names(t.path()).count(CheckpointDirName(4)));
}

TEST(checkpoint, DeleteSegmentsUpTo) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}, {}, {}});
  EXPECT_FALSE(DeleteSegmentsUpTo(PosixFs(), t.path(), 2).ok());  // no checkpoint covers them
  ASSERT_TRUE(Cp(t.path(), 0, 2, kKeepAll).ok());
  EXPECT_FALSE(DeleteSegmentsUpTo(PosixFs(), t.path(), 3).ok());  // beyond the checkpoint
  ASSERT_OK(DeleteSegmentsUpTo(PosixFs(), t.path(), 2));
  auto segs = ListSequentialSegments(PosixFs(), t.path());
  ASSERT_TRUE(segs.ok());
  EXPECT_EQ(*segs, (std::vector<int>{3, 4}));
}

TEST(checkpoint, NeverDeletesEverySegment) {
  TempDir t;
  WriteSegments(t.path(), {{SeriesRec({1})}, {}, {}});
  ASSERT_TRUE(Cp(t.path(), 0, 2, kKeepAll).ok());
  Status st = DeleteSegmentsUpTo(PosixFs(), t.path(), 2);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("every segment"), std::string::npos);
}

// ---- Head truncation ----

TEST(checkpoint_truncation, RangeTable) {
  struct Case {
    int first, last;
    std::optional<CheckpointRange> want;
  };
  const Case cases[] = {
      {-1, -1, std::nullopt},  // no segments
      {0, 0, std::nullopt},    // only the active one
      {0, 1, std::nullopt},    // last' = 0 <= first
      {0, 2, std::nullopt},    // 0 + 1*2/3 = 0
      {0, 3, CheckpointRange{0, 1}},
      {0, 4, CheckpointRange{0, 2}},
      {0, 10, CheckpointRange{0, 6}},
      {5, 5, std::nullopt},  // (4-5)*2/3 truncates to 0
      {5, 6, std::nullopt},
      {5, 8, CheckpointRange{5, 6}},
      {5, 9, CheckpointRange{5, 7}},
      {3, 100, CheckpointRange{3, 67}},
      {1000, 1300, CheckpointRange{1000, 1199}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TruncationCheckpointRange(c.first, c.last), c.want) << c.first << ".." << c.last;
  }
}

// A WAL of `n` segments: series 0..9 in segment 0, then one sample record per
// segment for every series, at t = 100 * segment.
std::unique_ptr<WalWriter> MakeWal(Fs& fs, const std::string& dir, int n) {
  WalWriterOptions o;
  o.segment_size = kSmallSegment;
  auto w = WalWriter::Open(fs, dir, o);
  EXPECT_TRUE(w.ok());
  std::vector<uint64_t> refs;
  for (uint64_t r = 0; r < 10; ++r) refs.push_back(r);
  EXPECT_TRUE((*w)->Log(SeriesRec(refs)).ok());
  for (int s = 0; s < n; ++s) {
    if (s > 0) {
      EXPECT_TRUE((*w)->NextSegment().ok());
    }
    std::vector<std::pair<uint64_t, int64_t>> samples;
    for (uint64_t r = 0; r < 10; ++r) samples.push_back({r, 100 * s});
    EXPECT_TRUE((*w)->Log(SamplesRec(samples)).ok());
  }
  EXPECT_TRUE((*w)->Sync().ok());
  return std::move(*w);
}

TEST(checkpoint_truncation, TruncateWalSequence) {
  TempDir t;
  auto w = MakeWal(PosixFs(), t.path(), 10);  // segments 0..9
  CheckpointOptions o;
  o.segment_size = kSmallSegment;
  auto r = TruncateWal(PosixFs(), *w, 500, kKeepEven, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->new_segment, 10);
  ASSERT_TRUE(r->range.has_value());
  EXPECT_EQ(*r->range, (CheckpointRange{0, 5}));
  EXPECT_OK(r->cleanup);
  auto listing = ListWalDir(PosixFs(), t.path());
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->segments, (std::vector<int>{6, 7, 8, 9, 10}));
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  EXPECT_EQ(listing->checkpoints[0].index, 5);
  // Replay: the checkpoint (series 0,2,..,8; the samples at 500), then 6.. .
  auto recs = DecodeAll(testutil::ReadWal(t.path()).records);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(std::get<SeriesRecord>(recs[0]).series.size(), 5u);
  EXPECT_EQ(std::get<SamplesRecord>(recs[1]).samples[0].t, 500);
  EXPECT_EQ(std::get<SamplesRecord>(recs[2]).samples[0].t, 600);
  EXPECT_EQ(std::get<SamplesRecord>(recs[3]).samples[0].t, 700);

  // Next time round the old checkpoint goes.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w->NextSegment().ok());  // 11..15: first 6, last 15
  r = TruncateWal(PosixFs(), *w, 900, kKeepEven, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r->range, (CheckpointRange{6, 11}));
  listing = ListWalDir(PosixFs(), t.path());
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  EXPECT_EQ(listing->checkpoints[0].index, 11);
  EXPECT_EQ(listing->segments.front(), 12);
}

TEST(checkpoint_truncation, TooFewSegmentsOnlyMovesOn) {
  TempDir t;
  auto w = MakeWal(PosixFs(), t.path(), 2);
  auto r = TruncateWal(PosixFs(), *w, 0, kKeepAll, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->new_segment, 2);
  EXPECT_FALSE(r->range.has_value());
  EXPECT_EQ(Names(t.path()), (std::set<std::string>{"00000000", "00000001", "00000002"}));
}

TEST(checkpoint_truncation, FailedCheckpointDeletesNothing) {
  TempDir t;
  auto w = MakeWal(PosixFs(), t.path(), 6);
  std::string bytes = testutil::ReadFileOrDie(testutil::SegPath(t.path(), 1));
  bytes[12] ^= 1;
  testutil::WriteFileOrDie(testutil::SegPath(t.path(), 1), bytes);
  auto r = TruncateWal(PosixFs(), *w, 0, kKeepAll, {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  auto segs = ListSequentialSegments(PosixFs(), t.path());
  ASSERT_TRUE(segs.ok());
  EXPECT_EQ(*segs, (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_FALSE(ListWalDir(PosixFs(), t.path())->LastCheckpoint());
}

TEST(checkpoint_truncation, Protocol242SkipsDirectoryFsyncsOnDelete) {
  for (auto protocol : {DurabilityProtocol::kWalproof, DurabilityProtocol::kPrometheus242}) {
    TempDir t;
    testutil::CrashPointsFs fs(PosixFs());
    auto w = MakeWal(fs, t.path(), 10);
    CheckpointOptions o;
    o.protocol = protocol;
    const size_t before = fs.log().size();
    auto r = TruncateWal(fs, *w, 0, kKeepAll, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // After the checkpoint's rename and its fsync: the deletions.
    std::vector<std::string> after;
    bool renamed = false;
    for (size_t i = before; i < fs.log().size(); ++i) {
      if (renamed) after.push_back(fs.log()[i]);
      if (fs.log()[i].starts_with("rename ")) renamed = true;
    }
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after.front(), "fsync dir " + t.path());  // both protocols
    const size_t dir_syncs = std::count_if(after.begin() + 1, after.end(),
                                           [](const std::string& s) { return s.starts_with("fsync dir"); });
    const size_t unlinks = std::count_if(after.begin(), after.end(),
                                         [](const std::string& s) { return s.starts_with("unlink"); });
    EXPECT_EQ(unlinks, 6u);  // segments 0..5
    EXPECT_EQ(dir_syncs, protocol == DurabilityProtocol::kWalproof ? unlinks : 0u);
  }
}

// ---- A crash at every step of a truncation ----

void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

void CrashEverywhere(bool torn) {
  TempDir t;
  const std::string pristine = t.Sub("pristine");
  const std::string work = t.Sub("work");
  {
    // An older checkpoint and leftovers too, so that every kind of step happens.
    auto w = MakeWal(PosixFs(), pristine, 6);
    ASSERT_TRUE(TruncateWal(PosixFs(), *w, 100, kKeepEven, {}).ok());
    for (int i = 0; i < 6; ++i) {
      std::vector<std::pair<uint64_t, int64_t>> samples;
      for (uint64_t r = 0; r < 10; ++r) samples.push_back({r, 1000 + 100 * i});
      ASSERT_TRUE(w->Log(SamplesRec(samples)).ok());
      ASSERT_TRUE(w->NextSegment().ok());
    }
    ASSERT_TRUE(w->Close().ok());
  }
  const std::vector<std::string> before = testutil::ReadWal(pristine).records;
  auto run = [&](Fs& fs) -> Status {
    WalWriterOptions wo;
    wo.segment_size = kSmallSegment;
    auto w = WalWriter::Open(fs, work, wo);
    if (!w.ok()) return w.status();
    auto r = TruncateWal(fs, **w, 1200, kKeepEven, {});
    if (!r.ok()) return r.status();
    return r->cleanup;
  };
  CopyTree(pristine, work);
  ASSERT_OK(run(PosixFs()));
  const std::vector<std::string> after = testutil::ReadWal(work).records;
  ASSERT_NE(before, after);

  int crashes = 0;
  for (int n = 1;; ++n) {
    CopyTree(pristine, work);
    testutil::CrashPointsFs fs(PosixFs(), n, torn);
    Status st = run(fs);
    if (!fs.crashed()) {
      ASSERT_OK(st);
      break;
    }
    ++crashes;
    SCOPED_TRACE("crash at call " + std::to_string(n) + " after: " +
                 (fs.log().empty() ? std::string("nothing") : fs.log().back()));
    // (st may be ok: the last calls are the writer's Close in its destructor.)
    auto listing = ListWalDir(PosixFs(), work);
    ASSERT_TRUE(listing.ok());
    EXPECT_FALSE(listing->FirstGap().has_value());
    auto replay = testutil::ReadWal(work);
    ASSERT_OK(replay.status);
    EXPECT_TRUE(replay.records == before || replay.records == after)
        << replay.records.size() << " records; before " << before.size() << ", after " << after.size();
    // The next start cleans up and truncates again.
    ASSERT_OK(RemoveLeftoverCheckpoints(PosixFs(), work));
    ASSERT_OK(run(PosixFs()));
    ASSERT_OK(testutil::ReadWal(work).status);
    EXPECT_TRUE(ListWalDir(PosixFs(), work)->tmp_checkpoints.empty());
  }
  EXPECT_GT(crashes, 20);
}

TEST(checkpoint_truncation, CrashAtEveryStep) { CrashEverywhere(false); }
TEST(checkpoint_truncation, CrashAtEveryStepTornWrites) { CrashEverywhere(true); }

}  // namespace
}  // namespace walproof
