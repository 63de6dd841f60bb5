// SegmentReader, WalReader and ComputeWalStats: every corruption class of the
// strict reader, one short test each, with its exact reason text and offset;
// the "Corruption classes" section below is the list that docs/format.md,
// "Corruption cases", names test by test (record-codec rejections live in
// record_codec_test.cc, "Rejections, one per decoder error");
// zero padding of short segments; multi-segment streams; replay order of a
// WAL directory with a checkpoint; round trips of every record type through
// writer and reader with each compression; and the stats over a small WAL.
#include "walproof/wal/segment_reader.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>
#include <vector>

#include "wal_test_util.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_reader.h"
#include "walproof/wal/wal_stats.h"
#include "walproof/wal/wal_writer.h"

namespace walproof {
namespace {

using testutil::Frag;
using testutil::FragWithCrc;
using testutil::kFirst;
using testutil::kFull;
using testutil::kLast;
using testutil::kMiddle;
using testutil::PadToPage;
using testutil::Pattern;
using testutil::RawHeader;
using testutil::ReadOutcome;
using testutil::SegPath;
using testutil::TempDir;

constexpr size_t kPage = kPageSize;

// Reads `bytes` as segment `index` on its own.
ReadOutcome ReadBytes(const std::string& bytes, int index = 0) {
  TempDir tmp;
  const std::string path = SegPath(tmp.path(), index);
  testutil::WriteFileOrDie(path, bytes);
  return testutil::ReadSegmentFile(path, index);
}

// Reads several segments, given as bytes, as one stream (checkpoint style).
ReadOutcome ReadBytesAsStream(const std::vector<std::string>& segments) {
  TempDir tmp;
  std::vector<SegmentFile> files;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string path = SegPath(tmp.path(), static_cast<int>(i));
    testutil::WriteFileOrDie(path, segments[i]);
    files.push_back({static_cast<int>(i), path});
  }
  return testutil::ReadStream(files);
}

void ExpectCorruption(const ReadOutcome& out, const std::string& reason, uint64_t offset,
                      int segment = 0) {
  ASSERT_FALSE(out.status.ok()) << "no error; " << out.records.size() << " records";
  EXPECT_TRUE(out.status.IsCorruption()) << out.status.ToString();
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_EQ(out.corruption->reason, reason);
  EXPECT_EQ(out.corruption->offset, offset);
  EXPECT_EQ(out.corruption->segment, segment);
  EXPECT_EQ(out.status.message(), out.corruption->ToString());
}

void ExpectCleanEnd(const ReadOutcome& out) {
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_FALSE(out.corruption.has_value());
}

// Zeros from the end of `seg` up to (not including) the page's last byte,
// then `last`: a page terminator whose padding ends in `last`.
std::string TerminatedPage(std::string seg, char last) {
  seg.push_back('\0');
  seg.append(kPage - seg.size() % kPage - 1, '\0');
  seg.push_back(last);
  return seg;
}

// ---- Well-formed streams ----

// Upstream reader_test.go's first case: every fragment type, empty ones,
// and a page terminator lining up exactly with the page end.
TEST(SegmentReaderTest, ValidSequenceOfEveryFragmentType) {
  const std::string d = Pattern(40000);
  auto sub = [&](size_t a, size_t b) { return d.substr(a, b - a); };
  std::string seg = Frag(kFull, sub(0, 200)) + Frag(kFirst, sub(200, 300)) +
                    Frag(kLast, sub(300, 400)) + Frag(kFirst, sub(400, 800)) +
                    Frag(kMiddle, sub(800, 900));
  seg.push_back('\0');
  seg.append(kPage - 900 - 5 * kFragmentHeaderSize - 1, '\0');
  ASSERT_EQ(seg.size(), kPage);
  seg += Frag(kLast, "") + Frag(kFirst, sub(900, 1000)) + Frag(kMiddle, sub(1000, 1200)) +
         Frag(kMiddle, sub(1200, 30000)) + Frag(kMiddle, sub(30000, 30001)) + Frag(kMiddle, "") +
         Frag(kLast, sub(30001, 32000));
  auto out = ReadBytes(seg);
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{sub(0, 200), sub(200, 400), sub(400, 900),
                                                   sub(900, 32000)}));
}

TEST(SegmentReaderTest, FragmentOfTheLargestPayload) {
  const std::string rec = Pattern(kMaxFragmentPayload);
  auto out = ReadBytes(Frag(kFull, rec));
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{rec}));
}

// Upstream's strict reader accepts fragments that cross a page boundary
// (never written by the WAL, but seen in production); so does this one.
TEST(SegmentReaderTest, FragmentsCrossingAPageBoundaryAreAccepted) {
  const std::string half = Pattern(kPage / 2);
  auto out = ReadBytes(Frag(kFull, half) + Frag(kFull, half));
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{half, half}));
}

TEST(SegmentReaderTest, EmptyRecords) {
  auto out = ReadBytes(Frag(kFull, "") + Frag(kFirst, "") + Frag(kLast, "") + Frag(kFull, "x"));
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"", "", "x"}));
}

TEST(SegmentReaderTest, ZeroAsTheLastByteOfAPageIsFine) {
  const std::string a = Pattern(kPage - kFragmentHeaderSize - 1);
  std::string seg = Frag(kFull, a);
  seg.push_back('\0');
  ASSERT_EQ(seg.size(), kPage);
  seg += Frag(kFull, "next");
  auto out = ReadBytes(seg);
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{a, "next"}));
}

TEST(SegmentReaderTest, NothingToRead) {
  ExpectCleanEnd(testutil::ReadStream({}));
  auto empty = ReadBytes("");
  ExpectCleanEnd(empty);
  EXPECT_TRUE(empty.records.empty());
  auto zeros = ReadBytes(std::string(kPage, '\0'));
  ExpectCleanEnd(zeros);
  EXPECT_TRUE(zeros.records.empty());
  auto few_zeros = ReadBytes(std::string(100, '\0'));
  ExpectCleanEnd(few_zeros);
  EXPECT_TRUE(few_zeros.records.empty());
}

TEST(SegmentReaderTest, PositionIsTheEndOfTheLastRecord) {
  auto out = ReadBytes(Frag(kFull, "abc") + Frag(kFirst, "de") + Frag(kLast, "f"));
  ExpectCleanEnd(out);
  ASSERT_EQ(out.positions.size(), 2u);
  EXPECT_EQ(out.positions[0], std::make_pair(0, uint64_t{10}));
  EXPECT_EQ(out.positions[1], std::make_pair(0, uint64_t{10 + 9 + 8}));
}

