// Carrying out a repair plan, in the order repair.h argues is crash-safe
// (or upstream's order, for crashsim), after checking the directory still
// matches the plan.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "wal/good_records.h"
#include "wal/repair_files.h"
#include "walproof/format/fragment.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_dir.h"

namespace walproof {
using namespace repair_internal;  // good_records.h, repair_files.h
namespace {

constexpr size_t kCopyChunk = 1 << 20;

bool Walproof(DurabilityProtocol p) { return p == DurabilityProtocol::kWalproof; }

// Whether two plans make the same changes (the loss counts and the reasons
// given may differ): ExecuteRepair plans again and refuses if not.
bool SamePlan(const RepairPlan& a, const RepairPlan& b) {
  auto leftovers = [](const RepairPlan& p) {
    std::vector<std::pair<std::string, UpstreamRepairAction>> v;
    for (const auto& l : p.upstream_leftovers) v.emplace_back(l.name, l.action);
    return v;
  };
  return a.corruption.has_value() == b.corruption.has_value() && a.segment == b.segment &&
         a.cut_offset == b.cut_offset && a.segment_size == b.segment_size &&
         a.rewrite_segment == b.rewrite_segment && a.segment_exists == b.segment_exists &&
         a.kept_records_in_segment == b.kept_records_in_segment && a.kept_records == b.kept_records &&
         a.checkpoint == b.checkpoint && a.delete_segments == b.delete_segments &&
         a.obsolete_segments == b.obsolete_segments && a.remove_leftovers == b.remove_leftovers &&
         leftovers(a) == leftovers(b);
}

// Writes bytes [0, cut) of `src` (none when src is empty), then zeros to the
// page boundary, into a new file `dst`. `full_page_when_aligned` pads a whole
// zero page when cut is on a boundary, as upstream's flushPage(true) does.
Status WriteKeptPrefix(Fs& fs, const std::string& src, uint64_t cut, const std::string& dst,
                       bool full_page_when_aligned, bool sync) {
  auto out = fs.Create(dst);
  if (!out.ok()) return out.status();
  std::string buf;
  size_t written = 0;
  if (cut > 0) {
    auto in = fs.OpenForRead(src);
    if (!in.ok()) return in.status();
    for (uint64_t off = 0; off < cut;) {
      buf.resize(static_cast<size_t>(std::min<uint64_t>(kCopyChunk, cut - off)));
      size_t got = 0;
      WALPROOF_RETURN_IF_ERROR((*in)->Read(off, buf.size(), buf.data(), &got));
      if (got != buf.size()) return Status::IOError(src + " shrank while being repaired");
      WALPROOF_RETURN_IF_ERROR((*out)->Append(buf, &written));
      off += got;
    }
  }
  uint64_t pad = kPageSize - cut % kPageSize;
  if (pad == kPageSize && !full_page_when_aligned) pad = 0;
  if (pad > 0) WALPROOF_RETURN_IF_ERROR((*out)->Append(std::string(pad, '\0'), &written));
  if (sync) WALPROOF_RETURN_IF_ERROR((*out)->Sync());
  return (*out)->Close();
}

Status SyncedRemove(Fs& fs, const std::string& dir, const std::string& path) {
  WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(path));
  return fs.SyncDir(dir);
}

// Upstream WL.Repair, step for step, for crashsim (see checkpoint.h).
Status ExecuteUpstream(Fs& fs, const std::string& dir, const RepairPlan& plan) {
  const bool restoring = std::any_of(plan.upstream_leftovers.begin(), plan.upstream_leftovers.end(),
                                     [](const auto& l) { return l.action != UpstreamRepairAction::kLeave; });
  if (!plan.segment || !plan.rewrite_segment || !plan.segment_exists || !plan.obsolete_segments.empty() ||
      restoring) {
    return Status::InvalidArgument("the Prometheus 2.42 repair order handles only a corruption inside a "
                                   "segment; this plan needs more: " + plan.Summary());
  }
  const int s = *plan.segment;
  if (s == std::numeric_limits<int>::max()) {
    return Status::InvalidArgument("segment " + SegmentFileName(s) + " has no index after it");
  }
  std::vector<int> later = plan.delete_segments;
  std::sort(later.begin(), later.end());  // listSegments order: lowest first
  for (int l : later) WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(SegPath(dir, l)));
  const std::string seg = SegPath(dir, s);
  const std::string aside = seg + std::string(kUpstreamRepairSuffix);
  WALPROOF_RETURN_IF_ERROR(fs.Rename(seg, aside));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));  // fileutil.Rename fsyncs the parent
  WALPROOF_RETURN_IF_ERROR(WriteKeptPrefix(fs, aside, plan.cut_offset, seg, true, false));
  WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(aside));
  auto next = fs.Create(SegPath(dir, s + 1));
  if (!next.ok()) return next.status();
  return (*next)->Close();
}

}  // namespace

