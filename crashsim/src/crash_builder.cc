#include "crashsim/crash_builder.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "crashsim/rng.h"
#include "crashsim/workload.h"

namespace crashsim {
namespace {

struct PendingDirOp {
  size_t op = 0;
  bool src_pending = false;  // the change to op.inode's table
  bool dst_pending = false;  // rename: the change to op.dest_dir's table
};

// Dir ops before `point` whose effect on some directory was not yet made
// durable by an fsync of that directory, in log order.
std::vector<PendingDirOp> Pending(const std::vector<FsOp>& log, uint32_t point) {
  std::set<int> synced_later;
  std::vector<PendingDirOp> out;
  for (size_t j = point; j-- > 0;) {
    const FsOp& op = log[j];
    if (op.failed) continue;
    if (op.kind == OpKind::kSyncDir) {
      synced_later.insert(op.inode);
      continue;
    }
    if (!IsDirOp(op.kind)) continue;
    PendingDirOp p;
    p.op = j;
    p.src_pending = !synced_later.count(op.inode);
    p.dst_pending = op.kind == OpKind::kRename && !synced_later.count(op.dest_dir);
    if (p.src_pending || p.dst_pending) out.push_back(p);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool Selected(const CrashSpec& spec, size_t i) {
  switch (spec.dir) {
    case DirFate::kKeep: return true;
    case DirFate::kLose: return false;
    case DirFate::kPrefix: return i < spec.dir_arg;
    case DirFate::kDropOne: return i != spec.dir_arg;
    case DirFate::kSubset: return i < 64 && ((spec.dir_arg >> i) & 1);
  }
  return true;
}

void Revert(std::string* s, const std::string& dur, uint64_t lo, uint64_t hi) {
  for (uint64_t x = lo; x < hi; ++x) (*s)[x] = x < dur.size() ? dur[x] : '\0';
}

std::string OpSummary(const FsOp& op) {
  std::string s = std::string(OpKindName(op.kind)) + " " + op.path;
  if (op.kind == OpKind::kAppend) s += " @" + std::to_string(op.offset) + " +" + std::to_string(op.length);
  if (op.kind == OpKind::kTruncate) s += " to " + std::to_string(op.offset);
  if (op.failed || op.fault != IoFault::kNone) s += std::string(" [") + IoFaultName(op.fault) + "]";
  return s;
}

}  // namespace

uint32_t CrashBuilder::ResolvePoint(const CrashSpec& spec) const {
  const auto n = static_cast<uint32_t>(run_.log().size());
  if (spec.point == kPointEnd) return n;
  if (spec.point == kPointAfterFault) {
    return run_.fault_op() < 0 ? n : static_cast<uint32_t>(run_.fault_op()) + 1;
  }
  return std::min(spec.point, n);
}

std::vector<size_t> CrashBuilder::PendingDirOps(uint32_t point) const {
  std::vector<size_t> out;
  for (const PendingDirOp& p : Pending(run_.log(), point)) out.push_back(p.op);
  return out;
}

CrashBuilder::FileView CrashBuilder::ViewOf(int inode, uint32_t point) const {
  const FsState& v = run_.volatile_at(point);
  const FsState& d = run_.durable_at(point);
  FileView fv;
  fv.inode = inode;
  fv.vol_size = v.inodes[inode].data->size();
  fv.dur_size = d.inodes[inode].data->size();
  fv.stable = std::min(fv.vol_size, fv.dur_size);
  const auto& log = run_.log();
  for (size_t j = point; j-- > 0;) {
    const FsOp& op = log[j];
    if (op.inode != inode || op.failed) continue;
    if (op.kind == OpKind::kSync) break;
    if (op.kind == OpKind::kAppend) {
      fv.stable = std::min(fv.stable, op.offset);
      fv.write_ends.push_back(op.offset + op.length);
    } else if (op.kind == OpKind::kTruncate) {
      fv.stable = std::min(fv.stable, op.offset);
    }
  }
  std::reverse(fv.write_ends.begin(), fv.write_ends.end());
  // Identical bytes past the divergence point need no fate of their own, but
  // checking them would cost a compare per state; the enumerator dedups.
  return fv;
}

std::vector<CrashBuilder::FileView> CrashBuilder::UnsyncedFiles(uint32_t point) const {
  std::vector<FileView> out;
  const FsState& v = run_.volatile_at(point);
  const FsState& d = run_.durable_at(point);
  for (size_t i = 0; i < v.inodes.size(); ++i) {
    if (v.inodes[i].is_dir || v.inodes[i].data == d.inodes[i].data) continue;
    if (*v.inodes[i].data == *d.inodes[i].data) continue;
    out.push_back(ViewOf(static_cast<int>(i), point));
  }
  return out;
}

Bytes CrashBuilder::FileData(const CrashSpec& spec, uint32_t point, int inode) const {
  const FsState& v = run_.volatile_at(point);
  const FsState& d = run_.durable_at(point);
  const Bytes& vol = v.inodes[inode].data;
  const Bytes& dur = d.inodes[inode].data;
  const Bytes& base = spec.data == DataFate::kKeep ? vol : dur;
  if (inode != spec.file || spec.fate == FileFate::kNone) return base;

  switch (spec.fate) {
    case FileFate::kNone:
      break;
    case FileFate::kPartialOp: {
      const auto& log = run_.log();
      if (point >= log.size() || log[point].kind != OpKind::kAppend || log[point].inode != inode) return vol;
      const FsOp& op = log[point];
      // The first `a` bytes of the write landed: an append, or (in a traced
      // run) an overwrite inside the file.
      const std::string& after = *run_.volatile_at(point + 1).inodes[inode].data;
      const uint64_t n = std::min<uint64_t>(spec.a, op.length);
      std::string s = *vol;
      if (s.size() < op.offset + n) s.resize(op.offset + n, '\0');
      s.replace(op.offset, n, after, op.offset, n);
      return MakeBytes(std::move(s));
    }
    case FileFate::kPrefix: {
      FileView fv = ViewOf(inode, point);
      return MakeBytes(vol->substr(0, std::min<uint64_t>(vol->size(), fv.stable + spec.a)));
    }
    case FileFate::kLosePieces:
    case FileFate::kSizeOnly: {
      FileView fv = ViewOf(inode, point);
      std::string s = *vol;
      if (spec.fate == FileFate::kSizeOnly) {
        Revert(&s, *dur, fv.stable, s.size());
      } else {
        for (int i = 0; i < spec.npieces; ++i) {
          uint64_t lo = std::max<uint64_t>(uint64_t{spec.pieces[i]} * spec.piece, fv.stable);
          uint64_t hi = std::min<uint64_t>(uint64_t{spec.pieces[i] + 1} * spec.piece, s.size());
          if (lo < hi) Revert(&s, *dur, lo, hi);
        }
      }
      return MakeBytes(std::move(s));
    }
    case FileFate::kGarbage: {
      std::string s = *vol;
      uint64_t lo = std::min<uint64_t>(spec.a, s.size());
      uint64_t hi = std::min<uint64_t>(spec.a + spec.b, s.size());
      if (spec.fill == Fill::kZeros) {
        std::fill(s.begin() + lo, s.begin() + hi, '\0');
      } else if (spec.fill == Fill::kRandom) {
        Rng rng(spec.garbage_seed);
        rng.Fill(s.data() + lo, hi - lo);
      } else {
        const std::string empty;
        const std::string& src =
            spec.stale_from >= 0 && spec.stale_from < static_cast<int>(v.inodes.size()) && !v.inodes[spec.stale_from].is_dir
                ? *v.inodes[spec.stale_from].data
                : empty;
        for (uint64_t x = lo; x < hi; ++x) s[x] = x < src.size() ? src[x] : '\0';
      }
      return MakeBytes(std::move(s));
    }
    case FileFate::kBitFlip: {
      std::string s = *base;
      if (spec.a < s.size()) s[spec.a] = static_cast<char>(s[spec.a] ^ (1 << (spec.bit & 7)));
      return MakeBytes(std::move(s));
    }
    case FileFate::kZeroRange: {
      std::string s = *base;
      uint64_t lo = std::min<uint64_t>(spec.a, s.size());
      uint64_t hi = std::min<uint64_t>(spec.a + spec.b, s.size());
      std::fill(s.begin() + lo, s.begin() + hi, '\0');
      return MakeBytes(std::move(s));
    }
  }
  return base;
}

CrashImage CrashBuilder::Build(const CrashSpec& spec) const {
  const uint32_t k = ResolvePoint(spec);
  const FsState& v = run_.volatile_at(k);
  const FsState& d = run_.durable_at(k);
  const size_t n = v.inodes.size();

  // Directory tables as the crash leaves them.
  std::vector<EntriesPtr> tables(n);
  for (size_t i = 0; i < n; ++i) {
    if (!v.inodes[i].is_dir) continue;
    tables[i] = spec.dir == DirFate::kKeep ? v.inodes[i].entries : d.inodes[i].entries;
  }
  if (spec.dir != DirFate::kKeep && spec.dir != DirFate::kLose) {
    std::map<int, DirEntries> changed;
    auto table = [&](int dir) -> DirEntries& {
      auto it = changed.find(dir);
      if (it == changed.end()) it = changed.emplace(dir, *d.inodes[dir].entries).first;
      return it->second;
    };
    const auto& log = run_.log();
    std::vector<PendingDirOp> pending = Pending(log, k);
    for (size_t i = 0; i < pending.size(); ++i) {
      if (!Selected(spec, i)) continue;
      const FsOp& op = log[pending[i].op];
      if (op.kind == OpKind::kLink && pending[i].src_pending) table(op.inode)[op.name] = op.target;
      if (op.kind == OpKind::kUnlink && pending[i].src_pending) table(op.inode).erase(op.name);
      if (op.kind == OpKind::kRename) {
        if (pending[i].src_pending) {
          DirEntries& t = table(op.inode);
          auto it = t.find(op.name);
          if (it != t.end() && it->second == op.target) t.erase(it);
        }
        if (pending[i].dst_pending) table(op.dest_dir)[op.name2] = op.target;
      }
    }
    for (auto& [dir, entries] : changed) tables[dir] = std::make_shared<const DirEntries>(std::move(entries));
  }

  CrashImage img;
  std::vector<std::pair<int, std::string>> stack = {{kRootInode, ""}};
  std::set<int> seen_dirs = {kRootInode};
  while (!stack.empty()) {
    auto [dir, prefix] = std::move(stack.back());
    stack.pop_back();
    // Children in name order; directories are expanded after their files.
    std::vector<std::pair<int, std::string>> subdirs;
    for (const auto& [name, child] : *tables[dir]) {
      if (child < 0 || static_cast<size_t>(child) >= n) continue;
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (v.inodes[child].is_dir) {
        if (!seen_dirs.insert(child).second) continue;  // a dir reachable twice keeps its first name
        img.entries.push_back(CrashImage::Entry{path, true, nullptr});
        subdirs.emplace_back(child, path);
      } else {
        img.entries.push_back(CrashImage::Entry{path, false, FileData(spec, k, child)});
      }
    }
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
  }
  return img;
}

std::vector<std::string> CrashBuilder::OpLines(uint32_t point) const {
  std::vector<std::string> out;
  const auto& log = run_.log();
  for (uint32_t j = 0; j < point && j < log.size(); ++j) {
    out.push_back(std::to_string(j) + " [" + PhaseName(log[j].phase) + "] " + OpSummary(log[j]));
  }
  return out;
}

std::string CrashBuilder::Describe(const CrashSpec& spec) const {
  const auto& log = run_.log();
  const uint32_t k = ResolvePoint(spec);
  std::string s = std::string(FaultClassName(spec.cls)) + ": crash after " + std::to_string(k) + " of " +
                  std::to_string(log.size()) + " ops";
  if (k > 0) s += " (last: " + OpSummary(log[k - 1]) + ")";
  if (spec.fault_call >= 0) {
    s += "; call " + std::to_string(spec.fault_call) + " failed with " +
         IoFaultName(static_cast<IoFault>(spec.io_fault));
    if (run_.fault_op() >= 0) s += " (op " + std::to_string(run_.fault_op()) + ": " + OpSummary(log[run_.fault_op()]) + ")";
  }
  s += spec.data == DataFate::kKeep ? "; unsynced data kept" : "; unsynced data lost";
  const auto pending = Pending(log, k);
  switch (spec.dir) {
    case DirFate::kKeep: if (!pending.empty()) s += ", unsynced dir ops kept"; break;
    case DirFate::kLose: if (!pending.empty()) s += ", all " + std::to_string(pending.size()) + " unsynced dir ops lost"; break;
    case DirFate::kPrefix: s += ", only the first " + std::to_string(spec.dir_arg) + " of " + std::to_string(pending.size()) + " unsynced dir ops kept"; break;
    case DirFate::kDropOne:
      s += ", unsynced dir op lost: " + (spec.dir_arg < pending.size() ? OpSummary(log[pending[spec.dir_arg].op]) : std::string("?"));
      break;
    case DirFate::kSubset: {
      s += ", unsynced dir ops kept: {";
      for (size_t i = 0; i < pending.size() && i < 64; ++i) {
        if ((spec.dir_arg >> i) & 1) s += OpSummary(log[pending[i].op]) + "; ";
      }
      s += "}";
      break;
    }
  }
  if (spec.file >= 0 && spec.fate != FileFate::kNone) {
    std::string path = "inode " + std::to_string(spec.file);
    for (size_t j = 0; j < log.size(); ++j) {
      if ((log[j].inode == spec.file && !IsDirOp(log[j].kind)) || (log[j].kind == OpKind::kLink && log[j].target == spec.file)) {
        path = log[j].path;
        break;
      }
    }
    s += "; " + path + ": ";
    switch (spec.fate) {
      case FileFate::kNone: break;
      case FileFate::kPartialOp:
        s += "next op (" + (k < log.size() ? OpSummary(log[k]) : std::string("?")) + ") cut after " +
             std::to_string(spec.a) + " bytes";
        break;
      case FileFate::kPrefix: s += "only the first " + std::to_string(spec.a) + " unsynced bytes landed"; break;
      case FileFate::kLosePieces: {
        s += "unsynced " + std::to_string(spec.piece) + "-byte pieces lost (old bytes or zeros) at offsets";
        for (int i = 0; i < spec.npieces; ++i) s += " " + std::to_string(uint64_t{spec.pieces[i]} * spec.piece);
        break;
      }
      case FileFate::kSizeOnly: s += "size persisted without the unsynced data"; break;
      case FileFate::kGarbage:
        s += "[" + std::to_string(spec.a) + ", " + std::to_string(spec.a + spec.b) + ") filled with " + FillName(spec.fill);
        if (spec.fill == Fill::kStale) s += " bytes of inode " + std::to_string(spec.stale_from);
        break;
      case FileFate::kBitFlip: s += "bit " + std::to_string(spec.bit) + " of byte " + std::to_string(spec.a) + " flipped"; break;
      case FileFate::kZeroRange: s += "[" + std::to_string(spec.a) + ", " + std::to_string(spec.a + spec.b) + ") zeroed"; break;
    }
  }
  return s;
}

}  // namespace crashsim
