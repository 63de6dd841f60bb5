// crashsim export: crash images written out as Prometheus data directories,
// for differential recovery against the real Prometheus
// (scripts/differential-prometheus.sh).
//
// States are picked round-robin over the fault classes, each class in a
// seeded random order, and deduplicated by image hash, so that N images cover
// every class evenly and none is recovered twice. Each image is written to
// OUT/<id>/wal (a data directory Prometheus can open) with OUT/<id>/crashsim.json
// beside it, which Prometheus ignores: where the image comes from, and what
// the workload logged (its series and time range, and how many records,
// series and samples were logged and acknowledged durable by the crash).
//
// The states are rebuilt the way `crashsim replay` rebuilds them (same run,
// same enumeration, same index), so `crashsim replay --state ID --out` of any
// exported id writes the same bytes; the ctest checks that for one image.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "crashsim/crash_builder.h"
#include "crashsim/crash_image.h"
#include "crashsim/enumerator.h"
#include "crashsim/model.h"
#include "crashsim/recovery.h"
#include "crashsim/rng.h"
#include "crashsim/scenario.h"
#include "crashsim/sim_fs.h"
#include "crashsim/workload.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"

namespace crashsim::cli {
namespace {

using nlohmann::json;

// A workload run, recorded: what runner.cc's Execute does, repeated here so
// that export needs nothing private from the runner.
struct RecordedRun {
  std::unique_ptr<SimFs> sim;
  std::unique_ptr<Model> model;
};

RecordedRun ExecuteRun(const Scenario& sc, uint64_t seed, Variant* variant, const IoRun* fault) {
  CrashImage initial;
  if (sc.wal_dir_exists) initial.entries.push_back(CrashImage::Entry{"wal", true, nullptr});
  RecordedRun r;
  r.sim = std::make_unique<SimFs>(initial);
  r.model = std::make_unique<Model>();
  if (fault) r.sim->InjectFault(static_cast<uint64_t>(fault->call), fault->fault);
  std::unique_ptr<walproof::Fs> wrapped = variant ? variant->WrapWorkloadFs(*r.sim) : nullptr;
  WorkloadConfig cfg;
  cfg.segment_size = sc.segment_size;
  cfg.compression = sc.compression;
  cfg.protocol = sc.protocol;
  cfg.seed = seed;
  {
    Workload wl(*r.sim, wrapped ? *wrapped : *r.sim, *r.model, cfg);
    sc.run(wl);
  }
  return r;
}

// One picked state: its image and the model bounds the manifest reports.
struct Picked {
  StateId id;
  CrashImage image;
  std::string description;
  uint32_t point = 0;
  uint32_t acked = 0;
  uint32_t logged = 0;
  const Model* model = nullptr;
};

// What the first `n` records of a model hold: series created and float samples.
struct Tally {
  uint64_t series = 0;
  uint64_t samples = 0;
};

Tally TallyRecords(const Model& m, uint32_t n) {
  Tally t;
  walproof::Record rec;
  for (uint32_t i = 0; i < n && i < m.size(); ++i) {
    if (!walproof::DecodeRecord(m.at(i).bytes, &rec).ok()) continue;
    if (auto* s = std::get_if<walproof::SeriesRecord>(&rec)) t.series += s->series.size();
    if (auto* s = std::get_if<walproof::SamplesRecord>(&rec)) t.samples += s->samples.size();
  }
  return t;
}

// Every label set and the sample time range the workload logged: what the
// differential asks both sides about.
json WorkloadJson(const Model& m) {
  json series = json::array();
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  walproof::Record rec;
  for (const LoggedRecord& r : m.records()) {
    if (!walproof::DecodeRecord(r.bytes, &rec).ok()) continue;
    if (auto* s = std::get_if<walproof::SeriesRecord>(&rec)) {
      for (const walproof::RefSeries& rs : s->series) {
        json labels = json::object();
        for (const walproof::Label& l : rs.labels) labels[l.name] = l.value;
        series.push_back(labels);
      }
    }
    if (auto* s = std::get_if<walproof::SamplesRecord>(&rec)) {
      for (const walproof::RefSample& x : s->samples) {
        min_t = std::min(min_t, x.t);
        max_t = std::max(max_t, x.t);
      }
    }
  }
  if (min_t > max_t) min_t = max_t = 0;
  return {{"series", series}, {"min_t", min_t}, {"max_t", max_t}};
}

// A seeded permutation of [0, n): each class is visited in its own random order.
std::vector<uint32_t> Shuffled(size_t n, uint64_t seed, uint64_t salt) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint32_t>(i);
  Rng rng(DeriveSeed(seed, 0xE4907, salt));
  for (size_t i = n; i > 1; --i) std::swap(v[i - 1], v[rng.Below(i)]);
  return v;
}

std::string IdOf(const std::string& scenario, uint64_t seed, const StateId& id) {
  return scenario + "-s" + std::to_string(seed) + "-" + id.ToString();
}

class Exporter {
 public:
  Exporter(const Scenario& sc, uint64_t seed) : sc_(sc), seed_(seed) {
    if (sc.variant) variant_ = sc.variant();
    base_ = ExecuteRun(sc, seed, variant_.get(), nullptr);
    builder_ = std::make_unique<CrashBuilder>(*base_.sim);
    for (FaultClass c : {FaultClass::kCut, FaultClass::kLostData, FaultClass::kTorn, FaultClass::kDirOps,
                         FaultClass::kAtRest}) {
      if (!sc.classes.Has(c)) continue;
      specs_[static_cast<int>(c)] = EnumerateClass(*base_.sim, c, sc.limits, seed);
      specs_max_ = std::max(specs_max_, specs_[static_cast<int>(c)].size());
    }
    if (sc.classes.Has(FaultClass::kIoError)) io_runs_ = EnumerateIoRuns(*base_.sim);
    for (int c = 1; c <= kNumFaultClasses; ++c) {
      const size_t n = c == static_cast<int>(FaultClass::kIoError) ? io_runs_.size() * kStatesPerIoRun
                                                                   : specs_[c].size();
      order_[c] = Shuffled(n, seed, static_cast<uint64_t>(c));
    }
  }