TEST(SegmentReaderTest, StoredSizeAndCompressionOfTheLastRecord) {
  TempDir tmp;
  const std::string path = SegPath(tmp.path(), 0);
  // A snappy block by hand: uncompressed length 5, then a 5-byte literal.
  const std::string snappy_hello("\x05\x10hello", 7);
  testutil::WriteFileOrDie(path, Frag(kFull, "plain") + Frag(kFull | kSnappyBit, snappy_hello));
  SegmentReader reader(PosixFs(), {{0, path}});
  std::string_view rec;
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(rec, "plain");
  EXPECT_FALSE(reader.last_compressed());
  EXPECT_EQ(reader.last_stored_size(), 5u);
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(rec, "hello");
  EXPECT_TRUE(reader.last_compressed());
  EXPECT_EQ(reader.last_stored_size(), snappy_hello.size());
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_TRUE(reader.status().ok());
  EXPECT_EQ(reader.segment(), 0);
  EXPECT_EQ(reader.segment_path(), path);
}

// ---- Corruption classes, in the order the reader checks them ----

TEST(SegmentReaderTest, NonZeroByteInPaddedPage) {
  const std::string a = Pattern(100);
  auto out = ReadBytes(TerminatedPage(Frag(kFull, a), '\x01'));
  EXPECT_EQ(out.records, (std::vector<std::string>{a}));
  ExpectCorruption(out, "unexpected non-zero byte in padded page", kPage);
}

// Upstream #7506 / #16074: garbage right after a page terminator, in a
// segment that ends mid-page.
TEST(SegmentReaderTest, GarbageRightAfterAPageTerminator) {
  auto out = ReadBytes(Frag(kFull, "a") + std::string("\0\x7f", 2));
  EXPECT_EQ(out.records, (std::vector<std::string>{"a"}));
  ExpectCorruption(out, "unexpected non-zero byte in padded page", kPage);
}

TEST(SegmentReaderTest, InvalidRecordSize) {
  auto out = ReadBytes(RawHeader(kFull, kMaxFragmentPayload + 1, 0) + Pattern(100));
  EXPECT_TRUE(out.records.empty());
  ExpectCorruption(out, "invalid record size 32762", kFragmentHeaderSize);
}

TEST(SegmentReaderTest, InvalidRecordSizeAfterAGoodRecord) {
  auto out = ReadBytes(Frag(kFull, "ok") + RawHeader(kFirst, 0xffff, 0x12345678));
  EXPECT_EQ(out.records, (std::vector<std::string>{"ok"}));
  ExpectCorruption(out, "invalid record size 65535", 9 + kFragmentHeaderSize);
}

// Upstream's "more than a full page" case.
TEST(SegmentReaderTest, FragmentLongerThanAPage) {
  auto out = ReadBytes(Frag(kFull, Pattern(kPage + 1)));
  ExpectCorruption(out, "invalid record size 32769", kFragmentHeaderSize);
}

// The checksum is checked before the fragment's place in its record, so a
// bad CRC is reported as such whatever the fragment's type, at the end of
// its payload; the records before it are kept.
TEST(SegmentReaderTest, ChecksumMismatchInAFullFragment) {
  // CRC-32C("hello") = 0x9a71bb4c.
  auto out = ReadBytes(Frag(kFull, "good") + FragWithCrc(kFull, "hello", 0xDEADBEEF));
  EXPECT_EQ(out.records, (std::vector<std::string>{"good"}));
  ExpectCorruption(out, "unexpected checksum 9a71bb4c, expected deadbeef", 11 + 12);
}

TEST(SegmentReaderTest, ChecksumMismatchInAFirstFragment) {
  auto out = ReadBytes(Frag(kFull, "good") + FragWithCrc(kFirst, "hello", 0xDEADBEEF) +
                       Frag(kLast, "world"));
  EXPECT_EQ(out.records, (std::vector<std::string>{"good"}));
  ExpectCorruption(out, "unexpected checksum 9a71bb4c, expected deadbeef", 11 + 12);
}

TEST(SegmentReaderTest, ChecksumMismatchInAMiddleFragment) {
  auto out = ReadBytes(Frag(kFull, "good") + Frag(kFirst, "ab") +
                       FragWithCrc(kMiddle, "hello", 0xDEADBEEF) + Frag(kLast, "cd"));
  EXPECT_EQ(out.records, (std::vector<std::string>{"good"}));
  ExpectCorruption(out, "unexpected checksum 9a71bb4c, expected deadbeef", 11 + 9 + 12);
}

TEST(SegmentReaderTest, ChecksumMismatchInALastFragment) {
  auto out = ReadBytes(Frag(kFull, "good") + Frag(kFirst, "ab") + Frag(kMiddle, "cd") +
                       FragWithCrc(kLast, "hello", 0xDEADBEEF) + Frag(kFull, "after"));
  EXPECT_EQ(out.records, (std::vector<std::string>{"good"}));
  ExpectCorruption(out, "unexpected checksum 9a71bb4c, expected deadbeef", 11 + 9 + 9 + 12);
}

// The CRC covers the bytes as stored: those of a compressed fragment are
// checked before any attempt to decompress them.
TEST(SegmentReaderTest, ChecksumMismatchInACompressedFragment) {
  auto out = ReadBytes(FragWithCrc(kFull | kSnappyBit, "hello", 0xDEADBEEF));
  EXPECT_TRUE(out.records.empty());
  ExpectCorruption(out, "unexpected checksum 9a71bb4c, expected deadbeef", 12);
}

// Go's %x: lowercase, no leading zeros.
TEST(SegmentReaderTest, UnexpectedChecksumPrintsHexWithoutLeadingZeros) {
  auto out = ReadBytes(FragWithCrc(kFull, "hello", 0x0000BEEF));
  ExpectCorruption(out, "unexpected checksum 9a71bb4c, expected beef", 12);
  auto zero = ReadBytes(FragWithCrc(kFull, "hello", 0));
  ExpectCorruption(zero, "unexpected checksum 9a71bb4c, expected 0", 12);
}

TEST(SegmentReaderTest, ChecksumCoversThePayloadOnly) {
  std::string seg = Frag(kFull, "payload");
  seg[0] = static_cast<char>(kFull | 0x20);  // a reserved bit: not covered by the CRC
  auto out = ReadBytes(seg);
  // As upstream, only bits 0-2 name the type; the reserved bits are ignored.
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"payload"}));
}

TEST(SegmentReaderTest, UnexpectedFullRecord) {
  auto out = ReadBytes(Frag(kFirst, "ab") + Frag(kFull, "cd"));
  EXPECT_TRUE(out.records.empty());
  ExpectCorruption(out, "unexpected full record", 18);
}

TEST(SegmentReaderTest, UnexpectedFullRecordAfterMiddle) {
  auto out = ReadBytes(Frag(kFirst, "a") + Frag(kMiddle, "b") + Frag(kFull, "cd"));
  ExpectCorruption(out, "unexpected full record", 8 + 8 + 9);
}

