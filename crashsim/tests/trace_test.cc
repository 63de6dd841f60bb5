// crashsim trace: reading strace's output and replaying it onto a SimFs.
// Each test is a few lines of strace output as strace 6.1 prints them with
// `-f -y -e write=all`, and what the replayed file system must hold.
#include <gtest/gtest.h>

#include "crashsim/crash_builder.h"
#include "crashsim/enumerator.h"
#include "crashsim/sha256.h"
#include "crashsim/strace_log.h"
#include "crashsim/trace_oracle.h"
#include "crashsim/trace_replayer.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/fs.h"
#include "walproof/wal/wal_writer.h"

namespace crashsim {
namespace {

ReplayedTrace Replay(const std::string& text, std::vector<std::string> excludes = {}) {
  auto log = StraceLog::Parse(text);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  TraceOptions opt;
  opt.data_dir = "/d";
  opt.cwd = "/";
  opt.excludes = std::move(excludes);
  auto r = ReplayTrace(*log, CrashImage{}, opt);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(*r);
}

walproof::Status ReplayStatus(const std::string& text) {
  auto log = StraceLog::Parse(text);
  if (!log.ok()) return log.status();
  TraceOptions opt;
  opt.data_dir = "/d";
  opt.cwd = "/";
  auto r = ReplayTrace(*log, CrashImage{}, opt);
  return r.ok() ? walproof::Status::Ok() : r.status();
}

std::string FileOf(const ReplayedTrace& t, const std::string& path) {
  std::string out;
  EXPECT_TRUE(walproof::ReadWholeFile(*t.run, path, &out).ok()) << path;
  return out;
}

TEST(StraceLog, JoinsAnUnfinishedCallWithItsResumedHalf) {
  auto log = StraceLog::Parse(
      "10  write(3</d/f>, \"ab\", 2 <unfinished ...>\n"
      "11  close(4</x>) = 0\n"
      "10  <... write resumed>) = 2\n"
      " | 00000  61 62                                             ab               |\n");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->calls().size(), 2u);
  EXPECT_EQ(log->calls()[0].name, "close");  // in the order the calls returned
  EXPECT_EQ(log->calls()[1].name, "write");
  EXPECT_EQ(log->calls()[1].data, "ab");
  EXPECT_EQ(log->calls()[1].args[0], "3</d/f>");
}

TEST(StraceLog, ReadsErrorsInjectionsAndDecoratedReturns) {
  auto log = StraceLog::Parse(
      "7  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT, 0644) = 3</d/f>\n"
      "7  fsync(3</d/f>) = -1 EIO (Input/output error) (INJECTED)\n");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->calls()[0].ret, 3);
  EXPECT_EQ(log->calls()[0].ret_path, "/d/f");
  EXPECT_EQ(log->calls()[1].ret, -1);
  EXPECT_EQ(log->calls()[1].error, "EIO");
  EXPECT_TRUE(log->calls()[1].injected);
}

TEST(StraceLog, UnescapesQuotedPaths) {
  std::string out;
  ASSERT_TRUE(ParseQuoted("\"a\\\"b\\x41\\101\\n\"", &out));
  EXPECT_EQ(out, "a\"bAA\n");
  EXPECT_FALSE(ParseQuoted("\"cut\"...", &out));
}

TEST(StraceLog, ALineItCannotReadFailsWithItsNumber) {
  auto log = StraceLog::Parse("5  write(3</d/f>, \"ab\", 2) = 2\n | zz\n");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("line 2"), std::string::npos);
}

TEST(TraceReplay, WritesLandAtTheDescriptorOffsetSharedByDups) {
  ReplayedTrace t = Replay(
      "1  mkdir(\"/d/w\", 0777) = 0\n"
      "1  openat(AT_FDCWD</>, \"/d/w/f\", O_RDWR|O_CREAT|O_TRUNC, 0644) = 3</d/w/f>\n"
      "1  write(3</d/w/f>, \"abcd\", 4) = 4\n"
      " | 00000  61 62 63 64                                       abcd             |\n"
      "1  dup(3</d/w/f>) = 4</d/w/f>\n"
      "1  lseek(4</d/w/f>, 1, SEEK_SET) = 1\n"
      "1  write(3</d/w/f>, \"X\", 1) = 1\n"
      " | 00000  58                                                X                |\n"
      "1  pwrite64(4</d/w/f>, \"YZ\", 2, 6) = 2\n"
      " | 00000  59 5a                                             YZ               |\n");
  EXPECT_EQ(FileOf(t, "w/f"), std::string("aXcd\0\0YZ", 8));
}