  // Picks up to `want` distinct images, round-robin over the classes.
  std::vector<Picked> Pick(size_t want) {
    std::vector<Picked> out;
    std::unordered_set<uint64_t> seen;
    bool progress = true;
    while (out.size() < want && progress) {
      progress = false;
      for (int c = 1; c <= kNumFaultClasses && out.size() < want; ++c) {
        // The next state of this class whose image is new.
        while (true) {
          std::optional<Picked> p = Next(static_cast<FaultClass>(c));
          if (!p) break;
          progress = true;
          if (seen.insert(p->image.Hash(&hashes_)).second) {
            out.push_back(std::move(*p));
            break;
          }
        }
      }
    }
    return out;
  }

  const Model& model() const { return *base_.model; }

 private:
  std::optional<Picked> Next(FaultClass c) {
    const int ci = static_cast<int>(c);
    if (c == FaultClass::kCompound) return NextCompound();
    if (cursor_[ci] >= order_[ci].size()) return std::nullopt;
    const uint32_t index = order_[ci][cursor_[ci]++];
    if (c == FaultClass::kIoError) {
      const IoRun& run = io_runs_[index / kStatesPerIoRun];
      auto fr = std::make_shared<RecordedRun>(ExecuteRun(sc_, seed_, variant_.get(), &run));
      faulty_runs_.push_back(fr);
      CrashBuilder fb(*fr->sim);
      return Make({c, index}, fb, IoRunState(run, index % kStatesPerIoRun), *fr->model);
    }
    return Make({c, index}, *builder_, specs_[ci][index], *base_.model);
  }

  Picked Make(const StateId& id, const CrashBuilder& b, const CrashSpec& spec, const Model& m) {
    Picked p;
    p.id = id;
    p.image = b.Build(spec);
    p.description = b.Describe(spec);
    p.point = b.ResolvePoint(spec);
    p.acked = m.AckedAt(p.point);
    p.logged = m.LoggedAt(p.point + (spec.fate == FileFate::kPartialOp ? 1 : 0));
    p.model = &m;
    return p;
  }

