#include "crashsim/enumerator.h"

#include <algorithm>
#include <set>

#include "crashsim/crash_builder.h"
#include "crashsim/rng.h"

namespace crashsim {
namespace {

constexpr uint64_t kSector = 512;
constexpr uint64_t kPage4k = 4096;

bool ChangesVolatile(const FsOp& op) { return !op.failed && (IsDataOp(op.kind) || IsDirOp(op.kind)); }
bool IsSyncOp(const FsOp& op) { return !op.failed && (op.kind == OpKind::kSync || op.kind == OpKind::kSyncDir); }

// Points where the most is unsynced: just before each fsync, and the end.
std::vector<uint32_t> BeforeSyncPoints(const std::vector<FsOp>& log) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < log.size(); ++k) {
    if (IsSyncOp(log[k]) && (out.empty() || out.back() != k)) out.push_back(static_cast<uint32_t>(k));
  }
  if (out.empty() || out.back() != log.size()) out.push_back(static_cast<uint32_t>(log.size()));
  return out;
}

// Keeps at most `cap` of `items`, a seeded sample in original order.
template <typename T>
void SampleDown(std::vector<T>* items, size_t cap, uint64_t seed) {
  if (items->size() <= cap) return;
  std::vector<size_t> idx(items->size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  Rng rng(seed);
  for (size_t i = 0; i < cap; ++i) std::swap(idx[i], idx[i + rng.Below(idx.size() - i)]);
  idx.resize(cap);
  std::sort(idx.begin(), idx.end());
  std::vector<T> kept;
  kept.reserve(cap);
  for (size_t i : idx) kept.push_back(std::move((*items)[i]));
  *items = std::move(kept);
}

// Every subset of 1..max_k of the n pieces, or a seeded sample of `cap` when there are more.
std::vector<std::vector<uint32_t>> PieceSets(uint32_t first, uint32_t n, uint32_t max_k, size_t cap, uint64_t seed) {
  std::vector<std::vector<uint32_t>> out;
  uint64_t total = 0, c = 1;
  for (uint32_t k = 1; k <= max_k && k <= n; ++k) {
    c = c * (n - k + 1) / k;
    total += c;
  }
  if (total <= cap) {
    std::vector<uint32_t> cur;
    auto rec = [&](auto&& self, uint32_t start) -> void {
      if (!cur.empty()) out.push_back(cur);
      if (cur.size() == max_k) return;
      for (uint32_t p = start; p < n; ++p) {
        cur.push_back(first + p);
        self(self, p + 1);
        cur.pop_back();
      }
    };
    rec(rec, 0);
    return out;
  }
  Rng rng(seed);
  std::set<std::vector<uint32_t>> seen;
  for (size_t tries = 0; out.size() < cap && tries < cap * 8; ++tries) {
    uint32_t k = static_cast<uint32_t>(rng.Between(1, std::min(max_k, n)));
    std::set<uint32_t> pick;
    while (pick.size() < k) pick.insert(first + static_cast<uint32_t>(rng.Below(n)));
    std::vector<uint32_t> v(pick.begin(), pick.end());
    if (seen.insert(v).second) out.push_back(v);
  }
  return out;
}

void Cut(const SimFs& run, std::vector<CrashSpec>* out) {
  const auto& log = run.log();
  for (uint32_t k = 0; k <= log.size(); ++k) {
    if (k == 0 || ChangesVolatile(log[k - 1])) {
      CrashSpec s;
      s.cls = FaultClass::kCut;
      s.point = k;
      out->push_back(s);
    }
    if (k < log.size() && log[k].kind == OpKind::kAppend && log[k].length > 1) {
      for (uint64_t b = 1; b < log[k].length; ++b) {
        CrashSpec s;
        s.cls = FaultClass::kCut;
        s.point = k;
        s.file = log[k].inode;
        s.fate = FileFate::kPartialOp;
        s.a = b;
        out->push_back(s);
      }
    }
  }
}

void LostData(const SimFs& run, const EnumLimits& lim, uint64_t seed, std::vector<CrashSpec>* out) {
  CrashBuilder b(run);
  for (uint32_t k : BeforeSyncPoints(run.log())) {
    std::vector<CrashBuilder::FileView> files = b.UnsyncedFiles(k);
    if (files.empty()) continue;
    CrashSpec all;
    all.cls = FaultClass::kLostData;
    all.point = k;
    all.data = DataFate::kLose;
    out->push_back(all);
    for (const auto& fv : files) {
      if (fv.vol_size <= fv.stable) continue;
      const uint64_t unsynced = fv.vol_size - fv.stable;
      // Prefixes: at every write end and every sector boundary.
      std::set<uint64_t> cuts;
      for (uint64_t e : fv.write_ends) {
        if (e > fv.stable && e < fv.vol_size) cuts.insert(e - fv.stable);
      }
      for (uint64_t m = (fv.stable / kSector + 1) * kSector; m < fv.vol_size; m += kSector) cuts.insert(m - fv.stable);
      cuts.insert(0);
      std::vector<uint64_t> prefixes(cuts.begin(), cuts.end());
      SampleDown(&prefixes, lim.max_prefixes_per_file, DeriveSeed(seed, 2, k * 1000003ull + fv.inode));
      for (uint64_t a : prefixes) {
        CrashSpec s;
        s.cls = FaultClass::kLostData;
        s.point = k;
        s.file = fv.inode;
        s.fate = FileFate::kPrefix;
        s.a = a;
        out->push_back(s);
      }
      // Holes: any few pages or sectors of the unsynced range lost, size kept.
      for (uint64_t piece : {kPage4k, kSector}) {
        const uint32_t first = static_cast<uint32_t>(fv.stable / piece);
        const uint32_t last = static_cast<uint32_t>((fv.vol_size - 1) / piece);
        const uint32_t n = last - first + 1;
        if (n < 2 && unsynced <= piece) continue;  // the one piece lost is the prefix cut 0 or size-only
        uint32_t max_k = piece == kPage4k ? lim.max_pages_lost : lim.max_sectors_lost;
        for (const auto& set : PieceSets(first, n, max_k, lim.max_piece_sets,
                                         DeriveSeed(seed, 20 + piece, k * 1000003ull + fv.inode))) {
          CrashSpec s;
          s.cls = FaultClass::kLostData;
          s.point = k;
          s.file = fv.inode;
          s.fate = FileFate::kLosePieces;
          s.piece = static_cast<uint32_t>(piece);
          s.npieces = static_cast<uint8_t>(set.size());
          for (size_t i = 0; i < set.size(); ++i) s.pieces[i] = set[i];
          out->push_back(s);
        }
      }
    }
  }
}

void Torn(const SimFs& run, const EnumLimits& lim, uint64_t seed, std::vector<CrashSpec>* out) {
  const auto& log = run.log();
  for (uint32_t j = 0; j < log.size(); ++j) {
    const FsOp& op = log[j];
    if (op.kind != OpKind::kAppend || op.length == 0) continue;
    const uint32_t k = j + 1;
    const FsState& v = run.volatile_at(k);
    const uint64_t lo = op.offset, hi = op.offset + op.length;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [a, b)
    for (uint64_t s = lo / kSector * kSector; s < hi; s += kSector) {
      ranges.emplace_back(std::max(s, lo), std::min(s + kSector, hi));  // one torn sector
    }
    for (uint64_t c = lo; c < hi; c = (c / kSector + 1) * kSector) ranges.emplace_back(c, hi);  // torn tail
    std::sort(ranges.begin(), ranges.end());
    ranges.erase(std::unique(ranges.begin(), ranges.end()), ranges.end());
    std::vector<CrashSpec> mine;
    for (auto [a, b] : ranges) {
      for (Fill fill : {Fill::kZeros, Fill::kRandom, Fill::kStale}) {
        CrashSpec s;
        s.cls = FaultClass::kTorn;
        s.point = k;
        s.file = op.inode;
        s.fate = FileFate::kGarbage;
        s.a = a;
        s.b = b - a;
        s.fill = fill;
        if (fill == Fill::kRandom) s.garbage_seed = DeriveSeed(seed, 3, j * 65537ull + a);
        if (fill == Fill::kStale) {
          // An older file's bytes at the same offset: what a reused block may hold.
          for (size_t i = 0; i < v.inodes.size(); ++i) {
            if (static_cast<int>(i) != op.inode && !v.inodes[i].is_dir && v.inodes[i].data->size() > a) {
              s.stale_from = static_cast<int32_t>(i);
              break;
            }
          }
          if (s.stale_from < 0) continue;
        }
        mine.push_back(s);
      }
    }
    SampleDown(&mine, lim.max_torn_per_write, DeriveSeed(seed, 30, j));
    out->insert(out->end(), mine.begin(), mine.end());
  }
}

void DirOps(const SimFs& run, const EnumLimits& lim, std::vector<CrashSpec>* out) {
  const auto& log = run.log();
  CrashBuilder b(run);
  std::set<uint32_t> points;
  for (uint32_t k = 0; k <= log.size(); ++k) {
    if ((k > 0 && !log[k - 1].failed && IsDirOp(log[k - 1].kind)) ||
        (k < log.size() && IsSyncOp(log[k])) || k == log.size()) {
      points.insert(k);
    }
  }
  std::vector<uint32_t> before_sync = BeforeSyncPoints(log);
  std::set<uint32_t> k2(before_sync.begin(), before_sync.end());
  for (uint32_t k : points) {
    const size_t m = b.PendingDirOps(k).size();
    auto add = [&](DataFate data, DirFate dir, uint64_t arg) {
      CrashSpec s;
      s.cls = FaultClass::kDirOps;
      s.point = k;
      s.data = data;
      s.dir = dir;
      s.dir_arg = arg;
      out->push_back(s);
    };
    if (m > 0) {
      add(DataFate::kKeep, DirFate::kLose, 0);
      add(DataFate::kLose, DirFate::kLose, 0);
      for (size_t n = 1; n < m; ++n) add(DataFate::kKeep, DirFate::kPrefix, n);
      if (m >= 2) {
        for (size_t i = 0; i < m; ++i) add(DataFate::kKeep, DirFate::kDropOne, i);
      }
      if (m >= 3 && m <= lim.max_dir_subset_ops) {
        for (uint64_t mask = 1; mask + 1 < (uint64_t{1} << m); ++mask) add(DataFate::kKeep, DirFate::kSubset, mask);
      }
    }
    if (k2.count(k)) {
      for (const auto& fv : b.UnsyncedFiles(k)) {
        if (fv.vol_size <= fv.stable) continue;
        CrashSpec s;
        s.cls = FaultClass::kDirOps;
        s.point = k;
        s.file = fv.inode;
        s.fate = FileFate::kSizeOnly;
        out->push_back(s);
      }
    }
  }
}

void AtRest(const SimFs& run, const EnumLimits& lim, uint64_t seed, std::vector<CrashSpec>* out) {
  const uint32_t k = static_cast<uint32_t>(run.log().size());
  // Files of the durable image, with their synced sizes.
  CrashSpec base;
  base.cls = FaultClass::kAtRest;
  base.point = k;
  base.data = DataFate::kLose;
  base.dir = DirFate::kLose;
  const FsState& d = run.durable_at(k);
  std::vector<std::pair<int, uint64_t>> files;
  std::vector<std::pair<int, std::string>> stack = {{kRootInode, ""}};
  std::set<int> seen;
  while (!stack.empty()) {
    auto [dir, prefix] = stack.back();
    stack.pop_back();
    for (const auto& [name, child] : *d.inodes[dir].entries) {
      const std::string path = prefix + "/" + name;
      if (d.inodes[child].is_dir) {
        if (seen.insert(child).second) stack.emplace_back(child, path);
      } else if (!d.inodes[child].data->empty() &&
                 (lim.at_rest_only.empty() || path.find(lim.at_rest_only) != std::string::npos)) {
        files.emplace_back(child, d.inodes[child].data->size());
      }
    }
  }
  std::sort(files.begin(), files.end());
  uint64_t total = 0;
  for (auto& f : files) total += f.second;
  if (total == 0) return;

  std::vector<CrashSpec> zeroed;
  for (auto [inode, size] : files) {
    for (uint64_t s = 0; s < size; s += kSector) {
      CrashSpec z = base;
      z.file = inode;
      z.fate = FileFate::kZeroRange;
      z.a = s;
      z.b = std::min(kSector, size - s);
      zeroed.push_back(z);
    }
  }
  SampleDown(&zeroed, lim.max_zeroed_sectors, DeriveSeed(seed, 60));
  out->insert(out->end(), zeroed.begin(), zeroed.end());

  std::vector<std::pair<uint64_t, uint8_t>> flips;  // (global bit offset)
  if (total * 8 <= lim.max_bit_flips) {
    for (uint64_t x = 0; x < total; ++x) {
      for (uint8_t bit = 0; bit < 8; ++bit) flips.emplace_back(x, bit);
    }
  } else {
    Rng rng(DeriveSeed(seed, 61));
    std::set<std::pair<uint64_t, uint8_t>> pick;
    while (pick.size() < lim.max_bit_flips) pick.emplace(rng.Below(total), static_cast<uint8_t>(rng.Below(8)));
    flips.assign(pick.begin(), pick.end());
  }
  for (auto [x, bit] : flips) {
    CrashSpec f = base;
    for (auto [inode, size] : files) {
      if (x < size) {
        f.file = inode;
        f.a = x;
        break;
      }
      x -= size;
    }
    f.fate = FileFate::kBitFlip;
    f.bit = bit;
    out->push_back(f);
  }
}

}  // namespace

