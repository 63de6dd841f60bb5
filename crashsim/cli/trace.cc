// crashsim trace: crash-test a real program from a recording of its system
// calls (record, faults, run, replay). See crashsim/README.md, "Real binaries".
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "commands.h"
#include "crashsim/crash_builder.h"
#include "crashsim/process.h"
#include "crashsim/report.h"
#include "crashsim/rng.h"
#include "crashsim/trace_runner.h"
#include "walproof/io/posix_fs.h"

#ifndef CRASHSIM_TRACE_SCRIPTS
#define CRASHSIM_TRACE_SCRIPTS "crashsim/trace"
#endif
#ifndef WALPROOF_CLI
#define WALPROOF_CLI "walproof"
#endif

namespace crashsim::cli {

bool ParseClasses(const std::string& list, FaultClassSet* out, std::string* error);
bool ParseShard(const std::string& s, int* shard, int* shards, std::string* error);
bool WriteFile(const std::string& path, const std::string& data);

namespace {

// An installed crashsim (PREFIX/bin) finds its checkers in
// PREFIX/share/walproof/trace and walproof beside itself; a build tree's
// crashsim has neither next to it and uses the paths compiled in.
std::string BesideSelfOr(const std::string& relative, const char* compiled_in) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return compiled_in;
  std::string path(self, static_cast<size_t>(n));
  path = path.substr(0, path.rfind('/') + 1) + relative;
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? path : compiled_in;
}

// The recording or a checker could not run: not a finding about the program.
constexpr int kExitCannotRun = 4;

const char kTraceUsage[] =
    "crashsim trace: crash-test a real program from a recording of its system calls\n"
    "\n"
    "usage:\n"
    "  crashsim trace record --dir DATADIR --out TRACE [--exclude PATTERN[,PATTERN...]]\n"
    "                        [--exclude-reason TEXT] [--driver 'SHELL COMMAND'] [--stop term|kill]\n"
    "                        [--checker NAME] [--inject EXPR] -- COMMAND [ARGS...]\n"
    "      Snapshots DATADIR into TRACE/before, runs COMMAND under strace (every file-system\n"
    "      call, every byte written), then checks that the recording reproduces every file of\n"
    "      DATADIR byte for byte (sha256). With --driver, the driver runs beside COMMAND (not\n"
    "      traced) and COMMAND is stopped with SIGTERM (--stop kill: SIGKILL, as a crash)\n"
    "      when the driver exits. Excluded files (fnmatch on the path below DATADIR or the\n"
    "      base name) stand outside the crash model: kept as they were before the run.\n"
    "      --inject passes a fault to strace (class 5 runs; `faults` does this for you).\n"
    "  crashsim trace faults TRACE [--runs N] [--seed S]\n"
    "      Re-runs the recorded workload N times (default 8), each with one system call on\n"
    "      DATADIR failing (ENOSPC or EIO at a write, EIO at an fsync or a rename), and keeps\n"
    "      each run as its own recording in TRACE/io/ (fault class 5). DATADIR is reset to\n"
    "      the snapshot before each run.\n"
    "  crashsim trace run TRACE --recover CHECKER [--budget SECONDS] [--max-states N] [--seed S]\n"
    "                      [--shard I/N] [--classes LIST] [--jobs N] [--json-out FILE]\n"
    "                      [--report FILE.html] [--expect pass|finding] [--quiet]\n"
    "      Builds the crash states of the recording (classes 1-4 and 6, and 5 from TRACE/io),\n"
    "      writes each as a directory, runs CHECKER on it and judges what it recovered.\n"
    "      CHECKER: prometheus (Debian's Prometheus on the image, every sample read back),\n"
    "      walproof (the reference's repair and replay), exec:COMMAND (COMMAND IMAGE_DIR, with\n"
    "      what the program had written to stdout before the crash on stdin; exit 0 means\n"
    "      consistent). Classes default to 1-6 (1-5 for exec: checkers: damage at rest is only\n"
    "      a finding where the program could have reported it, and an exec: checker reports\n"
    "      nothing but consistent or not).\n"
    "  crashsim trace replay TRACE --state ID [--out DIR] [--ops]\n"
    "      Rebuilds one crash state of a recording (and writes it to DIR).\n"
    "\n"
    "Exit status: 0 no finding (record: self-check passed), 1 a finding (with --expect\n"
    "finding: none found), 2 usage, 4 the recording or the checker could not run.\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "crashsim trace: %s\n\n%s", error.c_str(), kTraceUsage);
  return kExitUsage;
}

