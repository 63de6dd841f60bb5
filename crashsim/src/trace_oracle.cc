#include "crashsim/trace_oracle.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "walproof/format/record_codec.h"
#include "walproof/wal/segment_reader.h"

namespace crashsim {
namespace {

using walproof::Result;
using walproof::Status;

// wal/00000012 (or 00000012 when the traced directory is the WAL itself);
// segments inside checkpoint.N directories are copies, not logged records.
bool IsSegmentPath(const std::string& rel) {
  std::vector<std::string> parts = SplitPath(rel);
  if (parts.empty() || parts.back().size() != 8) return false;
  for (char c : parts.back()) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  for (const std::string& p : parts) {
    if (p.rfind("checkpoint.", 0) == 0) return false;
  }
  return true;
}

std::string LabelKey(const std::vector<walproof::Label>& labels) {
  std::vector<std::string> parts;
  for (const auto& l : labels) parts.push_back(l.name + "=" + l.value);
  std::sort(parts.begin(), parts.end());
  std::string key;
  for (const auto& p : parts) key += (key.empty() ? "" : ",") + p;
  return key;
}

struct SegmentInode {
  int inode = -1;
  int index = 0;
  std::string path;
};

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

Result<TraceWalModel> TraceWalModel::FromRun(const SimFs& run) {
  const auto& log = run.log();
  // Segment files: linked during the run, or present in the snapshot.
  std::vector<SegmentInode> segs;
  std::set<int> seen;
  auto add = [&](int inode, const std::string& path) {
    if (inode < 0 || !IsSegmentPath(path) || !seen.insert(inode).second) return;
    segs.push_back(SegmentInode{inode, std::stoi(SplitPath(path).back()), path});
  };
  std::vector<std::pair<int, std::string>> stack = {{kRootInode, ""}};
  const FsState& start = run.volatile_at(0);
  while (!stack.empty()) {
    auto [dir, prefix] = stack.back();
    stack.pop_back();
    for (const auto& [name, child] : *start.inodes[dir].entries) {
      std::string p = prefix.empty() ? name : prefix + "/" + name;
      if (start.inodes[child].is_dir) {
        stack.emplace_back(child, p);
      } else {
        add(child, p);
      }
    }
  }
  for (const FsOp& op : log) {
    if (op.kind == OpKind::kLink && !op.failed) add(op.target, op.path);
  }
  std::sort(segs.begin(), segs.end(), [](const SegmentInode& a, const SegmentInode& b) { return a.index < b.index; });

  TraceWalModel model;
  std::map<uint64_t, std::string> labels_of_ref;
  for (const SegmentInode& seg : segs) {
    // Segments only grow (the traced programs do not repair while traced):
    // the largest version holds every record ever written to it.
    size_t best = 0;
    uint64_t best_size = 0;
    for (size_t k = 0; k <= log.size(); ++k) {
      if (k > 0 && (log[k - 1].inode != seg.inode || !IsDataOp(log[k - 1].kind))) continue;
      const FsState& v = run.volatile_at(k);
      if (static_cast<size_t>(seg.inode) < v.inodes.size() && v.inodes[seg.inode].data->size() > best_size) {
        best_size = v.inodes[seg.inode].data->size();
        best = k;
      }
    }
    if (best_size == 0) continue;
    ++model.segments_;
    CrashImage img;
    img.entries.push_back(CrashImage::Entry{"s", false, run.volatile_at(best).inodes[seg.inode].data});
    SimFs fs(img);
    walproof::SegmentReader reader(fs, {walproof::SegmentFile{seg.index, "s"}});
    std::string_view rec;
    // The first op count after which the file held a record's last byte
    // (volatile: logged), and held it durably (acknowledged). Records come
    // in file order and segments only grow, so both only move forward.
    auto size_at = [&](const FsState& s) -> uint64_t {
      return static_cast<size_t>(seg.inode) < s.inodes.size() ? s.inodes[seg.inode].data->size() : 0;
    };
    size_t logged_at = 0, acked_at = 0;
    while (reader.Next(&rec)) {
      ++model.records_;
      const uint64_t end = reader.offset();
      while (logged_at <= log.size() && size_at(run.volatile_at(logged_at)) < end) ++logged_at;
      while (acked_at <= log.size() && size_at(run.durable_at(acked_at)) < end) ++acked_at;
      const uint32_t logged = static_cast<uint32_t>(std::min(logged_at, log.size()));
      const uint32_t acked = acked_at > log.size() ? UINT32_MAX : static_cast<uint32_t>(acked_at);
      walproof::Record decoded;
      if (!walproof::DecodeRecordAsReplayed(rec, &decoded).ok()) continue;
      if (auto* s = std::get_if<walproof::SeriesRecord>(&decoded)) {
        for (const auto& rs : s->series) labels_of_ref[rs.ref] = LabelKey(rs.labels);
      } else if (auto* smp = std::get_if<walproof::SamplesRecord>(&decoded)) {
        for (const auto& x : smp->samples) {
          auto it = labels_of_ref.find(x.ref);
          if (it == labels_of_ref.end()) continue;  // replay drops samples of unknown refs too
          model.series_[it->second].push_back(TraceSample{x.t, x.v, logged, acked});
          ++model.samples_;
        }
      } else if (auto* ts = std::get_if<walproof::TombstonesRecord>(&decoded)) {
        for (const auto& x : ts->tombstones) {
          auto it = labels_of_ref.find(x.ref);
          if (it != labels_of_ref.end()) model.tombstones_[it->second].push_back(Tombstone{x.mint, x.maxt, logged});
        }
      }
    }
  }
  return model;
}

uint64_t TraceWalModel::LoggedBy(uint32_t k) const {
  uint64_t n = 0;
  for (const auto& [key, samples] : series_) {
    for (const auto& s : samples) n += s.logged_at <= k;
  }
  return n;
}

bool TraceWalModel::Deleted(const std::string& key, int64_t t, uint32_t k) const {
  auto it = tombstones_.find(key);
  if (it == tombstones_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Tombstone& d) { return d.logged_at <= k && d.mint <= t && t <= d.maxt; });
}

uint64_t TraceWalModel::AckedBy(uint32_t k) const {
  uint64_t n = 0;
  for (const auto& [key, samples] : series_) {
    for (const auto& s : samples) n += s.acked_at <= k;
  }
  return n;
}

TraceVerdict JudgeTraceState(const TraceWalModel& model, const CheckerReport& report, uint32_t point,
                             FaultClass cls) {
  TraceVerdict v;
  auto fail = [&](Violation what, std::string detail) {
    if (v.violation == Violation::kNone) {
      v.violation = what;
      v.detail = std::move(detail);
    }
  };
  v.logged = model.LoggedBy(point);
  v.acked = model.AckedBy(point);
  if (!report.started) {
    fail(Violation::kOpenFailed, "the program did not start on the image: " + report.log);
    return v;
  }
  if (!report.reads_samples) {
    if (!report.consistent) fail(Violation::kAckedLost, "the checker found the image inconsistent: " + report.log);
    return v;
  }
  const bool wal_only = report.wal_only_after != INT64_MIN;
  // Samples a logged tombstone deletes are left out on both sides.
  auto live_logged = [&](const std::string& key, const std::vector<TraceSample>& all) {
    std::vector<TraceSample> out;
    for (const auto& s : all) {
      if (!model.Deleted(key, s.t, point)) out.push_back(s);
    }
    return out;
  };
  for (const auto& [key, all_got] : report.series) {
    std::vector<std::pair<int64_t, double>> got;
    for (const auto& p : all_got) {
      if (!model.Deleted(key, p.first, point)) got.push_back(p);
    }
    v.recovered += got.size();
    auto it = model.series().find(key);
    if (it == model.series().end()) {
      if (!got.empty()) fail(Violation::kInvented, "series {" + key + "} was never logged");
      continue;
    }
    const std::vector<TraceSample> logged = live_logged(key, it->second);
    // Where the recovered run starts in the logged sequence.
    size_t start = 0;
    if (wal_only && !got.empty()) {
      while (start < logged.size() && logged[start].t != got[0].first) ++start;
    }
    for (size_t i = 0; i < got.size(); ++i) {
      const size_t j = start + i;
      if (j >= logged.size() || logged[j].logged_at > point) {
        bool ever = std::any_of(logged.begin(), logged.end(), [&](const TraceSample& s) {
          return s.t == got[i].first && SameBits(s.v, got[i].second);
        });
        fail(Violation::kInvented, "{" + key + "} t=" + std::to_string(got[i].first) +
                                       (ever ? " was logged only after the crash point" : " was never logged"));
        break;
      }
      if (logged[j].t == got[i].first && !SameBits(logged[j].v, got[i].second)) {
        fail(Violation::kInvented, "{" + key + "} t=" + std::to_string(got[i].first) + ": recovered value " +
                                       std::to_string(got[i].second) + ", logged " + std::to_string(logged[j].v));
        break;
      }
      if (logged[j].t != got[i].first) {
        // Samples missing before ones that are there: a hole. Damage at rest
        // may make one, where the checker reported it.
        if (cls != FaultClass::kAtRest || !report.corruption_reported) {
          fail(Violation::kOutOfOrder, "{" + key + "}: recovered sample " + std::to_string(i) + " is t=" +
                                           std::to_string(got[i].first) + ", logged sample " + std::to_string(j) +
                                           " is t=" + std::to_string(logged[j].t) + ": a hole");
        }
        break;
      }
    }
  }
  for (const auto& [key, all_logged] : model.series()) {
    const std::vector<TraceSample> logged = live_logged(key, all_logged);
    auto it = report.series.find(key);
    size_t have = 0;
    if (it != report.series.end()) {
      for (const auto& p : it->second) have += !model.Deleted(key, p.first, point);
    }
    size_t need_end = 0, need = 0;
    for (size_t j = 0; j < logged.size(); ++j) {
      if (logged[j].acked_at <= point && (!wal_only || logged[j].t > report.wal_only_after)) {
        need_end = j + 1;
        ++need;
      }
    }
    if (need == 0) continue;
    bool ok;
    if (wal_only) {
      const int64_t last_needed_t = logged[need_end - 1].t;
      ok = it != report.series.end() && !it->second.empty() &&
           std::any_of(it->second.begin(), it->second.end(), [&](const auto& p) { return p.first == last_needed_t; });
    } else {
      ok = have >= need_end;
    }
    if (!ok) {
      std::string detail = "{" + key + "}: " + std::to_string(need) + " acknowledged samples (through t=" +
                           std::to_string(logged[need_end - 1].t) + "), " + std::to_string(have) + " recovered";
      if (cls == FaultClass::kAtRest) {
        if (!report.corruption_reported) fail(Violation::kSilentLoss, detail + ", and no corruption was reported");
      } else {
        fail(Violation::kAckedLost, detail);
      }
    }
  }
  return v;
}

}  // namespace crashsim
