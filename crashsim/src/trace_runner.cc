#include "crashsim/trace_runner.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "crashsim/crash_builder.h"
#include "crashsim/enumerator.h"
#include "crashsim/process.h"
#include "crashsim/rng.h"
#include "walproof/io/posix_fs.h"

namespace crashsim {
namespace {

using walproof::Result;
using walproof::Status;

std::string ScratchRoot(const std::string& wanted) {
  std::string base = wanted;
  struct stat st;
  if (base.empty()) base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/crashsim-trace-XXXXXX";
  if (!mkdtemp(tmpl.data())) return base;
  return tmpl;
}

void RemoveAll(const std::string& dir) {
  walproof::Fs& fs = walproof::PosixFs();
  (void)walproof::RemoveTree(fs, dir);
}

std::string StdoutBefore(const ReplayedTrace& t, uint32_t point) {
  std::string out;
  for (const StdoutWrite& w : t.stdout_writes) {
    if (w.ops_before <= point) out += w.bytes;
  }
  return out;
}

// The fault-injected re-runs of a recording, in name order.
std::vector<std::string> IoRuns(const std::string& trace_dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir((trace_dir + "/io").c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(trace_dir + "/io/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Debian's interpreter when present: a version manager's shim on PATH costs
// a shell start per state.
std::string Python() {
  struct stat st;
  return stat("/usr/bin/python3", &st) == 0 ? "/usr/bin/python3" : "python3";
}

struct Candidate {
  StateId id;
  CrashSpec spec;
  size_t run = 0;  // 0: the base recording; r > 0: io run r-1
};

}  // namespace

CheckerReport RunChecker(const CheckerSpec& checker, const std::string& image_dir, const std::string& acked_stdout) {
  CheckerReport rep;
  std::vector<std::string> argv;
  const bool is_exec = checker.name.rfind("exec:", 0) == 0;
  if (checker.name == "prometheus") {
    argv = {Python(), checker.scripts_dir + "/check_prometheus.py", "--prometheus", checker.prometheus_bin, image_dir};
  } else if (checker.name == "walproof") {
    argv = {Python(), checker.scripts_dir + "/check_walproof.py", "--walproof", checker.walproof_bin, image_dir};
  } else if (is_exec) {
    argv = {"/bin/sh", "-c", checker.name.substr(5) + " \"$1\"", "crashsim-checker", image_dir};
  } else {
    rep.error = "unknown checker '" + checker.name + "'";
    return rep;
  }
  auto res = RunProcess(argv, is_exec ? acked_stdout : std::string(), checker.timeout_seconds, is_exec);
  if (!res.ok()) {
    rep.error = res.status().message();
    return rep;
  }
  if (res->timed_out) {
    rep.error = "the checker did not finish within " + std::to_string(static_cast<int>(checker.timeout_seconds)) + " s";
    return rep;
  }
  if (is_exec) {
    if (res->exit_code == 126 || res->exit_code == 127) {
      rep.error = "the checker command could not be run: " + res->output.substr(0, 500);
      return rep;
    }
    rep.ran = true;
    rep.started = true;
    rep.consistent = res->exit_code == 0;
    rep.exit_code = res->exit_code;
    rep.log = res->output.size() > 2000 ? res->output.substr(res->output.size() - 2000) : res->output;
    return rep;
  }
  if (res->exit_code != 0) {
    rep.error = "checker " + checker.name + " exited with " + std::to_string(res->exit_code) + ": " +
                res->output.substr(0, 500);
    return rep;
  }
  try {
    auto j = nlohmann::json::parse(res->output);
    rep.ran = true;
    rep.reads_samples = true;
    rep.started = j.at("started").get<bool>();
    rep.corruption_reported = j.value("corruption_reported", false);
    rep.log = j.value("log", "");
    if (j.contains("wal_only_after") && !j["wal_only_after"].is_null()) rep.wal_only_after = j["wal_only_after"].get<int64_t>();
    for (const auto& s : j.at("series")) {
      std::vector<std::string> parts;
      for (const auto& [k, v] : s.at("labels").items()) parts.push_back(k + "=" + v.get<std::string>());
      std::sort(parts.begin(), parts.end());
      std::string key;
      for (const auto& p : parts) key += (key.empty() ? "" : ",") + p;
      auto& out = rep.series[key];
      for (const auto& tv : s.at("samples")) out.emplace_back(tv.at(0).get<int64_t>(), tv.at(1).get<double>());
    }
  } catch (const std::exception& e) {
    rep = CheckerReport{};
    rep.error = "checker " + checker.name + " printed no readable report (" + e.what() + ")";
  }
  return rep;
}

Result<TraceState> BuildTraceState(const LoadedTrace& trace, const StateId& id, uint64_t seed) {
  TraceState out;
  if (id.cls == FaultClass::kCompound) return Status::InvalidArgument("class 7 needs a recovery run inside crashsim; a traced program's recovery is not recorded");
  if (id.cls == FaultClass::kIoError) {
    const auto runs = IoRuns(trace.dir);
    const uint32_t r = id.index / kStatesPerIoRun;
    if (r >= runs.size()) return Status::InvalidArgument("state " + id.ToString() + " does not exist: " + std::to_string(runs.size()) + " fault-injected runs are recorded");
    auto sub = LoadTrace(runs[r]);
    if (!sub.ok()) return sub.status();
    CrashBuilder b(*sub->replayed.run);
    CrashSpec spec = IoRunState(IoRun{}, id.index % kStatesPerIoRun);
    out.image = WithExcluded(b.Build(spec), *sub);
    out.point = b.ResolvePoint(spec);
    out.description = b.Describe(spec) + " [fault-injected run " + runs[r] + ": " + sub->meta.inject + "]";
    out.stdout_before = StdoutBefore(sub->replayed, out.point);
    return out;
  }
  const SimFs& run = *trace.replayed.run;
  std::vector<CrashSpec> specs = EnumerateClass(run, id.cls, EnumLimits{}, seed);
  if (id.index >= specs.size()) return Status::InvalidArgument("state " + id.ToString() + " does not exist: class has " + std::to_string(specs.size()) + " states");
  CrashBuilder b(run);
  out.image = WithExcluded(b.Build(specs[id.index]), trace);
  out.point = b.ResolvePoint(specs[id.index]);
  out.description = b.Describe(specs[id.index]);
  out.stdout_before = StdoutBefore(trace.replayed, out.point);
  return out;
}

TraceRunResult RunTraceCampaign(const LoadedTrace& trace, const CheckerSpec& checker, const TraceRunOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  TraceRunResult out;
  ScenarioResult& r = out.result;
  r.name = trace.dir.substr(trace.dir.find_last_of('/') + 1) + " / " + checker.name;
  r.trace_dir = trace.dir;
  r.protocol = "real binary";
  r.variant = "reference";
  std::string cmd;
  for (const auto& a : trace.meta.command) cmd += (cmd.empty() ? "" : " ") + a;
  r.summary = "traced: " + cmd + (trace.meta.excludes.empty() ? "" : "; excluded from the crash model: ");
  for (size_t i = 0; i < trace.meta.excludes.size(); ++i) r.summary += (i ? ", " : "") + trace.meta.excludes[i];
  if (!trace.meta.exclude_reason.empty()) r.summary += " (" + trace.meta.exclude_reason + ")";
  r.seed = opt.seed;
  r.shard = opt.shard;
  r.shards = opt.shards;
  const SimFs& base = *trace.replayed.run;
  r.ops = base.log().size();

  auto model = TraceWalModel::FromRun(base);
  if (!model.ok()) {
    out.checker_failed = true;
    out.checker_error = model.status().message();
    return out;
  }
  r.records = model->records();
  out.samples_logged = model->samples();
  out.samples_acked = model->AckedBy(static_cast<uint32_t>(base.log().size()));
  r.acked = out.samples_acked;

  // Candidates: per class, its enumeration (sharded), in a seeded order;
  // classes interleaved so a budgeted run samples every class.
  std::vector<std::deque<Candidate>> per_class;
  for (int c = 1; c <= kNumFaultClasses; ++c) {
    const auto cls = static_cast<FaultClass>(c);
    if (!opt.classes.Has(cls) || cls == FaultClass::kCompound) continue;
    std::vector<Candidate> cands;
    if (cls == FaultClass::kIoError) {
      const auto runs = IoRuns(trace.dir);
      r.io_runs = runs.size();
      for (uint32_t i = 0; i < runs.size() * kStatesPerIoRun; ++i) {
        cands.push_back(Candidate{StateId{cls, i}, IoRunState(IoRun{}, i % kStatesPerIoRun), 1 + i / kStatesPerIoRun});
      }
    } else {
      std::vector<CrashSpec> specs = EnumerateClass(base, cls, EnumLimits{}, opt.seed);
      for (uint32_t i = 0; i < specs.size(); ++i) cands.push_back(Candidate{StateId{cls, i}, specs[i], 0});
    }
    r.classes[c].enumerated = cands.size();
    r.enumerated += cands.size();
    std::vector<Candidate> mine;
    for (auto& cd : cands) {
      if (static_cast<int>(cd.id.index % opt.shards) == opt.shard) mine.push_back(cd);
    }
    Rng rng(DeriveSeed(opt.seed, 700 + c));
    for (size_t i = mine.size(); i > 1; --i) std::swap(mine[i - 1], mine[rng.Below(i)]);
    per_class.emplace_back(mine.begin(), mine.end());
  }

  // Class 5 runs are loaded once, on first use.
  const auto io_dirs = IoRuns(trace.dir);
  std::vector<std::unique_ptr<LoadedTrace>> io_traces(io_dirs.size());
  std::vector<std::unique_ptr<TraceWalModel>> io_models(io_dirs.size());

  const std::string scratch = ScratchRoot(opt.scratch);
  struct Job {
    Candidate cand;
    std::string dir;
    std::string stdout_before;
    std::string description;
    uint32_t point = 0;
    uint64_t hash = 0;
    uint64_t bytes = 0;
    const TraceWalModel* model = nullptr;
    std::string follows;
    CheckerReport report;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> queued, done;
  bool producing = true;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, opt.jobs); ++w) {
    workers.emplace_back([&] {
      for (;;) {
        Job job;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv.wait(lk, [&] { return !queued.empty() || !producing; });
          if (queued.empty()) return;
          job = std::move(queued.front());
          queued.pop_front();
        }
        cv.notify_all();
        job.report = RunChecker(checker, job.dir, job.stdout_before);
        RemoveAll(job.dir);
        {
          std::lock_guard<std::mutex> lk(mu);
          done.push_back(std::move(job));
        }
        cv.notify_all();
      }
    });
  }

  std::unordered_map<uint64_t, CheckerReport> by_hash;  // identical images are checked once
  ContentHashCache hash_cache;
  walproof::Fs& posix = walproof::PosixFs();
  uint64_t produced = 0;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto last_progress = std::chrono::steady_clock::now();

  auto judge = [&](Job& job, const CheckerReport& rep) {
    const int c = static_cast<int>(job.cand.id.cls);
    ClassStats& cs = r.classes[c];
    ++cs.checked;
    ++r.checked;
    if (!rep.ran) {
      out.checker_failed = true;
      if (out.checker_error.empty()) out.checker_error = "state " + job.cand.id.ToString() + ": " + rep.error;
      stop = true;
      return;
    }
    TraceVerdict v = JudgeTraceState(*job.model, rep, job.point, job.cand.id.cls);
    if (!v.failed()) return;
    ++cs.failed;
    ++cs.by_violation[v.violation];
    ++r.failures;
    auto it = std::find_if(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
      return f.cls == job.cand.id.cls && f.violation == v.violation;
    });
    if (it == r.findings.end() || job.point < it->point) {
      Finding f;
      f.violation = v.violation;
      f.cls = job.cand.id.cls;
      f.id = job.cand.id;
      f.state = job.description + job.follows;
      f.detail = v.detail + (rep.log.empty() || v.violation == Violation::kOpenFailed ? "" : "\nchecker log:\n" + rep.log);
      f.point = job.point;
      f.image_bytes = job.bytes;
      const uint64_t count = it == r.findings.end() ? 0 : it->count;
      if (it == r.findings.end()) {
        r.findings.push_back(f);
        it = r.findings.end() - 1;
      } else {
        *it = f;
      }
      it->count = count;
    }
    ++it->count;
  };
  auto drain = [&](bool wait_all) {
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      while (!done.empty()) {
        Job job = std::move(done.front());
        done.pop_front();
        lk.unlock();
        by_hash[job.hash] = job.report;
        judge(job, job.report);
        lk.lock();
      }
      if (!wait_all) return;
      if (queued.empty() && produced == r.checked) return;
      cv.wait_for(lk, std::chrono::milliseconds(200));
    }
  };

