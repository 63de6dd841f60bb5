// Crash-state reconstruction: each fate rebuilds the disk it describes, and
// enumeration is deterministic.
#include "crashsim/crash_builder.h"

#include <gtest/gtest.h>

#include "crashsim/enumerator.h"
#include "crashsim/hash.h"

namespace crashsim {
namespace {

// wal/a: "AAAA" synced, then "BBBB" appended (unsynced); wal/b created, not dir-synced.
class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CrashImage base;
    base.entries.push_back({"wal", true, nullptr});
    fs_ = std::make_unique<SimFs>(base);
    auto a = fs_->Create("wal/a");                // op 0: link
    ASSERT_TRUE(fs_->SyncDir("wal").ok());        // op 1
    size_t w = 0;
    ASSERT_TRUE((*a)->Append("AAAA", &w).ok());   // op 2
    ASSERT_TRUE((*a)->Sync().ok());               // op 3
    ASSERT_TRUE((*a)->Append(std::string(1024, 'B'), &w).ok());  // op 4
    auto b = fs_->Create("wal/b");                // op 5: link, never dir-synced
    ASSERT_TRUE((*b)->Append("bb", &w).ok());     // op 6
    ASSERT_TRUE((*b)->Sync().ok());               // op 7
    inode_a_ = fs_->Lookup("wal/a");
  }
  const std::string* File(const CrashImage& img, const std::string& path) {
    for (const auto& e : img.entries) {
      if (e.path == path) return e.data.get();
    }
    return nullptr;
  }
  std::unique_ptr<SimFs> fs_;
  int inode_a_ = -1;
};

TEST_F(BuilderTest, KeepAndLoseEverything) {
  CrashBuilder b(*fs_);
  CrashSpec keep;
  keep.point = 8;
  CrashImage img = b.Build(keep);
  EXPECT_EQ(File(img, "wal/a")->size(), 1028u);
  ASSERT_NE(File(img, "wal/b"), nullptr);
  CrashSpec lose = keep;
  lose.data = DataFate::kLose;
  lose.dir = DirFate::kLose;
  img = b.Build(lose);
  EXPECT_EQ(*File(img, "wal/a"), "AAAA");
  EXPECT_EQ(File(img, "wal/b"), nullptr);  // its entry was never made durable
}

TEST_F(BuilderTest, PartialOpCutsTheNextWrite) {
  CrashBuilder b(*fs_);
  CrashSpec s;
  s.point = 4;  // op 4 (the 1024-byte append) is cut
  s.file = inode_a_;
  s.fate = FileFate::kPartialOp;
  s.a = 10;
  EXPECT_EQ(*File(b.Build(s), "wal/a"), "AAAA" + std::string(10, 'B'));
}

TEST_F(BuilderTest, PrefixPiecesAndSizeOnly) {
  CrashBuilder b(*fs_);
  CrashSpec s;
  s.point = 8;
  s.file = inode_a_;
  s.fate = FileFate::kPrefix;
  s.a = 508;
  EXPECT_EQ(*File(b.Build(s), "wal/a"), "AAAA" + std::string(508, 'B'));
  s.fate = FileFate::kLosePieces;
  s.piece = 512;
  s.npieces = 1;
  s.pieces[0] = 1;  // bytes [512, 1024) become zeros, the size stays
  CrashImage img = b.Build(s);
  const std::string* d = File(img, "wal/a");
  ASSERT_EQ(d->size(), 1028u);
  EXPECT_EQ(d->substr(0, 512), "AAAA" + std::string(508, 'B'));
  EXPECT_EQ(d->substr(512, 512), std::string(512, '\0'));
  EXPECT_EQ(d->substr(1024), "BBBB");
  s.fate = FileFate::kSizeOnly;
  img = b.Build(s);
  d = File(img, "wal/a");
  EXPECT_EQ(*d, "AAAA" + std::string(1024, '\0'));
  CrashBuilder::FileView v = b.ViewOf(inode_a_, 8);
  EXPECT_EQ(v.stable, 4u);
  EXPECT_EQ(v.vol_size, 1028u);
}

TEST_F(BuilderTest, GarbageStaleAndBitFlip) {
  CrashBuilder b(*fs_);
  CrashSpec s;
  s.point = 8;
  s.file = inode_a_;
  s.fate = FileFate::kGarbage;
  s.a = 4;
  s.b = 2;
  s.fill = Fill::kStale;
  s.stale_from = fs_->Lookup("wal/b");  // "bb" at offsets 0-1 only: zeros beyond
  EXPECT_EQ(File(b.Build(s), "wal/a")->substr(0, 7), std::string("AAAA\0\0B", 7));
  s.fate = FileFate::kBitFlip;
  s.data = DataFate::kLose;
  s.a = 0;
  s.bit = 0;
  EXPECT_EQ(*File(b.Build(s), "wal/a"), "@AAA");
}

TEST_F(BuilderTest, DirOpFates) {
  CrashBuilder b(*fs_);
  EXPECT_EQ(b.PendingDirOps(8), std::vector<size_t>({5}));
  CrashSpec s;
  s.point = 8;
  s.dir = DirFate::kDropOne;
  s.dir_arg = 0;
  EXPECT_EQ(File(b.Build(s), "wal/b"), nullptr);
  s.dir = DirFate::kPrefix;
  s.dir_arg = 1;
  EXPECT_NE(File(b.Build(s), "wal/b"), nullptr);
}

TEST_F(BuilderTest, EnumerationIsDeterministicAndIdsRoundTrip) {
  for (int c = 1; c <= 6; ++c) {
    auto cls = static_cast<FaultClass>(c);
    auto x = EnumerateClass(*fs_, cls, EnumLimits{}, 7);
    auto y = EnumerateClass(*fs_, cls, EnumLimits{}, 7);
    ASSERT_EQ(x.size(), y.size());
    CrashBuilder b(*fs_);
    ContentHashCache cache;
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(b.Build(x[i]).Hash(&cache), b.Build(y[i]).Hash(&cache));
  }
  // Every byte of the 1024-byte append is a cut.
  auto cuts = EnumerateClass(*fs_, FaultClass::kCut, EnumLimits{}, 1);
  size_t partial = 0;
  for (const auto& s : cuts) partial += s.fate == FileFate::kPartialOp && s.point == 4;
  EXPECT_EQ(partial, 1023u);
  StateId id;
  ASSERT_TRUE(StateId::Parse("7.2.15.3", &id));
  EXPECT_EQ(id.cls, FaultClass::kCompound);
  EXPECT_EQ(id.parent_cls, FaultClass::kLostData);
  EXPECT_EQ(id.ToString(), "7.2.15.3");
  EXPECT_FALSE(StateId::Parse("8.1", &id));
  EXPECT_FALSE(StateId::Parse("2.x", &id));
}

TEST(Hash, SpreadsAndIsStable) {
  EXPECT_NE(Hash64("a"), Hash64("b"));
  EXPECT_NE(Hash64(std::string(64, 'a')), Hash64(std::string(65, 'a')));
  EXPECT_EQ(Hash64("same"), Hash64("same"));
}

}  // namespace
}  // namespace crashsim
