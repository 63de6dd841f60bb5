// Planning a repair: read in replay order, find the first corruption,
// classify leftovers (ours and upstream's N.repair), count what goes.
// Writes nothing; repair_execute.cc carries a plan out.
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "wal/good_records.h"
#include "wal/repair_files.h"
#include "wal/repair_loss.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_dir.h"

namespace walproof {
using namespace repair_internal;  // good_records.h, repair_files.h, repair_loss.h
namespace {

Status RefuseCheckpoint(const std::string& what) {
  return Status::Corruption(what +
                            "; a checkpoint cannot be repaired by truncating the WAL, so repair "
                            "touches nothing (restore the data directory from a backup, or remove "
                            "the checkpoint and accept losing what only it holds)");
}

// What one planning pass learnt about upstream N.repair leftovers, for the
// checks PlanRepair makes against the directory as the plan leaves it.
struct LeftoverContext {
  std::map<int, std::string> paths;      // segment -> the file its bytes are read from
  std::vector<int> held_by_later_data;   // N.repair left only because later segments hold data
};

// One planning pass. An N.repair whose N is in `restore_anyway` is put back
// even though later segments hold data (the plan drops all of it).
Result<RepairPlan> PlanOnce(Fs& fs, const std::string& dir, const std::set<int>& restore_anyway,
                            LeftoverContext* ctx) {
  RepairPlan plan;
  plan.dir = dir;
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();

  for (const std::string& name : listing->other) {
    if (name.ends_with(kRepairTmpSuffix)) plan.remove_leftovers.push_back(name);
  }
  for (const std::string& name : listing->tmp_checkpoints) plan.remove_leftovers.push_back(name);
  std::sort(plan.remove_leftovers.begin(), plan.remove_leftovers.end());

  // Where each segment's bytes are read from: its own file, or an upstream
  // N.repair that will be put back in its place.
  std::map<int, std::string> paths;
  for (size_t i = 1; i < listing->segments.size(); ++i) {
    if (listing->segments[i] == listing->segments[i - 1]) {
      // "5" and "00000005": which one Prometheus reads is an accident.
      return Status::InvalidArgument("two files in " + dir + " name segment " +
                                     std::to_string(listing->segments[i]) +
                                     "; keep one by hand before repairing");
    }
  }
  for (int s : listing->segments) paths[s] = SegPath(dir, s);
  for (const std::string& name : listing->repair_files) {
    UpstreamRepairLeftover l;
    l.name = name;
    auto n = ParseSegmentIndex(std::string_view(name).substr(0, name.size() - kUpstreamRepairSuffix.size()));
    if (!n) {
      l.why = "not named after a segment";
      plan.upstream_leftovers.push_back(std::move(l));
      continue;
    }
    l.segment = *n;
    const SegmentFile original{*n, JoinPath(dir, name)};
    if (!paths.count(*n)) {
      l.action = UpstreamRepairAction::kRestore;
      l.why = "an interrupted Prometheus repair renamed it aside; " + SegmentFileName(*n) + " is missing";
      paths[*n] = original.path;
    } else {
      auto rel = CompareGoodRecords(fs, {*n, paths[*n]}, original);
      if (!rel.ok()) return rel.status();
      bool later_data = false;
      for (auto it = paths.upper_bound(*n); it != paths.end(); ++it) {
        auto size = FileSize(fs, it->second);
        if (!size.ok()) return size.status();
        if (*size > 0) later_data = true;
      }
      if (*rel == Relation::kEqual) {
        l.action = UpstreamRepairAction::kRemove;
        l.why = SegmentFileName(*n) + " already holds every record it keeps: a finished Prometheus repair";
      } else if (*rel == Relation::kStrictPrefix && (!later_data || restore_anyway.count(*n))) {
        l.action = UpstreamRepairAction::kRestore;
        l.why = "an interrupted Prometheus repair had re-written only part of " + SegmentFileName(*n);
        if (later_data) l.why += "; the later segments holding data are dropped by this repair";
        paths[*n] = original.path;
      } else {
        if (*rel == Relation::kStrictPrefix) ctx->held_by_later_data.push_back(*n);
        l.why = "the WAL was written after it (" + SegmentFileName(*n) +
                " or a later segment holds records it lacks); delete it by hand once sure";
      }
    }
    plan.upstream_leftovers.push_back(std::move(l));
  }
  ctx->paths = paths;
  std::vector<int> segs;
  for (const auto& [s, p] : paths) segs.push_back(s);

  // 64 bits: checkpoint.2147483647 has no int index after it.
  int64_t first_replayed = segs.empty() ? 0 : segs.front();
  if (const CheckpointEntry* cp = listing->LastCheckpoint()) {
    plan.checkpoint = cp->index;
    const std::string cp_path = JoinPath(dir, cp->name);
    if (cp->index == std::numeric_limits<int>::max()) {
      return Status::InvalidArgument("checkpoint " + cp_path + ": no segment index can follow it");
    }
    if (!cp->is_dir) return RefuseCheckpoint("checkpoint " + cp_path + " is not a directory");
    auto cp_segs = ListSequentialSegments(fs, cp_path);
    if (!cp_segs.ok()) return RefuseCheckpoint("checkpoint " + cp_path + ": " + cp_segs.status().message());
    if (cp_segs->empty()) {
      return RefuseCheckpoint("checkpoint " + cp_path +
                              " holds no segment (an interrupted or damaged checkpoint)");
    }
    std::vector<SegmentFile> files;
    for (int s : *cp_segs) files.push_back({s, SegPath(cp_path, s)});
    auto read = ReadGood(fs, std::move(files));
    if (!read.ok()) return read.status();
    if (read->corruption) return RefuseCheckpoint(read->corruption->ToString());
    plan.kept_records += read->records;
    first_replayed = int64_t{cp->index} + 1;
  }

  std::vector<int> obsolete, live;
  for (int s : segs) (s < first_replayed ? obsolete : live).push_back(s);
  for (size_t i = 1; i < segs.size(); ++i) {
    // A gap at or below the checkpoint: the segments there are not replayed,
    // so they can all go, which closes it.
    if (int64_t{segs[i]} != int64_t{segs[i - 1]} + 1 && segs[i - 1] < first_replayed) {
      plan.obsolete_segments = obsolete;
    }
  }

  auto drop_from = [&](size_t i) {
    for (size_t j = live.size(); j-- > i;) {
      plan.delete_segments.push_back(live[j]);
      ScanLoss(fs, paths[live[j]], 0, &plan.loss);
    }
  };
  if (plan.checkpoint && !live.empty() && live.front() > first_replayed) {
    // Segments missing right after the checkpoint: nothing after it can be
    // replayed. An empty first segment takes their place, so the WAL goes on
    // above the checkpoint.
    const int s = static_cast<int>(first_replayed);
    const int missing_last = live.front() - 1;
    plan.corruption = CorruptionInfo{SegPath(dir, s), s, 0,
                                     "missing segment(s) " + SegmentFileName(s) +
                                         (missing_last > s ? ".." + SegmentFileName(missing_last) : "") +
                                         " after " + CheckpointDirName(*plan.checkpoint) + ", before " +
                                         SegmentFileName(live.front())};
    plan.segment = s;
    plan.segment_exists = false;
    plan.rewrite_segment = true;
    // Covered segments that do not reach up to the new one would leave a gap.
    if (!obsolete.empty() && int64_t{obsolete.back()} + 1 != s) plan.obsolete_segments = obsolete;
    drop_from(0);
    return plan;
  }

  if (plan.checkpoint && live.empty()) {
    // Nothing after the checkpoint (an interrupted repair or truncation): a
    // writer would start at a segment at or below the checkpoint, which
    // replay skips. An empty first segment after it prevents that.
    plan.segment = static_cast<int>(first_replayed);
    plan.segment_exists = false;
    plan.rewrite_segment = true;
    // Covered segments that do not reach up to the new one would leave a gap.
    if (!obsolete.empty() && int64_t{obsolete.back()} + 1 != first_replayed) {
      plan.obsolete_segments = obsolete;
    }
    return plan;
  }

  for (size_t i = 0; i < live.size(); ++i) {
    const int s = live[i];
    if (i > 0 && int64_t{s} != int64_t{live[i - 1]} + 1) {
      const int prev = live[i - 1];
      auto size = FileSize(fs, paths[prev]);
      if (!size.ok()) return size.status();
      plan.corruption = CorruptionInfo{paths[prev], prev, *size,
                                       "segments are not sequential: " + SegmentFileName(prev) +
                                           " is followed by " + SegmentFileName(s)};
      plan.segment = prev;
      plan.cut_offset = plan.segment_size = *size;
      drop_from(i);
      return plan;
    }
    auto read = ReadGood(fs, {{s, paths[s]}});
    if (!read.ok()) return read.status();
    plan.kept_records += read->records;
    if (read->corruption) {
      auto size = FileSize(fs, paths[s]);
      if (!size.ok()) return size.status();
      plan.corruption = read->corruption;
      plan.segment = s;
      plan.segment_size = *size;
      plan.cut_offset = read->end_offset;
      plan.kept_records_in_segment = read->records;
      plan.rewrite_segment = true;
      ScanLoss(fs, paths[s], plan.cut_offset, &plan.loss);
      drop_from(i + 1);
      return plan;
    }
  }
  return plan;
}

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Whether a segment after `n` still holds bytes once `plan` is carried out.
Result<bool> LaterDataSurvives(Fs& fs, const RepairPlan& plan, const LeftoverContext& ctx, int n) {
  for (auto it = ctx.paths.upper_bound(n); it != ctx.paths.end(); ++it) {
    const int s = it->first;
    if (Contains(plan.delete_segments, s) || Contains(plan.obsolete_segments, s)) continue;
    if (plan.segment == s && plan.rewrite_segment) {
      if (plan.segment_exists && plan.cut_offset > 0) return true;
      continue;  // cut to nothing, or created empty
    }
    auto size = FileSize(fs, it->second);
    if (!size.ok()) return size.status();
    if (*size > 0) return true;
  }
  return false;
}

}  // namespace

// Leftovers are classified against the directory as it is, but a second
// repair sees it as this one leaves it, so PlanRepair checks each N.repair it
// would leave against that state (finding 5 in fuzz/FINDINGS.md):
// - an N.repair held back only by later data that this plan drops would be
//   put back by the next repair: it is put back now, and planning starts
//   over (each pass puts back one more, so this ends);
// - an N.repair whose segment N this plan deletes (after the cut, or covered
//   by the checkpoint) would look like an interrupted repair of a missing N
//   next time: it is an older copy of what the repair drops, so it goes with
//   it, said in the plan and counted in the loss when after the cut.
Result<RepairPlan> PlanRepair(Fs& fs, const std::string& dir) {
  std::set<int> restore_anyway;
  for (;;) {
    LeftoverContext ctx;
    auto plan = PlanOnce(fs, dir, restore_anyway, &ctx);
    if (!plan.ok()) return plan.status();
    bool again = false;
    for (int n : ctx.held_by_later_data) {
      if (Contains(plan->delete_segments, n) || Contains(plan->obsolete_segments, n)) continue;
      auto survives = LaterDataSurvives(fs, *plan, ctx, n);
      if (!survives.ok()) return survives.status();
      if (!*survives) again |= restore_anyway.insert(n).second;
    }
    if (again) continue;
    for (UpstreamRepairLeftover& l : plan->upstream_leftovers) {
      if (l.action != UpstreamRepairAction::kLeave) continue;
      const std::string_view stem(l.name.data(), l.name.size() - kUpstreamRepairSuffix.size());
      if (!ParseSegmentIndex(stem)) continue;  // not named after a segment: never acted on
      const std::string seg = SegmentFileName(l.segment);
      if (Contains(plan->delete_segments, l.segment)) {
        l.action = UpstreamRepairAction::kRemove;
        l.why = seg + " is after the cut and deleted by this repair; " + l.name + " is an older copy of it";
        ScanLoss(fs, JoinPath(dir, l.name), 0, &plan->loss);
      } else if (Contains(plan->obsolete_segments, l.segment)) {
        l.action = UpstreamRepairAction::kRemove;
        l.why = seg + " is covered by the checkpoint and deleted by this repair; " + l.name +
                " is an older copy of it";
      }
    }
    return plan;
  }
}

}  // namespace walproof
