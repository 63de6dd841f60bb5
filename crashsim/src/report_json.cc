#include <nlohmann/json.hpp>

#include "crashsim/report.h"

namespace crashsim {

namespace {

std::string ReplayCommand(const ScenarioResult& r, const Finding& f) {
  if (!r.trace_dir.empty()) return "crashsim trace replay " + r.trace_dir + " --state " + f.id.ToString() + " --out DIR";
  std::string cmd = "crashsim replay --scenario " + r.name + " --seed " + std::to_string(r.seed) + " --state " +
                    f.id.ToString();
  if (r.variant != "reference" && r.variant.rfind("upstream", 0) != 0) cmd += " --variant " + r.variant;
  return cmd;
}

}  // namespace

std::string FindingReplayCommand(const ScenarioResult& r, const Finding& f) { return ReplayCommand(r, f); }

std::string ReportJson(const RunReport& report, int indent) {
  using nlohmann::json;
  json out;
  out["tool"] = "crashsim";
  out["seed"] = report.seed;
  out["budget_seconds"] = report.budget_seconds;
  out["shard"] = std::to_string(report.shard) + "/" + std::to_string(report.shards);
  out["seconds"] = report.seconds;
  uint64_t checked = 0, failures = 0, found = 0, expected_found = 0;
  bool all_passed = true;
  json scenarios = json::array();
  for (const ScenarioResult& r : report.results) {
    json s;
    s["name"] = r.name;
    s["summary"] = r.summary;
    s["issue"] = r.issue;
    s["protocol"] = r.protocol;
    s["variant"] = r.variant;
    s["expect"] = r.expect == Scenario::Expect::kPass ? "pass" : "finding";
    if (r.expected_violation != Violation::kNone) s["expected_violation"] = ViolationName(r.expected_violation);
    s["verdict"] = r.Verdict();
    s["passed"] = r.passed();
    s["seed"] = r.seed;
    s["ops"] = r.ops;
    s["records_logged"] = r.records;
    s["records_acked"] = r.acked;
    s["io_runs"] = r.io_runs;
    s["states_enumerated"] = r.enumerated;
    s["states_checked"] = r.checked;
    s["recoveries"] = r.recoveries;
    s["failures"] = r.failures;
    s["limitations"] = r.limitations;
    s["known_finding_states"] = r.known;
    s["exhaustive"] = r.exhaustive;
    s["seconds"] = r.seconds;
    s["cpu_seconds"] = r.cpu_seconds;
    s["states_per_second"] = r.seconds > 0 ? r.checked / r.seconds : 0.0;
    s["states_per_cpu_second"] = r.cpu_seconds > 0 ? r.checked / r.cpu_seconds : 0.0;
    json classes = json::object();
    for (int c = 1; c <= kNumFaultClasses; ++c) {
      const ClassStats& cs = r.classes[c];
      json j;
      j["enumerated"] = cs.enumerated;
      j["checked"] = cs.checked;
      j["recoveries"] = cs.recoveries;
      j["failed"] = cs.failed;
      j["limitations"] = cs.limitations;
      j["known"] = cs.known;
      json v = json::object();
      for (const auto& [viol, n] : cs.by_violation) v[ViolationName(viol)] = n;
      j["violations"] = v;
      classes[FaultClassName(static_cast<FaultClass>(c))] = j;
    }
    s["classes"] = classes;
    json findings = json::array();
    for (const Finding& f : r.findings) {
      json j;
      j["class"] = FaultClassName(f.cls);
      j["violation"] = ViolationName(f.violation);
      j["limitation"] = f.limitation;
      if (f.limitation) j["limitation_reason"] = f.limitation_reason;
      if (!f.known.empty()) j["known_finding"] = f.known;
      j["state_id"] = f.id.ToString();
      j["state"] = f.state;
      j["detail"] = f.detail;
      j["crash_point"] = f.point;
      j["image_bytes"] = f.image_bytes;
      j["states"] = f.count;
      j["replay"] = ReplayCommand(r, f);
      findings.push_back(j);
    }
    s["findings"] = findings;
    json stairs = json::array();
    for (const StairStep& st : r.staircase) {
      stairs.push_back({st.point, st.acked, st.logged, st.min_recovered, st.max_recovered, st.states, st.failures});
    }
    s["staircase_columns"] = {"point", "acked", "logged", "min_recovered", "max_recovered", "states", "failures"};
    s["staircase"] = stairs;
    scenarios.push_back(s);
    checked += r.checked;
    if (r.expect == Scenario::Expect::kPass) failures += r.failures;
    if (r.expect == Scenario::Expect::kFinding) {
      ++expected_found;
      if (r.passed()) ++found;
    }
    all_passed = all_passed && r.passed();
  }
  out["scenarios"] = scenarios;
  out["totals"] = {{"scenarios", report.results.size()},
                   {"states_checked", checked},
                   {"failing_states_in_scenarios_expected_to_pass", failures},
                   {"upstream_failures_expected", expected_found},
                   {"upstream_failures_reproduced", found},
                   {"passed", all_passed}};
  return out.dump(indent);
}

}  // namespace crashsim