TEST(SegmentReaderTest, UnexpectedFirstRecord) {
  auto out = ReadBytes(Frag(kFirst, "ab") + Frag(kFirst, "cd"));
  ExpectCorruption(out, "unexpected first record, dropping buffer", 18);
}

TEST(SegmentReaderTest, UnexpectedMiddleRecord) {
  auto out = ReadBytes(Frag(kFull, "x") + Frag(kMiddle, "ab"));
  EXPECT_EQ(out.records, (std::vector<std::string>{"x"}));
  ExpectCorruption(out, "unexpected middle record, dropping buffer", 8 + 9);
}

TEST(SegmentReaderTest, UnexpectedLastRecord) {
  auto out = ReadBytes(Frag(kLast, "ab"));
  ExpectCorruption(out, "unexpected last record, dropping buffer", 9);
}

TEST(SegmentReaderTest, UnexpectedRecordTypes5To7) {
  for (uint8_t type : {5, 6, 7}) {
    auto out = ReadBytes(Frag(kFull, "x") + Frag(type, "abc"));
    EXPECT_EQ(out.records, (std::vector<std::string>{"x"})) << int{type};
    ExpectCorruption(out, "unexpected record type " + std::to_string(type), 8 + 10);
  }
}

TEST(SegmentReaderTest, UnexpectedRecordTypeWithCompressionBits) {
  auto out = ReadBytes(Frag(5 | kSnappyBit, "abc"));
  ExpectCorruption(out, "unexpected record type 5", 10);
}

TEST(SegmentReaderTest, LastRecordTornAfterFirst) {
  auto out = ReadBytes(Frag(kFull, "x") + Frag(kFirst, Pattern(100)));
  EXPECT_EQ(out.records, (std::vector<std::string>{"x"}));
  // The short segment reads as zero padded: the end is at the page boundary.
  ExpectCorruption(out, "last record is torn", kPage);
}

TEST(SegmentReaderTest, LastRecordTornAfterMiddle) {
  auto out = ReadBytes(Frag(kFirst, Pattern(kMaxFragmentPayload)) + Frag(kMiddle, Pattern(100)));
  EXPECT_TRUE(out.records.empty());
  ExpectCorruption(out, "last record is torn", 2 * kPage);
}

TEST(SegmentReaderTest, LastRecordTornAtAPageBoundary) {
  auto out = ReadBytes(Frag(kFirst, Pattern(kMaxFragmentPayload)));
  ExpectCorruption(out, "last record is torn", kPage);
}

// A header cut by the end of the file exactly at a page boundary: no
// padding is read, and as upstream the stream just ends unless the cut
// fragment opened a record.
TEST(SegmentReaderTest, HeaderCutAtAPageBoundaryAtEndOfFile) {
  const std::string a = Pattern(kPage - kFragmentHeaderSize - 1);
  std::string seg = Frag(kFull, a) + std::string(1, static_cast<char>(kFull));
  ASSERT_EQ(seg.size(), kPage);
  auto out = ReadBytes(seg);
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{a}));
}

TEST(SegmentReaderTest, FirstHeaderCutAtAPageBoundaryIsTorn) {
  std::string seg = Frag(kFull, Pattern(kPage - kFragmentHeaderSize - 1)) +
                    std::string(1, static_cast<char>(kFirst));
  auto out = ReadBytes(seg);
  EXPECT_EQ(out.records.size(), 1u);
  ExpectCorruption(out, "last record is torn", kPage);
}

// Payload wholly missing at a page boundary: like the header case.
TEST(SegmentReaderTest, PayloadMissingAtAPageBoundaryAtEndOfFile) {
  const std::string a = Pattern(kPage - 2 * kFragmentHeaderSize);
  std::string seg = Frag(kFull, a) + RawHeader(kFull, 10, 0x11111111);
  ASSERT_EQ(seg.size(), kPage);
  auto out = ReadBytes(seg);
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{a}));

  std::string torn = Frag(kFull, a) + RawHeader(kFirst, 10, 0x11111111);
  ExpectCorruption(ReadBytes(torn), "last record is torn", kPage);
}

// Payload partly there when the file ends on a page boundary.
TEST(SegmentReaderTest, PayloadCutAtEndOfFile) {
  const std::string a = Pattern(32700);
  const std::string b = Pattern(100, 'b');
  std::string seg = Frag(kFull, a) + Frag(kFull, b);  // crosses the page boundary
  seg.resize(kPage);
  auto out = ReadBytes(seg);
  EXPECT_EQ(out.records, (std::vector<std::string>{a}));
  ExpectCorruption(out, "unexpected EOF", kPage);
}

// A header cut mid-page by the end of a short file: upstream reads on into
// the zero padding, so with one or two bytes kept it sees length 0, CRC 0, a
// valid empty record (the CRC-32C of nothing is 0), and with three a bad
// checksum. The padding is not what was written: the header is torn, and
// reported at the end of the file (a deliberate deviation, see
// segment_reader.h).
TEST(SegmentReaderTest, HeaderTornMidPageIsUnexpectedEofNotAnEmptyRecord) {
  for (size_t keep = 1; keep < kFragmentHeaderSize; ++keep) {
    std::string seg = Frag(kFull, "x") + Frag(kFull, "abc").substr(0, keep);
    auto out = ReadBytes(seg);
    EXPECT_EQ(out.records, (std::vector<std::string>{"x"})) << keep;
    ExpectCorruption(out, "read remaining header: unexpected EOF", seg.size());
  }
  // The same for a header that would open a record.
  std::string seg = Frag(kFull, "x") + Frag(kFirst, "abc").substr(0, 1);
  ExpectCorruption(ReadBytes(seg), "read remaining header: unexpected EOF", seg.size());
}

// A payload cut mid-page by the end of a short file is torn too (upstream:
// it reads zeros in place of the missing bytes and fails its checksum).
TEST(SegmentReaderTest, PayloadTornMidPageIsUnexpectedEof) {
  std::string seg = Frag(kFull, "x") + Frag(kFull, "0123456789");
  seg.resize(seg.size() - 6);
  auto out = ReadBytes(seg);
  EXPECT_EQ(out.records, (std::vector<std::string>{"x"}));
  ExpectCorruption(out, "unexpected EOF", 8 + 17 - 6);
  // A payload that would cross into the next page, in a file that ends
  // before that page: it may not read the padding either.
  const std::string a = Pattern(kPage - 100);
  seg = Frag(kFull, a) + Frag(kFull, Pattern(300, 'b'));
  seg.resize(kPage + 50);
  out = ReadBytes(seg);
  EXPECT_EQ(out.records, (std::vector<std::string>{a}));
  ExpectCorruption(out, "unexpected EOF", kPage + 50);
}

// A complete empty fragment at the end of a short file is a real record.
TEST(SegmentReaderTest, EmptyRecordEndingAShortFileIsRead) {
  auto out = ReadBytes(Frag(kFull, "x") + Frag(kFull, ""));
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"x", ""}));
}