std::string AbsolutePath(const std::string& p) {
  char buf[PATH_MAX];
  if (realpath(p.c_str(), buf)) return buf;
  // Not there yet: resolve the parent, keep the name.
  const size_t slash = p.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : p.substr(0, slash));
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (realpath(parent.c_str(), buf)) return std::string(buf) + (std::string(buf) == "/" ? "" : "/") + name;
  return p;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The traced command: strace's child.
int TracedChild(int strace_pid) {
  std::ifstream f("/proc/" + std::to_string(strace_pid) + "/task/" + std::to_string(strace_pid) + "/children");
  int pid = 0;
  f >> pid;
  return pid;
}

struct RecordRequest {
  TraceMeta meta;
  std::string out;
  std::string stop = "term";
  double stop_timeout = 60;
};

// One recording: snapshot, strace run, replay, self-check. Returns the exit code.
int RecordOnce(RecordRequest req, bool quiet) {
  TraceMeta& meta = req.meta;
  walproof::Fs& posix = walproof::PosixFs();
  if (mkdir(req.out.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "crashsim trace record: cannot create %s\n", req.out.c_str());
    return kExitCannotRun;
  }
  auto before = SnapshotDir(meta.data_dir);
  if (!before.ok()) {
    std::fprintf(stderr, "crashsim trace record: %s\n", before.status().ToString().c_str());
    return kExitCannotRun;
  }
  if (auto st = before->WriteTo(posix, req.out + "/before"); !st.ok()) {
    std::fprintf(stderr, "crashsim trace record: %s\n", st.ToString().c_str());
    return kExitCannotRun;
  }
  std::vector<std::string> argv = {"strace", "-f", "--seccomp-bpf", "-qq", "-y", "-s", "4096", "-e", "write=all",
                                   "-e", "trace=%file,%desc,mmap,%process,sync", "-o", req.out + "/strace.log"};
  if (!meta.inject.empty()) argv.insert(argv.end(), {"-e", "inject=" + meta.inject});
  argv.push_back("--");
  argv.insert(argv.end(), meta.command.begin(), meta.command.end());
  if (!quiet) std::fprintf(stderr, "crashsim trace record: tracing %s (data dir %s)\n", meta.command[0].c_str(), meta.data_dir.c_str());
  auto pid = StartProcess(argv);
  if (!pid.ok()) {
    std::fprintf(stderr, "crashsim trace record: %s\n", pid.status().ToString().c_str());
    return kExitCannotRun;
  }
  int code = 0;
  if (!meta.driver.empty()) {
    auto driver = StartProcess({"/bin/sh", "-c", meta.driver});
    int driver_code = 0;
    if (driver.ok()) WaitProcess(*driver, 0, &driver_code);
    if (!driver.ok() || driver_code != 0) {
      std::fprintf(stderr, "crashsim trace record: the driver exited with %d\n", driver.ok() ? driver_code : -1);
    }
    const int child = TracedChild(*pid);
    if (child > 0) kill(child, req.stop == "kill" ? SIGKILL : SIGTERM);
  }
  if (!WaitProcess(*pid, req.stop_timeout, &code)) {
    std::fprintf(stderr, "crashsim trace record: %s still runs %.0f s after the stop; killing it\n",
                 meta.command[0].c_str(), req.stop_timeout);
    const int child = TracedChild(*pid);
    if (child > 0) kill(child, SIGKILL);
    WaitProcess(*pid, 0, &code);
  }
  meta.exit_code = code;
  auto loaded_meta_ok = SaveTraceMeta(req.out, meta);
  if (!loaded_meta_ok.ok()) {
    std::fprintf(stderr, "crashsim trace record: %s\n", loaded_meta_ok.ToString().c_str());
    return kExitCannotRun;
  }
  auto trace = LoadTrace(req.out);
  if (!trace.ok()) {
    std::fprintf(stderr, "crashsim trace record: the recording cannot be replayed: %s\n",
                 trace.status().ToString().c_str());
    return kExitCannotRun;
  }
  auto after = SnapshotDir(meta.data_dir);
  if (!after.ok()) {
    std::fprintf(stderr, "crashsim trace record: %s\n", after.status().ToString().c_str());
    return kExitCannotRun;
  }
  SelfCheck check = CheckAgainstDisk(trace->replayed, *after, trace->options);
  meta.self_check_ok = check.ok();
  meta.files_checked = check.files;
  (void)SaveTraceMeta(req.out, meta);
  const ReplayedTrace& t = trace->replayed;
  std::printf("recorded: %s exited %d; %llu calls traced, %llu on the data dir, %zu file-system ops modelled\n",
              meta.command[0].c_str(), code, static_cast<unsigned long long>(t.calls),
              static_cast<unsigned long long>(t.calls_in_dir), t.run->log().size());
  for (const auto& [path, n] : t.excluded_calls) {
    std::printf("excluded: %s (%llu calls not modelled%s)\n", path.c_str(), static_cast<unsigned long long>(n),
                meta.exclude_reason.empty() ? "" : (": " + meta.exclude_reason).c_str());
  }
  for (const std::string& line : t.injected) std::printf("injected: %s\n", line.c_str());
  if (!meta.inject.empty() && t.injected.empty()) {
    std::printf("injected: the fault (%s) hit no call on the data dir (%llu elsewhere)\n", meta.inject.c_str(),
                static_cast<unsigned long long>(t.injected_elsewhere));
  }
  std::fputs(check.Summary().c_str(), stdout);
  std::fflush(stdout);
  return check.ok() ? kExitOk : kExitCannotRun;
}

