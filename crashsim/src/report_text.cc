#include <cstdio>

#include "crashsim/report.h"

namespace crashsim {

std::string FindingReplayCommand(const ScenarioResult& r, const Finding& f);

std::string ReportText(const RunReport& report) {
  std::string out;
  char buf[512];
  uint64_t checked = 0;
  int passed = 0;
  for (const ScenarioResult& r : report.results) {
    checked += r.checked;
    passed += r.passed();
    std::snprintf(buf, sizeof buf, "%-40s %-15s %9llu/%-9llu states %s %6.1fs %7.0f/cpu-s  %s\n", r.name.c_str(),
                  r.protocol.c_str(), static_cast<unsigned long long>(r.checked),
                  static_cast<unsigned long long>(r.enumerated), r.exhaustive ? "(all)    " : "(sampled)", r.seconds,
                  r.cpu_seconds > 0 ? r.checked / r.cpu_seconds : 0.0, r.Verdict().c_str());
    out += buf;
    for (const Finding& f : r.findings) {
      std::snprintf(buf, sizeof buf, "    %s %s/%s x%llu: state %s\n",
                    f.limitation ? "limitation" : !f.known.empty() ? "known     " : "FINDING   ",
                    FaultClassName(f.cls), ViolationName(f.violation), static_cast<unsigned long long>(f.count),
                    f.id.ToString().c_str());
      out += buf;
      out += "        " + f.state + "\n        -> " + f.detail + "\n";
      if (f.limitation) out += "        (limitation: " + f.limitation_reason + ")\n";
      if (!f.known.empty()) out += "        (known finding against the reference: " + f.known + ")\n";
      out += "        " + FindingReplayCommand(r, f) + "\n";
    }
  }
  std::snprintf(buf, sizeof buf, "%d/%zu scenarios as expected, %llu states checked in %.1fs\n", passed,
                report.results.size(), static_cast<unsigned long long>(checked), report.seconds);
  out += buf;
  return out;
}

}  // namespace crashsim
