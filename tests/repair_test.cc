// Repair tests: for each kind of corruption the strict reader reports, the
// repair keeps exactly the records before it and the WAL reads clean after;
// planning writes nothing; a damaged checkpoint is refused (#7530); the
// leftovers of interrupted repairs, ours and Prometheus's (#6080), are
// handled; and a crash at every file-system call of a repair leaves a WAL
// that opens and replays at least what the repair keeps.
#include "walproof/wal/repair.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "crash_points_fs.h"
#include "wal_test_util.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"
#include "walproof/wal/wal_stats.h"
#include "walproof/wal/wal_writer.h"

namespace walproof {
namespace {

using testutil::kSmallSegment;
using testutil::WriteSegments;

using testutil::Frag;
using testutil::ReadFileOrDie;
using testutil::SegPath;
using testutil::TempDir;
using testutil::WriteFileOrDie;


// Record k of a test WAL: two samples at t = 1000 + k.
std::string Rec(int k) {
  std::string out;
  EncodeSamples({{1, 1000 + k, 1.0}, {2, 1000 + k, 2.0}}, &out);
  return out;
}

std::string SeriesRec() {
  std::string out;
  EncodeSeries({{1, {{"__name__", "a"}}}, {2, {{"__name__", "b"}}}}, &out);
  return out;
}

// `n` segments of `per` records each; record numbers run on across segments.
std::vector<std::vector<std::string>> Numbered(int n, int per) {
  std::vector<std::vector<std::string>> out(n);
  int k = 0;
  for (auto& seg : out) {
    for (int i = 0; i < per; ++i) seg.push_back(Rec(k++));
  }
  return out;
}

// Where record `i` of a segment file starts (its first fragment header).
uint64_t RecordStart(const std::string& path, size_t i) {
  auto out = testutil::ReadSegmentFile(path);
  EXPECT_LT(i, out.records.size());
  if (i == 0) return 0;
  uint64_t end = out.positions[i - 1].second;
  if (kPageSize - end % kPageSize < kFragmentHeaderSize) end += kPageSize - end % kPageSize;
  return end;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::string bytes = ReadFileOrDie(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] ^= 0x40;
  WriteFileOrDie(path, bytes);
}

// Every file under `dir` with its bytes.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string rel = std::filesystem::relative(e.path(), dir).string();
    out[rel] = e.is_directory() ? std::string("<dir>") : ReadFileOrDie(e.path().string());
  }
  return out;
}

void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

RepairPlan PlanOrDie(const std::string& dir) {
  auto plan = PlanRepair(PosixFs(), dir);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : RepairPlan{};
}

// Plans and executes; then the WAL must read clean and hold exactly `kept`.
void RepairAndExpect(const std::string& dir, const std::vector<std::string>& kept) {
  RepairPlan plan = PlanOrDie(dir);
  EXPECT_EQ(plan.kept_records, kept.size());
  ASSERT_OK(ExecuteRepair(PosixFs(), dir, plan));
  auto stats = ComputeWalStats(PosixFs(), dir);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_FALSE(stats->corruption.has_value()) << stats->corruption->ToString();
  auto replay = testutil::ReadWal(dir);
  ASSERT_OK(replay.status);
  EXPECT_EQ(replay.records, kept);
  auto listing = ListWalDir(PosixFs(), dir);
  ASSERT_TRUE(listing.ok());
  EXPECT_FALSE(listing->FirstGap().has_value());
  EXPECT_TRUE(listing->other.empty());
  EXPECT_TRUE(listing->repair_files.empty());
  // Nothing left to do, and writing goes on after the repaired segment.
  EXPECT_FALSE(PlanOrDie(dir).needed());
}

std::vector<std::string> First(const std::vector<std::vector<std::string>>& segs, size_t n) {
  std::vector<std::string> out;
  for (const auto& s : segs) out.insert(out.end(), s.begin(), s.end());
  out.resize(std::min(n, out.size()));
  return out;
}

// ---- Each corruption class ----

