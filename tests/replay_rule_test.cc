// The rule replay, verify (ComputeWalStats) and repair share about which
// records can be a corruption (AppliedOnReplay, record_codec.h): replay skips
// some types unread (mmap markers, 0, 9..255), so a malformed body of one of
// those must not make verify fail or repair cut (finding 3 in
// fuzz/FINDINGS.md).
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "wal_test_util.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/head.h"
#include "walproof/head/replay.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_stats.h"
#include "walproof/wal/wal_writer.h"

namespace walproof {
namespace {

using testutil::TempDir;

std::string SeriesRec() {
  std::string out;
  EncodeSeries({{1, {{"__name__", "a"}}}}, &out);
  return out;
}

std::string SamplesRec() {
  std::string out;
  EncodeSamples({{1, 1000, 1.0}, {1, 2000, 2.0}}, &out);
  return out;
}

// A record of `type` whose body is one varint byte cut short: no decoder
// accepts it.
std::string Malformed(uint8_t type) { return std::string{static_cast<char>(type), '\xff'}; }

void WriteWal(const std::string& dir, const std::vector<std::string>& records) {
  WalWriterOptions o;
  o.segment_size = 4 * kPageSize;
  auto w = WalWriter::Open(PosixFs(), dir, o);
  ASSERT_OK(w.status());
  for (const std::string& r : records) ASSERT_OK((*w)->Log(r));
  ASSERT_OK((*w)->Close());
}

TEST(ReplayRuleTest, AppliedTypesAreTheOnesReplayDecodes) {
  for (int t = 0; t < 256; ++t) {
    const bool applied = t == 1 || t == 2 || t == 3 || t == 4 || t == 6 || t == 7 || t == 8;
    EXPECT_EQ(AppliedOnReplay(static_cast<uint8_t>(t)), applied) << "type " << t;
  }
}

TEST(ReplayRuleTest, DecodeAsReplayedLeavesSkippedTypesUnread) {
  Record r;
  EXPECT_FALSE(DecodeRecord(Malformed(5), &r).ok());
  ASSERT_OK(DecodeRecordAsReplayed(Malformed(5), &r));
  EXPECT_TRUE(r == Record(UnknownRecord{5}));

  Status st = DecodeRecordAsReplayed(Malformed(2), &r);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();

  std::string markers;
  EncodeMmapMarkers({{7, 9}}, &markers);
  ASSERT_OK(DecodeRecordAsReplayed(markers, &r));
  EXPECT_TRUE(r == Record(UnknownRecord{5}));  // well-formed or not, never read
  ASSERT_OK(DecodeRecordAsReplayed(SeriesRec(), &r));
  EXPECT_TRUE(std::holds_alternative<SeriesRecord>(r));
}

// For every type byte, a malformed record of that type between two good ones:
// replay, verify and repair all stop there, or none does.
TEST(ReplayRuleTest, ReplayVerifyAndRepairStopAtTheSameRecordForEveryType) {
  for (int t = 0; t < 256; ++t) {
    SCOPED_TRACE("type " + std::to_string(t));
    TempDir tmp;
    WriteWal(tmp.path(), {SeriesRec(), Malformed(static_cast<uint8_t>(t)), SamplesRec()});
    const bool stops = AppliedOnReplay(static_cast<uint8_t>(t));

    Head head;
    ReplayOptions opts;
    opts.timing = false;
    ReplayReport report;
    Status replayed = ReplaySequential(PosixFs(), tmp.path(), &head, opts, &report);
    EXPECT_EQ(replayed.ok(), !stops) << replayed.ToString();

    auto stats = ComputeWalStats(PosixFs(), tmp.path());
    ASSERT_OK(stats.status());
    EXPECT_EQ(stats->corruption.has_value(), stops);
    EXPECT_EQ(stats->records, stops ? 1u : 3u);

    auto plan = PlanRepair(PosixFs(), tmp.path());
    ASSERT_OK(plan.status());
    EXPECT_EQ(plan->corruption.has_value(), stops);
    EXPECT_EQ(plan->needed(), stops);
    EXPECT_EQ(plan->kept_records, stops ? 1u : 3u);
    if (!stops) {
      EXPECT_EQ(report.records, 3u);
    }
  }
}

TEST(WalStatsTest, MalformedMmapMarkersAreCountedNotCorruption) {
  TempDir tmp;
  std::string markers;
  EncodeMmapMarkers({{1, 5}, {2, 6}}, &markers);
  WriteWal(tmp.path(), {SeriesRec(), Malformed(5), markers, SamplesRec()});
  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_FALSE(stats->corruption.has_value()) << stats->corruption->ToString();
  EXPECT_EQ(stats->records, 4u);
  EXPECT_EQ(stats->records_by_type[5], 2u);
  EXPECT_EQ(stats->mmap_markers, 2u);  // the well-formed record's markers
  EXPECT_EQ(stats->undecodable_skipped_records, 1u);
  EXPECT_EQ(stats->samples, 2u);
}

TEST(RepairTest, KeepsRecordsAfterAMalformedMmapMarkersRecord) {
  TempDir tmp;
  WriteWal(tmp.path(), {SeriesRec(), Malformed(5), SamplesRec(), Malformed(2), SamplesRec()});
  auto plan = PlanRepair(PosixFs(), tmp.path());
  ASSERT_OK(plan.status());
  ASSERT_TRUE(plan->corruption.has_value());
  EXPECT_NE(plan->corruption->reason.find("decode samples"), std::string::npos) << plan->corruption->reason;
  EXPECT_EQ(plan->kept_records, 3u);  // cut at the samples record, not at the markers
  EXPECT_EQ(plan->loss.records, 2u);
  EXPECT_EQ(plan->loss.undecodable_records, 1u);
  ASSERT_OK(ExecuteRepair(PosixFs(), tmp.path(), *plan));

  auto read = testutil::ReadWal(tmp.path());
  ASSERT_OK(read.status);
  EXPECT_EQ(read.records, (std::vector<std::string>{SeriesRec(), Malformed(5), SamplesRec()}));
  Head head;
  ReplayOptions opts;
  opts.timing = false;
  ReplayReport report;
  ASSERT_OK(ReplaySequential(PosixFs(), tmp.path(), &head, opts, &report));
  EXPECT_EQ(report.records, 3u);
  EXPECT_EQ(report.records_skipped, 1u);
  EXPECT_EQ(report.samples, 2u);
}

}  // namespace
}  // namespace walproof