int Record(const std::vector<std::string>& all) {
  auto sep = std::find(all.begin(), all.end(), "--");
  if (sep == all.end() || sep + 1 == all.end()) return Usage("record needs -- COMMAND [ARGS...]");
  std::vector<std::string> args(all.begin(), sep);
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"dir", "out", "exclude", "exclude-reason", "driver", "stop", "checker", "inject", "stop-timeout"},
                   {"help"}, &error)) {
    return Usage(error);
  }
  if (!flags.Has("dir") || !flags.Has("out")) return Usage("record needs --dir and --out");
  RecordRequest req;
  req.out = flags.Get("out");
  req.stop = flags.Get("stop", "term");
  if (req.stop != "term" && req.stop != "kill") return Usage("--stop is term or kill");
  if (!flags.GetDouble("stop-timeout", 60, &req.stop_timeout, &error)) return Usage(error);
  struct stat st;
  if (stat(req.out.c_str(), &st) == 0) return Usage(req.out + " exists: a recording is never overwritten");
  req.meta.data_dir = AbsolutePath(flags.Get("dir"));
  char cwd[PATH_MAX];
  req.meta.cwd = getcwd(cwd, sizeof cwd) ? cwd : "/";
  req.meta.command.assign(sep + 1, all.end());
  req.meta.driver = flags.Get("driver");
  req.meta.excludes = SplitList(flags.Get("exclude"));
  req.meta.exclude_reason = flags.Get("exclude-reason");
  req.meta.checker_hint = flags.Get("checker");
  req.meta.inject = flags.Get("inject");
  return RecordOnce(req, false);
}

// A call on the data directory that a fault can be injected into, with the
// per-thread ordinal strace's `when=` counts (strace counts each thread's
// calls of a syscall separately: measured, see the README).
struct FaultTarget {
  std::string syscall;
  std::string error;
  uint64_t when = 0;
  std::string what;
};

