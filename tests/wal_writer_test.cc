// WalWriter: every writer rule of docs/format.md ("Writer rules"), one short test each
// (LevelDB's log_test.cc is the model), then compression, opening, and what
// happens when the disk fails under the writer (upstream #13027, #8125).
#include "walproof/wal/wal_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <string>
#include <vector>

#include "fault_fs.h"
#include "wal_test_util.h"
#include "walproof/io/posix_fs.h"

namespace walproof {
namespace {

using testutil::FaultFs;
using testutil::kFirst;
using testutil::kFull;
using testutil::kLast;
using testutil::kMiddle;
using testutil::ParsedFragment;
using testutil::ParseSegmentFile;
using testutil::Pattern;
using testutil::RandomBytes;
using testutil::ReadFileOrDie;
using testutil::SegPath;
using testutil::TempDir;

constexpr size_t kPage = kPageSize;
constexpr size_t kMaxPayload = kMaxFragmentPayload;  // 32761

WalWriterOptions Opts(uint64_t pages, Compression c = Compression::kNone) {
  WalWriterOptions o;
  o.segment_size = pages * kPage;
  o.compression = c;
  return o;
}

std::unique_ptr<WalWriter> MustOpen(Fs& fs, const std::string& dir, const WalWriterOptions& o) {
  auto w = WalWriter::Open(fs, dir, o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(*w) : nullptr;
}

std::unique_ptr<WalWriter> MustOpen(const std::string& dir, const WalWriterOptions& o) {
  return MustOpen(PosixFs(), dir, o);
}

// What the fragments of one segment say, as (offset, type byte, length).
struct Shape {
  uint64_t offset;
  uint8_t type_byte;
  uint16_t length;
  bool operator==(const Shape&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Shape& s) {
  return os << "{@" << s.offset << " type 0x" << std::hex << int{s.type_byte} << std::dec
            << " len " << s.length << "}";
}

std::vector<Shape> Shapes(const std::string& path) {
  std::vector<Shape> out;
  for (const ParsedFragment& f : ParseSegmentFile(path)) {
    out.push_back({f.offset, f.type_byte, f.length});
  }
  return out;
}

std::string Concat(const std::vector<ParsedFragment>& frags) {
  std::string s;
  for (const ParsedFragment& f : frags) s += f.payload;
  return s;
}

// ---- Fragments and pages ----

TEST(WalWriterTest, SmallRecordIsOneFullFragment) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("hello"));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), 12u);
  auto frags = ParseSegmentFile(seg);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0].offset, 0u);
  EXPECT_EQ(frags[0].type_byte, kFull);
  EXPECT_EQ(frags[0].length, 5);
  EXPECT_EQ(frags[0].payload, "hello");
  EXPECT_EQ(w->active_segment_size(), 12u);
}

// Byte-level golden check: headers worked out by hand.
// CRC-32C("abc") = 0x364b3fb7, CRC-32C(02 00 ff) = 0x8276a226, and the CRC of
// nothing is 0.
TEST(WalWriterTest, GoldenSegmentBytes) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(1));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("abc"));
  ASSERT_OK(w->Log(""));
  ASSERT_OK(w->Log(std::string("\x02\x00\xff", 3)));
  ASSERT_OK(w->Close());
  std::string want = std::string("\x01\x00\x03\x36\x4b\x3f\xb7", 7) + "abc" +
                     std::string("\x01\x00\x00\x00\x00\x00\x00", 7) +
                     std::string("\x01\x00\x03\x82\x76\xa2\x26", 7) +
                     std::string("\x02\x00\xff", 3);
  ASSERT_EQ(want.size(), 27u);
  want.append(kPage - want.size(), '\0');
  EXPECT_EQ(ReadFileOrDie(SegPath(tmp.path(), 0)), want);
}

TEST(WalWriterTest, EmptyRecordIsFullFragmentOfLengthZero) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(""));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(ReadFileOrDie(seg), std::string("\x01\0\0\0\0\0\0", 7));
  auto back = testutil::ReadSegmentFile(seg);
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{""}));
}

TEST(WalWriterTest, RecordFillingAPageExactly) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kMaxPayload)));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), kPage);
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, kMaxPayload}}));
}

TEST(WalWriterTest, RecordSplitFirstMiddleLastAtPageBoundaries) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(8));
  ASSERT_NE(w, nullptr);
  const std::string rec = Pattern(2 * kMaxPayload + 100);
  ASSERT_OK(w->Log(rec));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFirst, kMaxPayload},
                                             {kPage, kMiddle, kMaxPayload},
                                             {2 * kPage, kLast, 100}}));
  EXPECT_EQ(testutil::FileSize(seg), 2 * kPage + 107);
  EXPECT_EQ(Concat(ParseSegmentFile(seg)), rec);
}

TEST(WalWriterTest, FirstFragmentTakesTheRestOfAPartPage) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(8));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(100)));
  ASSERT_OK(w->Log(Pattern(40000, 'b')));
  const std::string seg = SegPath(tmp.path(), 0);
  // 107 bytes used, so the FIRST fragment holds 32768 - 107 - 7 = 32654.
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, 100},
                                             {107, kFirst, 32654},
                                             {kPage, kLast, 40000 - 32654}}));
}

// Six bytes left: too few for a header, so the page is closed (zero padded)
// as soon as the fragment that left them is written.
TEST(WalWriterTest, SixBytesLeftClosesThePage) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kPage - 7 - 6)));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), kPage);
  EXPECT_EQ(ReadFileOrDie(seg).substr(kPage - 6), std::string(6, '\0'));
  ASSERT_OK(w->Log("xyz"));
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, kPage - 13}, {kPage, kFull, 3}}));
}

