// The HTML report: one self-contained page, inline CSS and SVG only.
#include <algorithm>
#include <cstdio>

#include "crashsim/report.h"
#include "crashsim/workload.h"

namespace crashsim {

std::string FindingReplayCommand(const ScenarioResult& r, const Finding& f);

namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Fmt(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

const char* BadgeClass(const ScenarioResult& r) { return r.passed() ? "ok" : "bad"; }

// The recovery staircase of one scenario.
std::string Staircase(const ScenarioResult& r) {
  if (r.staircase.empty()) return "<p class=dim>No crash points of the base run were checked.</p>";
  const double W = 760, H = 230, L = 46, R = 12, T = 12, B = 34;
  uint32_t max_x = 1, max_y = 1;
  for (const StairStep& s : r.staircase) {
    max_x = std::max(max_x, s.point);
    max_y = std::max({max_y, s.logged, s.max_recovered, s.acked});
  }
  auto X = [&](double p) { return L + (W - L - R) * p / max_x; };
  auto Y = [&](double v) { return H - B - (H - B - T) * v / max_y; };
  std::string svg = Fmt("<svg viewBox='0 0 %.0f %.0f' width='%.0f' height='%.0f' role='img'>", W, H, W, H);
  // Phases other than plain logging, shaded.
  static const char* kPhaseColor[] = {"", "", "", "#fff3cd", "#e2e3e5", "#d1ecf1", "#e8daef", "#e8daef", "#f8d7da", "#f8d7da"};
  for (size_t i = 0; i < r.staircase.size(); ++i) {
    const StairStep& s = r.staircase[i];
    if (s.phase >= 3 && s.phase < 10) {
      double x0 = i > 0 ? X(r.staircase[i - 1].point) : X(0);
      svg += Fmt("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f'", x0, T, std::max(1.0, X(s.point) - x0), H - B - T) +
             " fill='" + kPhaseColor[s.phase] + "'><title>" + PhaseName(s.phase) + "</title></rect>";
    }
  }
  // Axes.
  svg += Fmt("<line x1='%.0f' y1='%.0f' x2='%.0f' y2='%.0f' stroke='#888'/>", L, H - B, W - R, H - B);
  svg += Fmt("<line x1='%.0f' y1='%.0f' x2='%.0f' y2='%.0f' stroke='#888'/>", L, T, L, H - B);
  svg += Fmt("<text x='%.0f' y='%.0f' class=ax text-anchor='middle'>crash point (file-system ops done, of %.0f)</text>",
             (L + W - R) / 2, H - 6, max_x);
  svg += Fmt("<text x='12' y='%.0f' class=ax transform='rotate(-90 12 %.0f)' text-anchor='middle'>records</text>",
             (T + H - B) / 2, (T + H - B) / 2);
  for (int i = 0; i <= 4; ++i) {
    double v = max_y * i / 4.0;
    svg += Fmt("<text x='%.0f' y='%.0f' class=ax text-anchor='end'>%.0f</text>", L - 4, Y(v) + 4, v);
    svg += Fmt("<text x='%.0f' y='%.0f' class=ax text-anchor='middle'>%.0f</text>", X(max_x * i / 4.0), H - B + 14,
               static_cast<double>(static_cast<uint32_t>(max_x * i / 4.0)));
  }
  // Recovered: a bar from the fewest to the most records recovered at each point.
  for (const StairStep& s : r.staircase) {
    svg += Fmt("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#2e8b57' stroke-width='2'/>", X(s.point),
               Y(s.min_recovered), X(s.point), Y(s.max_recovered) - (s.min_recovered == s.max_recovered ? 1.5 : 0));
  }
  auto steps = [&](auto value, const char* style) {
    std::string pts;
    double prev = -1;
    for (const StairStep& s : r.staircase) {
      double y = Y(value(s));
      if (prev >= 0) pts += Fmt("%.1f,%.1f ", X(s.point), prev);
      pts += Fmt("%.1f,%.1f ", X(s.point), y);
      prev = y;
    }
    return "<polyline fill='none' " + std::string(style) + " points='" + pts + "'/>";
  };
  svg += steps([](const StairStep& s) { return static_cast<double>(s.logged); },
               "stroke='#999' stroke-dasharray='4 3'");
  svg += steps([](const StairStep& s) { return static_cast<double>(s.acked); }, "stroke='#1f5fbf' stroke-width='1.5'");
  for (const StairStep& s : r.staircase) {
    if (s.failures == 0) continue;
    svg += Fmt("<path d='M%.1f %.1f l-4 -8 h8 z' fill='#c0392b'><title>", X(s.point), Y(s.max_recovered) - 2) +
           std::to_string(s.failures) + " failing states at crash point " + std::to_string(s.point) + "</title></path>";
  }
  svg += "</svg>";
  svg += "<div class=legend><span style='color:#2e8b57'>&#9646; records recovered (fewest..most over the states of a "
         "point)</span> <span style='color:#1f5fbf'>&#9472; acknowledged durable</span> <span style='color:#999'>"
         "&#9476; logged</span> <span style='color:#c0392b'>&#9660; failure</span> <span class=ph>shaded: segment "
         "switch, close, restart, checkpoint/truncate, repair</span></div>";
  return svg;
}

std::string ClassTable(const ScenarioResult& r) {
  std::string t = "<table><tr><th>fault class</th><th>enumerated</th><th>checked</th><th>recovered</th>"
                  "<th>failed</th><th>known</th><th>limitations</th><th>violations</th></tr>";
  for (int c = 1; c <= kNumFaultClasses; ++c) {
    const ClassStats& cs = r.classes[c];
    std::string v;
    for (const auto& [viol, n] : cs.by_violation) v += std::string(ViolationName(viol)) + " " + std::to_string(n) + "; ";
    const char* cls = cs.checked == 0 ? "dim" : cs.failed ? "bad" : "ok";
    t += std::string("<tr class=") + cls + "><td>" + std::to_string(c) + ". " + FaultClassName(static_cast<FaultClass>(c)) +
         "</td><td>" + std::to_string(cs.enumerated) + "</td><td>" + std::to_string(cs.checked) + "</td><td>" +
         std::to_string(cs.recoveries) + "</td><td>" + std::to_string(cs.failed) + "</td><td>" +
         std::to_string(cs.known) + "</td><td>" +
         std::to_string(cs.limitations) + "</td><td>" + Esc(v) + "</td></tr>";
  }
  return t + "</table>";
}

std::string Findings(const ScenarioResult& r) {
  if (r.findings.empty()) return "<p class=dim>No violations.</p>";
  std::string t = "<table><tr><th></th><th>class / violation</th><th>states</th><th>smallest reproducer</th></tr>";
  for (const Finding& f : r.findings) {
    const bool known = !f.known.empty();
    t += std::string("<tr class=") + (f.limitation || known ? "lim" : "bad") + "><td>" +
         (f.limitation ? "limitation" : known ? "known finding<br><code>" + Esc(f.known) + "</code>" : "finding") +
         "</td><td>" + FaultClassName(f.cls) + "<br><b>" +
         ViolationName(f.violation) + "</b></td><td>" + std::to_string(f.count) + "</td><td>state <code>" +
         f.id.ToString() + "</code>: " + Esc(f.state) + "<br>&rarr; " + Esc(f.detail) +
         (f.limitation ? "<br><i>limitation: " + Esc(f.limitation_reason) + "</i>" : std::string()) + "<br><code>" +
         Esc(FindingReplayCommand(r, f)) + "</code></td></tr>";
  }
  return t + "</table>";
}

}  // namespace

std::string ReportHtml(const RunReport& report) {
  std::string h =
      "<!doctype html><html lang=en><head><meta charset=utf-8><title>" + Esc(report.title) +
      "</title><style>"
      "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}"
      "table{border-collapse:collapse;margin:8px 0 16px;width:100%}td,th{border:1px solid #ddd;padding:3px 6px;"
      "text-align:left;vertical-align:top}th{background:#f4f4f4}tr.bad td{background:#fdecea}tr.lim td{background:#fff8e1}"
      "tr.dim td{color:#999}.badge{font-size:12px;padding:2px 8px;border-radius:10px;color:#fff;margin-left:8px}"
      ".badge.ok{background:#2e8b57}.badge.bad{background:#c0392b}.dim{color:#888}code{font-size:12px;background:#f6f6f6}"
      ".ax{font-size:10px;fill:#555}.legend{font-size:12px;margin-bottom:8px}.legend span{margin-right:14px}"
      ".ph{color:#777}section{border-top:1px solid #ccc;margin-top:28px}"
      "</style></head><body><h1>" + Esc(report.title) + "</h1>";
  uint64_t checked = 0, failures = 0;
  int passed = 0, findings_expected = 0, findings_found = 0;
  for (const ScenarioResult& r : report.results) {
    checked += r.checked;
    if (r.expect == Scenario::Expect::kPass) failures += r.failures;
    passed += r.passed();
    if (r.expect == Scenario::Expect::kFinding) {
      ++findings_expected;
      findings_found += r.passed();
    }
  }
  h += "<p>seed " + std::to_string(report.seed) + ", shard " + std::to_string(report.shard) + "/" +
       std::to_string(report.shards) + ", budget " +
       (report.budget_seconds > 0 ? Fmt("%.0f s", report.budget_seconds) : std::string("none (exhaustive)")) +
       Fmt(", %.1f s wall time. ", report.seconds) + std::to_string(passed) + " of " +
       std::to_string(report.results.size()) + " scenarios as expected; " + std::to_string(checked) +
 " crash states checked; " + std::to_string(failures) +
       " failing states in scenarios expected to pass; upstream failures reproduced: " + std::to_string(findings_found) + " of " +
       std::to_string(findings_expected) + ".</p>";
  h += "<table><tr><th>scenario</th><th>protocol</th><th>expect</th><th>verdict</th><th>states checked</th>"
       "<th>states/cpu-s</th><th>recoveries</th></tr>";
  for (const ScenarioResult& r : report.results) {
    h += std::string("<tr class=") + (r.passed() ? "ok" : "bad") + "><td><a href='#" + Esc(r.name) + "'>" +
         Esc(r.name) + "</a></td><td>" + Esc(r.protocol) + (r.variant != "reference" ? " / " + Esc(r.variant) : "") +
         "</td><td>" + (r.expect == Scenario::Expect::kPass ? "pass" : "finding") + "</td><td>" + Esc(r.Verdict()) +
         "</td><td>" + std::to_string(r.checked) + " / " + std::to_string(r.enumerated) +
         (r.exhaustive ? "" : " (sampled)") + "</td><td>" + Fmt("%.0f", r.cpu_seconds > 0 ? r.checked / r.cpu_seconds : 0) +
         "</td><td>" + std::to_string(r.recoveries) + "</td></tr>";
  }
  h += "</table>";
  for (const ScenarioResult& r : report.results) {
    h += "<section id='" + Esc(r.name) + "'><h2>" + Esc(r.name) + "<span class='badge " + BadgeClass(r) + "'>" +
         Esc(r.Verdict()) + "</span></h2><p>" + Esc(r.summary) +
         (r.issue.empty() ? "" : " (upstream " + Esc(r.issue) + ")") + ". Protocol " + Esc(r.protocol) +
         (r.variant != "reference" ? ", variant " + Esc(r.variant) : "") + "; " + std::to_string(r.ops) +
         " file-system ops, " + std::to_string(r.records) + " records logged, " + std::to_string(r.acked) +
         " acknowledged; " + std::to_string(r.io_runs) + " I/O-error runs.</p>";
    h += Staircase(r) + ClassTable(r) + Findings(r) + "</section>";
  }
  return h + "</body></html>\n";
}

}  // namespace crashsim
