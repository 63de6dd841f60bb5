#include "crashsim/recovery.h"

#include "crashsim/hash.h"
#include "gen/workload.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/replay.h"
#include "walproof/wal/checkpoint.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"
#include "walproof/wal/wal_writer.h"

namespace crashsim {
namespace {

walproof::DurabilityProtocol ToDurability(Protocol p) {
  return p == Protocol::kReference ? walproof::DurabilityProtocol::kWalproof
                                   : walproof::DurabilityProtocol::kPrometheus242;
}

}  // namespace

Recoverer::Recoverer(const Model& model, const RecoveryConfig& config)
    : model_(model),
      config_(config),
      variant_(config.variant ? config.variant : &ReferenceVariant()),
      heads_(model),
      marker_(walproof::gen::UniqueRecords::Marker(0)) {}

ReadPass Recoverer::Read(walproof::Fs& fs) {
  ReadPass pass;
  // No WAL directory yet (a crash before the first start made it): an empty
  // WAL, which Prometheus creates on start.
  if (auto kind = fs.Stat(config_.dir); kind.ok() && *kind == walproof::FileKind::kMissing) {
    pass.opened = true;
    return pass;
  }
  auto plan = walproof::PlanWalRead(fs, config_.dir);
  if (!plan.ok()) {
    pass.error = plan.status().ToString();
    return pass;
  }
  pass.opened = true;
  pass.checkpoint = plan->checkpoint;
  pass.base = plan->checkpoint ? model_.FirstAfterSegment(*plan->checkpoint) : 0;
  RecordMatcher m(model_, pass.base, marker_);
  walproof::WalReader reader(fs, std::move(*plan));
  std::string_view rec;
  uint32_t checkpoint_records = 0;
  uint64_t checkpoint_sig = 0;
  while (reader.Next(&rec)) {
    if (reader.in_checkpoint()) {
      // Rewritten records: judged through the head digest, not one by one.
      ++checkpoint_records;
      checkpoint_sig = HashCombine(checkpoint_sig, Hash64(rec));
      continue;
    }
    // Replay and repair treat a record that does not decode as corruption at
    // that record (upstream does too), so recovery never applies it. Only
    // records other than the one expected can fail, so only those are decoded.
    if (!rec.empty() && !m.Expected(rec)) {
      walproof::Record decoded;
      walproof::Status st = walproof::DecodeRecord(rec, &decoded);
      if (!st.ok()) {
        reader.FailDecode(walproof::RecordTypeName(walproof::PeekRecordType(rec)), st);
        break;
      }
    }
    m.Feed(rec);
  }
  if (!reader.status().ok()) {
    if (reader.corruption()) {
      pass.corruption = true;
      pass.corruption_text = reader.corruption()->ToString();
    } else {
      pass.error = reader.status().ToString();
    }
  }
  pass.records = checkpoint_records + m.records();
  pass.matched_end = m.matched_end();
  pass.skipped = m.skipped();
  pass.phantom_empty = m.phantom_empty();
  pass.marker_seen = m.marker_seen();
  pass.signature = HashCombine(HashCombine(checkpoint_sig, m.signature()), pass.corruption ? 1 : 2);
  pass.violation = m.violation();
  pass.detail = m.detail();
  return pass;
}

void Recoverer::CheckHead(walproof::Fs& fs, RecoveryOutcome* out) {
  const ReadPass& p = out->final_pass;
  if (!p.opened || p.violation != Violation::kNone || !p.error.empty()) return;
  // No WAL directory: nothing to replay (replay rightly refuses a missing one).
  if (auto kind = fs.Stat(config_.dir); !kind.ok() || *kind == walproof::FileKind::kMissing) return;
  // A failed Log before the checkpoint may or may not be in it: no single expected head.
  if (p.checkpoint && model_.AnyMaybeBefore(p.base)) return;
  out->head_checked = true;
  walproof::HeadDigest got;
  auto it = replay_cache_.find(p.signature);
  if (it != replay_cache_.end()) {
    got = it->second;
  } else {
    walproof::HeadOptions options;
    options.min_valid_time = model_.min_valid_time();
    walproof::Head head(options);
    walproof::Status st = variant_->Replay(fs, config_.dir, &head);
    if (!st.ok() && !st.IsCorruption()) {
      out->head_violation = Violation::kReplayMismatch;
      out->head_detail = "replay failed where the reader did not: " + st.ToString();
      return;
    }
    if (st.IsCorruption() != p.corruption) {
      out->head_violation = Violation::kReplayMismatch;
      out->head_detail = "replay " + std::string(st.IsCorruption() ? "stopped at a corruption" : "was clean") +
                         " but the reader " + (p.corruption ? "stopped at a corruption" : "was clean");
      return;
    }
    got = walproof::DigestHead(head);
    if (variant_ == &ReferenceVariant()) {
      // Parallel replay must build the same head as sequential replay.
      walproof::Head par(options);
      walproof::ReplayOptions ro;
      ro.timing = false;
      walproof::ReplayReport report;
      walproof::Status pst = walproof::ReplayParallel(fs, config_.dir, &par, ro, 2, &report);
      walproof::HeadDigest pd = walproof::DigestHead(par);
      if (pst.IsCorruption() != st.IsCorruption() || !(pd == got)) {
        out->head_violation = Violation::kReplayMismatch;
        out->head_detail = "parallel replay (2 threads) built head " + pd.Hex() + " (" + pst.ToString() +
                           "), sequential replay " + got.Hex() + " (" + st.ToString() + ")";
        return;
      }
    }
    replay_cache_.emplace(p.signature, got);
  }
  walproof::HeadDigest want = heads_.Digest(p.matched_end, p.skipped);
  if (!(got == want)) {
    out->head_violation = Violation::kHeadMismatch;
    out->head_detail = "replayed head " + got.Hex() + " differs from the model's head " + want.Hex() +
                       " for logged records [0, " + std::to_string(p.matched_end) + ")" +
                       (p.checkpoint ? " (through checkpoint." + std::to_string(*p.checkpoint) + ")" : "");
  }
}

// After the post-recovery append, recovering the power-cut image again would
// read every segment a second time. When everything recovery wrote (a
// repair) was durable before the append, the last read was clean, and the
// append only created, wrote and fsynced one new segment (and fsynced the
// directory), the old segments after the power cut are byte for byte what was
// just read; only the new one needs reading: it must be durable, named in the
// durable directory, and hold exactly the marker.
bool Recoverer::FastAfterCrash(const SimFs& sim, size_t ops_before_append, const FsState& before_append,
                               RecoveryOutcome& out) {
  const ReadPass& fin = out.final_pass;
  if (fin.corruption || !fin.error.empty() || fin.violation != Violation::kNone) return false;
  // Whatever recovery (a repair) changed must have been durable before the
  // append began, so that the power cut leaves the old segments as read.
  for (size_t i = 0; i < before_append.inodes.size(); ++i) {
    const Inode& v = before_append.inodes[i];
    const Inode& d = sim.durable_state().inodes[i];
    if (v.is_dir ? v.entries != d.entries && *v.entries != *d.entries
                 : v.data != d.data && *v.data != *d.data) {
      return false;
    }
  }
  const auto& log = sim.log();
  int inode = -1;
  std::string name;
  for (size_t i = ops_before_append; i < log.size(); ++i) {
    const FsOp& op = log[i];
    if (op.failed) continue;
    if (op.kind == OpKind::kLink && inode < 0) {
      inode = op.target;
      name = op.name;
    } else if (op.kind == OpKind::kSyncDir || op.kind == OpKind::kSync) {
      continue;
    } else if (op.kind != OpKind::kAppend || op.inode != inode) {
      return false;
    }
  }
  out.after_crash = fin;
  out.after_crash.marker_seen = false;
  const int dir = sim.Lookup(config_.dir);
  if (inode < 0 || dir < 0) return false;
  const FsState& d = sim.durable_state();
  const auto& entries = *d.inodes[dir].entries;
  auto it = entries.find(name);
  if (it == entries.end() || it->second != inode) return true;  // the new segment's name was lost
  // Read the durable bytes of the new segment alone.
  CrashImage one;
  one.entries.push_back({"s", false, d.inodes[inode].data});
  SimFs single(one);
  single.set_recording(false);
  walproof::SegmentReader reader(single, {{0, "s"}});
  std::string_view rec;
  int n = 0;
  bool marker = false;
  while (reader.Next(&rec)) {
    ++n;
    marker = marker || rec == marker_;
  }
  if (n == 1 && marker && reader.status().ok()) {
    out.after_crash.marker_seen = true;
  } else if (!reader.status().ok()) {
    out.after_crash.corruption = true;
    out.after_crash.corruption_text = reader.status().ToString();
  }
  return true;
}

RecoveryOutcome Recoverer::Recover(const CrashImage& image, std::unique_ptr<SimFs>* fs_out) {
  return RecoverAt(image, 0, fs_out);
}

RecoveryOutcome Recoverer::RecoverAt(const CrashImage& image, int depth, std::unique_ptr<SimFs>* fs_out) {
  RecoveryOutcome out;
  auto sim = std::make_unique<SimFs>(image);
  if (!fs_out) sim->set_recording(false);
  sim->set_phase(static_cast<uint16_t>(9));  // Phase::kRecovery
  std::unique_ptr<walproof::Fs> wrapped = variant_->WrapRecoveryFs(*sim);
  walproof::Fs& fs = wrapped ? *wrapped : *sim;

  // 1. What Prometheus removes when it opens the directory (listing first:
  // most images have nothing to remove, and this runs for every state).
  if (auto entries = sim->ListDir(config_.dir); entries.ok()) {
    bool tmp = false;
    for (const auto& e : *entries) tmp = tmp || e.name.ends_with(".tmp");
    if (tmp) {
      walproof::RemoveLeftoverCheckpoints(fs, config_.dir);
      walproof::RemoveRepairTempFiles(fs, config_.dir);
    }
  }

  // 2.
  out.first = Read(fs);
  out.final_pass = out.first;
  // 3.
  bool leftovers = false;
  if (out.first.opened) {
    auto listing = walproof::ListWalDir(fs, config_.dir);
    leftovers = listing.ok() && !listing->repair_files.empty();
  }
  if (!out.first.opened || out.first.corruption || leftovers) {
    bool wrote = false;
    sim->set_phase(static_cast<uint16_t>(8));  // Phase::kRepair
    walproof::Status st = variant_->Repair(fs, config_.dir, ToDurability(config_.protocol), &wrote);
    sim->set_phase(static_cast<uint16_t>(9));
    out.repaired = wrote;
    if (!st.ok()) out.repair_error = st.ToString();
    if (wrote) out.final_pass = Read(fs);
  }
  if (depth > 0) {
    if (fs_out) *fs_out = std::move(sim);
    return out;
  }
  // 4.
  if (config_.check_head) CheckHead(fs, &out);
  // 5.
  if (config_.post_append && out.final_pass.opened) {
    const size_t ops_before_append = sim->log().size();
    const FsState before_append = sim->volatile_state();
    auto w = walproof::WalWriter::Open(fs, config_.dir, config_.writer);
    walproof::Status st = w.ok() ? (*w)->Log(marker_) : w.status();
    if (st.ok()) st = (*w)->Sync();
    if (!st.ok()) out.append_error = st.ToString();
    sim->KillProcess();
    if (w.ok()) w->reset();
    if (st.ok()) {
      out.after_crash_checked = true;
      if (!FastAfterCrash(*sim, ops_before_append, before_append, out)) {
        RecoveryOutcome again = RecoverAt(sim->DurableImage(), 1, nullptr);
        out.after_crash = again.final_pass;
        out.after_crash_repair_error = again.repair_error;
      }
    }
  }
  if (fs_out) *fs_out = std::move(sim);
  return out;
}

}  // namespace crashsim