// Seven bytes left: room for a header and nothing else, so a record begins
// there with an empty FIRST fragment, as upstream does.
TEST(WalWriterTest, SevenBytesLeftTakesAnEmptyFirstFragment) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kPage - 7 - 7)));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), kPage - 7);  // not padded: 7 bytes still usable
  ASSERT_OK(w->Log("0123456789"));
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, kPage - 14},
                                             {kPage - 7, kFirst, 0},
                                             {kPage, kLast, 10}}));
  EXPECT_EQ(ReadFileOrDie(seg).substr(kPage - 7, 7), std::string("\x02\0\0\0\0\0\0", 7));
  auto back = testutil::ReadSegmentFile(seg);
  EXPECT_OK(back.status);
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[1], "0123456789");
}

TEST(WalWriterTest, SevenBytesLeftHoldsAnEmptyRecord) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kPage - 14)));
  ASSERT_OK(w->Log(""));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, kPage - 14}, {kPage - 7, kFull, 0}}));
  EXPECT_EQ(testutil::FileSize(seg), kPage);
}

TEST(WalWriterTest, EightBytesLeftTakesAOneByteFirstFragment) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kPage - 7 - 8)));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), kPage - 8);
  ASSERT_OK(w->Log("0123456789"));
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, kPage - 15},
                                             {kPage - 8, kFirst, 1},
                                             {kPage, kLast, 9}}));
}

TEST(WalWriterTest, FragmentLeavingSixBytesClosesThePageMidRecord) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  // A MIDDLE fragment can never leave a short tail: it fills its page. A
  // LAST fragment can: one of 32768 - 7 - 6 bytes leaves 6 in its page.
  ASSERT_OK(w->Log(Pattern(kMaxPayload + kPage - 13)));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), 2 * kPage);
  ASSERT_OK(w->Log("z"));
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFirst, kMaxPayload},
                                             {kPage, kLast, kPage - 13},
                                             {2 * kPage, kFull, 1}}));
}

// ---- Segments ----

TEST(WalWriterTest, RecordThatFitsTheSegmentExactlyStays) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(100)));
  // Left: (32768 - 107 - 7) + 32761 = 65415.
  ASSERT_OK(w->Log(Pattern(65415, 'c')));
  EXPECT_EQ(w->active_segment(), 0);
  const std::string seg0 = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg0), 2 * kPage);
  EXPECT_EQ(Shapes(seg0), (std::vector<Shape>{{0, kFull, 100},
                                              {107, kFirst, 32654},
                                              {kPage, kLast, kMaxPayload}}));
  // The segment is full: the next record, however small, starts segment 1.
  ASSERT_OK(w->Log("x"));
  EXPECT_EQ(w->active_segment(), 1);
  EXPECT_EQ(testutil::FileSize(seg0), 2 * kPage);
  EXPECT_EQ(Shapes(SegPath(tmp.path(), 1)), (std::vector<Shape>{{0, kFull, 1}}));
}

TEST(WalWriterTest, RecordThatDoesNotFitMovesToNextSegment) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  const std::string small = Pattern(100);
  const std::string big = Pattern(65416, 'c');
  ASSERT_OK(w->Log(small));
  ASSERT_OK(w->Log(big));
  EXPECT_EQ(w->active_segment(), 1);
  const std::string seg0 = SegPath(tmp.path(), 0);
  // The previous segment is padded to a page boundary, not to its full size.
  EXPECT_EQ(testutil::FileSize(seg0), kPage);
  EXPECT_EQ(Shapes(seg0), (std::vector<Shape>{{0, kFull, 100}}));
  EXPECT_EQ(Shapes(SegPath(tmp.path(), 1)),
            (std::vector<Shape>{{0, kFirst, kMaxPayload}, {kPage, kLast, 65416 - kMaxPayload}}));
  auto back = testutil::ReadSegments(tmp.path(), 0, 1);
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{small, big}));
}

TEST(WalWriterTest, RecordBiggerThanASegmentMakesAnOversizedSegment) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(1));
  ASSERT_NE(w, nullptr);
  const std::string big = Pattern(100000, 'd');
  ASSERT_OK(w->Log(Pattern(100)));
  ASSERT_OK(w->Log(big));
  EXPECT_EQ(w->active_segment(), 1);
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), kPage);
  const std::string seg1 = SegPath(tmp.path(), 1);
  EXPECT_EQ(Shapes(seg1), (std::vector<Shape>{{0, kFirst, kMaxPayload},
                                              {kPage, kMiddle, kMaxPayload},
                                              {2 * kPage, kMiddle, kMaxPayload},
                                              {3 * kPage, kLast, 100000 - 3 * kMaxPayload}}));
  EXPECT_EQ(testutil::FileSize(seg1), 3 * kPage + 7 + 100000 - 3 * kMaxPayload);
  // Nothing more fits in an oversized segment: the next record moves on and
  // the oversized one is padded to its last page.
  ASSERT_OK(w->Log("y"));
  EXPECT_EQ(w->active_segment(), 2);
  EXPECT_EQ(testutil::FileSize(seg1), 4 * kPage);
  ASSERT_OK(w->Close());
  auto back = testutil::ReadSegments(tmp.path(), 0, 2);
  EXPECT_OK(back.status);
  ASSERT_EQ(back.records.size(), 3u);
  EXPECT_EQ(back.records[1], big);
}

// Upstream moves on even from an empty segment, leaving it empty; the
// writer does the same so that segment numbers match Prometheus.
TEST(WalWriterTest, OversizedRecordInAnEmptySegmentMovesOnAsUpstream) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(1));
  ASSERT_NE(w, nullptr);
  const std::string big = Pattern(50000);
  ASSERT_OK(w->Log(big));
  EXPECT_EQ(w->active_segment(), 1);
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), 0u);
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{big}));
}

TEST(WalWriterTest, LogLeavesTheSegmentEndingMidPage) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  const std::string seg = SegPath(tmp.path(), 0);
  ASSERT_OK(w->Log("abc"));
  EXPECT_EQ(testutil::FileSize(seg), 10u);
  ASSERT_OK(w->Log(std::vector<std::string>{"de", "f"}));
  EXPECT_EQ(testutil::FileSize(seg), 10u + 9 + 8);
  EXPECT_EQ(w->active_segment_size(), 27u);
  ASSERT_OK(w->Sync());
  EXPECT_EQ(testutil::FileSize(seg), 27u);  // Sync does not pad either
}

