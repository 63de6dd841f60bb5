// crashsim run: scenarios under a shared wall-clock budget, reports out.
#include <chrono>
#include <cstdio>
#include <fstream>

#include "commands.h"
#include "crashsim/report.h"
#include "crashsim/scenario.h"
#include "crashsim/variants.h"

namespace crashsim::cli {

bool ParseClasses(const std::string& list, FaultClassSet* out, std::string* error) {
  if (list.empty()) return true;
  FaultClassSet set = FaultClassSet::None();
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    FaultClass c;
    if (!ParseFaultClass(list.substr(i, j - i), &c)) {
      *error = "unknown fault class '" + list.substr(i, j - i) + "'";
      return false;
    }
    set = set.With(c);
    i = j + 1;
  }
  *out = set;
  return true;
}

bool ParseShard(const std::string& s, int* shard, int* shards, std::string* error) {
  if (s.empty()) return true;
  int a = -1, b = -1;
  char extra;
  if (std::sscanf(s.c_str(), "%d/%d%c", &a, &b, &extra) != 2 || b < 1 || a < 0 || a >= b) {
    *error = "--shard wants I/N with 0 <= I < N, got '" + s + "'";
    return false;
  }
  *shard = a;
  *shards = b;
  return true;
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  return static_cast<bool>(f);
}

int RunCommand(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"scenario", "budget", "seed", "shard", "classes", "json-out", "report", "variant"},
                   {"json", "quiet"}, &error)) {
    std::fprintf(stderr, "crashsim run: %s\n\n%s", error.c_str(), kUsage);
    return kExitUsage;
  }
  RunOptions options;
  double budget = 0;
  if (!flags.GetU64("seed", 1, &options.seed, &error) || !flags.GetDouble("budget", 0, &budget, &error) ||
      !ParseShard(flags.Get("shard"), &options.shard, &options.shards, &error) ||
      !ParseClasses(flags.Get("classes"), &options.classes, &error)) {
    std::fprintf(stderr, "crashsim run: %s\n", error.c_str());
    return kExitUsage;
  }
  std::unique_ptr<Variant> variant;
  if (flags.Has("variant")) {
    variant = MakeVariant(flags.Get("variant"));
    if (!variant) {
      std::fprintf(stderr, "crashsim run: unknown variant '%s'\n", flags.Get("variant").c_str());
      return kExitUsage;
    }
    options.variant = variant.get();
  }
  std::vector<const Scenario*> chosen;
  std::string names = flags.Get("scenario", "all");
  if (names == "all") {
    for (const Scenario& s : AllScenarios()) chosen.push_back(&s);
  } else {
    size_t i = 0;
    while (i <= names.size()) {
      size_t j = names.find(',', i);
      if (j == std::string::npos) j = names.size();
      const Scenario* s = FindScenario(names.substr(i, j - i));
      if (!s) {
        std::fprintf(stderr, "crashsim run: unknown scenario '%s' (see crashsim list)\n", names.substr(i, j - i).c_str());
        return kExitUsage;
      }
      chosen.push_back(s);
      i = j + 1;
    }
  }
  options.progress = !flags.Has("quiet");

  RunReport report;
  report.seed = options.seed;
  report.budget_seconds = budget;
  report.shard = options.shard;
  report.shards = options.shards;
  const auto start = std::chrono::steady_clock::now();
  double weight_left = 0;
  for (const Scenario* s : chosen) weight_left += s->weight;
  for (const Scenario* s : chosen) {
    if (budget > 0) {
      double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // Time a fast scenario leaves unused goes to the ones after it.
      options.budget_seconds = std::max(0.05, (budget - used) * s->weight / weight_left);
    }
    weight_left -= s->weight;
    report.results.push_back(RunScenario(*s, options));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (flags.Has("json")) {
    std::fputs(ReportJson(report).c_str(), stdout);
    std::fputs("\n", stdout);
  } else {
    std::fputs(ReportText(report).c_str(), stdout);
  }
  if (flags.Has("json-out") && !WriteFile(flags.Get("json-out"), ReportJson(report) + "\n")) {
    std::fprintf(stderr, "crashsim run: cannot write %s\n", flags.Get("json-out").c_str());
    return kExitFailed;
  }
  if (flags.Has("report") && !WriteFile(flags.Get("report"), ReportHtml(report))) {
    std::fprintf(stderr, "crashsim run: cannot write %s\n", flags.Get("report").c_str());
    return kExitFailed;
  }
  for (const ScenarioResult& r : report.results) {
    if (!r.passed()) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace crashsim::cli