TEST(SegmentReaderTest, SnappyDecompressionFailure) {
  auto out = ReadBytes(Frag(kFull, "x") + Frag(kFull | kSnappyBit, std::string("\x05\xff\xff\xff", 4)));
  EXPECT_EQ(out.records, (std::vector<std::string>{"x"}));
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_NE(out.corruption->reason.find("snappy"), std::string::npos) << out.corruption->reason;
  EXPECT_EQ(out.corruption->offset, 8u + 11);
}

TEST(SegmentReaderTest, SnappyRecordClaimingAHugeSizeIsRefused) {
  // Uncompressed length 200 MB (uvarint), then a tiny literal.
  const std::string bomb("\x80\x80\x80\x60\x00" "a", 6);
  auto out = ReadBytes(Frag(kFull | kSnappyBit, bomb));
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_NE(out.corruption->reason.find("snappy"), std::string::npos) << out.corruption->reason;
}

TEST(SegmentReaderTest, ZstdDecompressionFailure) {
  auto out = ReadBytes(Frag(kFull | kZstdBit, "definitely not a zstd frame"));
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_NE(out.corruption->reason.find("zstd"), std::string::npos) << out.corruption->reason;
  EXPECT_EQ(out.corruption->offset, kFragmentHeaderSize + 27);
}

TEST(SegmentReaderTest, TruncatedZstdFrame) {
  // A real frame from the writer, cut in half and given a fresh CRC.
  TempDir tmp;
  WalWriterOptions o;
  o.segment_size = 4 * kPage;
  o.compression = Compression::kZstd;
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  ASSERT_OK((*w)->Log(Pattern(5000)));
  ASSERT_OK((*w)->Close());
  auto frags = testutil::ParseSegmentFile(SegPath(tmp.path(), 0));
  ASSERT_EQ(frags.size(), 1u);
  ASSERT_EQ(frags[0].type_byte, kFull | kZstdBit);
  const std::string half = frags[0].payload.substr(0, frags[0].payload.size() / 2);
  auto out = ReadBytes(Frag(kFull | kZstdBit, half));
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_NE(out.corruption->reason.find("zstd"), std::string::npos) << out.corruption->reason;
}

TEST(SegmentReaderTest, SnappyRecordSplitOverFragments) {
  const std::string block("\x05\x10hello", 7);
  auto out = ReadBytes(Frag(kFirst | kSnappyBit, block.substr(0, 3)) +
                       Frag(kMiddle | kSnappyBit, block.substr(3, 2)) +
                       Frag(kLast | kSnappyBit, block.substr(5)));
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"hello"}));
}

TEST(SegmentReaderTest, EmptyCompressedFragmentIsAnEmptyRecord) {
  auto out = ReadBytes(Frag(kFull | kSnappyBit, "") + Frag(kFull | kZstdBit, ""));
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"", ""}));
}

TEST(SegmentReaderTest, NextAfterACorruptionStaysFalse) {
  TempDir tmp;
  const std::string path = SegPath(tmp.path(), 0);
  testutil::WriteFileOrDie(path, Frag(kLast, "x") + Frag(kFull, "y"));
  SegmentReader reader(PosixFs(), {{0, path}});
  std::string_view rec;
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_TRUE(reader.status().IsCorruption());
}

TEST(SegmentReaderTest, CorruptionMessageAsPrometheusLogsIt) {
  TempDir tmp;
  const std::string path = SegPath(tmp.path(), 7);
  testutil::WriteFileOrDie(path, Frag(kLast, "x"));
  auto out = testutil::ReadSegmentFile(path, 7);
  ASSERT_TRUE(out.corruption.has_value());
  EXPECT_EQ(out.corruption->path, path);
  EXPECT_EQ(out.corruption->segment, 7);
  EXPECT_EQ(out.corruption->ToString(),
            "corruption in segment " + path + " at 8: unexpected last record, dropping buffer");
}

TEST(SegmentReaderTest, MissingSegmentFileIsAnIoErrorNotACorruption) {
  TempDir tmp;
  auto out = testutil::ReadSegmentFile(SegPath(tmp.path(), 0));
  EXPECT_FALSE(out.status.ok());
  EXPECT_TRUE(out.status.IsNotFound()) << out.status.ToString();
  EXPECT_FALSE(out.corruption.has_value());
}

// The reader works in 1 MiB chunks: fragments straddling a chunk boundary
// must read like any other.
TEST(SegmentReaderTest, LargeSegmentAcrossReadChunks) {
  TempDir tmp;
  WalWriterOptions o;
  o.segment_size = 128 * kPage;  // 4 MiB
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  std::vector<std::string> recs;
  size_t total = 0;
  for (uint32_t i = 0; total < 3 * 1024 * 1024; ++i) {
    recs.push_back(testutil::RandomBytes(1 + (i * 7919) % 70000, i));
    total += recs.back().size();
    ASSERT_OK((*w)->Log(recs.back()));
  }
  ASSERT_OK((*w)->Close());
  ASSERT_EQ((*w)->active_segment(), 0);
  auto out = testutil::ReadSegmentFile(SegPath(tmp.path(), 0));
  ExpectCleanEnd(out);
  ASSERT_EQ(out.records.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) ASSERT_EQ(out.records[i], recs[i]) << i;
}

// ---- Several segments as one stream ----

TEST(SegmentReaderTest, ShortSegmentReadsAsZeroPaddedBeforeTheNext) {
  const std::string a = Pattern(100), b = Pattern(50, 'b');
  auto out = ReadBytesAsStream({Frag(kFull, a), Frag(kFull, b)});
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{a, b}));
  ASSERT_EQ(out.positions.size(), 2u);
  EXPECT_EQ(out.positions[0], std::make_pair(0, uint64_t{107}));
  EXPECT_EQ(out.positions[1], std::make_pair(1, uint64_t{57}));
}

TEST(SegmentReaderTest, RecordAcrossSegmentsOfOneStream) {
  const std::string x = Pattern(kPage - 8 - kFragmentHeaderSize);
  const std::string y = Pattern(kMaxFragmentPayload, 'y');
  std::string seg0 = Frag(kFull, "a") + Frag(kFirst, x);
  ASSERT_EQ(seg0.size(), kPage);
  std::string seg1 = Frag(kMiddle, y);
  std::string seg2 = Frag(kLast, "end") + Frag(kFull, "z");
  auto out = ReadBytesAsStream({seg0, seg1, seg2});
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"a", x + y + "end", "z"}));
  ASSERT_EQ(out.positions.size(), 3u);
  EXPECT_EQ(out.positions[0], std::make_pair(0, uint64_t{8}));
  EXPECT_EQ(out.positions[1], std::make_pair(2, uint64_t{10}));
  EXPECT_EQ(out.positions[2], std::make_pair(2, uint64_t{18}));
}

