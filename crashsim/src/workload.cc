#include "crashsim/workload.h"

#include <algorithm>

#include "walproof/wal/checkpoint.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_dir.h"

namespace crashsim {

const char* PhaseName(uint16_t phase) {
  static const char* const kNames[] = {"setup",      "log",      "sync",   "segment-switch", "close",
                                       "restart",    "checkpoint", "truncate", "repair", "recovery"};
  return phase < static_cast<uint16_t>(Phase::kCount) ? kNames[phase] : "?";
}

Workload::Workload(SimFs& sim, walproof::Fs& io, Model& model, const WorkloadConfig& config)
    : sim_(sim), io_(io), model_(model), config_(config), rng_(DeriveSeed(config.seed, 0x10ad)) {}

Workload::~Workload() {
  if (writer_) {
    sim_.KillProcess();
    writer_.reset();
  }
}

bool Workload::Stopped(const walproof::Status& st) const {
  return !st.ok() && st.message().find("stopped after an earlier failure") != std::string::npos;
}

bool Workload::Open() {
  if (halted_) return false;
  sim_.set_phase(static_cast<uint16_t>(writer_ ? Phase::kRestart : Phase::kSetup));
  if (writer_) {
    sim_.KillProcess();
    writer_.reset();
  }
  if (!Repair()) return false;
  sim_.set_phase(static_cast<uint16_t>(Phase::kRestart));
  auto w = walproof::WalWriter::Open(io_, config_.dir,
                                     WriterOptions(config_.protocol, config_.segment_size, config_.compression));
  if (!w.ok()) {
    ++failures_;
    return false;
  }
  writer_ = std::move(*w);
  return true;
}

bool Workload::EnsureWriter() { return writer_ || Open(); }

bool Workload::Log(const std::string& record) { return Log(std::vector<std::string>{record}); }

bool Workload::Log(const std::vector<std::string>& batch) {
  if (halted_) return false;
  if (!EnsureWriter()) {
    ++failures_;
    return false;
  }
  sim_.set_phase(static_cast<uint16_t>(Phase::kLog));
  uint32_t begin = Ops();
  walproof::Status st = batch.size() == 1 ? writer_->Log(batch[0]) : writer_->Log(batch);
  if (Stopped(st)) {
    if (!Open()) {
      model_.AddLogged(batch, false, begin);
      return false;
    }
    sim_.set_phase(static_cast<uint16_t>(Phase::kLog));
    begin = Ops();
    st = batch.size() == 1 ? writer_->Log(batch[0]) : writer_->Log(batch);
  }
  model_.AddLogged(batch, st.ok(), begin, writer_ ? writer_->active_segment() : -1);
  if (!st.ok()) ++failures_;
  return st.ok();
}

bool Workload::Sync() {
  if (!writer_) return false;
  sim_.set_phase(static_cast<uint16_t>(Phase::kSync));
  walproof::Status st = writer_->Sync();
  if (!st.ok()) {
    ++failures_;
    return false;
  }
  model_.AddAck(Ops());
  return true;
}

bool Workload::NextSegment() {
  if (!writer_) return false;
  sim_.set_phase(static_cast<uint16_t>(Phase::kSegmentSwitch));
  auto r = writer_->NextSegment();
  if (!r.ok()) {
    ++failures_;
    return false;
  }
  model_.AddAck(Ops());
  return true;
}

bool Workload::Close() {
  if (!writer_) return false;
  sim_.set_phase(static_cast<uint16_t>(Phase::kClose));
  walproof::Status st = writer_->Close();
  writer_.reset();
  if (!st.ok()) {
    ++failures_;
    return false;
  }
  model_.AddAck(Ops());
  return true;
}

void Workload::Kill() {
  sim_.KillProcess();
  writer_.reset();
}

namespace {
walproof::DurabilityProtocol Durability(Protocol p) {
  return p == Protocol::kReference ? walproof::DurabilityProtocol::kWalproof
                                   : walproof::DurabilityProtocol::kPrometheus242;
}
}  // namespace

bool Workload::Truncate(int64_t mint) {
  if (halted_ || !EnsureWriter()) return false;
  sim_.set_phase(static_cast<uint16_t>(Phase::kTruncate));
  walproof::CheckpointOptions options;
  options.compression = config_.compression;
  options.segment_size = config_.segment_size;
  options.protocol = Durability(config_.protocol);
  model_.set_min_valid_time(std::max(model_.min_valid_time(), mint));
  auto r = walproof::TruncateWal(io_, *writer_, mint, [](uint64_t) { return true; }, options);
  if (!r.ok()) {
    ++failures_;
    return false;
  }
  // The writer moved to a new segment, which fsynced the old one.
  model_.AddAck(Ops());
  return r->cleanup.ok();
}

bool Workload::Repair() {
  if (halted_) return false;
  if (writer_) Kill();
  if (auto kind = io_.Stat(config_.dir); kind.ok() && *kind == walproof::FileKind::kMissing) return true;
  auto plan = walproof::PlanRepair(io_, config_.dir);
  bool ok = plan.ok();
  if (ok && plan->needed()) {
    sim_.set_phase(static_cast<uint16_t>(Phase::kRepair));
    walproof::RepairOptions options;
    options.protocol = Durability(config_.protocol);
    ok = walproof::ExecuteRepair(io_, config_.dir, *plan, options).ok();
  }
  if (!ok) {
    // Prometheus cannot start on a WAL it cannot repair: nothing more is logged.
    ++failures_;
    halted_ = true;
  }
  return ok;
}

bool Workload::Damage(std::string_view bytes) {
  if (halted_) return false;
  if (writer_) Kill();
  sim_.set_phase(static_cast<uint16_t>(Phase::kSetup));
  auto segs = walproof::ListSequentialSegments(sim_, config_.dir);
  if (!segs.ok() || segs->empty()) return false;
  auto f = sim_.OpenForAppend(walproof::JoinPath(config_.dir, walproof::SegmentFileName(segs->back())));
  if (!f.ok()) return false;
  size_t w = 0;
  return (*f)->Append(bytes, &w).ok() && (*f)->Sync().ok();
}

bool Workload::DamageAfterPadding(std::string_view bytes) {
  if (writer_) Kill();
  auto segs = walproof::ListSequentialSegments(sim_, config_.dir);
  if (!segs.ok() || segs->empty()) return false;
  auto f = sim_.OpenForAppend(walproof::JoinPath(config_.dir, walproof::SegmentFileName(segs->back())));
  if (!f.ok()) return false;
  const uint64_t size = (*f)->Size();
  std::string pad((walproof::kPageSize - size % walproof::kPageSize) % walproof::kPageSize, '\0');
  return Damage(pad + std::string(bytes));
}

}  // namespace crashsim
