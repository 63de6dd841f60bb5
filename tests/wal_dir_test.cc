// WAL directory layout: segment and checkpoint names, numeric ordering past
// eight digits (upstream #6920), gap detection, and the classification of
// everything else a data/wal directory may hold.
#include "walproof/wal/wal_dir.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "wal_test_util.h"
#include "walproof/io/posix_fs.h"

namespace walproof {
namespace {

using testutil::TempDir;

void Touch(const std::string& path) { testutil::WriteFileOrDie(path, ""); }
void Mkdir(const std::string& path) {
  Status st = PosixFs().MakeDir(path);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST(SegmentNameTest, EightDigitsZeroPadded) {
  EXPECT_EQ(SegmentFileName(0), "00000000");
  EXPECT_EQ(SegmentFileName(1), "00000001");
  EXPECT_EQ(SegmentFileName(42), "00000042");
  EXPECT_EQ(SegmentFileName(99999999), "99999999");
}

TEST(SegmentNameTest, WiderWhenTheIndexNeedsIt) {
  EXPECT_EQ(SegmentFileName(100000000), "100000000");
  EXPECT_EQ(SegmentFileName(INT_MAX), "2147483647");
}

TEST(SegmentNameTest, ParsesAllDigitNames) {
  EXPECT_EQ(ParseSegmentIndex("00000000"), 0);
  EXPECT_EQ(ParseSegmentIndex("00000042"), 42);
  EXPECT_EQ(ParseSegmentIndex("42"), 42);
  EXPECT_EQ(ParseSegmentIndex("123456789"), 123456789);
  EXPECT_EQ(ParseSegmentIndex("2147483647"), INT_MAX);
}

TEST(SegmentNameTest, RoundTrips) {
  for (int i : {0, 1, 9, 10, 12345678, 99999999, 100000000, 123456789, INT_MAX}) {
    EXPECT_EQ(ParseSegmentIndex(SegmentFileName(i)), i) << i;
  }
}

TEST(SegmentNameTest, RejectsNamesThatAreNotAllDigits) {
  for (const char* name : {"", "-1", "+1", " 1", "1 ", "0x10", "00000001.repair", "00000001.tmp",
                           "checkpoint.00000001", "lock", "1e3", "１"}) {
    EXPECT_FALSE(ParseSegmentIndex(name).has_value()) << name;
  }
}

TEST(SegmentNameTest, RejectsIndexesThatOverflowInt) {
  EXPECT_FALSE(ParseSegmentIndex("2147483648").has_value());
  EXPECT_FALSE(ParseSegmentIndex("99999999999999999999").has_value());
}

TEST(CheckpointNameTest, NameAndParse) {
  EXPECT_EQ(CheckpointDirName(0), "checkpoint.00000000");
  EXPECT_EQ(CheckpointDirName(42), "checkpoint.00000042");
  EXPECT_EQ(CheckpointDirName(123456789), "checkpoint.123456789");
  EXPECT_EQ(ParseCheckpointIndex("checkpoint.00000042"), 42);
  EXPECT_EQ(ParseCheckpointIndex("checkpoint.123456789"), 123456789);
}

TEST(CheckpointNameTest, RejectsOtherNames) {
  for (const char* name : {"checkpoint.00000042.tmp", "checkpoint.", "checkpoint", "checkpoint.x",
                           "checkpoint.-1", "00000042", "xcheckpoint.00000001",
                           "checkpoint.00000001.repair"}) {
    EXPECT_FALSE(ParseCheckpointIndex(name).has_value()) << name;
  }
}

TEST(WalDirTest, EmptyDirectory) {
  TempDir tmp;
  auto listing = ListWalDir(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_TRUE(listing->segments.empty());
  EXPECT_TRUE(listing->checkpoints.empty());
  EXPECT_TRUE(listing->tmp_checkpoints.empty());
  EXPECT_TRUE(listing->repair_files.empty());
  EXPECT_TRUE(listing->other.empty());
  EXPECT_FALSE(listing->FirstGap().has_value());
  EXPECT_EQ(listing->LastCheckpoint(), nullptr);
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_TRUE(seq.ok());
  EXPECT_TRUE(seq->empty());
}

TEST(WalDirTest, MissingDirectoryIsAnError) {
  TempDir tmp;
  auto listing = ListWalDir(PosixFs(), tmp.Sub("nope"));
  ASSERT_FALSE(listing.ok());
  EXPECT_TRUE(listing.status().IsNotFound()) << listing.status().ToString();
  EXPECT_FALSE(ListSequentialSegments(PosixFs(), tmp.Sub("nope")).ok());
}

TEST(WalDirTest, SegmentsSortedNumerically) {
  TempDir tmp;
  for (int i : {3, 0, 2, 1}) Touch(testutil::SegPath(tmp.path(), i));
  auto listing = ListWalDir(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->segments, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_FALSE(listing->FirstGap().has_value());
}

// Upstream #6920: sorting by name puts "100000000" before "99999999".
TEST(WalDirTest, NumericOrderPastEightDigits) {
  TempDir tmp;
  for (const char* name : {"99999998", "99999999", "100000000", "100000001"}) {
    Touch(tmp.Sub(name));
  }
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, (std::vector<int>{99999998, 99999999, 100000000, 100000001}));
}

TEST(WalDirTest, GapDetected) {
  TempDir tmp;
  for (int i : {0, 1, 3, 4}) Touch(testutil::SegPath(tmp.path(), i));
  auto listing = ListWalDir(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok());
  ASSERT_TRUE(listing->FirstGap().has_value());
  EXPECT_EQ(*listing->FirstGap(), std::make_pair(1, 3));

  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_FALSE(seq.ok());
  EXPECT_TRUE(seq.status().IsCorruption());
  const std::string& msg = seq.status().message();
  EXPECT_NE(msg.find("segments are not sequential"), std::string::npos) << msg;
  EXPECT_NE(msg.find("00000001"), std::string::npos) << msg;
  EXPECT_NE(msg.find("00000003"), std::string::npos) << msg;
  EXPECT_NE(msg.find(tmp.path()), std::string::npos) << msg;
}

TEST(WalDirTest, FirstGapIsTheLowest) {
  TempDir tmp;
  for (int i : {5, 7, 8, 10}) Touch(testutil::SegPath(tmp.path(), i));
  auto listing = ListWalDir(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok());
  ASSERT_TRUE(listing->FirstGap().has_value());
  EXPECT_EQ(*listing->FirstGap(), std::make_pair(5, 7));
}

TEST(WalDirTest, GapAcrossEightDigits) {
  TempDir tmp;
  Touch(tmp.Sub("99999999"));
  Touch(tmp.Sub("100000001"));
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_FALSE(seq.ok());
  EXPECT_NE(seq.status().message().find("segments are not sequential"), std::string::npos);
}

// Two names for one index (8 and 10 digits) are not a sequence either,
// as in upstream, which checks each index against last+1.
TEST(WalDirTest, DuplicateIndexIsNotSequential) {
  TempDir tmp;
  Touch(tmp.Sub("00000001"));
  Touch(tmp.Sub("0000000001"));
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_FALSE(seq.ok());
  EXPECT_NE(seq.status().message().find("segments are not sequential"), std::string::npos);
}

// The largest index there is, spelled twice: the gap check must not
// compute INT_MAX + 1 (undefined behaviour; UBSan aborts on it).
TEST(WalDirTest, DuplicateLargestIndexDoesNotOverflow) {
  TempDir tmp;
  Touch(tmp.Sub("2147483647"));
  Touch(tmp.Sub("02147483647"));
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_FALSE(seq.ok());
  EXPECT_NE(seq.status().message().find("segments are not sequential"), std::string::npos);
}

TEST(WalDirTest, SegmentsNeedNotStartAtZero) {
  TempDir tmp;
  for (int i : {41, 42, 43}) Touch(testutil::SegPath(tmp.path(), i));
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, (std::vector<int>{41, 42, 43}));
}

TEST(WalDirTest, ClassifiesEverything) {
  TempDir tmp;
  const std::string& d = tmp.path();
  Touch(testutil::SegPath(d, 4));
  Touch(testutil::SegPath(d, 5));
  Mkdir(JoinPath(d, "checkpoint.00000003"));
  Mkdir(JoinPath(d, "checkpoint.00000001"));
  Mkdir(JoinPath(d, "checkpoint.00000004.tmp"));
  Touch(JoinPath(d, "checkpoint.00000002.tmp"));
  Touch(JoinPath(d, "00000005.repair"));
  Touch(JoinPath(d, "lock"));
  Touch(JoinPath(d, "00000006.bak"));
  Mkdir(JoinPath(d, "00000009"));  // a directory is never a segment
  Mkdir(JoinPath(d, "chunks_head"));

  auto listing = ListWalDir(PosixFs(), d);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->segments, (std::vector<int>{4, 5}));
  ASSERT_EQ(listing->checkpoints.size(), 2u);
  EXPECT_EQ(listing->checkpoints[0].index, 1);
  EXPECT_EQ(listing->checkpoints[0].name, "checkpoint.00000001");
  EXPECT_TRUE(listing->checkpoints[0].is_dir);
  EXPECT_EQ(listing->checkpoints[1].index, 3);
  EXPECT_EQ(listing->tmp_checkpoints,
            (std::vector<std::string>{"checkpoint.00000002.tmp", "checkpoint.00000004.tmp"}));
  EXPECT_EQ(listing->repair_files, (std::vector<std::string>{"00000005.repair"}));
  EXPECT_EQ(listing->other,
            (std::vector<std::string>{"00000006.bak", "00000009", "chunks_head", "lock"}));
  ASSERT_NE(listing->LastCheckpoint(), nullptr);
  EXPECT_EQ(listing->LastCheckpoint()->index, 3);
  EXPECT_FALSE(listing->FirstGap().has_value());
}

TEST(WalDirTest, CheckpointThatIsAFileIsListedAsSuch) {
  TempDir tmp;
  Touch(tmp.Sub("checkpoint.00000007"));
  auto listing = ListWalDir(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  EXPECT_EQ(listing->checkpoints[0].index, 7);
  EXPECT_FALSE(listing->checkpoints[0].is_dir);
}

TEST(WalDirTest, LastCheckpointIsNumericallyHighest) {
  TempDir tmp;
  Mkdir(tmp.Sub("checkpoint.99999999"));
  Mkdir(tmp.Sub("checkpoint.100000000"));
  Mkdir(tmp.Sub("checkpoint.00000005"));
  auto listing = ListWalDir(PosixFs(), tmp.path());
  ASSERT_TRUE(listing.ok());
  ASSERT_NE(listing->LastCheckpoint(), nullptr);
  EXPECT_EQ(listing->LastCheckpoint()->index, 100000000);
  EXPECT_EQ(listing->LastCheckpoint()->name, "checkpoint.100000000");
}

TEST(WalDirTest, NonSegmentFilesDoNotMakeAGap) {
  TempDir tmp;
  Touch(testutil::SegPath(tmp.path(), 0));
  Touch(testutil::SegPath(tmp.path(), 1));
  Touch(tmp.Sub("00000003.repair"));
  Touch(tmp.Sub("0000000x"));
  auto seq = ListSequentialSegments(PosixFs(), tmp.path());
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace walproof