  bool any = true;
  while (any && !stop) {
    any = false;
    for (auto& q : per_class) {
      if (q.empty() || stop) continue;
      any = true;
      if ((opt.budget_seconds > 0 && elapsed() > opt.budget_seconds) || (opt.max_states > 0 && produced >= opt.max_states)) {
        any = false;
        r.exhaustive = false;
        break;
      }
      Candidate cand = q.front();
      q.pop_front();
      const SimFs* run = &base;
      const LoadedTrace* from = &trace;
      const TraceWalModel* m = &*model;
      if (cand.run > 0) {
        const size_t i = cand.run - 1;
        if (!io_traces[i]) {
          auto sub = LoadTrace(io_dirs[i]);
          if (!sub.ok()) {
            out.checker_failed = true;
            out.checker_error = "fault-injected run " + io_dirs[i] + ": " + sub.status().message();
            stop = true;
            break;
          }
          io_traces[i] = std::make_unique<LoadedTrace>(std::move(*sub));
          auto sub_model = TraceWalModel::FromRun(*io_traces[i]->replayed.run);
          io_models[i] = std::make_unique<TraceWalModel>(sub_model.ok() ? std::move(*sub_model) : TraceWalModel{});
        }
        run = io_traces[i]->replayed.run.get();
        from = io_traces[i].get();
        m = io_models[i].get();
      }
      CrashBuilder b(*run);
      Job job;
      job.cand = cand;
      job.model = m;
      job.point = b.ResolvePoint(cand.spec);
      job.description = b.Describe(cand.spec);
      if (cand.run > 0) job.description += " [fault-injected run: " + from->meta.inject + "]";
      if (job.point > 0 && job.point <= run->log().size()) {
        const FsOp& op = run->log()[job.point - 1];
        job.follows = "; follows trace op " + std::to_string(job.point - 1) + " (" + OpKindName(op.kind) + " " + op.path + ")";
      }
      CrashImage img = WithExcluded(b.Build(cand.spec), *from);
      job.stdout_before = StdoutBefore(from->replayed, job.point);
      // An exec: checker also sees what the program had printed: same image
      // and same acknowledgements, same verdict.
      job.hash = img.Hash(&hash_cache) ^ (cand.run * 0x9E3779B97F4A7C15ull) ^
                 std::hash<std::string>{}(job.stdout_before);
      job.bytes = img.TotalBytes();
      ++produced;
      auto seen = by_hash.find(job.hash);
      if (seen != by_hash.end()) {
        judge(job, seen->second);
        continue;
      }
      ++r.classes[static_cast<int>(cand.id.cls)].recoveries;
      ++r.recoveries;
      job.dir = scratch + "/" + cand.id.ToString();
      Status st = img.WriteTo(posix, job.dir);
      if (!st.ok()) {
        out.checker_failed = true;
        out.checker_error = "cannot write the image of state " + cand.id.ToString() + ": " + st.message();
        stop = true;
        break;
      }
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return queued.size() < static_cast<size_t>(2 * std::max(1, opt.jobs)); });
        queued.push_back(std::move(job));
      }
      cv.notify_all();
      drain(false);
      if (opt.progress && std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(10)) {
        last_progress = std::chrono::steady_clock::now();
        std::fprintf(stderr, "crashsim trace: %llu states checked, %llu failing, %.0f s\n",
                     static_cast<unsigned long long>(r.checked), static_cast<unsigned long long>(r.failures), elapsed());
      }
    }
  }
  drain(true);
  {
    std::lock_guard<std::mutex> lk(mu);
    producing = false;
  }
  cv.notify_all();
  for (auto& w : workers) w.join();
  drain(false);
  RemoveAll(scratch);
  for (auto& q : per_class) {
    if (!q.empty()) r.exhaustive = false;
  }
  r.seconds = elapsed();
  r.cpu_seconds = r.seconds;
  return out;
}

}  // namespace crashsim