std::vector<CrashSpec> EnumerateClass(const SimFs& run, FaultClass cls, const EnumLimits& limits, uint64_t seed) {
  std::vector<CrashSpec> out;
  switch (cls) {
    case FaultClass::kCut: Cut(run, &out); break;
    case FaultClass::kLostData: LostData(run, limits, seed, &out); break;
    case FaultClass::kTorn: Torn(run, limits, seed, &out); break;
    case FaultClass::kDirOps: DirOps(run, limits, &out); break;
    case FaultClass::kAtRest: AtRest(run, limits, seed, &out); break;
    case FaultClass::kIoError:
    case FaultClass::kCompound:
      break;  // not states of this run: see EnumerateIoRuns and the runner
  }
  return out;
}

std::vector<IoRun> EnumerateIoRuns(const SimFs& base_run) {
  std::vector<IoRun> out;
  const auto& calls = base_run.faultable_calls();
  for (size_t i = 0; i < calls.size(); ++i) {
    auto add = [&](IoFault f) { out.push_back(IoRun{static_cast<int64_t>(i), f}); };
    switch (calls[i]) {
      case OpKind::kAppend:
        add(IoFault::kNoSpace);
        add(IoFault::kIoError);
        add(IoFault::kShortWrite);
        break;
      case OpKind::kLink:
        add(IoFault::kNoSpace);
        break;
      default:
        add(IoFault::kIoError);
        break;
    }
  }
  return out;
}

