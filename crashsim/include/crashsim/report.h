// Reports of a crashsim run: JSON for machines (CI, dashboards) and a
// self-contained HTML page for people: per scenario the recovery staircase
// (crash point on x; records recovered, acknowledged and logged on y; failing
// points marked) as inline SVG, and a table of verdicts per fault class with
// the smallest reproducer of every finding. No script, no network.
#pragma once

#include <string>
#include <vector>

#include "crashsim/runner.h"

namespace crashsim {

struct RunReport {
  std::vector<ScenarioResult> results;
  uint64_t seed = 1;
  double budget_seconds = 0;
  int shard = 0, shards = 1;
  double seconds = 0;
  std::string title = "crashsim run";
};

std::string ReportJson(const RunReport& report, int indent = 2);
std::string ReportHtml(const RunReport& report);
// One line per scenario and one per finding, for the terminal.
std::string ReportText(const RunReport& report);

}  // namespace crashsim