TEST(SegmentReaderTest, RecordAcrossAShortSegmentAndTheNext) {
  auto out = ReadBytesAsStream({Frag(kFirst, "abc"), Frag(kLast, "def")});
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"abcdef"}));
}

TEST(SegmentReaderTest, EmptySegmentInTheMiddleOfAStream) {
  auto out = ReadBytesAsStream({Frag(kFull, "a"), "", Frag(kFull, "b")});
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"a", "b"}));
}

TEST(SegmentReaderTest, CorruptionNamesTheSegmentItIsIn) {
  auto out = ReadBytesAsStream({Frag(kFull, "a"), Frag(kFull, "b") + Frag(kLast, "c")});
  EXPECT_EQ(out.records, (std::vector<std::string>{"a", "b"}));
  ExpectCorruption(out, "unexpected last record, dropping buffer", 8 + 8, 1);
}

TEST(SegmentReaderTest, TornRecordAtTheEndOfAStream) {
  auto out = ReadBytesAsStream({Frag(kFull, "a"), Frag(kFirst, "b")});
  EXPECT_EQ(out.records, (std::vector<std::string>{"a"}));
  ExpectCorruption(out, "last record is torn", kPage, 1);
}

// ---- Upstream's TestWALRepair_ReadingError: writer-made segments, one byte
// changed, read as Prometheus replays them ----

struct RepairCase {
  const char* name;
  int segment;
  uint64_t at;
  std::string bytes;
  size_t intact;  // records read before the corruption
  std::string reason_prefix;
  uint64_t offset;
};

void PrintTo(const RepairCase& c, std::ostream* os) { *os << c.name; }

class UpstreamCorruptionTest : public testing::TestWithParam<RepairCase> {};

TEST_P(UpstreamCorruptionTest, ReadStopsAtTheCorruption) {
  const RepairCase& c = GetParam();
  TempDir tmp;
  WalWriterOptions o;
  o.segment_size = 3 * kPage;
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  std::vector<std::string> records;
  for (int i = 1; i <= 9; ++i) {
    std::string r(kMaxFragmentPayload, '\0');
    r[0] = static_cast<char>(i);
    records.push_back(r);
    ASSERT_OK((*w)->Log(r));
  }
  ASSERT_OK((*w)->Close());
  EXPECT_EQ((*w)->active_segment(), 2);

  const std::string path = SegPath(tmp.path(), c.segment);
  std::string seg = testutil::ReadFileOrDie(path);
  seg.replace(c.at, c.bytes.size(), c.bytes);
  testutil::WriteFileOrDie(path, seg);

  auto out = testutil::ReadWal(tmp.path());
  ASSERT_EQ(out.records.size(), c.intact);
  for (size_t i = 0; i < c.intact; ++i) EXPECT_EQ(out.records[i], records[i]) << i;
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_EQ(out.corruption->segment, c.segment);
  EXPECT_EQ(out.corruption->path, path);
  EXPECT_EQ(out.corruption->reason.rfind(c.reason_prefix, 0), 0u) << out.corruption->reason;
  EXPECT_EQ(out.corruption->offset, c.offset);
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, UpstreamCorruptionTest,
    testing::Values(
        RepairCase{"TornLastRecord", 2, 2 * kPage, std::string(1, '\x02'), 8,
                   "last record is torn", 3 * kPage},
        RepairCase{"BadHeader", 1, kPage, std::string(1, '\0'), 4,
                   "unexpected non-zero byte in padded page", 2 * kPage},
        RepairCase{"BadFragmentSequence", 1, kPage, std::string(1, '\x04'), 4,
                   "unexpected last record, dropping buffer", 2 * kPage},
        // 123 = 0x7b: type 3 (middle) with both compression bits and reserved bits.
        RepairCase{"BadFragmentFlag", 1, kPage, std::string(1, '\x7b'), 4,
                   "unexpected middle record, dropping buffer", 2 * kPage},
        RepairCase{"BadChecksum", 1, kPage + 4, std::string(1, '\0'), 4, "unexpected checksum",
                   2 * kPage},
        // The length 0x7ff9 becomes 0x7f00.
        RepairCase{"BadLength", 1, kPage + 2, std::string(1, '\0'), 4, "unexpected checksum",
                   kPage + 7 + 0x7f00},
        RepairCase{"BadContent", 1, kPage + 100, "beef", 4, "unexpected checksum", 2 * kPage}),
    [](const testing::TestParamInfo<RepairCase>& info) { return info.param.name; });

// ---- WalReader: a directory in replay order ----

// Writes one WAL segment per record, starting at segment `first`.
void WriteSegments(const std::string& dir, int first, const std::vector<std::string>& records) {
  WalWriterOptions o;
  o.segment_size = 4 * kPage;
  auto w = WalWriter::OpenAt(PosixFs(), dir, o, first);
  ASSERT_OK(w.status());
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) ASSERT_OK((*w)->NextSegment().status());
    ASSERT_OK((*w)->Log(records[i]));
  }
  ASSERT_OK((*w)->Close());
}

void MakeDir(const std::string& path) { ASSERT_OK(EnsureDir(PosixFs(), path)); }

TEST(WalReaderTest, CheckpointThenSegmentsInOrder) {
  TempDir tmp;
  const std::string& dir = tmp.path();
  WriteSegments(dir, 0, {"s0", "s1", "s2", "s3", "s4"});
  const std::string cp = tmp.Sub("checkpoint.00000002");
  MakeDir(cp);
  WriteSegments(cp, 0, {"c0", "c1"});

  auto plan = PlanWalRead(PosixFs(), dir);
  ASSERT_OK(plan.status());
  EXPECT_EQ(plan->dir, dir);
  ASSERT_TRUE(plan->checkpoint.has_value());
  EXPECT_EQ(*plan->checkpoint, 2);
  EXPECT_EQ(plan->checkpoint_dir, cp);
  ASSERT_EQ(plan->checkpoint_segments.size(), 2u);
  EXPECT_EQ(plan->checkpoint_segments[1].index, 1);
  EXPECT_EQ(plan->checkpoint_segments[1].path, SegPath(cp, 1));
  ASSERT_EQ(plan->segments.size(), 2u);
  EXPECT_EQ(plan->segments[0].index, 3);
  EXPECT_EQ(plan->segments[1].path, SegPath(dir, 4));
  EXPECT_EQ(plan->skipped_segments, (std::vector<int>{0, 1, 2}));

  WalReader reader(PosixFs(), std::move(*plan));
  std::vector<std::pair<std::string, bool>> seen;
  std::string_view rec;
  while (reader.Next(&rec)) seen.emplace_back(std::string(rec), reader.in_checkpoint());
  ASSERT_OK(reader.status());
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{
                      {"c0", true}, {"c1", true}, {"s3", false}, {"s4", false}}));
}