TEST(repair, BadCrcMidSegment) {
  TempDir t;
  auto segs = Numbered(3, 10);
  WriteSegments(t.path(), segs);
  const uint64_t start5 = RecordStart(SegPath(t.path(), 1), 5);
  FlipByte(SegPath(t.path(), 1), start5 + kFragmentHeaderSize + 3);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("unexpected checksum"), std::string::npos);
  EXPECT_EQ(plan.segment, 1);
  EXPECT_TRUE(plan.rewrite_segment);
  EXPECT_EQ(plan.cut_offset, start5);
  EXPECT_EQ(plan.kept_records_in_segment, 5u);
  EXPECT_EQ(plan.delete_segments, (std::vector<int>{2}));
  // Dropped: records 16..29 readable (15 is damaged), two samples each.
  EXPECT_EQ(plan.loss.records, 14u);
  EXPECT_EQ(plan.loss.samples, 28u);
  EXPECT_EQ(plan.loss.min_time, 1016);
  EXPECT_EQ(plan.loss.max_time, 1029);
  EXPECT_FALSE(plan.loss.complete());
  const std::string summary = plan.Summary();
  EXPECT_NE(summary.find("would cut segment 00000001"), std::string::npos) << summary;
  EXPECT_NE(summary.find("delete segments 00000002"), std::string::npos) << summary;
  EXPECT_NE(summary.find("drop 14 records (28 samples) from 1016"), std::string::npos) << summary;
  EXPECT_NE(summary.find("keep 15 records"), std::string::npos) << summary;
  RepairAndExpect(t.path(), First(segs, 15));
}

TEST(repair, TornLastRecord) {
  TempDir t;
  std::string big;
  std::vector<RefSample> samples;
  for (int i = 0; i < 4000; ++i) samples.push_back({static_cast<uint64_t>(i), 5000 + i, 1.0});
  EncodeSamples(samples, &big);  // about 40 KB: FIRST in page 0, LAST in page 1
  std::vector<std::vector<std::string>> segs = {{Rec(0), Rec(1)}, {Rec(2), Rec(3), big}};
  WriteSegments(t.path(), segs);
  // Lose everything after the first page of the last segment.
  std::string bytes = ReadFileOrDie(SegPath(t.path(), 1));
  WriteFileOrDie(SegPath(t.path(), 1), bytes.substr(0, kPageSize));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_EQ(plan.corruption->reason, "last record is torn");
  EXPECT_EQ(plan.segment, 1);
  EXPECT_TRUE(plan.delete_segments.empty());
  EXPECT_EQ(plan.loss.records, 0u);
  ASSERT_EQ(plan.loss.unreadable.size(), 1u);
  EXPECT_NE(plan.loss.unreadable[0].find("1 incomplete record"), std::string::npos) << plan.loss.unreadable[0];
  RepairAndExpect(t.path(), First(segs, 4));
}

TEST(repair, GarbageAfterPageTerminator) {
  // Upstream #7506 / #16074: like Prometheus, everything after the page goes,
  // later segments too.
  TempDir t;
  auto segs = Numbered(3, 4);
  WriteSegments(t.path(), segs);
  const std::string seg1 = SegPath(t.path(), 1);
  std::string bytes = ReadFileOrDie(seg1);
  const uint64_t end = testutil::ReadSegmentFile(seg1).positions.back().second;
  bytes[end + 100] = 'x';
  WriteFileOrDie(seg1, bytes);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_EQ(plan.corruption->reason, "unexpected non-zero byte in padded page");
  EXPECT_EQ(plan.cut_offset, end);
  EXPECT_EQ(plan.kept_records_in_segment, 4u);
  EXPECT_EQ(plan.delete_segments, (std::vector<int>{2}));
  EXPECT_EQ(plan.loss.records, 4u);
  RepairAndExpect(t.path(), First(segs, 8));
}

// A segment made by hand from fragments.
void WriteCrafted(const std::string& dir, int index, const std::string& fragments) {
  std::string seg = fragments;
  testutil::PadToPage(&seg);
  WriteFileOrDie(SegPath(dir, index), seg);
}

TEST(repair, UnexpectedFullAfterFirst) {
  // Upstream #13027: a FIRST left behind by a failed write, then a new record.
  TempDir t;
  WriteSegments(t.path(), {{Rec(0), Rec(1)}});
  WriteCrafted(t.path(), 1, Frag(testutil::kFull, Rec(2)) + Frag(testutil::kFirst, Rec(3).substr(0, 10)) +
                                Frag(testutil::kFull, Rec(4)) + Frag(testutil::kFull, Rec(5)));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_EQ(plan.corruption->reason, "unexpected full record");
  EXPECT_EQ(plan.kept_records_in_segment, 1u);
  EXPECT_EQ(plan.loss.records, 2u);  // records 4 and 5 are still readable
  EXPECT_FALSE(plan.loss.complete());
  RepairAndExpect(t.path(), {Rec(0), Rec(1), Rec(2)});
}