TEST(TraceReplay, ACloseReportedAfterItsNumberWasReusedClosesTheOldFile) {
  // Thread 2 closes fd 3 (/proc/stat); thread 1's openat gets 3 again; strace
  // prints the close's exit after the openat's (measured on Prometheus).
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/proc/stat\", O_RDONLY) = 3</proc/stat>\n"
      "2  close(3</proc/stat> <unfinished ...>\n"
      "1  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT, 0644) = 3</d/f>\n"
      "2  <... close resumed>) = 0\n"
      "1  write(3</d/f>, \"ok\", 2) = 2\n"
      " | 00000  6f 6b                                             ok               |\n");
  EXPECT_EQ(FileOf(t, "f"), "ok");
}

TEST(TraceReplay, PwriteOnAnAppendDescriptorAppendsAsLinuxDoes) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT|O_APPEND, 0644) = 3</d/f>\n"
      "1  write(3</d/f>, \"ab\", 2) = 2\n"
      " | 00000  61 62                                             ab               |\n"
      "1  pwrite64(3</d/f>, \"c\", 1, 0) = 1\n"
      " | 00000  63                                                c                |\n");
  EXPECT_EQ(FileOf(t, "f"), "abc");
}

TEST(TraceReplay, WritevConcatenatesItsBuffers) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT, 0644) = 3</d/f>\n"
      "1  writev(3</d/f>, [{iov_base=\"xy\", iov_len=2}, {iov_base=\"z\", iov_len=1}], 2) = 3\n"
      " * 2 bytes in buffer 0\n"
      " | 00000  78 79                                             xy               |\n"
      " * 1 bytes in buffer 1\n"
      " | 00000  7a                                                z                |\n");
  EXPECT_EQ(FileOf(t, "f"), "xyz");
}

TEST(TraceReplay, ADescriptorFollowsItsFileThroughARename) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/a.tmp\", O_WRONLY|O_CREAT, 0644) = 3</d/a.tmp>\n"
      "1  renameat(AT_FDCWD</>, \"/d/a.tmp\", AT_FDCWD</>, \"/d/a\") = 0\n"
      "1  write(3</d/a>, \"q\", 1) = 1\n"
      " | 00000  71                                                q                |\n"
      "1  fsync(3</d/a>) = 0\n");
  EXPECT_EQ(FileOf(t, "a"), "q");
  const auto& log = t.run->log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1].kind, OpKind::kRename);
  EXPECT_EQ(log[3].kind, OpKind::kSync);
}

TEST(TraceReplay, DirectoryFsyncMakesEntriesDurable) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT, 0644) = 3</d/f>\n"
      "1  openat(AT_FDCWD</>, \"/d\", O_RDONLY|O_DIRECTORY) = 4</d>\n"
      "1  fsync(4</d>) = 0\n");
  ASSERT_EQ(t.run->log().back().kind, OpKind::kSyncDir);
  EXPECT_EQ(t.run->DurableImage().entries.size(), 1u);
}

TEST(TraceReplay, CallsOutsideTheDataDirectoryChangeNothing) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/elsewhere/f\", O_WRONLY|O_CREAT, 0644) = 3</elsewhere/f>\n"
      "1  write(3</elsewhere/f>, \"a\", 1) = 1\n"
      " | 00000  61                                                a                |\n"
      "1  unlinkat(AT_FDCWD</>, \"/elsewhere/f\", 0) = 0\n");
  EXPECT_TRUE(t.run->log().empty());
  EXPECT_EQ(t.calls, 3u);
}

TEST(TraceReplay, ExcludedFilesAreCountedNotModelled) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/queries.active\", O_RDWR|O_CREAT, 0666) = 3</d/queries.active>\n"
      "1  mmap(NULL, 20001, PROT_READ|PROT_WRITE, MAP_SHARED, 3</d/queries.active>, 0) = 0x7f0000000000\n",
      {"queries.active"});
  EXPECT_TRUE(t.run->log().empty());
  EXPECT_EQ(t.excluded_calls.at("queries.active"), 2u);
}