int Faults(const std::vector<std::string>& all) {
  if (all.empty() || all[0].rfind("--", 0) == 0) return Usage("faults needs TRACE");
  const std::string dir = all[0];
  Flags flags;
  std::string error;
  if (!flags.Parse(std::vector<std::string>(all.begin() + 1, all.end()), {"runs", "seed"}, {}, &error)) return Usage(error);
  uint64_t runs = 8, seed = 1;
  if (!flags.GetU64("runs", 8, &runs, &error) || !flags.GetU64("seed", 1, &seed, &error)) return Usage(error);
  auto meta = LoadTraceMeta(dir);
  if (!meta.ok()) {
    std::fprintf(stderr, "crashsim trace faults: %s\n", meta.status().ToString().c_str());
    return kExitCannotRun;
  }
  std::ifstream f(dir + "/strace.log");
  std::stringstream text;
  text << f.rdbuf();
  auto log = StraceLog::Parse(text.str());
  if (!log.ok()) {
    std::fprintf(stderr, "crashsim trace faults: %s\n", log.status().ToString().c_str());
    return kExitCannotRun;
  }
  // Candidates: writes, fsyncs and renames on the data directory.
  std::map<std::pair<int, std::string>, uint64_t> ordinal;
  std::vector<FaultTarget> targets;
  const std::string& dd = meta->data_dir;
  auto under = [&](const std::string& p) { return p.size() > dd.size() && p.compare(0, dd.size(), dd) == 0 && p[dd.size()] == '/'; };
  for (const Syscall& c : log->calls()) {
    const uint64_t n = ++ordinal[{c.pid, c.name}];
    int fd = 0;
    std::string path, rel;
    bool in_dir = false;
    if (!c.args.empty() && ParseFdArg(c.args[0], &fd, &path)) in_dir = under(path);
    if ((c.name == "renameat" || c.name == "renameat2") && c.args.size() > 1 && ParseFdArg(c.args[0], &fd, &path) &&
        ParseQuoted(c.args[1], &rel)) {
      path = rel[0] == '/' ? rel : path + "/" + rel;
      in_dir = under(path);
    }
    if (!in_dir || c.ret < 0) continue;
    const std::string what = c.name + " " + (path.size() > dd.size() ? path.substr(dd.size() + 1) : path);
    if (c.name == "write" || c.name == "pwrite64") {
      targets.push_back(FaultTarget{c.name, "ENOSPC", n, what});
      targets.push_back(FaultTarget{c.name, "EIO", n, what});
    } else if (c.name == "fallocate" || c.name == "mkdirat") {
      targets.push_back(FaultTarget{c.name, "ENOSPC", n, what});
    } else if (c.name == "fsync" || c.name == "fdatasync" || c.name == "renameat" || c.name == "renameat2" ||
               c.name == "ftruncate") {
      targets.push_back(FaultTarget{c.name, "EIO", n, what});
    }
  }
  if (targets.empty()) {
    std::fprintf(stderr, "crashsim trace faults: no write, fsync or rename on the data directory in %s\n", dir.c_str());
    return kExitCannotRun;
  }
  // A seeded order: calls other than write first (the rarer ones, and the
  // ones a durability protocol hangs on), then writes.
  Rng rng(DeriveSeed(seed, 500));
  for (size_t i = targets.size(); i > 1; --i) std::swap(targets[i - 1], targets[rng.Below(i)]);
  std::stable_sort(targets.begin(), targets.end(), [](const FaultTarget& a, const FaultTarget& b) {
    return (a.syscall == "write") < (b.syscall == "write");
  });
  // Interleave: alternate a non-write and a write target.
  std::vector<FaultTarget> other, writes, picked;
  for (const auto& t : targets) (t.syscall == "write" ? writes : other).push_back(t);
  for (size_t i = 0; picked.size() < targets.size(); ++i) {
    if (i < other.size()) picked.push_back(other[i]);
    if (i < writes.size()) picked.push_back(writes[i]);
  }
  mkdir((dir + "/io").c_str(), 0755);
  walproof::Fs& posix = walproof::PosixFs();
  auto before = SnapshotDir(dir + "/before");
  int worst = kExitOk;
  uint64_t kept = 0, missed = 0;
  // strace counts `when=` per thread, so the fault may land on another
  // thread's call (a socket, the log); such a run has no fault in the data
  // directory and is not kept. Up to three tries per run wanted.
  for (size_t i = 0; i < picked.size() && kept < runs && kept + missed < 3 * runs; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%03llu", static_cast<unsigned long long>(kept));
    const std::string out = dir + "/io/" + name;
    struct stat st;
    if (stat(out.c_str(), &st) == 0) {
      std::printf("io/%s exists: kept\n", name);
      ++kept;
      continue;
    }
    // The data directory as it was before the base run.
    (void)walproof::RemoveTree(posix, meta->data_dir);
    if (before.ok() && !before->entries.empty()) (void)before->WriteTo(posix, meta->data_dir);
    RecordRequest req;
    req.meta = *meta;
    req.meta.inject = picked[i].syscall + ":error=" + picked[i].error + ":when=" + std::to_string(picked[i].when);
    req.out = out;
    std::printf("io/%s: %s fails with %s (aimed at %s)\n", name, picked[i].syscall.c_str(), picked[i].error.c_str(),
                picked[i].what.c_str());
    std::fflush(stdout);
    const int code = RecordOnce(req, true);
    auto sub = code == kExitOk ? LoadTrace(out) : walproof::Result<LoadedTrace>(walproof::Status::IOError("not recorded"));
    if (sub.ok() && sub->replayed.injected_in_dir > 0) {
      ++kept;
      continue;
    }
    if (code != kExitOk) worst = code;
    ++missed;
    (void)walproof::RemoveTree(posix, out);
    std::printf("io/%s: not kept (%s)\n", name, code != kExitOk ? "the recording failed" : "the fault missed the data directory");
  }
  std::printf("faults: %llu fault-injected runs kept, %llu missed the data directory\n",
              static_cast<unsigned long long>(kept), static_cast<unsigned long long>(missed));
  return kept > 0 ? worst : kExitCannotRun;
}

