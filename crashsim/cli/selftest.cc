// crashsim selftest: every deliberately broken variant of the reference must
// be caught by some scenario, and the caught state is named.
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "crashsim/runner.h"
#include "crashsim/scenario.h"
#include "crashsim/variants.h"

namespace crashsim::cli {

int SelftestCommand(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"budget", "seed", "variant"}, {"quiet"}, &error)) {
    std::fprintf(stderr, "crashsim selftest: %s\n\n%s", error.c_str(), kUsage);
    return kExitUsage;
  }
  uint64_t seed = 1;
  double budget = 0;
  if (!flags.GetU64("seed", 1, &seed, &error) || !flags.GetDouble("budget", 0, &budget, &error)) {
    std::fprintf(stderr, "crashsim selftest: %s\n", error.c_str());
    return kExitUsage;
  }
  std::vector<std::string> names = BrokenVariantNames();
  if (flags.Has("variant")) names = {flags.Get("variant")};
  std::vector<const Scenario*> scenarios;
  for (const Scenario& s : AllScenarios()) {
    if (s.selftest && s.expect == Scenario::Expect::kPass && s.protocol == Protocol::kReference && !s.variant) {
      scenarios.push_back(&s);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  int missed = 0;
  for (size_t vi = 0; vi < names.size(); ++vi) {
    std::unique_ptr<Variant> v = MakeBrokenVariant(names[vi]);
    if (!v) {
      std::fprintf(stderr, "crashsim selftest: unknown variant '%s'\n", names[vi].c_str());
      return kExitUsage;
    }
    const double per_variant =
        budget > 0 ? std::max(0.5, (budget - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()) /
                                       static_cast<double>(names.size() - vi))
                   : 0;
    const auto vstart = std::chrono::steady_clock::now();
    bool caught = false;
    for (size_t si = 0; si < scenarios.size() && !caught; ++si) {
      RunOptions o;
      o.seed = seed;
      o.variant = v.get();
      o.stop_at_first_failure = true;
      o.progress = false;
      if (per_variant > 0) {
        double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - vstart).count();
        o.budget_seconds = std::max(0.05, (per_variant - used) / static_cast<double>(scenarios.size() - si));
      }
      o.grace_seconds = 2;
      ScenarioResult r = RunScenario(*scenarios[si], o);
      for (const Finding& f : r.findings) {
        if (f.limitation || !f.known.empty()) continue;
        if (!caught) std::printf("CAUGHT  %-24s by scenario %s (%s)\n", names[vi].c_str(), r.name.c_str(), v->description().c_str());
        caught = true;
        std::printf("        state %-10s %s/%s (%llu states)\n          %s\n          -> %s\n          crashsim replay "
                    "--scenario %s --seed %llu --state %s --variant %s\n",
                    f.id.ToString().c_str(), FaultClassName(f.cls), ViolationName(f.violation),
                    static_cast<unsigned long long>(f.count), f.state.c_str(), f.detail.c_str(), r.name.c_str(),
                    static_cast<unsigned long long>(seed), f.id.ToString().c_str(), names[vi].c_str());
      }
    }
    if (!caught) {
      ++missed;
      std::printf("MISSED  %-24s %s\n", names[vi].c_str(), v->description().c_str());
    }
    std::fflush(stdout);
  }
  std::printf("selftest: %zu of %zu broken variants caught in %.1fs\n", names.size() - missed, names.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return missed ? kExitFailed : kExitOk;
}

}  // namespace crashsim::cli
