// crashsim list: what each scenario does and what is expected of it.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "crashsim/scenario.h"
#include "crashsim/variants.h"

namespace crashsim::cli {

int ListCommand(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {}, {"json"}, &error)) {
    std::fprintf(stderr, "crashsim list: %s\n", error.c_str());
    return kExitUsage;
  }
  if (flags.Has("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const Scenario& s : AllScenarios()) {
      out.push_back({{"name", s.name},
                     {"summary", s.summary},
                     {"issue", s.issue},
                     {"protocol", ProtocolName(s.protocol)},
                     {"expect", s.expect == Scenario::Expect::kPass ? "pass" : "finding"},
                     {"segment_size", s.segment_size},
                     {"selftest", s.selftest}});
    }
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-40s %-16s %-8s %s\n", "scenario", "protocol", "expect", "summary");
  for (const Scenario& s : AllScenarios()) {
    std::printf("%-40s %-16s %-8s %s%s\n", s.name.c_str(), ProtocolName(s.protocol),
                s.expect == Scenario::Expect::kPass ? "pass" : "finding", s.summary.c_str(),
                s.issue.empty() ? "" : (" [upstream " + s.issue + "]").c_str());
  }
  std::printf("\nbroken variants (selftest) and upstream emulations (--variant):\n");
  for (const auto& v : AllVariantNames()) {
    auto made = MakeVariant(v);
    std::printf("  %-28s %s\n", v.c_str(), made ? made->description().c_str() : "");
  }
  return kExitOk;
}

}  // namespace crashsim::cli