int Run(const std::vector<std::string>& all) {
  if (all.empty() || all[0].rfind("--", 0) == 0) return Usage("run needs TRACE");
  const std::string dir = all[0];
  Flags flags;
  std::string error;
  if (!flags.Parse(std::vector<std::string>(all.begin() + 1, all.end()),
                   {"recover", "budget", "max-states", "seed", "shard", "classes", "jobs", "json-out", "report",
                    "expect", "scratch", "checkers-dir", "walproof"},
                   {"quiet"}, &error)) {
    return Usage(error);
  }
  if (!flags.Has("recover")) return Usage("run needs --recover CHECKER");
  TraceRunOptions opt;
  uint64_t jobs = 0;
  if (!flags.GetU64("seed", 1, &opt.seed, &error) || !flags.GetDouble("budget", 0, &opt.budget_seconds, &error) ||
      !flags.GetU64("max-states", 0, &opt.max_states, &error) ||
      !flags.GetU64("jobs", std::max(1u, std::thread::hardware_concurrency()), &jobs, &error) ||
      !ParseShard(flags.Get("shard"), &opt.shard, &opt.shards, &error) ||
      !ParseClasses(flags.Get("classes", flags.Get("recover").rfind("exec:", 0) == 0 ? "1,2,3,4,5" : "1,2,3,4,5,6"),
                    &opt.classes, &error)) {
    return Usage(error);
  }
  const std::string expect = flags.Get("expect", "pass");
  if (expect != "pass" && expect != "finding") return Usage("--expect is pass or finding");
  opt.jobs = static_cast<int>(jobs);
  opt.scratch = flags.Get("scratch");
  opt.progress = !flags.Has("quiet");
  CheckerSpec checker;
  checker.name = flags.Get("recover");
  checker.scripts_dir = flags.Get("checkers-dir", BesideSelfOr("../share/walproof/trace", CRASHSIM_TRACE_SCRIPTS));
  checker.walproof_bin = flags.Get("walproof", BesideSelfOr("walproof", WALPROOF_CLI));
  if (checker.name != "prometheus" && checker.name != "walproof" && checker.name.rfind("exec:", 0) != 0) {
    return Usage("unknown checker '" + checker.name + "' (prometheus, walproof or exec:COMMAND)");
  }
  auto trace = LoadTrace(dir);
  if (!trace.ok()) {
    std::fprintf(stderr, "crashsim trace run: %s\n", trace.status().ToString().c_str());
    return kExitCannotRun;
  }
  if (!trace->meta.self_check_ok) {
    std::fprintf(stderr, "crashsim trace run: %s failed its self-check when recorded; its states would not be the real run's\n", dir.c_str());
    return kExitCannotRun;
  }
  TraceRunResult res = RunTraceCampaign(*trace, checker, opt);
  res.result.expect = expect == "finding" ? Scenario::Expect::kFinding : Scenario::Expect::kPass;
  RunReport report;
  report.results.push_back(res.result);
  report.seed = opt.seed;
  report.budget_seconds = opt.budget_seconds;
  report.shard = opt.shard;
  report.shards = opt.shards;
  report.seconds = res.result.seconds;
  report.title = "crashsim trace run";
  if (!flags.Has("quiet")) std::fputs(ReportText(report).c_str(), stdout);
  std::printf("%s: %llu states checked (%llu images recovered) in %.1f s, %llu failing; samples logged %llu, acknowledged %llu\n",
              dir.c_str(), static_cast<unsigned long long>(res.result.checked),
              static_cast<unsigned long long>(res.result.recoveries), res.result.seconds,
              static_cast<unsigned long long>(res.result.failures), static_cast<unsigned long long>(res.samples_logged),
              static_cast<unsigned long long>(res.samples_acked));
  for (int c = 1; c <= kNumFaultClasses; ++c) {
    const ClassStats& cs = res.result.classes[c];
    if (cs.enumerated == 0) continue;
    std::printf("  class %d %-14s %8llu of %8llu states, %llu failing\n", c, FaultClassName(static_cast<FaultClass>(c)),
                static_cast<unsigned long long>(cs.checked), static_cast<unsigned long long>(cs.enumerated),
                static_cast<unsigned long long>(cs.failed));
  }
  if (flags.Has("json-out") && !WriteFile(flags.Get("json-out"), ReportJson(report))) {
    std::fprintf(stderr, "crashsim trace run: cannot write %s\n", flags.Get("json-out").c_str());
  }
  if (flags.Has("report") && !WriteFile(flags.Get("report"), ReportHtml(report))) {
    std::fprintf(stderr, "crashsim trace run: cannot write %s\n", flags.Get("report").c_str());
  }
  if (res.checker_failed) {
    std::fprintf(stderr, "crashsim trace run: the checker could not run: %s\n", res.checker_error.c_str());
    return kExitCannotRun;
  }
  return res.result.passed() ? kExitOk : kExitFailed;
}