TEST(repair, UnexpectedFirstAfterFirst) {
  TempDir t;
  WriteCrafted(t.path(), 0, Frag(testutil::kFull, Rec(0)) + Frag(testutil::kFirst, "ab") +
                                Frag(testutil::kFirst, "cd") + Frag(testutil::kLast, "ef"));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("unexpected first record"), std::string::npos);
  RepairAndExpect(t.path(), {Rec(0)});
}

TEST(repair, UnexpectedLastWithoutFirst) {
  TempDir t;
  WriteCrafted(t.path(), 0, Frag(testutil::kFull, Rec(0)) + Frag(testutil::kLast, Rec(1)) +
                                Frag(testutil::kFull, Rec(2)));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("unexpected last record"), std::string::npos);
  EXPECT_EQ(plan.loss.records, 1u);
  RepairAndExpect(t.path(), {Rec(0)});
}

TEST(repair, InvalidRecordSize) {
  TempDir t;
  WriteCrafted(t.path(), 0, Frag(testutil::kFull, Rec(0)) + testutil::RawHeader(testutil::kFull, 40000, 0) +
                                std::string(100, 'z'));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("invalid record size"), std::string::npos);
  RepairAndExpect(t.path(), {Rec(0)});
}

TEST(repair, UndecodableRecordIsCorruption) {
  TempDir t;
  std::vector<std::vector<std::string>> segs = {{SeriesRec(), Rec(0), std::string("\x01\x00", 2), Rec(1)},
                                                {Rec(2)}};
  WriteSegments(t.path(), segs);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("decode series"), std::string::npos) << plan.corruption->reason;
  EXPECT_EQ(plan.kept_records, 2u);
  EXPECT_EQ(plan.loss.records, 3u);
  EXPECT_EQ(plan.loss.undecodable_records, 1u);
  EXPECT_TRUE(plan.loss.complete());
  RepairAndExpect(t.path(), {SeriesRec(), Rec(0)});
}

TEST(repair, CompressedRecordsKeepTheirCompression) {
  TempDir t;
  std::vector<std::string> recs;
  for (int k = 0; k < 20; ++k) {
    std::vector<RefSample> s(50, RefSample{7, 1000 + k, 3.0});
    std::string r;
    EncodeSamples(s, &r);
    recs.push_back(r);
  }
  WriteSegments(t.path(), {recs}, Compression::kSnappy);
  FlipByte(SegPath(t.path(), 0), RecordStart(SegPath(t.path(), 0), 12) + kFragmentHeaderSize + 1);
  std::vector<std::string> kept(recs.begin(), recs.begin() + 12);
  RepairAndExpect(t.path(), kept);
  for (const auto& f : testutil::ParseSegmentFile(SegPath(t.path(), 0))) {
    EXPECT_EQ(f.type_byte & kSnappyBit, kSnappyBit);
  }
}

TEST(repair, WritingGoesOnAfterTheRepairedSegment) {
  TempDir t;
  auto segs = Numbered(3, 3);
  WriteSegments(t.path(), segs);
  FlipByte(SegPath(t.path(), 1), RecordStart(SegPath(t.path(), 1), 1) + kFragmentHeaderSize);
  RepairAndExpect(t.path(), First(segs, 4));
  WalWriterOptions o;
  o.segment_size = kSmallSegment;
  auto w = WalWriter::Open(PosixFs(), t.path(), o);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->active_segment(), 2);
  ASSERT_OK((*w)->Log(Rec(99)));
  ASSERT_OK((*w)->Close());
  auto kept = First(segs, 4);
  kept.push_back(Rec(99));
  EXPECT_EQ(testutil::ReadWal(t.path()).records, kept);
}

// ---- Planning writes nothing ----