  // Class 7: a second crash during the recovery of a state whose recovery
  // repaired (the runner's compound states). Up to 12 parents, searched among
  // the base classes in their export order and visited in turn, one child
  // each per turn; children in a seeded order, named by their index in the
  // recovery run's enumeration, as `crashsim replay` expects.
  struct Parent {
    StateId id;
    std::unique_ptr<SimFs> sim;  // the recovery run
    std::unique_ptr<CrashBuilder> builder;
    std::vector<CrashSpec> children;
    std::vector<uint32_t> order;
    size_t cursor = 0;
    uint32_t acked = 0, logged = 0;
  };

  std::optional<Picked> NextCompound() {
    constexpr size_t kParents = 12;
    size_t idle = 0;  // parents visited in a row without a child left
    while (true) {
      if (turn_ >= parents_.size()) {
        turn_ = 0;
        if (parents_.size() < kParents && FindParent()) turn_ = parents_.size() - 1;
      }
      if (parents_.empty() || idle > parents_.size()) return std::nullopt;
      Parent& p = *parents_[turn_++];
      if (p.cursor >= p.order.size()) {
        ++idle;
        continue;
      }
      const uint32_t child = p.order[p.cursor++];
      Picked out = Make({FaultClass::kCompound, child, p.id.cls, p.id.index}, *p.builder, p.children[child],
                        *base_.model);
      out.acked = p.acked;
      out.logged = p.logged;
      out.description = "during the recovery of state " + p.id.ToString() + ": " + out.description;
      return out;
    }
  }

  // Appends the next state (in export order) whose recovery repaired.
  bool FindParent() {
    static const FaultClass kBase[] = {FaultClass::kCut, FaultClass::kLostData, FaultClass::kTorn,
                                       FaultClass::kDirOps, FaultClass::kAtRest};
    constexpr size_t kMaxTries = 2000;  // recoveries spent looking for parents
    while (parent_tries_ < kMaxTries) {
      const FaultClass c = kBase[parent_search_ % 5];
      const int ci = static_cast<int>(c);
      const size_t k = parent_search_ / 5;
      ++parent_search_;
      if (k >= order_[ci].size()) {
        if (k > specs_max_) return false;  // every class searched
        continue;
      }
      ++parent_tries_;
      const uint32_t index = order_[ci][k];
      const CrashSpec& ps = specs_[ci][index];
      RecoveryConfig cfg;
      cfg.protocol = sc_.protocol;
      cfg.writer = WriterOptions(sc_.protocol, sc_.segment_size, sc_.compression);
      cfg.variant = variant_.get();
      cfg.post_append = false;
      cfg.check_head = false;
      Recoverer rec(*base_.model, cfg);
      auto p = std::make_unique<Parent>();
      RecoveryOutcome o = rec.Recover(builder_->Build(ps), &p->sim);
      if (!o.repaired || !p->sim) continue;
      p->id = {c, index};
      p->builder = std::make_unique<CrashBuilder>(*p->sim);
      p->children = EnumerateCompoundChildren(*p->sim);
      p->order = Shuffled(p->children.size(), seed_, 0x7000 + parent_search_);
      const uint32_t point = builder_->ResolvePoint(ps);
      p->acked = base_.model->AckedAt(point);
      p->logged = base_.model->LoggedAt(point);
      parents_.push_back(std::move(p));
      return true;
    }
    return false;
  }

  const Scenario& sc_;
  uint64_t seed_;
  std::unique_ptr<Variant> variant_;
  RecordedRun base_;
  std::unique_ptr<CrashBuilder> builder_;
  std::vector<CrashSpec> specs_[kNumFaultClasses + 1];
  std::vector<IoRun> io_runs_;
  std::vector<uint32_t> order_[kNumFaultClasses + 1];
  size_t cursor_[kNumFaultClasses + 1] = {};
  std::vector<std::shared_ptr<RecordedRun>> faulty_runs_;  // models the picked class-5 states point into
  ContentHashCache hashes_;