int Replay(const std::vector<std::string>& all) {
  if (all.empty() || all[0].rfind("--", 0) == 0) return Usage("replay needs TRACE");
  Flags flags;
  std::string error;
  if (!flags.Parse(std::vector<std::string>(all.begin() + 1, all.end()), {"state", "out", "seed"}, {"ops"}, &error)) {
    return Usage(error);
  }
  StateId id;
  if (!flags.Has("state") || !StateId::Parse(flags.Get("state"), &id)) return Usage("replay needs --state ID");
  uint64_t seed = 1;
  if (!flags.GetU64("seed", 1, &seed, &error)) return Usage(error);
  auto trace = LoadTrace(all[0]);
  if (!trace.ok()) {
    std::fprintf(stderr, "crashsim trace replay: %s\n", trace.status().ToString().c_str());
    return kExitCannotRun;
  }
  auto state = BuildTraceState(*trace, id, seed);
  if (!state.ok()) {
    std::fprintf(stderr, "crashsim trace replay: %s\n", state.status().ToString().c_str());
    return kExitUsage;
  }
  std::printf("state %s: %s\n", id.ToString().c_str(), state->description.c_str());
  std::fputs(state->image.Describe().c_str(), stdout);
  if (flags.Has("ops")) {
    for (const std::string& line : CrashBuilder(*trace->replayed.run).OpLines(state->point)) std::printf("  %s\n", line.c_str());
  }
  if (flags.Has("out")) {
    walproof::Fs& posix = walproof::PosixFs();
    if (auto st = state->image.WriteTo(posix, flags.Get("out")); !st.ok()) {
      std::fprintf(stderr, "crashsim trace replay: %s\n", st.ToString().c_str());
      return kExitCannotRun;
    }
    std::printf("written to %s\n", flags.Get("out").c_str());
  }
  return kExitOk;
}

}  // namespace

int TraceCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fputs(kTraceUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end() &&
      (sub != "record" || std::find(rest.begin(), rest.end(), "--") > std::find(rest.begin(), rest.end(), "--help"))) {
    std::fputs(kTraceUsage, stdout);
    return kExitOk;
  }
  if (sub == "record") return Record(rest);
  if (sub == "faults") return Faults(rest);
  if (sub == "run") return Run(rest);
  if (sub == "replay") return Replay(rest);
  return Usage("unknown subcommand '" + sub + "'");
}

}  // namespace crashsim::cli
