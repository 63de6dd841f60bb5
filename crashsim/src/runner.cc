#include "crashsim/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "crashsim/crash_builder.h"
#include "crashsim/hash.h"
#include "crashsim/rng.h"
#include "walproof/wal/wal_dir.h"

namespace crashsim {
namespace {

char g_label[320] = "";
std::atomic<uint64_t> g_started{0};

// Every state allocates and frees images of tens of kilobytes. glibc would
// hand that memory back to the kernel and fault it in again each time (a
// fifth of the run time when measured); keeping it is much faster.
void TuneAllocator() {
#if defined(__GLIBC__)
  static const bool done = [] {
    // Below the 8 MiB block table a Head callocs: that one must stay a
    // lazily zeroed mmap, or every Head would memset 8 MiB.
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
    return true;
  }();
  (void)done;
#endif
}

void SetLabel(const std::string& scenario, uint64_t seed, const StateId& id) {
  g_started.fetch_add(1, std::memory_order_relaxed);
  std::snprintf(g_label, sizeof g_label, "scenario %s seed %llu state %s", scenario.c_str(),
                static_cast<unsigned long long>(seed), id.ToString().c_str());
}

CrashImage InitialImage(bool wal_dir_exists) {
  // Normally the WAL directory exists and is durable before the run (a
  // restart of an existing Prometheus); scenarios may start without it.
  CrashImage img;
  if (wal_dir_exists) img.entries.push_back(CrashImage::Entry{"wal", true, nullptr});
  return img;
}

// A workload run, recorded.
struct Recorded {
  std::unique_ptr<SimFs> sim;
  std::unique_ptr<Model> model;
};

Recorded Execute(const Scenario& sc, uint64_t seed, Variant* variant, const IoRun* fault) {
  Recorded r;
  r.sim = std::make_unique<SimFs>(sc.initial_image ? sc.initial_image() : InitialImage(sc.wal_dir_exists));
  r.model = std::make_unique<Model>();
  if (fault) r.sim->InjectFault(static_cast<uint64_t>(fault->call), fault->fault);
  std::unique_ptr<walproof::Fs> wrapped = variant ? variant->WrapWorkloadFs(*r.sim) : nullptr;
  walproof::Fs& io = wrapped ? *wrapped : *r.sim;
  WorkloadConfig cfg;
  cfg.segment_size = sc.segment_size;
  cfg.compression = sc.compression;
  cfg.protocol = sc.protocol;
  cfg.seed = seed;
  {
    Workload wl(*r.sim, io, *r.model, cfg);
    sc.run(wl);
  }
  return r;
}

RecoveryConfig MakeRecoveryConfig(const Scenario& sc, Variant* variant) {
  RecoveryConfig c;
  c.protocol = sc.protocol;
  c.writer = WriterOptions(sc.protocol, sc.segment_size, sc.compression);
  c.variant = variant;
  return c;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool BaseClass(FaultClass c) { return c != FaultClass::kIoError && c != FaultClass::kCompound; }

// Everything needed to rebuild and judge states of one scenario and seed.
class Context {
 public:
  Context(const Scenario& sc, uint64_t seed, Variant* override_variant) : sc_(sc), seed_(seed) {
    if (override_variant) {
      variant_ = override_variant;
    } else if (sc.variant) {
      owned_ = sc.variant();
      variant_ = owned_.get();
    }
    base_ = Execute(sc, seed, variant_, nullptr);
    builder_ = std::make_unique<CrashBuilder>(*base_.sim);
    recoverer_ = std::make_unique<Recoverer>(*base_.model, MakeRecoveryConfig(sc, variant_));
  }

  const Scenario& scenario() const { return sc_; }
  uint64_t seed() const { return seed_; }
  Variant* variant() const { return variant_; }
  const Recorded& base() const { return base_; }
  const CrashBuilder& builder() const { return *builder_; }
  Recoverer& recoverer() { return *recoverer_; }

  const std::vector<CrashSpec>& Specs(FaultClass c) {
    auto& v = specs_[static_cast<int>(c)];
    if (!enumerated_[static_cast<int>(c)]) {
      v = EnumerateClass(*base_.sim, c, sc_.limits, seed_);
      enumerated_[static_cast<int>(c)] = true;
    }
    return v;
  }
  const std::vector<IoRun>& IoRuns() {
    if (!io_runs_done_) {
      io_runs_ = EnumerateIoRuns(*base_.sim);
      io_runs_done_ = true;
    }
    return io_runs_;
  }
  Recorded ExecuteFaulty(const IoRun& run) { return Execute(sc_, seed_, variant_, &run); }
  RecoveryConfig recovery_config() const { return MakeRecoveryConfig(sc_, variant_); }

 private:
  const Scenario& sc_;
  uint64_t seed_;
  std::unique_ptr<Variant> owned_;
  Variant* variant_ = nullptr;
  Recorded base_;
  std::unique_ptr<CrashBuilder> builder_;
  std::unique_ptr<Recoverer> recoverer_;
  std::vector<CrashSpec> specs_[kNumFaultClasses + 1];
  bool enumerated_[kNumFaultClasses + 1] = {};
  std::vector<IoRun> io_runs_;
  bool io_runs_done_ = false;
};

Expectation Expect(FaultClass cls, uint32_t point, const Model& m, const CrashSpec& spec) {
  Expectation e;
  e.cls = cls;
  e.point = point;
  e.acked = m.AckedAt(point);
  e.logged = m.LoggedAt(point);
  e.fill = spec.fill;
  e.fate = spec.fate;
  return e;
}

// A state whose recovery repaired something: its recovery run is crashed again (class 7).
struct Parent {
  StateId id;
  CrashImage image;
  uint32_t acked = 0;
  uint32_t read_before = 0;
};

// The recovery run of a parent, and the child states of it.
struct ParentRun {
  std::unique_ptr<SimFs> sim;
  std::unique_ptr<CrashBuilder> builder;
  std::vector<CrashSpec> children;
};

ParentRun RunParent(Context& ctx, const CrashImage& image) {
  RecoveryConfig cfg = ctx.recovery_config();
  cfg.post_append = false;
  cfg.check_head = false;
  Recoverer rec(*ctx.base().model, cfg);
  ParentRun pr;
  rec.Recover(image, &pr.sim);
  pr.builder = std::make_unique<CrashBuilder>(*pr.sim);
  pr.children = EnumerateCompoundChildren(*pr.sim);
  return pr;
}

class Runner {
 public:
  Runner(const Scenario& sc, const RunOptions& opt)
      : opt_((TuneAllocator(), opt)),
        start_(std::chrono::steady_clock::now()),
        cpu_start_(ThreadCpuSeconds()),
        ctx_(sc, opt.seed, opt.variant) {
    r_.name = sc.name;
    r_.summary = sc.summary;
    r_.issue = sc.issue;
    r_.protocol = ProtocolName(sc.protocol);
    r_.variant = ctx_.variant() ? ctx_.variant()->name() : "reference";
    r_.expect = sc.expect;
    r_.expected_violation = sc.expected_violation;
    r_.seed = opt.seed;
    r_.shard = opt.shard;
    r_.shards = opt.shards;
    r_.ops = ctx_.base().sim->log().size();
    r_.records = ctx_.base().model->size();
    r_.acked = ctx_.base().model->AckedAt(static_cast<uint32_t>(r_.ops));
  }

  ScenarioResult Run();

 private:
  bool OutOfTime() const {
    return opt_.budget_seconds > 0 && Elapsed() > opt_.budget_seconds;
  }
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  bool Stop() {
    if (!opt_.stop_at_first_failure || r_.failures == 0) return false;
    if (first_failure_at_ < 0) first_failure_at_ = Elapsed();
    return Elapsed() - first_failure_at_ >= opt_.grace_seconds;
  }
  std::vector<uint32_t> Order(size_t n, uint64_t salt) const;
  void Check(FaultClass cls, const StateId& id, const CrashSpec& spec, const CrashBuilder& b, const Model& m,
             Recoverer& rec, uint64_t model_id, bool base_run, const Expectation* forced = nullptr);
  void Progress(bool final);

  RunOptions opt_;
  std::chrono::steady_clock::time_point start_;
  double cpu_start_;
  Context ctx_;
  ScenarioResult r_;
  ContentHashCache hashes_;
  std::unordered_map<uint64_t, RecoveryOutcome> outcomes_;
  std::unordered_map<uint64_t, crashsim::Verdict> judged_;  // scenarios with their own judge
  std::map<uint32_t, StairStep> stairs_;
  std::map<std::pair<int, int>, size_t> finding_index_;
  std::vector<Parent> parents_;
  std::unordered_set<uint64_t> parent_keys_;
  double last_progress_ = 0;
  bool compound_ = false;
  double first_failure_at_ = -1;
};

std::vector<uint32_t> Runner::Order(size_t n, uint64_t salt) const {
  std::vector<uint32_t> idx;
  for (uint32_t i = 0; i < n; ++i) {
    if (static_cast<int>(i % static_cast<uint32_t>(opt_.shards)) == opt_.shard) idx.push_back(i);
  }
  Rng rng(DeriveSeed(opt_.seed, 0x0DE7, salt));
  for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.Below(i)]);
  return idx;
}

void Runner::Check(FaultClass cls, const StateId& id, const CrashSpec& spec, const CrashBuilder& b,
                   const Model& m, Recoverer& rec, uint64_t model_id, bool base_run, const Expectation* forced) {
  SetLabel(r_.name, opt_.seed, id);
  CrashImage img = b.Build(spec);
  const uint32_t point = b.ResolvePoint(spec);
  const uint64_t key = HashCombine(img.Hash(&hashes_), model_id);
  ClassStats& cs = r_.classes[static_cast<int>(cls)];
  Expectation e = forced ? *forced : Expect(cls, point, m, spec);
  if (!forced) e.point = point;
  const RecoveryOutcome* o = nullptr;
  Verdict v;
  if (const auto& judge = ctx_.scenario().judge) {
    auto jt = judged_.find(key);
    if (jt == judged_.end()) {
      jt = judged_.emplace(key, judge(img, e)).first;
      ++cs.recoveries;
      ++r_.recoveries;
    }
    v = jt->second;
  } else {
    auto it = outcomes_.find(key);
    if (it == outcomes_.end()) {
      it = outcomes_.emplace(key, rec.Recover(img)).first;
      ++cs.recoveries;
      ++r_.recoveries;
    }
    o = &it->second;
    v = Judge(*o, m, e);
  }
  ++cs.checked;
  ++r_.checked;
  if (v.violation != Violation::kNone) {
    ++cs.by_violation[v.violation];
    if (v.limitation) {
      ++cs.limitations;
      ++r_.limitations;
    } else if (v.known) {
      ++cs.known;
      ++r_.known;
    } else {
      ++cs.failed;
      ++r_.failures;
    }
    auto fkey = std::make_pair(static_cast<int>(cls), static_cast<int>(v.violation) * 2 + (v.known ? 1 : 0));
    auto fit = finding_index_.find(fkey);
    const uint64_t bytes = img.TotalBytes();
    if (fit == finding_index_.end()) {
      fit = finding_index_.emplace(fkey, r_.findings.size()).first;
      r_.findings.emplace_back();
      r_.findings.back().point = UINT32_MAX;
    }
    Finding& f = r_.findings[fit->second];
    ++f.count;
    if (std::make_pair(point, bytes) < std::make_pair(f.point, f.image_bytes)) {
      f.violation = v.violation;
      f.cls = cls;
      f.limitation = v.limitation;
      const char* why = v.limitation ? LimitationReason(e, v.violation) : nullptr;
      f.limitation_reason = why ? why : "";
      f.known = v.known ? v.known : "";
      f.id = id;
      f.state = b.Describe(spec);
      f.detail = v.detail;
      for (char& c : f.detail) {
        if (c == '\n') c = ' ';
      }
      f.point = point;
      f.image_bytes = bytes;
    }
  }
  if (base_run && cls != FaultClass::kCompound) {
    StairStep& s = stairs_[point];
    s.point = point;
    s.acked = m.AckedAt(point);
    s.logged = m.LoggedAt(point);
    s.min_recovered = std::min(s.min_recovered, v.recovered);
    s.max_recovered = std::max(s.max_recovered, v.recovered);
    ++s.states;
    if (v.failed()) ++s.failures;
    const auto& log = ctx_.base().sim->log();
    s.phase = point > 0 && point <= log.size() ? log[point - 1].phase : 0;
  }
  if (o && base_run && BaseClass(cls) && compound_ && o->repaired &&
      parents_.size() < opt_.compound_parents && parent_keys_.insert(key).second) {
    parents_.push_back(
        Parent{id, std::move(img), e.acked, o->first.opened ? o->first.matched_end : 0});
  }
}

void Runner::Progress(bool final) {
  if (!opt_.progress) return;
  // On a terminal one line redrawn twice a second; in a log (CI, a pipe) a
  // new line every 10 s, so that the log stays readable.
  static const bool tty = isatty(STDERR_FILENO) != 0;
  double t = Elapsed();
  if (!final && t - last_progress_ < (tty ? 0.5 : 10.0)) return;
  last_progress_ = t;
  if (tty) std::fputc('\r', stderr);
  std::fprintf(stderr, "%-34s %9llu/%-9llu states %8.0f/s  recovered %-8llu failures %-6llu limits %-6llu%s",
               r_.name.c_str(), static_cast<unsigned long long>(r_.checked),
               static_cast<unsigned long long>(r_.enumerated), t > 0 ? r_.checked / t : 0.0,
               static_cast<unsigned long long>(r_.recoveries), static_cast<unsigned long long>(r_.failures),
               static_cast<unsigned long long>(r_.limitations), final || !tty ? "\n" : "");
  std::fflush(stderr);
}

ScenarioResult Runner::Run() {
  struct Queue {
    FaultClass cls;
    std::vector<uint32_t> order;
    size_t next = 0;
    size_t batch = 0;
  };
  std::vector<Queue> queues;
  for (int c = 1; c <= kNumFaultClasses; ++c) {
    auto cls = static_cast<FaultClass>(c);
    if (!opt_.classes.Has(cls) || !ctx_.scenario().classes.Has(cls)) continue;
    if (cls == FaultClass::kCompound) continue;
    size_t n = cls == FaultClass::kIoError ? ctx_.IoRuns().size() : ctx_.Specs(cls).size();
    ClassStats& cs = r_.classes[c];
    cs.enumerated = cls == FaultClass::kIoError ? n * kStatesPerIoRun : n;
    r_.enumerated += cs.enumerated;
    if (cls == FaultClass::kIoError) r_.io_runs = n;
    queues.push_back(Queue{cls, Order(n, static_cast<uint64_t>(c)), 0, cls == FaultClass::kIoError ? 4u : 400u});
  }
  compound_ = opt_.classes.Has(FaultClass::kCompound) && ctx_.scenario().classes.Has(FaultClass::kCompound);
  const bool compound = compound_;
  size_t next_parent = 0;
  const Model& model = *ctx_.base().model;
  bool done = false;
  while (!done && !OutOfTime() && !Stop()) {
    done = true;
    for (Queue& q : queues) {
      for (size_t i = 0; i < q.batch && q.next < q.order.size() && !Stop(); ++i) {
        const uint32_t index = q.order[q.next++];
        if (q.cls == FaultClass::kIoError) {
          const IoRun& run = ctx_.IoRuns()[index];
          Recorded fr = ctx_.ExecuteFaulty(run);
          CrashBuilder fb(*fr.sim);
          Recoverer frec(*fr.model, ctx_.recovery_config());
          for (uint32_t local = 0; local < kStatesPerIoRun; ++local) {
            StateId id{FaultClass::kIoError, index * kStatesPerIoRun + local};
            Check(FaultClass::kIoError, id, IoRunState(run, local), fb, *fr.model, frec, index + 1, false);
          }
        } else {
          StateId id{q.cls, index};
          Check(q.cls, id, ctx_.Specs(q.cls)[index], ctx_.builder(), model, ctx_.recoverer(), 0, true);
        }
        if ((r_.checked & 63) == 0) {
          Progress(false);
          if (OutOfTime()) break;
        }
      }
      if (q.next < q.order.size()) done = false;
    }
    // A second crash during the recovery of states that needed a repair.
    if (compound && next_parent < parents_.size() && !OutOfTime()) {
      const Parent& p = parents_[next_parent++];
      ParentRun pr = RunParent(ctx_, p.image);
      ClassStats& cs = r_.classes[static_cast<int>(FaultClass::kCompound)];
      cs.enumerated += pr.children.size();
      r_.enumerated += pr.children.size();
      for (uint32_t i = 0; i < pr.children.size() && !OutOfTime() && !Stop(); ++i) {
        StateId id;
        id.cls = FaultClass::kCompound;
        id.index = i;
        id.parent_cls = p.id.cls;
        id.parent_index = p.id.index;
        Expectation e;
        e.cls = FaultClass::kCompound;
        e.acked = p.acked;
        e.recovered_before = p.read_before;
        Check(FaultClass::kCompound, id, pr.children[i], *pr.builder, model, ctx_.recoverer(), 0, true, &e);
      }
    }
    if (next_parent < parents_.size()) done = false;
  }
  for (const Queue& q : queues) {
    if (q.next < q.order.size()) r_.exhaustive = false;
  }
  if (next_parent < parents_.size()) r_.exhaustive = false;
  r_.seconds = Elapsed();
  r_.cpu_seconds = ThreadCpuSeconds() - cpu_start_;
  Progress(true);
  for (auto& [point, s] : stairs_) {
    if (s.min_recovered == UINT32_MAX) s.min_recovered = 0;
    r_.staircase.push_back(s);
  }
  std::sort(r_.findings.begin(), r_.findings.end(), [](const Finding& a, const Finding& b) {
    auto rank = [](const Finding& f) { return f.limitation ? 2 : f.known.empty() ? 0 : 1; };
    return std::make_tuple(rank(a), static_cast<int>(a.cls), static_cast<int>(a.violation)) <
           std::make_tuple(rank(b), static_cast<int>(b.cls), static_cast<int>(b.violation));
  });
  return std::move(r_);
}

}  // namespace