TEST(repair, CleanWalNeedsNothing) {
  TempDir t;
  WriteSegments(t.path(), Numbered(2, 3));
  const auto before = Snapshot(t.path());
  RepairPlan plan = PlanOrDie(t.path());
  EXPECT_FALSE(plan.needed());
  EXPECT_EQ(plan.kept_records, 6u);
  EXPECT_NE(plan.Summary().find("nothing to repair"), std::string::npos);
  ASSERT_OK(ExecuteRepair(PosixFs(), t.path(), plan));
  EXPECT_EQ(Snapshot(t.path()), before);
}

TEST(repair, DryRunChangesNothing) {
  TempDir t;
  WriteSegments(t.path(), Numbered(3, 5));
  FlipByte(SegPath(t.path(), 1), 20);
  WriteFileOrDie(JoinPath(t.path(), RepairTempFileName(1)), "leftover");
  const auto before = Snapshot(t.path());
  RepairPlan plan = PlanOrDie(t.path());
  EXPECT_TRUE(plan.needed());
  plan.Summary();
  FilesChangedByRepair(plan);
  EXPECT_EQ(Snapshot(t.path()), before);
}

TEST(repair, StalePlanRefused) {
  TempDir t;
  WriteSegments(t.path(), Numbered(3, 5));
  FlipByte(SegPath(t.path(), 1), 20);
  RepairPlan plan = PlanOrDie(t.path());
  FlipByte(SegPath(t.path(), 0), 20);  // the first corruption moves
  const auto before = Snapshot(t.path());
  Status st = ExecuteRepair(PosixFs(), t.path(), plan);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("changed since"), std::string::npos) << st.ToString();
  EXPECT_EQ(Snapshot(t.path()), before);
}

TEST(repair, FilesChanged) {
  TempDir t;
  WriteSegments(t.path(), Numbered(4, 3));
  FlipByte(SegPath(t.path(), 1), 20);
  RepairPlan plan = PlanOrDie(t.path());
  EXPECT_EQ(FilesChangedByRepair(plan),
            (std::vector<std::string>{SegPath(t.path(), 1), SegPath(t.path(), 2), SegPath(t.path(), 3)}));
  EXPECT_EQ(plan.delete_segments, (std::vector<int>{3, 2}));  // highest first
}

// ---- Checkpoints are never "repaired" by cutting segments (#7530) ----

// checkpoint.1 (from segments 0..1) and segments 2..4; returns the records.
void WriteWithCheckpoint(const std::string& dir) {
  WriteSegments(dir, Numbered(5, 3));
  auto st = Checkpoint(PosixFs(), dir, 0, 1, [](uint64_t) { return true; }, 0, {});
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_OK(DeleteSegmentsUpTo(PosixFs(), dir, 1));
}

void ExpectRefused(const std::string& dir, const std::string& what) {
  const auto before = Snapshot(dir);
  auto plan = PlanRepair(PosixFs(), dir);
  ASSERT_FALSE(plan.ok());
  const std::string msg = plan.status().message();
  EXPECT_NE(msg.find(what), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot be repaired by truncating"), std::string::npos) << msg;
  EXPECT_EQ(Snapshot(dir), before);
}

TEST(repair, CheckpointCorruptionRefused) {
  TempDir t;
  WriteWithCheckpoint(t.path());
  const std::string cp_seg = JoinPath(JoinPath(t.path(), CheckpointDirName(1)), SegmentFileName(0));
  FlipByte(cp_seg, 30);
  ExpectRefused(t.path(), cp_seg + " at ");
  ExpectRefused(t.path(), "unexpected checksum");
}

TEST(repair, EmptyCheckpointRefused) {
  TempDir t;
  WriteWithCheckpoint(t.path());
  ASSERT_OK(PosixFs().MakeDir(JoinPath(t.path(), CheckpointDirName(3))));
  ExpectRefused(t.path(), CheckpointDirName(3) + " holds no segment");
}

TEST(repair, NonDirCheckpointRefused) {
  TempDir t;
  WriteWithCheckpoint(t.path());
  WriteFileOrDie(JoinPath(t.path(), CheckpointDirName(3)), "x");
  ExpectRefused(t.path(), "is not a directory");
}

TEST(repair, CorruptionAfterCheckpoint) {
  TempDir t;
  WriteWithCheckpoint(t.path());
  auto before = testutil::ReadWal(t.path()).records;  // 6 from the checkpoint, 9 after
  ASSERT_EQ(before.size(), 15u);
  FlipByte(SegPath(t.path(), 3), RecordStart(SegPath(t.path(), 3), 1) + kFragmentHeaderSize);
  RepairPlan plan = PlanOrDie(t.path());
  EXPECT_EQ(plan.checkpoint, 1);
  EXPECT_EQ(plan.segment, 3);
  before.resize(10);
  RepairAndExpect(t.path(), before);
  EXPECT_TRUE(std::filesystem::is_directory(JoinPath(t.path(), CheckpointDirName(1))));
}

// ---- Gaps ----

TEST(repair, GapBetweenSegments) {
  TempDir t;
  auto segs = Numbered(5, 2);
  WriteSegments(t.path(), segs);
  ASSERT_OK(PosixFs().RemoveFile(SegPath(t.path(), 2)));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("segments are not sequential"), std::string::npos);
  EXPECT_EQ(plan.segment, 1);
  EXPECT_FALSE(plan.rewrite_segment);
  EXPECT_EQ(plan.delete_segments, (std::vector<int>{4, 3}));
  EXPECT_EQ(plan.loss.records, 4u);
  RepairAndExpect(t.path(), First(segs, 4));
}

