// SimFs: the volatile and durable views, the op log, fault injection, kill.
#include "crashsim/sim_fs.h"

#include <gtest/gtest.h>

namespace crashsim {
namespace {

std::string Read(SimFs& fs, const std::string& path) {
  std::string out;
  EXPECT_TRUE(walproof::ReadWholeFile(fs, path, &out).ok());
  return out;
}

const std::string* DurableData(const SimFs& fs, const std::string& path) {
  const int ino = fs.Lookup(path);
  return ino < 0 ? nullptr : fs.durable_state().inodes[ino].data.get();
}

TEST(SimFs, AppendIsVolatileUntilSync) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("wal").ok());
  auto f = fs.Create("wal/a");
  ASSERT_TRUE(f.ok());
  size_t w = 0;
  ASSERT_TRUE((*f)->Append("hello", &w).ok());
  EXPECT_EQ(w, 5u);
  EXPECT_EQ(Read(fs, "wal/a"), "hello");
  EXPECT_EQ(*DurableData(fs, "wal/a"), "");
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(*DurableData(fs, "wal/a"), "hello");
  ASSERT_TRUE((*f)->Append(" world", &w).ok());
  EXPECT_EQ(*DurableData(fs, "wal/a"), "hello");
  EXPECT_EQ((*f)->Size(), 11u);
}

TEST(SimFs, DirectoryEntriesAreDurableOnlyAfterSyncDir) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("wal").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(fs.Create("wal/a").ok());
  EXPECT_EQ(fs.DurableImage().entries.size(), 1u);  // just "wal"
  ASSERT_TRUE(fs.SyncDir("wal").ok());
  EXPECT_EQ(fs.DurableImage().entries.size(), 2u);
  ASSERT_TRUE(fs.Rename("wal/a", "wal/b").ok());
  auto listed = fs.ListDir("wal");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "b");
  EXPECT_EQ(fs.DurableImage().entries[1].path, "wal/a");  // the rename is not durable yet
}

TEST(SimFs, RecordsEveryOpWithSnapshots) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("d").ok());
  auto f = fs.Create("d/x");
  size_t w = 0;
  ASSERT_TRUE((*f)->Append("abc", &w).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(fs.RemoveFile("d/x").ok());
  ASSERT_EQ(fs.log().size(), 5u);
  EXPECT_EQ(fs.log()[0].kind, OpKind::kLink);
  EXPECT_EQ(fs.log()[2].kind, OpKind::kAppend);
  EXPECT_EQ(fs.log()[2].length, 3u);
  EXPECT_EQ(fs.log()[4].kind, OpKind::kUnlink);
  // The state after op 3 (the append) has the bytes; after op 2 it does not.
  const int ino = fs.log()[2].inode;
  EXPECT_EQ(*fs.volatile_at(3).inodes[ino].data, "abc");
  EXPECT_EQ(*fs.volatile_at(2).inodes[ino].data, "");
  EXPECT_EQ(*fs.durable_at(4).inodes[ino].data, "abc");
  // The unlinked inode keeps its data: a lost unlink can bring it back.
  EXPECT_EQ(*fs.volatile_state().inodes[ino].data, "abc");
}

TEST(SimFs, InjectedShortWriteLandsHalf) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("d").ok());
  auto f = fs.Create("d/x");  // faultable call 1 (mkdir is 0)
  fs.InjectFault(2, IoFault::kShortWrite);
  size_t w = 0;
  walproof::Status st = (*f)->Append("0123456789", &w);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.IsNoSpace());
  EXPECT_EQ(w, 5u);
  EXPECT_EQ(Read(fs, "d/x"), "01234");
  EXPECT_EQ(fs.fault_op(), 2);
  ASSERT_EQ(fs.faultable_calls().size(), 3u);
  EXPECT_EQ(fs.faultable_calls()[2], OpKind::kAppend);
}

TEST(SimFs, InjectedFsyncFailureMakesNothingDurable) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("d").ok());
  auto f = fs.Create("d/x");
  size_t w = 0;
  ASSERT_TRUE((*f)->Append("abc", &w).ok());
  fs.InjectFault(3, IoFault::kIoError);
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_EQ(*DurableData(fs, "d/x"), "");
}

TEST(SimFs, KilledHandlesStopWorking) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("d").ok());
  auto f = fs.Create("d/x");
  fs.KillProcess();
  size_t w = 0;
  EXPECT_FALSE((*f)->Append("abc", &w).ok());
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_EQ(fs.log().size(), 2u);  // mkdir and create only
  auto g = fs.OpenForAppend("d/x");  // a new process can open it again
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE((*g)->Append("abc", &w).ok());
}

TEST(SimFs, MountsAnImageAsDurable) {
  CrashImage img;
  img.entries.push_back({"wal", true, nullptr});
  img.entries.push_back({"wal/00000000", false, MakeBytes("data")});
  SimFs fs(img);
  EXPECT_EQ(Read(fs, "wal/00000000"), "data");
  EXPECT_EQ(*DurableData(fs, "wal/00000000"), "data");
  EXPECT_EQ(fs.DurableImage().entries.size(), 2u);
  ContentHashCache cache;
  EXPECT_EQ(fs.VolatileImage().Hash(&cache), img.Hash(&cache));
}

TEST(SimFs, CreateOfAnExistingFileTruncatesTheSameInode) {
  SimFs fs;
  ASSERT_TRUE(fs.MakeDir("d").ok());
  auto f = fs.Create("d/x");
  size_t w = 0;
  ASSERT_TRUE((*f)->Append("abc", &w).ok());
  const int ino = fs.Lookup("d/x");
  ASSERT_TRUE(fs.Create("d/x").ok());
  EXPECT_EQ(fs.Lookup("d/x"), ino);
  EXPECT_EQ(fs.log().back().kind, OpKind::kTruncate);
  EXPECT_EQ(Read(fs, "d/x"), "");
}

}  // namespace
}  // namespace crashsim