bool ScenarioResult::passed() const {
  if (expect == Scenario::Expect::kPass) return failures == 0;
  for (const Finding& f : findings) {
    if (!f.limitation && f.known.empty() && (expected_violation == Violation::kNone || f.violation == expected_violation)) return true;
  }
  return false;
}

std::string ScenarioResult::Verdict() const {
  if (expect == Scenario::Expect::kPass) {
    if (failures > 0) return "FAIL (" + std::to_string(failures) + " failing states)";
    return known > 0 ? "PASS (with " + std::to_string(known) + " states of a known finding)" : "PASS";
  }
  return passed() ? "FOUND (upstream failure reproduced)" : "MISSED (expected failure not found)";
}

ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options) {
  Runner runner(scenario, options);
  return runner.Run();
}

walproof::Result<ReplayedState> ReplayState(const Scenario& scenario, uint64_t seed, const StateId& id,
                                            Variant* variant) {
  Context ctx(scenario, seed, variant);
  const Model& model = *ctx.base().model;
  ReplayedState out;
  auto judge = [&](const CrashBuilder& b, const CrashSpec& spec, const Model& m, Recoverer& rec,
                   const Expectation* forced) {
    out.image = b.Build(spec);
    out.description = b.Describe(spec);
    const uint32_t point = b.ResolvePoint(spec);
    out.ops = b.OpLines(point + (spec.fate == FileFate::kPartialOp ? 1 : 0));
    out.expectation = forced ? *forced : Expect(id.cls, point, m, spec);
    if (!forced) out.expectation.point = point;
    out.verdict = scenario.judge ? scenario.judge(out.image, out.expectation)
                                 : Judge(rec.Recover(out.image), m, out.expectation);
  };
  const auto out_of_range = [&](size_t n) {
    return walproof::Status::InvalidArgument("state " + id.ToString() + " does not exist: class " +
                                             FaultClassName(id.cls) + " has " + std::to_string(n) +
                                             " states for scenario " + scenario.name + " seed " + std::to_string(seed));
  };
  if (id.cls == FaultClass::kIoError) {
    const auto& runs = ctx.IoRuns();
    const uint32_t r = id.index / kStatesPerIoRun;
    if (r >= runs.size()) return out_of_range(runs.size() * kStatesPerIoRun);
    Recorded fr = ctx.ExecuteFaulty(runs[r]);
    CrashBuilder fb(*fr.sim);
    Recoverer frec(*fr.model, ctx.recovery_config());
    judge(fb, IoRunState(runs[r], id.index % kStatesPerIoRun), *fr.model, frec, nullptr);
    return out;
  }
  if (id.cls == FaultClass::kCompound) {
    if (!BaseClass(id.parent_cls)) return walproof::Status::InvalidArgument("compound parents are of classes 1-4 and 6");
    const auto& specs = ctx.Specs(id.parent_cls);
    if (id.parent_index >= specs.size()) return out_of_range(specs.size());
    const CrashSpec& ps = specs[id.parent_index];
    CrashImage parent = ctx.builder().Build(ps);
    RecoveryOutcome po = ctx.recoverer().Recover(parent);
    ParentRun pr = RunParent(ctx, parent);
    if (id.index >= pr.children.size()) return out_of_range(pr.children.size());
    Expectation e;
    e.cls = FaultClass::kCompound;
    e.acked = model.AckedAt(ctx.builder().ResolvePoint(ps));
    e.recovered_before = po.first.opened ? po.first.matched_end : 0;
    judge(*pr.builder, pr.children[id.index], model, ctx.recoverer(), &e);
    out.description = "during the recovery of state " + StateId{id.parent_cls, id.parent_index}.ToString() + " (" +
                      ctx.builder().Describe(ps) + "): " + out.description;
    return out;
  }
  const auto& specs = ctx.Specs(id.cls);
  if (id.index >= specs.size()) return out_of_range(specs.size());
  judge(ctx.builder(), specs[id.index], model, ctx.recoverer(), nullptr);
  return out;
}

const char* CurrentStateLabel() { return g_label; }
uint64_t StatesStarted() { return g_started.load(std::memory_order_relaxed); }

}  // namespace crashsim