TEST(WalWriterTest, NextSegmentPadsThePage) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("abc"));
  auto next = w->NextSegment();
  ASSERT_OK(next.status());
  EXPECT_EQ(*next, 1);
  EXPECT_EQ(w->active_segment(), 1);
  EXPECT_EQ(w->active_segment_size(), 0u);
  const std::string seg0 = ReadFileOrDie(SegPath(tmp.path(), 0));
  ASSERT_EQ(seg0.size(), kPage);
  EXPECT_EQ(seg0.substr(10), std::string(kPage - 10, '\0'));
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 1)), 0u);
}

TEST(WalWriterTest, ClosePadsThePage) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kPage + 10)));
  ASSERT_OK(w->Close());
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), 2 * kPage);
}

TEST(WalWriterTest, CloseOfAnUnusedSegmentLeavesItEmpty) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Close());
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), 0u);
}

TEST(WalWriterTest, CloseOnAPageBoundaryAddsNoPage) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(kMaxPayload)));
  ASSERT_OK(w->Close());
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), kPage);
}

TEST(WalWriterTest, CallsAfterCloseFail) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Close());
  EXPECT_FALSE(w->Close().ok());
  EXPECT_FALSE(w->Log("x").ok());
  EXPECT_FALSE(w->Sync().ok());
  EXPECT_FALSE(w->NextSegment().ok());
}

TEST(WalWriterTest, BatchIsWrittenInOrder) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  std::vector<std::string> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Pattern(10000 + i, static_cast<char>('a' + i)));
  ASSERT_OK(w->Log(batch));
  ASSERT_OK(w->Log(std::vector<std::string>{}));
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, batch);
  EXPECT_GT(w->active_segment(), 0);  // 100 kB in 64 KiB segments
}

// ---- Opening ----

TEST(WalWriterTest, OpenInAMissingDirectoryCreatesItAndStartsAtZero) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data/wal");
  auto w = MustOpen(dir, Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->active_segment(), 0);
  EXPECT_EQ(w->dir(), dir);
  auto kind = PosixFs().Stat(SegPath(dir, 0));
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, FileKind::kFile);
}

TEST(WalWriterTest, OpenStartsANewSegmentAfterTheLast) {
  TempDir tmp;
  for (int round = 0; round < 3; ++round) {
    auto w = MustOpen(tmp.path(), Opts(4));
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->active_segment(), round);
    ASSERT_OK(w->Log("round " + std::to_string(round)));
    ASSERT_OK(w->Close());
  }
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{"round 0", "round 1", "round 2"}));
}

TEST(WalWriterTest, OpenAfterExistingSegmentsLeavesThemAlone) {
  TempDir tmp;
  for (int i = 5; i <= 7; ++i) testutil::WriteFileOrDie(SegPath(tmp.path(), i), "junk");
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->active_segment(), 8);
  for (int i = 5; i <= 7; ++i) EXPECT_EQ(ReadFileOrDie(SegPath(tmp.path(), i)), "junk");
}

TEST(WalWriterTest, OpenPastEightDigits) {
  TempDir tmp;
  testutil::WriteFileOrDie(tmp.Sub("99999999"), "");
  testutil::WriteFileOrDie(tmp.Sub("100000000"), "");
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->active_segment(), 100000001);
  ASSERT_OK(w->Close());
  EXPECT_EQ(PosixFs().Stat(tmp.Sub("100000001")).value(), FileKind::kFile);
}

TEST(WalWriterTest, OpenFailsWhenSegmentsAreNotSequential) {
  TempDir tmp;
  for (int i : {0, 1, 3}) testutil::WriteFileOrDie(SegPath(tmp.path(), i), "");
  auto w = WalWriter::Open(PosixFs(), tmp.path(), Opts(4));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("segments are not sequential"), std::string::npos)
      << w.status().ToString();
  EXPECT_EQ(PosixFs().Stat(SegPath(tmp.path(), 4)).value(), FileKind::kMissing);
}

// There is no segment after INT_MAX: opening must fail cleanly, not wrap
// around to a file named "-2147483648" that no reader would ever replay.
TEST(WalWriterTest, OpenAfterTheLargestSegmentIndexFails) {
  TempDir tmp;
  testutil::WriteFileOrDie(tmp.Sub("2147483647"), "");
  auto w = WalWriter::Open(PosixFs(), tmp.path(), Opts(4));
  EXPECT_FALSE(w.ok()) << "opened segment " << (w.ok() ? (*w)->active_segment() : 0);
  EXPECT_EQ(PosixFs().Stat(tmp.Sub("-2147483648")).value(), FileKind::kMissing);
}

// Replay skips every segment at or below the newest checkpoint, so a writer
// opened where a checkpoint exists but no segment does (all of them
// truncated away or deleted) must start after the checkpoint, or everything
// it logs is lost at the next replay.
TEST(WalWriterTest, OpenAfterACheckpointWithoutSegmentsKeepsRecordsReplayable) {
  TempDir tmp;
  const std::string cp = tmp.Sub("checkpoint.00000005");
  ASSERT_OK(PosixFs().MakeDir(cp));
  {
    auto cw = MustOpen(cp, Opts(4));
    ASSERT_NE(cw, nullptr);
    ASSERT_OK(cw->Log("from checkpoint"));
    ASSERT_OK(cw->Close());
  }
  auto w = MustOpen(tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_GT(w->active_segment(), 5);
  ASSERT_OK(w->Log("after checkpoint"));
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{"from checkpoint", "after checkpoint"}));
}

TEST(WalWriterTest, OpenAtStartsAtTheGivenIndex) {
  TempDir tmp;
  auto w = WalWriter::OpenAt(PosixFs(), tmp.path(), Opts(4), 7);
  ASSERT_OK(w.status());
  EXPECT_EQ((*w)->active_segment(), 7);
  ASSERT_OK((*w)->Log("x"));
  ASSERT_OK((*w)->Close());
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 7)), kPage);
}