TEST(WalReaderTest, NewestCheckpointWins) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"s0", "s1", "s2", "s3", "s4"});
  MakeDir(tmp.Sub("checkpoint.00000001"));
  WriteSegments(tmp.Sub("checkpoint.00000001"), 0, {"old"});
  MakeDir(tmp.Sub("checkpoint.00000003"));
  WriteSegments(tmp.Sub("checkpoint.00000003"), 0, {"new"});
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"new", "s4"}));
}

TEST(WalReaderTest, NoCheckpointReplaysFromTheFirstSegment) {
  TempDir tmp;
  WriteSegments(tmp.path(), 3, {"s3", "s4", "s5"});
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_OK(plan.status());
  EXPECT_FALSE(plan->checkpoint.has_value());
  EXPECT_TRUE(plan->skipped_segments.empty());
  ASSERT_EQ(plan->segments.size(), 3u);
  EXPECT_EQ(plan->segments[0].index, 3);
  auto out = testutil::ReadWal(tmp.path());
  EXPECT_EQ(out.records, (std::vector<std::string>{"s3", "s4", "s5"}));
}

TEST(WalReaderTest, CheckpointCoveringEverySegment) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"s0", "s1"});
  MakeDir(tmp.Sub("checkpoint.00000001"));
  WriteSegments(tmp.Sub("checkpoint.00000001"), 0, {"c"});
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_OK(plan.status());
  EXPECT_TRUE(plan->segments.empty());
  EXPECT_EQ(plan->skipped_segments, (std::vector<int>{0, 1}));
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"c"}));
}

TEST(WalReaderTest, CheckpointWithoutSegments) {
  TempDir tmp;
  MakeDir(tmp.Sub("checkpoint.00000005"));
  WriteSegments(tmp.Sub("checkpoint.00000005"), 0, {"c"});
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"c"}));
}

TEST(WalReaderTest, SegmentsRightAfterTheCheckpointAreFine) {
  TempDir tmp;
  WriteSegments(tmp.path(), 3, {"s3", "s4"});
  MakeDir(tmp.Sub("checkpoint.00000002"));
  WriteSegments(tmp.Sub("checkpoint.00000002"), 0, {"c"});
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"c", "s3", "s4"}));
}

TEST(WalReaderTest, EmptyCheckpointDirectoryIsAnErrorNamingIt) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"s0", "s1", "s2", "s3"});
  const std::string cp = tmp.Sub("checkpoint.00000002");
  MakeDir(cp);
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find(cp), std::string::npos) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("holds no segment"), std::string::npos)
      << plan.status().ToString();
  EXPECT_FALSE(ComputeWalStats(PosixFs(), tmp.path()).ok());
}

TEST(WalReaderTest, CheckpointThatIsNotADirectoryIsAnErrorNamingIt) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"s0", "s1", "s2", "s3"});
  const std::string cp = tmp.Sub("checkpoint.00000002");
  testutil::WriteFileOrDie(cp, "not a directory");
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find(cp), std::string::npos) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("is not a directory"), std::string::npos)
      << plan.status().ToString();
}

TEST(WalReaderTest, GapBetweenCheckpointAndSegments) {
  TempDir tmp;
  WriteSegments(tmp.path(), 5, {"s5", "s6"});
  const std::string cp = tmp.Sub("checkpoint.00000002");
  MakeDir(cp);
  WriteSegments(cp, 0, {"c"});
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().IsCorruption()) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("gap between"), std::string::npos)
      << plan.status().ToString();
  EXPECT_NE(plan.status().message().find(cp), std::string::npos) << plan.status().ToString();
}

TEST(WalReaderTest, GapBetweenSegments) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"s0", "s1"});
  WriteSegments(tmp.path(), 3, {"s3"});
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("segments are not sequential"), std::string::npos)
      << plan.status().ToString();
}

TEST(WalReaderTest, GapInsideTheCheckpoint) {
  TempDir tmp;
  const std::string cp = tmp.Sub("checkpoint.00000001");
  MakeDir(cp);
  WriteSegments(cp, 0, {"c0"});
  WriteSegments(cp, 2, {"c2"});
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("segments are not sequential"), std::string::npos)
      << plan.status().ToString();
  EXPECT_NE(plan.status().message().find(cp), std::string::npos) << plan.status().ToString();
}

TEST(WalReaderTest, LeftoversAreNotReplayed) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"s0", "s1"});
  MakeDir(tmp.Sub("checkpoint.00000001.tmp"));
  WriteSegments(tmp.Sub("checkpoint.00000001.tmp"), 0, {"half-done"});
  testutil::WriteFileOrDie(tmp.Sub("00000001.repair"), Frag(kFull, "old"));
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  ASSERT_OK(plan.status());
  EXPECT_FALSE(plan->checkpoint.has_value());
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_EQ(out.records, (std::vector<std::string>{"s0", "s1"}));
}

// checkpoint.2147483647: replay would start at INT_MAX + 1, which must not
// be computed (undefined behaviour; UBSan aborts on it).
TEST(WalReaderTest, CheckpointWithTheLargestIndexDoesNotOverflow) {
  TempDir tmp;
  const std::string cp = tmp.Sub("checkpoint.2147483647");
  MakeDir(cp);
  WriteSegments(cp, 0, {"c"});
  WriteSegments(tmp.path(), 0, {"s0"});
  auto plan = PlanWalRead(PosixFs(), tmp.path());
  if (plan.ok()) {
    EXPECT_TRUE(plan->segments.empty());
    EXPECT_EQ(plan->skipped_segments, (std::vector<int>{0}));
  }
}

TEST(WalReaderTest, MissingDirectoryIsAnError) {
  TempDir tmp;
  EXPECT_FALSE(PlanWalRead(PosixFs(), tmp.Sub("nope")).ok());
  EXPECT_FALSE(ComputeWalStats(PosixFs(), tmp.Sub("nope")).ok());
}

TEST(WalReaderTest, EmptyDirectoryHasNothingToReplay) {
  TempDir tmp;
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_TRUE(out.records.empty());
}

// Prometheus reads a checkpoint as one stream but each WAL segment on its
// own: a record may continue into the next checkpoint segment, never into
// the next WAL segment.
TEST(WalReaderTest, WalSegmentsAreSeparateStreams) {
  TempDir tmp;
  const std::string x = Pattern(kPage - 8 - kFragmentHeaderSize);
  const std::string seg_a = Frag(kFull, "a") + Frag(kFirst, x);
  const std::string seg_b = Frag(kLast, "tail");
  const std::string cp = tmp.Sub("checkpoint.00000002");
  MakeDir(cp);
  testutil::WriteFileOrDie(SegPath(cp, 0), seg_a);
  testutil::WriteFileOrDie(SegPath(cp, 1), seg_b);
  testutil::WriteFileOrDie(SegPath(tmp.path(), 3), seg_a);
  testutil::WriteFileOrDie(SegPath(tmp.path(), 4), seg_b);

  auto out = testutil::ReadWal(tmp.path());
  EXPECT_EQ(out.records, (std::vector<std::string>{"a", x + "tail", "a"}));
  ExpectCorruption(out, "last record is torn", kPage, 3);
  EXPECT_EQ(out.corruption->path, SegPath(tmp.path(), 3));
}

