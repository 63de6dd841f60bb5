#include "crashsim/scenario.h"

namespace crashsim {

const std::vector<Scenario>& AllScenarios() {
  static const std::vector<Scenario> kAll = [] {
    std::vector<Scenario> all;
    AddWriterScenarios(&all);
    AddCheckpointScenarios(&all);
    AddUpstreamScenarios(&all);
    AddExportScenarios(&all);
    AddRescueScenarios(&all);
    return all;
  }();
  return kAll;
}

const Scenario* FindScenario(const std::string& name) {
  for (const Scenario& s : AllScenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace crashsim