TEST(WalWriterTest, OpenAtNeverOverwritesAnExistingSegment) {
  TempDir tmp;
  const std::string seg = SegPath(tmp.path(), 3);
  testutil::WriteFileOrDie(seg, "precious");
  auto w = WalWriter::OpenAt(PosixFs(), tmp.path(), Opts(4), 3);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Status::Code::kAlreadyExists) << w.status().ToString();
  EXPECT_NE(w.status().message().find(seg), std::string::npos) << w.status().ToString();
  EXPECT_EQ(ReadFileOrDie(seg), "precious");
}

TEST(WalWriterTest, OpenAtRefusesADirectoryInTheWay) {
  TempDir tmp;
  ASSERT_OK(PosixFs().MakeDir(SegPath(tmp.path(), 2)));
  auto w = WalWriter::OpenAt(PosixFs(), tmp.path(), Opts(4), 2);
  EXPECT_FALSE(w.ok());
}

// A writer opened with OpenAt below an existing segment must not destroy
// that segment when it moves on to it (upstream's CreateSegment appends to
// an existing file; truncating it loses every record it holds).
TEST(WalWriterTest, NextSegmentNeverOverwritesAnExistingSegment) {
  TempDir tmp;
  const std::string seg3 = SegPath(tmp.path(), 3);
  testutil::WriteFileOrDie(seg3, "precious");
  auto w = WalWriter::OpenAt(PosixFs(), tmp.path(), Opts(4), 2);
  ASSERT_OK(w.status());
  ASSERT_OK((*w)->Log("x"));
  auto next = (*w)->NextSegment();
  EXPECT_FALSE(next.ok()) << "moved on to segment " << (next.ok() ? *next : -1)
                          << " although it already existed";
  const std::string now = ReadFileOrDie(seg3);
  EXPECT_TRUE(now == "precious") << seg3 << " was overwritten; it now holds " << now.size()
                                 << " bytes";
}

TEST(WalWriterTest, SegmentSwitchInLogNeverOverwritesAnExistingSegment) {
  TempDir tmp;
  const std::string seg3 = SegPath(tmp.path(), 3);
  testutil::WriteFileOrDie(seg3, "precious");
  auto w = WalWriter::OpenAt(PosixFs(), tmp.path(), Opts(1), 2);
  ASSERT_OK(w.status());
  ASSERT_OK((*w)->Log(Pattern(30000)));
  EXPECT_FALSE((*w)->Log(Pattern(30000)).ok()) << "logged into a segment that already existed";
  const std::string now = ReadFileOrDie(seg3);
  EXPECT_TRUE(now == "precious") << seg3 << " was overwritten; it now holds " << now.size()
                                 << " bytes";
}

TEST(WalWriterTest, SegmentSizeMustBeAMultipleOfThePageSize) {
  TempDir tmp;
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, uint64_t{kPage - 1},
                        uint64_t{kPage + 1}, uint64_t{kPage * 3 / 2}, kDefaultSegmentSize + 1}) {
    WalWriterOptions o;
    o.segment_size = size;
    auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
    ASSERT_FALSE(w.ok()) << size;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument) << size;
    auto at = WalWriter::OpenAt(PosixFs(), tmp.path(), o, 0);
    EXPECT_FALSE(at.ok()) << size;
    EXPECT_EQ(PosixFs().Stat(SegPath(tmp.path(), 0)).value(), FileKind::kMissing) << size;
  }
  for (uint64_t size : {uint64_t{kPage}, uint64_t{2 * kPage}, kDefaultSegmentSize}) {
    TempDir ok_dir;
    WalWriterOptions o;
    o.segment_size = size;
    auto w = WalWriter::Open(PosixFs(), ok_dir.path(), o);
    EXPECT_TRUE(w.ok()) << size << ": " << w.status().ToString();
  }
}

// ---- Compression ----

struct CompressionCase {
  Compression compression;
  uint8_t bit;
};

void PrintTo(const CompressionCase& c, std::ostream* os) { *os << CompressionName(c.compression); }

class WalWriterCompressionTest : public testing::TestWithParam<CompressionCase> {};

TEST_P(WalWriterCompressionTest, SmallCompressibleRecordCarriesTheBit) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4, GetParam().compression));
  ASSERT_NE(w, nullptr);
  const std::string rec = Pattern(1000);
  ASSERT_OK(w->Log(rec));
  const std::string seg = SegPath(tmp.path(), 0);
  auto frags = ParseSegmentFile(seg);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0].type_byte, kFull | GetParam().bit);
  EXPECT_LT(frags[0].length, rec.size());
  auto back = testutil::ReadSegmentFile(seg);
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{rec}));
}

TEST_P(WalWriterCompressionTest, EveryFragmentOfACompressedRecordCarriesTheBit) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(16, GetParam().compression));
  ASSERT_NE(w, nullptr);
  const std::string rec = testutil::HalfCompressible(300000, 9);
  ASSERT_OK(w->Log(rec));
  const std::string seg = SegPath(tmp.path(), 0);
  auto frags = ParseSegmentFile(seg);
  ASSERT_GE(frags.size(), 3u);
  size_t stored = 0;
  for (size_t i = 0; i < frags.size(); ++i) {
    const uint8_t want_type = i == 0 ? kFirst : (i + 1 == frags.size() ? kLast : kMiddle);
    EXPECT_EQ(frags[i].type_byte, want_type | GetParam().bit) << "fragment " << i;
    stored += frags[i].length;
  }
  EXPECT_LT(stored, rec.size());
  auto back = testutil::ReadSegmentFile(seg);
  EXPECT_OK(back.status);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0], rec);
}

TEST_P(WalWriterCompressionTest, IncompressibleRecordIsStoredPlain) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4, GetParam().compression));
  ASSERT_NE(w, nullptr);
  const std::string rec = RandomBytes(5000, 1);
  ASSERT_OK(w->Log(rec));
  auto frags = ParseSegmentFile(SegPath(tmp.path(), 0));
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0].type_byte, kFull);
  EXPECT_EQ(frags[0].payload, rec);
}