TEST(repair, GapAfterCheckpoint) {
  TempDir t;
  WriteWithCheckpoint(t.path());
  auto before = testutil::ReadWal(t.path()).records;
  ASSERT_OK(PosixFs().RemoveFile(SegPath(t.path(), 2)));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_TRUE(plan.corruption.has_value());
  EXPECT_NE(plan.corruption->reason.find("missing segment"), std::string::npos) << plan.corruption->reason;
  EXPECT_EQ(plan.segment, 2);
  EXPECT_FALSE(plan.segment_exists);
  before.resize(6);
  RepairAndExpect(t.path(), before);
  // An empty segment 2 stands after the checkpoint, so writing goes on above it.
  auto segs = ListSequentialSegments(PosixFs(), t.path());
  ASSERT_TRUE(segs.ok());
  EXPECT_EQ(*segs, (std::vector<int>{2}));
}

TEST(repair, GapBelowCheckpointClosed) {
  TempDir t;
  WriteSegments(t.path(), Numbered(6, 2));
  ASSERT_TRUE(Checkpoint(PosixFs(), t.path(), 0, 3, [](uint64_t) { return true; }, 0, {}).ok());
  ASSERT_OK(PosixFs().RemoveFile(SegPath(t.path(), 1)));  // 0, 2, 3 | 4, 5
  RepairPlan plan = PlanOrDie(t.path());
  EXPECT_FALSE(plan.corruption.has_value());
  EXPECT_EQ(plan.obsolete_segments, (std::vector<int>{0, 2, 3}));
  EXPECT_EQ(plan.loss.records, 0u);
  ASSERT_OK(ExecuteRepair(PosixFs(), t.path(), plan));
  auto replay = testutil::ReadWal(t.path());
  ASSERT_OK(replay.status);
  EXPECT_EQ(replay.records.size(), 12u);
  EXPECT_EQ(*ListSequentialSegments(PosixFs(), t.path()), (std::vector<int>{4, 5}));
}

// ---- Leftovers of interrupted repairs ----

TEST(repair, LeftoverTempFilesRemoved) {
  TempDir t;
  WriteSegments(t.path(), Numbered(2, 2));
  WriteFileOrDie(JoinPath(t.path(), RepairTempFileName(1)), "half a repair");
  ASSERT_OK(PosixFs().MakeDir(JoinPath(t.path(), CheckpointDirName(0) + ".tmp")));
  RepairPlan plan = PlanOrDie(t.path());
  EXPECT_TRUE(plan.needed());
  EXPECT_EQ(plan.remove_leftovers,
            (std::vector<std::string>{RepairTempFileName(1), CheckpointDirName(0) + ".tmp"}));
  RepairAndExpect(t.path(), First(Numbered(2, 2), 4));

  WriteFileOrDie(JoinPath(t.path(), RepairTempFileName(0)), "again");
  int removed = 0;
  ASSERT_OK(RemoveRepairTempFiles(PosixFs(), t.path(), &removed));
  EXPECT_EQ(removed, 1);
}