TEST(TraceReplay, ASharedWritableMappingFailsTheReplay) {
  walproof::Status st = ReplayStatus(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_RDWR|O_CREAT, 0666) = 3</d/f>\n"
      "1  mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3</d/f>, 0) = 0x7f0000000000\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("mapped shared and writable"), std::string::npos) << st.message();
}

TEST(TraceReplay, AnUnknownCallOnTheDataDirectoryFailsTheReplay) {
  walproof::Status st = ReplayStatus(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_RDWR|O_CREAT, 0666) = 3</d/f>\n"
      "1  copy_file_range(3</d/f>, NULL, 4</x>, NULL, 10, 0) = 10\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("copy_file_range"), std::string::npos) << st.message();
}

TEST(TraceReplay, ARenameOutOfTheDataDirectoryFailsTheReplay) {
  walproof::Status st = ReplayStatus(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_RDWR|O_CREAT, 0666) = 3</d/f>\n"
      "1  rename(\"/d/f\", \"/x/f\") = 0\n");
  EXPECT_FALSE(st.ok());
}

TEST(TraceReplay, ALargePreallocationStaysPendingUntilCutBack) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/c\", O_WRONLY|O_CREAT, 0666) = 3</d/c>\n"
      "1  fallocate(3</d/c>, 0, 0, 536870912) = 0\n"
      "1  lseek(3</d/c>, 8, SEEK_SET) = 8\n"
      "1  write(3</d/c>, \"k\", 1) = 1\n"
      " | 00000  6b                                                k                |\n"
      "1  ftruncate(3</d/c>, 16) = 0\n");
  EXPECT_EQ(FileOf(t, "c"), std::string(8, '\0') + "k" + std::string(7, '\0'));
}

TEST(TraceReplay, AnInjectedFailureIsAFailedOpAndTheRunsFault) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT, 0666) = 3</d/f>\n"
      "1  write(3</d/f>, \"ab\", 2) = -1 ENOSPC (No space left on device) (INJECTED)\n");
  ASSERT_EQ(t.run->log().size(), 2u);
  EXPECT_TRUE(t.run->log()[1].failed);
  EXPECT_EQ(t.run->log()[1].fault, IoFault::kNoSpace);
  EXPECT_EQ(t.run->fault_op(), 1);
  EXPECT_EQ(t.injected_in_dir, 1u);
}

TEST(TraceReplay, StandardOutputIsRecordedWithTheOpsBeforeIt) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_WRONLY|O_CREAT, 0666) = 3</d/f>\n"
      "1  write(1</dev/pts/0>, \"acked 1\\n\", 8) = 8\n"
      " | 00000  61 63 6b 65 64 20 31 0a                           acked 1.         |\n");
  ASSERT_EQ(t.stdout_writes.size(), 1u);
  EXPECT_EQ(t.stdout_writes[0].ops_before, 1u);
  EXPECT_EQ(t.stdout_writes[0].bytes, "acked 1\n");
}

TEST(TraceReplay, AnOverwriteCutShortLandsOnlyItsFirstBytes) {
  ReplayedTrace t = Replay(
      "1  openat(AT_FDCWD</>, \"/d/f\", O_RDWR|O_CREAT, 0666) = 3</d/f>\n"
      "1  write(3</d/f>, \"aaaa\", 4) = 4\n"
      " | 00000  61 61 61 61                                       aaaa             |\n"
      "1  pwrite64(3</d/f>, \"bb\", 2, 1) = 2\n"
      " | 00000  62 62                                             bb               |\n");
  CrashBuilder b(*t.run);
  CrashSpec s;
  s.point = 2;  // before the pwrite, which lands 1 byte
  s.file = t.run->Lookup("f");
  s.fate = FileFate::kPartialOp;
  s.a = 1;
  CrashImage img = b.Build(s);
  ASSERT_EQ(img.entries.size(), 1u);
  EXPECT_EQ(*img.entries[0].data, "abaa");
}

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'a')), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