TEST_P(WalWriterCompressionTest, IncompressibleMultiFragmentRecordIsStoredPlain) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4, GetParam().compression));
  ASSERT_NE(w, nullptr);
  const std::string rec = RandomBytes(70000, 2);
  ASSERT_OK(w->Log(rec));
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFirst, kMaxPayload},
                                             {kPage, kMiddle, kMaxPayload},
                                             {2 * kPage, kLast, 70000 - 2 * kMaxPayload}}));
  EXPECT_EQ(Concat(ParseSegmentFile(seg)), rec);
}

TEST_P(WalWriterCompressionTest, EmptyRecordIsStoredPlain) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4, GetParam().compression));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(""));
  EXPECT_EQ(ReadFileOrDie(SegPath(tmp.path(), 0)), std::string("\x01\0\0\0\0\0\0", 7));
}

// The segment switch is decided on the compressed size.
TEST_P(WalWriterCompressionTest, SegmentSwitchUsesTheCompressedSize) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(1, GetParam().compression));
  ASSERT_NE(w, nullptr);
  const std::string rec = Pattern(100000);
  ASSERT_OK(w->Log(rec));
  EXPECT_EQ(w->active_segment(), 0);
  auto frags = ParseSegmentFile(SegPath(tmp.path(), 0));
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0].type_byte, kFull | GetParam().bit);
}

TEST_P(WalWriterCompressionTest, MixedRecordsReadBackInOrder) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(2, GetParam().compression));
  ASSERT_NE(w, nullptr);
  std::vector<std::string> recs;
  for (int i = 0; i < 30; ++i) {
    if (i % 3 == 0) recs.push_back(RandomBytes(3000 + i * 500, static_cast<uint32_t>(i)));
    else if (i % 3 == 1) recs.push_back(Pattern(5000 + i * 1000, static_cast<char>('a' + i)));
    else recs.push_back(testutil::HalfCompressible(40000 + i, static_cast<uint32_t>(i)));
    ASSERT_OK(w->Log(recs.back()));
  }
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, recs);
}

INSTANTIATE_TEST_SUITE_P(Codecs, WalWriterCompressionTest,
                         testing::Values(CompressionCase{Compression::kSnappy, kSnappyBit},
                                         CompressionCase{Compression::kZstd, kZstdBit}),
                         [](const testing::TestParamInfo<CompressionCase>& info) {
                           return std::string(CompressionName(info.param.compression));
                         });

TEST(WalWriterTest, NoCompressionStoresCompressibleRecordsPlain) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4, Compression::kNone));
  ASSERT_NE(w, nullptr);
  const std::string rec = Pattern(1000);
  ASSERT_OK(w->Log(rec));
  auto frags = ParseSegmentFile(SegPath(tmp.path(), 0));
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0].type_byte, kFull);
  EXPECT_EQ(frags[0].payload, rec);
}

TEST(WalWriterTest, CompressedAndPlainRecordsShareASegment) {
  TempDir tmp;
  auto w = MustOpen(tmp.path(), Opts(4, Compression::kSnappy));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(500)));
  ASSERT_OK(w->Log(RandomBytes(500, 3)));
  auto frags = ParseSegmentFile(SegPath(tmp.path(), 0));
  ASSERT_EQ(frags.size(), 2u);
  EXPECT_EQ(frags[0].type_byte, kFull | kSnappyBit);
  EXPECT_EQ(frags[1].type_byte, kFull);
}

// ---- Calls made to the file system ----

TEST(WalWriterTest, EachLogIsOneAppendAndNoFsync) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  int appends = fs.appends();
  ASSERT_OK(w->Log("a"));
  ASSERT_OK(w->Log(std::vector<std::string>{"b", "c", Pattern(40000)}));
  EXPECT_EQ(fs.appends(), appends + 2);
  EXPECT_EQ(fs.syncs(), 0);
  ASSERT_OK(w->Sync());
  EXPECT_EQ(fs.syncs(), 1);
  ASSERT_OK(w->NextSegment().status());
  EXPECT_EQ(fs.syncs(), 2);
  ASSERT_OK(w->Close());
  EXPECT_EQ(fs.syncs(), 3);
}

TEST(WalWriterTest, NewSegmentIsMadeDurableInItsDirectory) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(fs.sync_dirs(), 2);  // the WAL directory's parent, then the first segment's directory
  ASSERT_OK(w->NextSegment().status());
  EXPECT_EQ(fs.sync_dirs(), 3);
  ASSERT_OK(w->Close());
}

// A run that created the WAL directory may have crashed, or failed to fsync
// the parent, before the directory entry was durable; the directory then
// looks like any other. Every open must make it durable again before it
// acknowledges records.
TEST(WalWriterTest, EveryOpenMakesTheWalDirectoryDurableInItsParent) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  const std::string dir = tmp.path() + "/wal";
  fs.FailNextSyncDir(EIO);
  EXPECT_FALSE(WalWriter::Open(fs, dir, Opts(4)).ok());  // created the directory, then its parent fsync failed
  EXPECT_EQ(fs.sync_dirs(), 1);
  auto w = MustOpen(fs, dir, Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(fs.sync_dirs(), 3);  // the parent again, then the new segment's directory
  ASSERT_OK(w->Close());
  w = MustOpen(fs, dir, Opts(4));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(fs.sync_dirs(), 5);
  ASSERT_OK(w->Close());
}

TEST(WalWriterTest, DirectorySyncCanBeTurnedOff) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  WalWriterOptions o = Opts(4);
  o.sync_dir_on_new_segment = false;
  auto w = MustOpen(fs, tmp.path(), o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->NextSegment().status());
  ASSERT_OK(w->Close());
  EXPECT_EQ(fs.sync_dirs(), 0);
}

// ---- Write failures ----

struct ShortWriteCase {
  const char* name;
  size_t keep;  // bytes that reach the file before the failure
  int err;
};

void PrintTo(const ShortWriteCase& c, std::ostream* os) { *os << c.name; }