  // Class 7 state.
  size_t specs_max_ = 0;  // the longest base class: where the parent search ends
  size_t parent_search_ = 0;
  size_t parent_tries_ = 0;
  std::vector<std::unique_ptr<Parent>> parents_;
  size_t turn_ = 0;
};

const char kExportUsage[] =
    "usage: crashsim export --scenario NAME [--seed S] [--states N] --out DIR\n"
    "\n"
    "Writes N distinct crash images of the scenario (default 20) as Prometheus data\n"
    "directories: DIR/<scenario>-s<seed>-<state>/wal, with crashsim.json beside wal/\n"
    "(scenario, seed, state id, fault class, the workload's series and time range,\n"
    "records, series and samples logged and acknowledged durable by the crash).\n"
    "States are picked round-robin over the fault classes 1-7, each in a seeded\n"
    "random order, and deduplicated by image hash. `crashsim replay --state ID --out`\n"
    "rebuilds any of them byte for byte. scripts/differential-prometheus.sh recovers\n"
    "them with Prometheus and with walproof and compares.\n";

}  // namespace

int ExportCommand(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"scenario", "seed", "states", "out"}, {"help"}, &error) || flags.Has("help") ||
      !flags.Has("scenario") || !flags.Has("out")) {
    const bool help = error.empty() && flags.Has("help");
    std::fprintf(help ? stdout : stderr, "%s%s%s",
                 help ? "" : "crashsim export: ",
                 help ? "" : (error.empty() ? "--scenario and --out are required\n\n" : (error + "\n\n").c_str()),
                 kExportUsage);
    return help ? kExitOk : kExitUsage;
  }
  uint64_t seed = 1, states = 20;
  if (!flags.GetU64("seed", 1, &seed, &error) || !flags.GetU64("states", 20, &states, &error)) {
    std::fprintf(stderr, "crashsim export: %s\n", error.c_str());
    return kExitUsage;
  }
  const Scenario* sc = FindScenario(flags.Get("scenario"));
  if (!sc) {
    std::fprintf(stderr, "crashsim export: unknown scenario '%s' (crashsim list)\n", flags.Get("scenario").c_str());
    return kExitUsage;
  }
  const std::string out = flags.Get("out");
  walproof::Fs& fs = walproof::PosixFs();
  Exporter exporter(*sc, seed);
  std::vector<Picked> picked = exporter.Pick(states);
  const json workload = WorkloadJson(exporter.model());
  json index = json::array();
  std::map<int, int> per_class;
  for (const Picked& p : picked) {
    const std::string id = IdOf(sc->name, seed, p.id);
    const std::string dir = out + "/" + id;
    walproof::Status st = p.image.WriteTo(fs, dir);
    if (!st.ok()) {
      std::fprintf(stderr, "crashsim export: %s\n", st.ToString().c_str());
      return kExitFailed;
    }
    ContentHashCache cache;
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016" PRIx64, p.image.Hash(&cache));
    const Tally acked = TallyRecords(*p.model, p.acked);
    const Tally logged = TallyRecords(*p.model, p.logged);
    json manifest = {
        {"id", id},
        {"scenario", sc->name},
        {"seed", seed},
        {"state", p.id.ToString()},
        {"class", static_cast<int>(p.id.cls)},
        {"class_name", FaultClassName(p.id.cls)},
        {"description", p.description},
        {"image_hash", hash},
        {"image_bytes", p.image.TotalBytes()},
        {"replay", "crashsim replay --scenario " + sc->name + " --seed " + std::to_string(seed) + " --state " +
                       p.id.ToString() + " --out DIR"},
        {"acked", {{"records", p.acked}, {"series", acked.series}, {"samples", acked.samples}}},
        {"logged", {{"records", p.logged}, {"series", logged.series}, {"samples", logged.samples}}},
        {"workload", workload},
    };
    std::ofstream f(dir + "/crashsim.json");
    f << manifest.dump(1) << "\n";
    if (!f) {
      std::fprintf(stderr, "crashsim export: cannot write %s/crashsim.json\n", dir.c_str());
      return kExitFailed;
    }
    index.push_back({{"id", id}, {"state", p.id.ToString()}, {"class", static_cast<int>(p.id.cls)}});
    ++per_class[static_cast<int>(p.id.cls)];
  }
  std::printf("exported %zu images of scenario %s seed %" PRIu64 " to %s (", picked.size(), sc->name.c_str(), seed,
              out.c_str());
  bool first = true;
  for (const auto& [c, n] : per_class) {
    std::printf("%sclass %d: %d", first ? "" : ", ", c, n);
    first = false;
  }
  std::printf(")\n");
  return kExitOk;
}

}  // namespace crashsim::cli