// Builds what Prometheus leaves when it crashes inside its repair of segment
// 1: segment 1 moved to 00000001.repair, and `partial` as the new segment 1
// (nullopt: not created yet).
std::vector<std::vector<std::string>> UpstreamLeftover(const std::string& dir,
                                                       std::optional<std::string> partial) {
  auto segs = Numbered(2, 6);
  WriteSegments(dir, segs);
  FlipByte(SegPath(dir, 1), RecordStart(SegPath(dir, 1), 4) + kFragmentHeaderSize);
  std::filesystem::rename(SegPath(dir, 1), SegPath(dir, 1) + ".repair");
  if (partial) WriteFileOrDie(SegPath(dir, 1), *partial);
  return segs;
}

TEST(repair, UpstreamLeftoverSegmentMissing) {
  TempDir t;
  auto segs = UpstreamLeftover(t.path(), std::nullopt);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_EQ(plan.upstream_leftovers.size(), 1u);
  EXPECT_EQ(plan.upstream_leftovers[0].action, UpstreamRepairAction::kRestore);
  EXPECT_EQ(plan.segment, 1);
  RepairAndExpect(t.path(), First(segs, 10));
}

TEST(repair, UpstreamLeftoverPartialRewrite) {
  TempDir t;
  // Prometheus had re-logged two of the four records, the second one torn.
  std::string partial = Frag(testutil::kFull, Rec(6)) + Frag(testutil::kFull, Rec(7)).substr(0, 9);
  auto segs = UpstreamLeftover(t.path(), partial);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_EQ(plan.upstream_leftovers.size(), 1u);
  EXPECT_EQ(plan.upstream_leftovers[0].action, UpstreamRepairAction::kRestore);
  RepairAndExpect(t.path(), First(segs, 10));
}

TEST(repair, UpstreamLeftoverFinished) {
  TempDir t;
  std::string done;
  for (int k = 6; k < 10; ++k) done += Frag(testutil::kFull, Rec(k));
  testutil::PadToPage(&done);
  auto segs = UpstreamLeftover(t.path(), done);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_EQ(plan.upstream_leftovers.size(), 1u);
  EXPECT_EQ(plan.upstream_leftovers[0].action, UpstreamRepairAction::kRemove);
  EXPECT_FALSE(plan.corruption.has_value());
  RepairAndExpect(t.path(), First(segs, 10));
}

TEST(repair, UpstreamLeftoverStaleLeftAlone) {
  TempDir t;
  std::string partial = Frag(testutil::kFull, Rec(6));
  testutil::PadToPage(&partial);
  UpstreamLeftover(t.path(), partial);
  // Prometheus went on writing after the interrupted repair.
  WriteSegments(t.path(), {{Rec(50), Rec(51)}});
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_EQ(plan.upstream_leftovers.size(), 1u);
  EXPECT_EQ(plan.upstream_leftovers[0].action, UpstreamRepairAction::kLeave);
  EXPECT_FALSE(plan.needed());
  EXPECT_NE(plan.Summary().find("leaving 00000001.repair alone"), std::string::npos) << plan.Summary();
}

// Finding 5 (fuzz/FINDINGS.md): a second repair must find nothing to do, so
// leftovers are judged against the directory as this repair leaves it.

TEST(repair, UpstreamLeftoverHeldBackByDroppedDataIsPutBack) {
  TempDir t;
  std::string partial = Frag(testutil::kFull, Rec(6));
  testutil::PadToPage(&partial);
  auto segs = UpstreamLeftover(t.path(), partial);
  // Data after a gap held the leftover back; the repair drops it (the gap).
  WriteCrafted(t.path(), 3, Frag(testutil::kFull, Rec(50)));
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_EQ(plan.upstream_leftovers.size(), 1u);
  EXPECT_EQ(plan.upstream_leftovers[0].action, UpstreamRepairAction::kRestore);
  EXPECT_EQ(plan.segment, 1);
  EXPECT_EQ(plan.delete_segments, (std::vector<int>{3}));
  // Put back, cut at its own corruption: what it held before it is kept.
  RepairAndExpect(t.path(), First(segs, 10));
}