// A SimFs run of the reference writer: series a=1 with samples t=1..4; the
// first two are synced at op `synced`, the last two only logged.
struct WriterRun {
  SimFs fs;
  uint32_t synced = 0;
  WriterRun() {
    EXPECT_TRUE(fs.MakeDir("wal").ok());
    walproof::WalWriterOptions o;
    o.compression = walproof::Compression::kNone;
    auto w = walproof::WalWriter::Open(fs, "wal", o);
    EXPECT_TRUE(w.ok());
    walproof::RefSeries s;
    s.ref = 1;
    s.labels = {{"a", "1"}};
    EXPECT_TRUE((*w)->Log(walproof::EncodeRecord(walproof::SeriesRecord{{s}})).ok());
    for (int64_t t = 1; t <= 4; ++t) {
      EXPECT_TRUE((*w)->Log(walproof::EncodeRecord(walproof::SamplesRecord{{{1, t, double(t)}}})).ok());
      if (t == 2) {
        EXPECT_TRUE((*w)->Sync().ok());
        synced = static_cast<uint32_t>(fs.log().size());
      }
    }
    fs.KillProcess();  // no close: the last two stay unsynced
  }
};

TEST(TraceOracle, LogsAndAcknowledgesWhatTheWriterWroteAndSynced) {
  WriterRun run;
  auto model = TraceWalModel::FromRun(run.fs);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const uint32_t end = static_cast<uint32_t>(run.fs.log().size());
  EXPECT_EQ(model->samples(), 4u);
  EXPECT_EQ(model->AckedBy(run.synced), 2u);
  EXPECT_EQ(model->AckedBy(end), 2u);
  EXPECT_EQ(model->LoggedBy(end), 4u);
}

TEST(TraceOracle, JudgesPrefixesHolesInventionsAndLostAcknowledgements) {
  WriterRun run;
  auto model = TraceWalModel::FromRun(run.fs);
  ASSERT_TRUE(model.ok());
  const uint32_t end = static_cast<uint32_t>(run.fs.log().size());
  CheckerReport rep;
  rep.ran = rep.started = rep.reads_samples = true;
  auto verdict = [&](std::vector<std::pair<int64_t, double>> got, FaultClass cls = FaultClass::kCut) {
    rep.series["a=1"] = std::move(got);
    return JudgeTraceState(*model, rep, end, cls).violation;
  };
  EXPECT_EQ(verdict({{1, 1}, {2, 2}}), Violation::kNone);
  EXPECT_EQ(verdict({{1, 1}, {2, 2}, {3, 3}}), Violation::kNone);  // unsynced, but logged: may survive
  EXPECT_EQ(verdict({{1, 1}}), Violation::kAckedLost);
  EXPECT_EQ(verdict({{1, 1}, {3, 3}}), Violation::kOutOfOrder);  // a hole
  EXPECT_EQ(verdict({{1, 1}, {2, 2.5}}), Violation::kInvented);  // a changed value was never logged
  EXPECT_EQ(verdict({{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}), Violation::kInvented);
  EXPECT_EQ(verdict({{1, 1}}, FaultClass::kAtRest), Violation::kSilentLoss);
  rep.corruption_reported = true;
  EXPECT_EQ(verdict({{1, 1}}, FaultClass::kAtRest), Violation::kNone);  // damage at rest, reported
  EXPECT_EQ(verdict({{2, 2}}, FaultClass::kAtRest), Violation::kNone);  // a reported hole
  EXPECT_EQ(verdict({{1, 1}, {2, 9}}, FaultClass::kAtRest), Violation::kInvented);  // never excused
  rep.corruption_reported = false;
  rep.series.clear();
  rep.series["b=2"] = {{1, 1}};
  EXPECT_EQ(JudgeTraceState(*model, rep, end, FaultClass::kCut).violation, Violation::kInvented);
  rep.started = false;
  EXPECT_EQ(JudgeTraceState(*model, rep, end, FaultClass::kCut).violation, Violation::kOpenFailed);
}

TEST(TraceOracle, AWalOnlyCheckerIsNotAskedForSamplesThatLiveInBlocks) {
  WriterRun run;
  auto model = TraceWalModel::FromRun(run.fs);
  ASSERT_TRUE(model.ok());
  const uint32_t end = static_cast<uint32_t>(run.fs.log().size());
  CheckerReport rep;
  rep.ran = rep.started = rep.reads_samples = true;
  rep.wal_only_after = 1;  // a block holds t <= 1
  rep.series["a=1"] = {{2, 2}};
  EXPECT_EQ(JudgeTraceState(*model, rep, end, FaultClass::kCut).violation, Violation::kNone);
  rep.series["a=1"] = {};
  EXPECT_EQ(JudgeTraceState(*model, rep, end, FaultClass::kCut).violation, Violation::kAckedLost);
}

}  // namespace
}  // namespace crashsim
