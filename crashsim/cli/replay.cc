// crashsim replay: one state, rebuilt from (scenario, seed, state id), judged
// again, and optionally written out as a directory.
#include <cstdio>

#include "commands.h"
#include "crashsim/runner.h"
#include "crashsim/scenario.h"
#include "crashsim/variants.h"
#include "walproof/io/posix_fs.h"

namespace crashsim::cli {

int ReplayCommand(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"scenario", "seed", "state", "out", "variant"}, {"ops"}, &error) || !flags.Has("scenario") ||
      !flags.Has("state")) {
    std::fprintf(stderr, "crashsim replay: %s\n\n%s", error.empty() ? "--scenario and --state are required" : error.c_str(),
                 kUsage);
    return kExitUsage;
  }
  uint64_t seed = 1;
  if (!flags.GetU64("seed", 1, &seed, &error)) {
    std::fprintf(stderr, "crashsim replay: %s\n", error.c_str());
    return kExitUsage;
  }
  const Scenario* s = FindScenario(flags.Get("scenario"));
  if (!s) {
    std::fprintf(stderr, "crashsim replay: unknown scenario '%s'\n", flags.Get("scenario").c_str());
    return kExitUsage;
  }
  StateId id;
  if (!StateId::Parse(flags.Get("state"), &id)) {
    std::fprintf(stderr, "crashsim replay: bad state id '%s' (CLASS.INDEX or 7.CLASS.INDEX.CHILD)\n",
                 flags.Get("state").c_str());
    return kExitUsage;
  }
  std::unique_ptr<Variant> variant;
  if (flags.Has("variant")) {
    variant = MakeVariant(flags.Get("variant"));
    if (!variant) {
      std::fprintf(stderr, "crashsim replay: unknown variant '%s'\n", flags.Get("variant").c_str());
      return kExitUsage;
    }
  }
  auto r = ReplayState(*s, seed, id, variant.get());
  if (!r.ok()) {
    std::fprintf(stderr, "crashsim replay: %s\n", r.status().ToString().c_str());
    return kExitUsage;
  }
  std::printf("scenario %s seed %llu state %s\n%s\n", s->name.c_str(), static_cast<unsigned long long>(seed),
              id.ToString().c_str(), r->description.c_str());
  if (flags.Has("ops")) {
    std::printf("ops of the run up to the crash:\n");
    for (const std::string& line : r->ops) std::printf("  %s\n", line.c_str());
  }
  std::printf("expected: records [0, %u) acknowledged durable, %u logged by then\n", r->expectation.acked,
              r->expectation.logged);
  std::printf("image (%llu bytes):\n%s", static_cast<unsigned long long>(r->image.TotalBytes()),
              r->image.Describe().c_str());
  const Verdict& v = r->verdict;
  std::printf("verdict: %s%s%s%s%s\n", v.violation == Violation::kNone ? "ok" : ViolationName(v.violation),
              v.limitation ? " (a limitation, see crashsim/README.md)" : "",
              v.known ? (std::string(" (known finding ") + v.known + ")").c_str() : "", v.detail.empty() ? "" : ": ",
              v.detail.c_str());
  std::printf("recovered logged records [0, %u)%s%s\n", v.recovered, v.corruption_reported ? ", corruption reported" : "",
              v.repaired ? ", repaired" : "");
  if (flags.Has("out")) {
    walproof::Status st = r->image.WriteTo(walproof::PosixFs(), flags.Get("out"));
    if (!st.ok()) {
      std::fprintf(stderr, "crashsim replay: %s\n", st.ToString().c_str());
      return kExitFailed;
    }
    std::printf("wrote the crash image to %s (the WAL is %s/wal)\n", flags.Get("out").c_str(), flags.Get("out").c_str());
  }
  return v.failed() ? kExitFailed : kExitOk;
}

}  // namespace crashsim::cli