TEST(WalReaderTest, CorruptionInACheckpointNamesItsSegment) {
  TempDir tmp;
  const std::string cp = tmp.Sub("checkpoint.00000000");
  MakeDir(cp);
  testutil::WriteFileOrDie(SegPath(cp, 0), Frag(kFull, "c0"));
  testutil::WriteFileOrDie(SegPath(cp, 1), FragWithCrc(kFull, "c1", 1));
  WriteSegments(tmp.path(), 1, {"s1"});
  auto out = testutil::ReadWal(tmp.path());
  EXPECT_EQ(out.records, (std::vector<std::string>{"c0"}));
  ASSERT_TRUE(out.corruption.has_value());
  EXPECT_EQ(out.corruption->path, SegPath(cp, 1));
  EXPECT_EQ(out.corruption->segment, 1);
}

TEST(WalReaderTest, PositionOfEachRecord) {
  TempDir tmp;
  WriteSegments(tmp.path(), 0, {"a", "bb"});
  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  EXPECT_EQ(out.positions,
            (std::vector<std::pair<int, uint64_t>>{{0, uint64_t{8}}, {1, uint64_t{9}}}));
}

// ---- Round trips of every record type through writer and reader ----

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back({n, v});
  return out;
}

Histogram SomeHistogram(int seed) {
  Histogram h;
  h.counter_reset_hint = static_cast<uint8_t>(seed % 4);
  h.schema = seed % 9 - 4;
  h.zero_threshold = 0.001 * seed;
  h.zero_count = static_cast<uint64_t>(seed);
  h.count = static_cast<uint64_t>(100 + seed);
  h.sum = 12.5 * seed;
  h.positive_spans = {{0, 2}, {3, 1}};
  h.negative_spans = {{-2, 1}};
  h.positive_buckets = {1, -1, 4};
  h.negative_buckets = {seed};
  return h;
}

FloatHistogram SomeFloatHistogram(int seed) {
  FloatHistogram h;
  h.counter_reset_hint = static_cast<uint8_t>(seed % 4);
  h.schema = 3;
  h.zero_threshold = 1e-9;
  h.zero_count = 0.5 * seed;
  h.count = 10.25 + seed;
  h.sum = -3.5;
  h.positive_spans = {{1, 3}};
  h.positive_buckets = {1.5, 2.5, 3.5};
  return h;
}

std::vector<Record> EveryRecordType() {
  std::vector<Record> out;
  out.push_back(SeriesRecord{{{1, L({{"__name__", "up"}, {"job", "node"}})},
                              {2, L({{"__name__", "up"}, {"job", "prometheus"}})},
                              {300, {}}}});
  SeriesRecord big;  // spans several pages, compresses well
  for (uint64_t i = 0; i < 3000; ++i) {
    big.series.push_back({1000 + i, L({{"__name__", "http_requests_total"},
                                       {"instance", "host-01.example.com:9100"},
                                       {"path", "/api/v1/query"}})});
  }
  out.push_back(big);
  out.push_back(SamplesRecord{{{5, 1000, 1.5},
                               {3, 999, -0.0},
                               {7, 5000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})}}});
  out.push_back(SamplesRecord{});
  out.push_back(TombstonesRecord{{{1, 0, 100}, {1, 200, 300}, {9, -50, 50}}});
  out.push_back(ExemplarsRecord{{{1, 1000, 0.25, L({{"trace_id", "abc123"}})},
                                 {4, 900, 7.0, L({})}}});
  out.push_back(MmapMarkersRecord{{{1, 0x0000000100000010}, {2, 42}}});
  out.push_back(MetadataRecord{{{1, 1, "seconds", "Time spent."}, {2, 0, "", ""}}});
  out.push_back(HistogramsRecord{{{1, 1000, SomeHistogram(1)}, {2, 1010, SomeHistogram(6)}}});
  out.push_back(
      FloatHistogramsRecord{{{1, 2000, SomeFloatHistogram(1)}, {3, 1990, SomeFloatHistogram(2)}}});
  out.push_back(UnknownRecord{11});
  return out;
}

struct Codec {
  Compression compression;
};

void PrintTo(const Codec& c, std::ostream* os) { *os << CompressionName(c.compression); }

class RoundTripTest : public testing::TestWithParam<Codec> {};