TEST(repair, UpstreamLeftoverOfADroppedSegmentGoesWithIt) {
  TempDir t;
  auto segs = Numbered(3, 2);
  WriteSegments(t.path(), segs);
  // 2.repair: an older segment 2 that the WAL moved on from (left alone
  // while segment 2 stays) ...
  std::string older = Frag(testutil::kFull, Rec(40)) + Frag(testutil::kFull, Rec(41));
  testutil::PadToPage(&older);
  WriteFileOrDie(SegPath(t.path(), 2) + ".repair", older);
  ASSERT_EQ(PlanOrDie(t.path()).upstream_leftovers[0].action, UpstreamRepairAction::kLeave);
  // ... but a corruption in segment 0 drops segments 1 and 2, and a missing
  // 2 next to 2.repair would look like an interrupted upstream repair.
  FlipByte(SegPath(t.path(), 0), RecordStart(SegPath(t.path(), 0), 1) + kFragmentHeaderSize);
  RepairPlan plan = PlanOrDie(t.path());
  ASSERT_EQ(plan.upstream_leftovers.size(), 1u);
  EXPECT_EQ(plan.upstream_leftovers[0].action, UpstreamRepairAction::kRemove);
  EXPECT_NE(plan.Summary().find("remove 00000002.repair"), std::string::npos) << plan.Summary();
  EXPECT_EQ(plan.delete_segments, (std::vector<int>{2, 1}));
  EXPECT_EQ(plan.loss.records, 2u + 2u + 2u);  // segments 1 and 2, and 2.repair
  const auto changed = FilesChangedByRepair(plan);
  EXPECT_NE(std::find(changed.begin(), changed.end(), SegPath(t.path(), 2) + ".repair"), changed.end());
  RepairAndExpect(t.path(), First(segs, 1));
}

TEST(repair, Protocol242Steps) {
  TempDir t;
  auto segs = Numbered(4, 3);
  WriteSegments(t.path(), segs);
  FlipByte(SegPath(t.path(), 1), RecordStart(SegPath(t.path(), 1), 2) + kFragmentHeaderSize);
  RepairPlan plan = PlanOrDie(t.path());
  testutil::CrashPointsFs fs(PosixFs());
  ASSERT_OK(ExecuteRepair(fs, t.path(), plan, {DurabilityProtocol::kPrometheus242}));
  const std::string d = t.path() + "/";
  std::vector<std::string> want = {
      "unlink " + d + "00000002",
      "unlink " + d + "00000003",
      "rename " + d + "00000001 -> " + d + "00000001.repair",
      "fsync dir " + t.path(),
      "create " + d + "00000001",
  };
  ASSERT_GE(fs.log().size(), want.size() + 3);
  EXPECT_EQ(std::vector<std::string>(fs.log().begin(), fs.log().begin() + 5), want);
  EXPECT_EQ(fs.log()[fs.log().size() - 2], "unlink " + d + "00000001.repair");
  EXPECT_EQ(fs.log().back(), "create " + d + "00000002");
  auto replay = testutil::ReadWal(t.path());
  ASSERT_OK(replay.status);
  EXPECT_EQ(replay.records, First(segs, 5));
}

// ---- A crash at every step ----

struct CrashCase {
  const char* name;
  // Makes the damaged WAL in `dir`.
  void (*make)(const std::string& dir);
};

void MakeBadCrc(const std::string& dir) {
  WriteSegments(dir, Numbered(5, 4));
  FlipByte(SegPath(dir, 1), RecordStart(SegPath(dir, 1), 2) + kFragmentHeaderSize + 1);
  WriteFileOrDie(JoinPath(dir, RepairTempFileName(3)), "old leftover");
}

void MakeGapBelowCheckpointAndTorn(const std::string& dir) {
  WriteSegments(dir, Numbered(6, 3));
  ASSERT_TRUE(Checkpoint(PosixFs(), dir, 0, 2, [](uint64_t) { return true; }, 0, {}).ok());
  ASSERT_OK(PosixFs().RemoveFile(SegPath(dir, 1)));
  std::string last = ReadFileOrDie(SegPath(dir, 4));
  WriteFileOrDie(SegPath(dir, 4), last.substr(0, RecordStart(SegPath(dir, 4), 2) + 5));
}

void MakeUpstreamLeftover(const std::string& dir) {
  UpstreamLeftover(dir, Frag(testutil::kFull, Rec(6)));
}

void MakeGapAfterCheckpoint(const std::string& dir) {
  WriteSegments(dir, Numbered(6, 2));
  ASSERT_TRUE(Checkpoint(PosixFs(), dir, 0, 1, [](uint64_t) { return true; }, 0, {}).ok());
  ASSERT_OK(PosixFs().RemoveFile(SegPath(dir, 2)));
}

