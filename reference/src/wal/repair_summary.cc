// Saying what a plan does: needed(), the operator's paragraph, and the
// list of files it would change. Kept apart from planning, which decides.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "wal/repair_files.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_dir.h"

namespace walproof {
using repair_internal::SegPath;
namespace {

std::string FormatSegments(std::vector<int> s) {
  std::sort(s.begin(), s.end());
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j + 1 < s.size() && int64_t{s[j + 1]} == int64_t{s[j]} + 1) ++j;
    if (!out.empty()) out += ", ";
    out += SegmentFileName(s[i]);
    if (j > i) out += ".." + SegmentFileName(s[j]);
    i = j + 1;
  }
  return out;
}

// Milliseconds since the epoch as "2024-05-01T12:00:00.000Z" (proleptic
// Gregorian, no time zone database needed).
std::string FormatTime(int64_t ms) {
  int64_t days = ms / 86400000, rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%lld (%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ)",
                static_cast<long long>(ms), static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d), static_cast<long long>(rem / 3600000),
                static_cast<long long>(rem / 60000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

}  // namespace

bool RepairPlan::needed() const {
  if (corruption || (segment && rewrite_segment) || !delete_segments.empty() ||
      !obsolete_segments.empty() || !remove_leftovers.empty()) {
    return true;
  }
  return std::any_of(upstream_leftovers.begin(), upstream_leftovers.end(),
                     [](const UpstreamRepairLeftover& l) { return l.action != UpstreamRepairAction::kLeave; });
}

std::string RepairPlan::Summary() const {
  std::string out;
  auto u = [](uint64_t v) { return std::to_string(v); };
  if (corruption) out += corruption->ToString() + "\n";
  if (!needed()) {
    out += "nothing to repair in " + dir + ": " + u(kept_records) + " records replay cleanly\n";
  } else {
    std::vector<std::string> parts;
    for (const auto& name : remove_leftovers) parts.push_back("remove leftover " + name);
    for (const auto& l : upstream_leftovers) {
      if (l.action == UpstreamRepairAction::kRestore) {
        parts.push_back("put " + l.name + " back as " + SegmentFileName(l.segment) + " (" + l.why + ")");
      } else if (l.action == UpstreamRepairAction::kRemove) {
        parts.push_back("remove " + l.name + " (" + l.why + ")");
      }
    }
    if (segment && rewrite_segment) {
      if (segment_exists) {
        parts.push_back("cut segment " + SegmentFileName(*segment) + " at offset " + u(cut_offset) +
                        " of " + u(segment_size) + " (keeping its first " + u(kept_records_in_segment) +
                        " records)");
      } else {
        parts.push_back("create an empty segment " + SegmentFileName(*segment));
      }
    }
    if (!delete_segments.empty()) parts.push_back("delete segments " + FormatSegments(delete_segments));
    if (!obsolete_segments.empty()) {
      parts.push_back("delete segments " + FormatSegments(obsolete_segments) +
                      " (already covered by the checkpoint)");
    }
    if (corruption) {
      std::string drop = "drop " + u(loss.records) + " records (" + u(loss.samples + loss.histogram_samples) +
                         " samples";
      if (loss.histogram_samples) drop += ", of which " + u(loss.histogram_samples) + " histograms";
      drop += ")";
      if (loss.min_time) drop += " from " + FormatTime(*loss.min_time) + " to " + FormatTime(*loss.max_time);
      parts.push_back(drop);
    }
    parts.push_back("keep " + u(kept_records) + " records");
    out += "would ";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
    out += "\n";
    if (loss.undecodable_records) {
      out += "of the dropped records, " + u(loss.undecodable_records) + " do not decode\n";
    }
    if (!loss.complete()) {
      out += "not everything that is dropped could be read, so the counts above are a lower bound:\n";
      for (const auto& s : loss.unreadable) out += "  " + s + "\n";
    }
  }
  for (const auto& l : upstream_leftovers) {
    if (l.action == UpstreamRepairAction::kLeave) out += "leaving " + l.name + " alone: " + l.why + "\n";
  }
  return out;
}

std::vector<std::string> FilesChangedByRepair(const RepairPlan& plan) {
  std::vector<std::string> out;
  for (const auto& name : plan.remove_leftovers) {
    if (!name.starts_with("checkpoint.")) out.push_back(JoinPath(plan.dir, name));
  }
  for (const auto& l : plan.upstream_leftovers) {
    if (l.action == UpstreamRepairAction::kLeave) continue;
    out.push_back(JoinPath(plan.dir, l.name));
    if (l.action == UpstreamRepairAction::kRestore) out.push_back(SegPath(plan.dir, l.segment));
  }
  if (plan.segment && plan.rewrite_segment && plan.segment_exists) out.push_back(SegPath(plan.dir, *plan.segment));
  for (int s : plan.delete_segments) out.push_back(SegPath(plan.dir, s));
  for (int s : plan.obsolete_segments) out.push_back(SegPath(plan.dir, s));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace walproof