class WalWriterShortWriteTest : public testing::TestWithParam<ShortWriteCase> {};

// Upstream #13027 / #8125: a failed Log must leave no part of its record
// behind, the next Log must succeed, and the WAL must read back as exactly
// the records whose Log succeeded.
TEST_P(WalWriterShortWriteTest, FailedLogLeavesNoHalfRecord) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  const std::string seg = SegPath(tmp.path(), 0);
  std::vector<std::string> good = {Pattern(100, 'a'), Pattern(200, 'b'), Pattern(300, 'c')};
  for (const auto& r : good) ASSERT_OK(w->Log(r));
  const std::string before = ReadFileOrDie(seg);

  fs.FailAppend(1, GetParam().keep, GetParam().err);
  Status st = w->Log(Pattern(40000, 'x'));  // two fragments, across a page boundary
  ASSERT_FALSE(st.ok());
  if (GetParam().err == ENOSPC) {
    EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  }
  EXPECT_EQ(ReadFileOrDie(seg), before);
  EXPECT_EQ(w->active_segment_size(), before.size());

  good.push_back(Pattern(50, 'd'));
  ASSERT_OK(w->Log(good.back()));
  good.push_back(Pattern(35000, 'e'));
  ASSERT_OK(w->Log(good.back()));
  ASSERT_OK(w->Close());

  auto back = testutil::ReadSegmentFile(seg);
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, good);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, WalWriterShortWriteTest,
    testing::Values(ShortWriteCase{"NothingWrittenEnospc", 0, ENOSPC},
                    ShortWriteCase{"OneByteEnospc", 1, ENOSPC},
                    ShortWriteCase{"PartHeaderEio", 3, EIO},
                    ShortWriteCase{"WholeHeaderEnospc", 7, ENOSPC},
                    ShortWriteCase{"PartPayloadEio", 1000, EIO},
                    ShortWriteCase{"IntoSecondPageEnospc", 32768 + 3, ENOSPC},
                    ShortWriteCase{"AllBytesButErrorEio", 1 << 20, EIO}),
    [](const testing::TestParamInfo<ShortWriteCase>& info) { return info.param.name; });

// Upstream's TestLogPartialWrite cases, plus the one its test table does not
// implement (a record overlapping two pages): 5-byte records, 12 bytes each.
struct PartialWriteCase {
  const char* name;
  int records;
  int faulty;
};

void PrintTo(const PartialWriteCase& c, std::ostream* os) { *os << c.name; }

class WalWriterPartialWriteTest : public testing::TestWithParam<PartialWriteCase> {};

TEST_P(WalWriterPartialWriteTest, FaultyRecordIsTheOnlyOneMissing) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  const std::string rec("\x01\x02\x03\x04\x05", 5);
  fs.FailAppend(GetParam().faulty, 2, EIO);
  int ok_count = 0;
  for (int i = 1; i <= GetParam().records; ++i) {
    Status st = w->Log(rec);
    if (i == GetParam().faulty) {
      EXPECT_FALSE(st.ok()) << "record " << i;
    } else {
      ASSERT_OK(st);
      ++ok_count;
    }
  }
  ASSERT_OK(w->Close());
  auto back = testutil::ReadSegmentFile(SegPath(tmp.path(), 0));
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, std::vector<std::string>(static_cast<size_t>(ok_count), rec));
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, WalWriterPartialWriteTest,
    testing::Values(PartialWriteCase{"FirstRecordInAPage", 10, 1},
                    PartialWriteCase{"RecordInTheMiddleOfAPage", 10, 3},
                    PartialWriteCase{"LastRecordOfAPage", 2730 + 10, 2730},
                    PartialWriteCase{"RecordOverlappingTwoPages", 2730 + 10, 2731}),
    [](const testing::TestParamInfo<PartialWriteCase>& info) { return info.param.name; });

TEST(WalWriterFaultTest, FailedPageClosingLogIsUndoneWithItsPadding) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("first"));
  // Leaves 6 bytes in the page, so this Log also writes the padding.
  fs.FailAppend(1, kPage - 12 - 3, ENOSPC);
  EXPECT_FALSE(w->Log(Pattern(kPage - 12 - 7 - 6)).ok());
  const std::string seg = SegPath(tmp.path(), 0);
  EXPECT_EQ(testutil::FileSize(seg), 12u);
  ASSERT_OK(w->Log("second"));
  EXPECT_EQ(Shapes(seg), (std::vector<Shape>{{0, kFull, 5}, {12, kFull, 6}}));
}

TEST(WalWriterFaultTest, FailedBatchLeavesNoneOfItsRecords) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("before"));
  fs.FailAppend(1, 30, ENOSPC);
  EXPECT_FALSE(w->Log(std::vector<std::string>{"a", "b", Pattern(1000)}).ok());
  ASSERT_OK(w->Log("after"));
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{"before", "after"}));
}

TEST(WalWriterFaultTest, FailedPaddingAtSegmentSwitchStaysInTheSegment) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  const std::string a = Pattern(100), b = Pattern(20, 'b'), big = Pattern(65416, 'c');
  ASSERT_OK(w->Log(a));
  fs.FailAppend(1, 10, ENOSPC);  // the padding of segment 0
  EXPECT_FALSE(w->Log(big).ok());
  EXPECT_EQ(w->active_segment(), 0);
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), 107u);
  EXPECT_EQ(PosixFs().Stat(SegPath(tmp.path(), 1)).value(), FileKind::kMissing);
  ASSERT_OK(w->Log(b));
  ASSERT_OK(w->Log(big));
  EXPECT_EQ(w->active_segment(), 1);
  ASSERT_OK(w->Close());
  auto back = testutil::ReadSegments(tmp.path(), 0, 1);
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{a, b, big}));
}

TEST(WalWriterFaultTest, FailedWriteInTheNewSegmentIsUndone) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  const std::string a = Pattern(100), big = Pattern(65416, 'c');
  ASSERT_OK(w->Log(a));
  fs.FailAppend(2, 5, EIO);  // 1: padding of segment 0, 2: the record in segment 1
  EXPECT_FALSE(w->Log(big).ok());
  EXPECT_EQ(w->active_segment(), 1);
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), kPage);
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 1)), 0u);
  ASSERT_OK(w->Log("after"));
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{a, "after"}));
}