std::vector<CrashSpec> EnumerateCompoundChildren(const SimFs& run) {
  std::vector<CrashSpec> out;
  const auto& log = run.log();
  CrashBuilder b(run);
  for (uint32_t k = 0; k <= log.size(); ++k) {
    if (k > 0 && log[k - 1].failed) continue;
    CrashSpec s;
    s.cls = FaultClass::kCompound;
    s.point = k;
    if (k == 0 || ChangesVolatile(log[k - 1])) out.push_back(s);
    s.data = DataFate::kLose;
    s.dir = DirFate::kLose;
    out.push_back(s);
    const size_t m = b.PendingDirOps(k).size();
    if (m >= 2 && k > 0 && IsDirOp(log[k - 1].kind)) {
      for (size_t i = 0; i < m; ++i) {
        CrashSpec d;
        d.cls = FaultClass::kCompound;
        d.point = k;
        d.dir = DirFate::kDropOne;
        d.dir_arg = i;
        out.push_back(d);
      }
    }
  }
  return out;
}

CrashSpec IoRunState(const IoRun& run, uint32_t local) {
  CrashSpec s;
  s.cls = FaultClass::kIoError;
  s.fault_call = run.call;
  s.io_fault = static_cast<uint8_t>(run.fault);
  s.point = local < 2 ? kPointAfterFault : kPointEnd;
  if (local % 2 == 1) {
    s.data = DataFate::kLose;
    s.dir = DirFate::kLose;
  }
  return s;
}

}  // namespace crashsim