TEST_P(RoundTripTest, EveryRecordTypeThroughWriterAndReader) {
  TempDir tmp;
  WalWriterOptions o;
  o.segment_size = 2 * kPage;
  o.compression = GetParam().compression;
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  const std::vector<Record> records = EveryRecordType();
  std::vector<std::string> encoded;
  for (int round = 0; round < 3; ++round) {
    for (const Record& r : records) {
      encoded.push_back(EncodeRecord(r));
      ASSERT_OK((*w)->Log(encoded.back()));
    }
  }
  ASSERT_OK((*w)->Close());
  if (GetParam().compression == Compression::kNone) {
    EXPECT_GT((*w)->active_segment(), 0);  // the big records had to move on
  }

  auto out = testutil::ReadWal(tmp.path());
  ExpectCleanEnd(out);
  ASSERT_EQ(out.records.size(), encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    EXPECT_EQ(out.records[i], encoded[i]) << "record " << i;
    Record decoded;
    ASSERT_OK(DecodeRecord(out.records[i], &decoded));
    EXPECT_TRUE(decoded == records[i % records.size()]) << "record " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTripTest,
                         testing::Values(Codec{Compression::kNone}, Codec{Compression::kSnappy},
                                         Codec{Compression::kZstd}),
                         [](const testing::TestParamInfo<Codec>& info) {
                           return std::string(CompressionName(info.param.compression));
                         });

// ---- ComputeWalStats ----

std::vector<std::string> SmallWalRecords() {
  std::vector<std::string> recs;
  recs.push_back(EncodeRecord(SeriesRecord{{{1, L({{"a", "1"}})},
                                            {2, L({{"a", "2"}})},
                                            {3, L({{"a", "3"}})}}}));
  recs.push_back(EncodeRecord(SamplesRecord{{{1, 100, 1.0}, {2, 200, 2.0}}}));
  recs.push_back(EncodeRecord(SamplesRecord{{{1, 50, 1.0}, {2, 300, 2.0}, {3, 150, 3.0}}}));
  recs.push_back(EncodeRecord(TombstonesRecord{{{1, 0, 10}, {2, 20, 30}}}));
  recs.push_back(EncodeRecord(ExemplarsRecord{{{1, 5, 1.0, L({{"trace_id", "x"}})}}}));
  recs.push_back(EncodeRecord(MetadataRecord{{{1, 1, "s", "h"}, {2, 2, "", ""}}}));
  recs.push_back(EncodeRecord(MmapMarkersRecord{{{1, 7}}}));
  recs.push_back(EncodeRecord(HistogramsRecord{{{1, 400, SomeHistogram(2)}}}));
  recs.push_back(EncodeRecord(
      FloatHistogramsRecord{{{2, 10, SomeFloatHistogram(1)}, {3, 500, SomeFloatHistogram(3)}}}));
  recs.push_back(EncodeRecord(UnknownRecord{11}));
  recs.push_back("");
  return recs;
}

TEST(WalStatsTest, CountsASmallWal) {
  TempDir tmp;
  const std::vector<std::string> recs = SmallWalRecords();
  WalWriterOptions o;
  o.segment_size = 4 * kPage;
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  uint64_t bytes = 0;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (i == 5) ASSERT_OK((*w)->NextSegment().status());
    ASSERT_OK((*w)->Log(recs[i]));
    bytes += recs[i].size();
  }
  ASSERT_OK((*w)->Close());

  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_FALSE(stats->corruption.has_value());
  EXPECT_EQ(stats->plan.segments.size(), 2u);
  EXPECT_EQ(stats->records, 11u);
  EXPECT_EQ(stats->records_by_type, (std::map<int, uint64_t>{{0, 1},
                                                              {1, 1},
                                                              {2, 2},
                                                              {3, 1},
                                                              {4, 1},
                                                              {5, 1},
                                                              {6, 1},
                                                              {7, 1},
                                                              {8, 1},
                                                              {11, 1}}));
  EXPECT_EQ(stats->series, 3u);
  EXPECT_EQ(stats->samples, 5u);
  EXPECT_EQ(stats->histogram_samples, 3u);
  EXPECT_EQ(stats->float_histogram_samples, 2u);
  EXPECT_EQ(stats->exemplars, 1u);
  EXPECT_EQ(stats->tombstones, 2u);
  EXPECT_EQ(stats->metadata, 2u);
  EXPECT_EQ(stats->mmap_markers, 1u);
  EXPECT_EQ(stats->unknown_records, 2u);
  EXPECT_EQ(stats->min_time, 10);
  EXPECT_EQ(stats->max_time, 500);
  EXPECT_EQ(stats->compressed_records, 0u);
  EXPECT_EQ(stats->record_bytes, bytes);
  EXPECT_EQ(stats->stored_bytes, bytes);
  EXPECT_EQ(stats->file_bytes, testutil::FileSize(SegPath(tmp.path(), 0)) +
                                   testutil::FileSize(SegPath(tmp.path(), 1)));
}

TEST(WalStatsTest, CountsCompressedRecords) {
  TempDir tmp;
  WalWriterOptions o;
  o.segment_size = 4 * kPage;
  o.compression = Compression::kSnappy;
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  const std::string big = EncodeRecord(EveryRecordType()[1]);
  ASSERT_OK((*w)->Log(big));
  ASSERT_OK((*w)->Log(std::string("\x0b", 1)));
  ASSERT_OK((*w)->Close());
  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->records, 2u);
  EXPECT_EQ(stats->compressed_records, 1u);
  EXPECT_EQ(stats->series, 3000u);
  EXPECT_EQ(stats->record_bytes, big.size() + 1);
  EXPECT_LT(stats->stored_bytes, stats->record_bytes);
}

TEST(WalStatsTest, CheckpointAndSegmentsAreCountedSkippedOnesAreNot) {
  TempDir tmp;
  const std::string series = EncodeRecord(SeriesRecord{{{1, L({{"a", "1"}})}}});
  const std::string samples = EncodeRecord(SamplesRecord{{{1, 100, 1.0}}});
  WriteSegments(tmp.path(), 0, {series, samples, samples});
  MakeDir(tmp.Sub("checkpoint.00000001"));
  WriteSegments(tmp.Sub("checkpoint.00000001"), 0, {series});
  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->records, 2u);
  EXPECT_EQ(stats->series, 1u);
  EXPECT_EQ(stats->samples, 1u);
  EXPECT_EQ(stats->plan.skipped_segments, (std::vector<int>{0, 1}));
  EXPECT_EQ(stats->file_bytes,
            testutil::FileSize(SegPath(tmp.Sub("checkpoint.00000001"), 0)) +
                testutil::FileSize(SegPath(tmp.path(), 2)));
}

TEST(WalStatsTest, DecodeErrorIsReportedAsACorruption) {
  TempDir tmp;
  const std::string series = EncodeRecord(SeriesRecord{{{1, L({{"a", "1"}})}}});
  std::string samples = EncodeRecord(SamplesRecord{{{1, 100, 1.0}, {1, 200, 2.0}}});
  samples.pop_back();  // a truncated value
  WalWriterOptions o;
  o.segment_size = 4 * kPage;
  auto w = WalWriter::Open(PosixFs(), tmp.path(), o);
  ASSERT_OK(w.status());
  ASSERT_OK((*w)->Log(series));
  ASSERT_OK((*w)->Log(samples));
  ASSERT_OK((*w)->Log(series));
  ASSERT_OK((*w)->Close());

  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->records, 1u);
  EXPECT_EQ(stats->series, 1u);
  ASSERT_TRUE(stats->corruption.has_value());
  EXPECT_NE(stats->corruption->reason.find("decode"), std::string::npos)
      << stats->corruption->reason;
  EXPECT_NE(stats->corruption->reason.find("samples"), std::string::npos)
      << stats->corruption->reason;
  EXPECT_EQ(stats->corruption->segment, 0);
  EXPECT_EQ(stats->corruption->path, SegPath(tmp.path(), 0));
  // Reported at the end of the record that failed to decode.
  EXPECT_EQ(stats->corruption->offset, 2 * kFragmentHeaderSize + series.size() + samples.size());
}

TEST(WalStatsTest, FragmentCorruptionIsReportedNotAnError) {
  TempDir tmp;
  testutil::WriteFileOrDie(SegPath(tmp.path(), 0),
                           Frag(kFull, EncodeRecord(SamplesRecord{{{1, 100, 1.0}}})) +
                               Frag(kLast, "x"));
  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->records, 1u);
  EXPECT_EQ(stats->samples, 1u);
  ASSERT_TRUE(stats->corruption.has_value());
  EXPECT_EQ(stats->corruption->reason, "unexpected last record, dropping buffer");
}

TEST(WalStatsTest, EmptyWal) {
  TempDir tmp;
  auto stats = ComputeWalStats(PosixFs(), tmp.path());
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->records, 0u);
  EXPECT_FALSE(stats->min_time.has_value());
  EXPECT_FALSE(stats->corruption.has_value());
}

}  // namespace
}  // namespace walproof