// As documented in wal_writer.h: records of a batch finished before a
// segment switch stay in the finished segment when the rest fails.
TEST(WalWriterFaultTest, BatchRecordsBeforeASegmentSwitchStay) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(2));
  ASSERT_NE(w, nullptr);
  const std::string a = Pattern(100), big = Pattern(65416, 'c');
  fs.FailAppend(2, 100, ENOSPC);
  EXPECT_FALSE(w->Log(std::vector<std::string>{a, big}).ok());
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 1)), 0u);
  ASSERT_OK(w->Log("after"));
  ASSERT_OK(w->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{a, "after"}));
}

TEST(WalWriterFaultTest, FailedSyncMakesLaterCallsFail) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("logged"));
  fs.FailSyncs(1);
  EXPECT_FALSE(w->Sync().ok());
  // The sync would succeed now, but the kernel may have dropped the pages.
  Status st = w->Log("more");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("stopped after an earlier failure"), std::string::npos)
      << st.ToString();
  EXPECT_NE(st.message().find("injected: fsync"), std::string::npos) << st.ToString();
  EXPECT_FALSE(w->Sync().ok());
  EXPECT_FALSE(w->NextSegment().ok());
  EXPECT_FALSE(w->Close().ok());
  EXPECT_EQ(fs.syncs(), 1);
  w.reset();
  // Reopening starts afresh in a new segment.
  auto w2 = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w2, nullptr);
  EXPECT_EQ(w2->active_segment(), 1);
  ASSERT_OK(w2->Log("reopened"));
  ASSERT_OK(w2->Close());
  auto back = testutil::ReadWal(tmp.path());
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{"logged", "reopened"}));
}

TEST(WalWriterFaultTest, FailedSyncAtSegmentSwitchIsFinal) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(1));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log(Pattern(100)));
  fs.FailSyncs(1);
  EXPECT_FALSE(w->Log(Pattern(40000)).ok());
  EXPECT_FALSE(w->Log("x").ok());
  EXPECT_FALSE(w->NextSegment().ok());
}

TEST(WalWriterFaultTest, FailedSyncAtNextSegmentIsFinal) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("x"));
  fs.FailSyncs(1);
  EXPECT_FALSE(w->NextSegment().ok());
  EXPECT_FALSE(w->Log("y").ok());
}

TEST(WalWriterFaultTest, FailedSyncAtCloseIsReported) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("x"));
  fs.FailSyncs(1);
  EXPECT_FALSE(w->Close().ok());
}

TEST(WalWriterFaultTest, FailedTruncateAfterFailedWriteStopsTheWriter) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("good"));
  const std::string seg = SegPath(tmp.path(), 0);
  fs.FailAppend(1, 3, ENOSPC);
  fs.FailTruncates(true);
  Status st = w->Log("doomed");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("could not cut"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find(seg), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("back to 11"), std::string::npos) << st.ToString();
  EXPECT_EQ(fs.truncates(), 1);

  fs.FailTruncates(false);
  Status later = w->Log("later");
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.message().find("stopped after an earlier failure"), std::string::npos)
      << later.ToString();
  EXPECT_NE(later.message().find("reopen"), std::string::npos) << later.ToString();
  EXPECT_NE(later.message().find("could not cut"), std::string::npos) << later.ToString();
  EXPECT_FALSE(w->Sync().ok());
  EXPECT_FALSE(w->Close().ok());
  // Nothing was written after the failure: the 3 stray bytes are all there is.
  EXPECT_EQ(testutil::FileSize(seg), 11u + 3);
  w.reset();

  auto w2 = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w2, nullptr);
  EXPECT_EQ(w2->active_segment(), 1);
  ASSERT_OK(w2->Log("fresh"));
  ASSERT_OK(w2->Close());
  auto back = testutil::ReadSegmentFile(SegPath(tmp.path(), 1), 1);
  EXPECT_OK(back.status);
  EXPECT_EQ(back.records, (std::vector<std::string>{"fresh"}));
}

TEST(WalWriterFaultTest, NoTruncateWhenNothingReachedTheFile) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  fs.FailAppend(1, 0, ENOSPC);
  fs.FailTruncates(true);
  EXPECT_FALSE(w->Log("doomed").ok());
  EXPECT_EQ(fs.truncates(), 0);
  ASSERT_OK(w->Log("fine"));  // a plain ENOSPC is not final
}

TEST(WalWriterFaultTest, FailedCreateOfTheNextSegmentStopsTheWriter) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  auto w = MustOpen(fs, tmp.path(), Opts(4));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Log("x"));
  fs.FailNextCreate(ENOSPC);
  EXPECT_FALSE(w->NextSegment().ok());
  EXPECT_FALSE(w->Log("y").ok());
  EXPECT_FALSE(w->Close().ok());
  EXPECT_EQ(testutil::FileSize(SegPath(tmp.path(), 0)), kPage);
}

TEST(WalWriterFaultTest, FailedDirectorySyncFailsOpen) {
  TempDir tmp;
  FaultFs fs(PosixFs());
  fs.FailNextSyncDir(EIO);
  auto w = WalWriter::Open(fs, tmp.path(), Opts(4));
  EXPECT_FALSE(w.ok());
}

// ---- Randomised comparison with a model of upstream's layout ----

// Upstream's writer (tsdb/wlog WL.log) reduced to its arithmetic: what the
// bytes of every segment must be after a sequence of Log / NextSegment /
// Close calls, without compression.
class LayoutModel {
 public:
  explicit LayoutModel(uint64_t segment_size) : pages_(segment_size / kPage) {
    segments_.emplace_back();
  }

  // Free payload bytes left in the active segment, as upstream counts them.
  int64_t Left() const {
    return static_cast<int64_t>(kPage - alloc_) - 7 +
           static_cast<int64_t>(kMaxPayload) *
               (static_cast<int64_t>(pages_) - static_cast<int64_t>(done_) - 1);
  }