const CrashCase kCrashCases[] = {
    {"bad crc, later segments, leftover", MakeBadCrc},
    {"gap below checkpoint, torn record", MakeGapBelowCheckpointAndTorn},
    {"upstream .repair leftover", MakeUpstreamLeftover},
    {"segments missing after checkpoint", MakeGapAfterCheckpoint},
};

// Records the finished repair keeps, from a run without crash.
std::vector<std::string> KeptAfterRepair(const std::string& pristine, const std::string& work) {
  CopyTree(pristine, work);
  RepairPlan plan = PlanOrDie(work);
  EXPECT_OK(ExecuteRepair(PosixFs(), work, plan));
  auto replay = testutil::ReadWal(work);
  EXPECT_OK(replay.status);
  return replay.records;
}

// A crash state replays a prefix of what the repair keeps (records after it
// may follow, up to the corruption), and no less of it than the directory
// replayed before the repair began.
// Returns false when it replays less than before (allowed only to upstream's order).
bool NoWorse(const std::vector<std::string>& kept, const std::vector<std::string>& before,
             const std::vector<std::string>& got) {
  size_t had = 0;
  while (had < before.size() && had < kept.size() && before[had] == kept[had]) ++had;
  const size_t n = std::min(got.size(), kept.size());
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<long>(n), kept.begin()));
  return n >= had;
}

void CrashEverywhere(DurabilityProtocol protocol, bool torn) {
  for (const CrashCase& c : kCrashCases) {
    if (protocol == DurabilityProtocol::kPrometheus242 && c.make != MakeBadCrc) continue;
    SCOPED_TRACE(c.name);
    TempDir t;
    const std::string pristine = t.Sub("pristine"), work = t.Sub("work");
    ASSERT_OK(PosixFs().MakeDir(pristine));
    c.make(pristine);
    const std::vector<std::string> kept = KeptAfterRepair(pristine, work);
    const bool opened_before = PlanWalRead(PosixFs(), pristine).ok();
    const std::vector<std::string> before = testutil::ReadWal(pristine).records;
    int crashes = 0, unopenable = 0, worse = 0;
    for (int n = 1;; ++n) {
      CopyTree(pristine, work);
      RepairPlan plan = PlanOrDie(work);
      testutil::CrashPointsFs fs(PosixFs(), n, torn);
      Status st = ExecuteRepair(fs, work, plan, {protocol});
      if (!fs.crashed()) {
        ASSERT_OK(st);
        break;
      }
      ++crashes;
      SCOPED_TRACE("crash at call " + std::to_string(n) + " after: " +
                   (fs.log().empty() ? std::string("nothing") : fs.log().back()));
      ASSERT_FALSE(st.ok());
      auto opened = PlanWalRead(PosixFs(), work);
      if (protocol == DurabilityProtocol::kWalproof && opened_before) {
        ASSERT_TRUE(opened.ok()) << opened.status().ToString();
        EXPECT_FALSE(ListWalDir(PosixFs(), work)->FirstGap().has_value());
      }
      if (opened.ok()) {
        const auto got = testutil::ReadWal(work).records;
        if (!NoWorse(kept, before, got)) {
          ++worse;
          EXPECT_EQ(protocol, DurabilityProtocol::kPrometheus242)
              << "replays " << got.size() << " records, fewer than before the repair";
        }
      } else {
        ++unopenable;
      }
      // Repairing again (walproof's order) always finishes the job.
      RepairAndExpect(work, kept);
    }
    EXPECT_GT(crashes, 3);
    if (protocol == DurabilityProtocol::kPrometheus242) {
      // Upstream #6080: some crash states do not even open ("segments are
      // not sequential"), others replay less than the repair keeps.
      EXPECT_GT(unopenable, 0);
      EXPECT_GT(worse, 0);
    }
  }
}

TEST(repair, CrashAtEveryStep) { CrashEverywhere(DurabilityProtocol::kWalproof, false); }
TEST(repair, CrashAtEveryStepTornWrites) { CrashEverywhere(DurabilityProtocol::kWalproof, true); }
TEST(repair, CrashDuringUpstreamRepairRecovered) {
  CrashEverywhere(DurabilityProtocol::kPrometheus242, false);
}

}  // namespace
}  // namespace walproof