std::string RepairTempFileName(int segment) {
  return SegmentFileName(segment) + std::string(kRepairTmpSuffix);
}

Status RemoveRepairTempFiles(Fs& fs, const std::string& dir, int* removed) {
  if (removed) *removed = 0;
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  bool any = false;
  for (const std::string& name : listing->other) {
    if (!name.ends_with(kRepairTmpSuffix)) continue;
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(dir, name)));
    any = true;
    if (removed) ++*removed;
  }
  if (any) WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  return Status::Ok();
}

Status ExecuteRepair(Fs& fs, const std::string& dir, const RepairPlan& plan, const RepairOptions& options) {
  auto fresh = PlanRepair(fs, dir);
  if (!fresh.ok()) return fresh.status();
  if (!SamePlan(plan, *fresh)) {
    return Status::InvalidArgument(dir + " changed since the repair was planned; plan again. Now: " +
                                   fresh->Summary());
  }
  if (!plan.needed()) return Status::Ok();
  if (!Walproof(options.protocol)) return ExecuteUpstream(fs, dir, plan);

  // 1. Names replay never reads.
  for (const std::string& name : plan.remove_leftovers) {
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(dir, name)));
  }
  if (!plan.remove_leftovers.empty()) WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  for (const auto& l : plan.upstream_leftovers) {
    const std::string path = JoinPath(dir, l.name);
    if (l.action == UpstreamRepairAction::kRestore) {
      // Atomic: N is the partial re-write or the original, never missing.
      WALPROOF_RETURN_IF_ERROR(fs.Rename(path, SegPath(dir, l.segment)));
      WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
    } else if (l.action == UpstreamRepairAction::kRemove) {
      WALPROOF_RETURN_IF_ERROR(SyncedRemove(fs, dir, path));
    }
  }

  // 2. The kept part of S, durable under a name that is not a segment.
  const bool rewrite = plan.segment && plan.rewrite_segment;
  const std::string seg = plan.segment ? SegPath(dir, *plan.segment) : std::string();
  const std::string tmp = plan.segment ? JoinPath(dir, RepairTempFileName(*plan.segment)) : std::string();
  if (rewrite) {
    Status st = WriteKeptPrefix(fs, plan.segment_exists ? seg : std::string(), plan.cut_offset, tmp, false, true);
    if (st.ok()) {
      // Read it back before anything is deleted.
      auto check = ReadGood(fs, {{*plan.segment, tmp}});
      if (!check.ok()) {
        st = check.status();
      } else if (check->corruption || check->records != plan.kept_records_in_segment) {
        st = Status::Corruption("the repaired copy " + tmp + " does not read back as planned (" +
                                std::to_string(check->records) + " records of " +
                                std::to_string(plan.kept_records_in_segment) +
                                (check->corruption ? "; " + check->corruption->ToString() : "") + ")");
      }
    }
    if (st.ok()) st = fs.SyncDir(dir);
    if (!st.ok()) {
      fs.RemoveFile(tmp);  // best effort: it is removed on the next repair anyway
      return st;
    }
  }

  // 3. Later segments, highest first: no gap opens, and replay still stops
  // at the corruption in the old S. (Putting S in place first would be wrong
  // when S fills a gap: the segments after it would replay again.)
  for (int s : plan.delete_segments) WALPROOF_RETURN_IF_ERROR(SyncedRemove(fs, dir, SegPath(dir, s)));
  // 4. The atomic replacement (or creation) of S.
  if (rewrite) {
    WALPROOF_RETURN_IF_ERROR(fs.Rename(tmp, seg));
    WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  }
  // 5. Segments the checkpoint covers, lowest first, only when they hold a
  // gap. Last, so that until S exists a writer would still start above them.
  for (int s : plan.obsolete_segments) WALPROOF_RETURN_IF_ERROR(SyncedRemove(fs, dir, SegPath(dir, s)));
  return Status::Ok();
}

}  // namespace walproof