  void Log(std::string_view rec) {
    if (static_cast<int64_t>(rec.size()) > Left()) NextSegment();
    bool first = true;
    do {
      size_t n = std::min(rec.size(), kPage - alloc_ - 7);
      bool last = n == rec.size();
      uint8_t type = first ? (last ? kFull : kFirst) : (last ? kLast : kMiddle);
      cur() += testutil::Frag(type, rec.substr(0, n));
      alloc_ += 7 + n;
      if (kPage - alloc_ < 7) Pad();
      rec.remove_prefix(n);
      first = false;
    } while (!rec.empty());
  }

  void NextSegment() {
    if (alloc_ > 0) Pad();
    segments_.emplace_back();
    done_ = 0;
  }

  void Close() {
    if (alloc_ > 0) Pad();
  }

  int active() const { return static_cast<int>(segments_.size()) - 1; }
  const std::vector<std::string>& segments() const { return segments_; }
  uint64_t active_size() const { return segments_.back().size(); }

 private:
  std::string& cur() { return segments_.back(); }
  void Pad() {
    cur().append(kPage - alloc_, '\0');
    alloc_ = 0;
    ++done_;
  }

  uint64_t pages_;
  std::vector<std::string> segments_;
  size_t alloc_ = 0;
  uint64_t done_ = 0;
};

// Record sizes that hit the edges: empty, tiny, around a page, around what
// is left in the page and in the segment, and bigger than a segment.
size_t PickSize(std::mt19937& rng, const LayoutModel& model) {
  const int64_t left = model.Left();
  switch (rng() % 8) {
    case 0: return rng() % 3;
    case 1: return 1 + rng() % 300;
    case 2: return kMaxPayload - 3 + rng() % 7;
    case 3: return left > 2 ? static_cast<size_t>(left - 1 + static_cast<int64_t>(rng() % 3)) : 5;
    case 4: return 1 + rng() % 100000;
    case 5: return 2 * kMaxPayload - 3 + rng() % 7;
    default: return 1 + rng() % 5000;
  }
}

void ExpectSameSegments(const std::string& dir, const LayoutModel& model) {
  for (int i = 0; i <= model.active(); ++i) {
    const std::string got = ReadFileOrDie(SegPath(dir, i));
    const std::string& want = model.segments()[static_cast<size_t>(i)];
    ASSERT_EQ(got.size(), want.size()) << "segment " << i;
    ASSERT_TRUE(got == want) << "segment " << i << " differs";
  }
  EXPECT_EQ(PosixFs().Stat(SegPath(dir, model.active() + 1)).value(), FileKind::kMissing);
}

TEST(WalWriterModelTest, RandomLogsMatchUpstreamLayoutByteForByte) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    TempDir tmp;
    const uint64_t pages = 1 + seed % 4;
    auto w = MustOpen(tmp.path(), Opts(pages));
    ASSERT_NE(w, nullptr);
    LayoutModel model(pages * kPage);
    for (int op = 0; op < 120; ++op) {
      if (rng() % 25 == 0) {
        ASSERT_OK(w->NextSegment().status());
        model.NextSegment();
      } else if (rng() % 5 == 0) {
        std::vector<std::string> batch;
        for (size_t n = 1 + rng() % 4; n > 0; --n) {
          batch.push_back(RandomBytes(PickSize(rng, model), rng()));
          model.Log(batch.back());
        }
        ASSERT_OK(w->Log(batch));
      } else {
        const std::string rec = RandomBytes(PickSize(rng, model), rng());
        ASSERT_OK(w->Log(rec));
        model.Log(rec);
      }
      ASSERT_EQ(w->active_segment(), model.active()) << "op " << op;
      ASSERT_EQ(w->active_segment_size(), model.active_size()) << "op " << op;
    }
    ASSERT_OK(w->Close());
    model.Close();
    ExpectSameSegments(tmp.path(), model);
  }
}

// Random short writes: every failed Log leaves the files exactly as if it had
// never been called (apart from a segment switch that completed before the
// failure), so the bytes still match the model fed only the successful
// records, and reading back gives exactly those records.
TEST(WalWriterModelTest, RandomShortWritesLoseOnlyTheFailedRecords) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed * 7 + 3);
    TempDir tmp;
    FaultFs fs(PosixFs());
    const uint64_t pages = 1 + seed % 3;
    auto w = MustOpen(fs, tmp.path(), Opts(pages));
    ASSERT_NE(w, nullptr);
    LayoutModel model(pages * kPage);
    std::vector<std::string> logged;
    int failures = 0;
    for (int op = 0; op < 150; ++op) {
      const std::string rec = RandomBytes(PickSize(rng, model), rng());
      const bool fail = rng() % 4 == 0;
      if (fail) {
        fs.FailAppend(1 + static_cast<int>(rng() % 2), rng() % (rec.size() + 40000),
                      rng() % 2 ? ENOSPC : EIO);
      }
      Status st = w->Log(rec);
      fs.FailAppend(0, 0, 0);  // disarm whatever did not fire
      if (st.ok()) {
        model.Log(rec);
        logged.push_back(rec);
      } else {
        ASSERT_TRUE(fail) << st.ToString();
        ++failures;
        // The only change a failed Log may leave: it finished the segment
        // before failing in the next one.
        if (w->active_segment() != model.active()) {
          ASSERT_EQ(w->active_segment(), model.active() + 1);
          model.NextSegment();
        }
      }
      ASSERT_EQ(w->active_segment_size(), model.active_size()) << "op " << op;
    }
    ASSERT_OK(w->Close());
    model.Close();
    EXPECT_GT(failures, 0);
    ExpectSameSegments(tmp.path(), model);
    auto back = testutil::ReadWal(tmp.path());
    EXPECT_OK(back.status);
    EXPECT_EQ(back.records.size(), logged.size());
    EXPECT_TRUE(back.records == logged);
  }
}

}  // namespace
}  // namespace walproof
