// Workload: the driver a scenario uses to exercise the reference WAL on a
// SimFs, keeping the Model up to date as it goes.
//
// Every call behaves like the piece of Prometheus it stands for and never
// aborts the run: a failed Log marks its records "maybe", a failed Sync
// acknowledges nothing, and a writer that refuses further work (after a
// failed fsync or a failed undo) is replaced by a new one on the next call,
// as a restarted Prometheus would. That is what lets the same scenario run
// with an I/O error injected at any call (fault class 5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crashsim/model.h"
#include "crashsim/protocol.h"
#include "crashsim/rng.h"
#include "crashsim/sim_fs.h"
#include "gen/workload.h"
#include "walproof/io/fs.h"
#include "walproof/wal/wal_writer.h"

namespace crashsim {

// The records a scenario logs come from the shared generator (gen/), drawing
// from the workload's seeded Rng.
using walproof::gen::RecordSize;
using RecordGen = walproof::gen::UniqueRecords;

// What the workload was doing when an op was made (SimFs::set_phase).
enum class Phase : uint16_t {
  kSetup = 0,
  kLog,
  kSync,
  kSegmentSwitch,
  kClose,
  kRestart,
  kCheckpoint,
  kTruncate,
  kRepair,
  kRecovery,
  kCount,
};
const char* PhaseName(uint16_t phase);

struct WorkloadConfig {
  std::string dir = "wal";
  uint64_t segment_size = 2 * 32 * 1024;
  walproof::Compression compression = walproof::Compression::kNone;
  Protocol protocol = Protocol::kReference;
  uint64_t seed = 1;
};

class Workload {
 public:
  // `io` is the Fs the writer uses: `sim` itself, or a wrapper around it (an
  // upstream emulation or a deliberately broken variant).
  Workload(SimFs& sim, walproof::Fs& io, Model& model, const WorkloadConfig& config);
  // The run ends in a crash: the writer is dropped without a Close.
  ~Workload();

  RecordGen& gen() { return gen_; }
  // The stream gen() draws from, for scenarios that make their own records.
  Rng& rng() { return rng_; }
  SimFs& sim() { return sim_; }
  walproof::Fs& io() { return io_; }
  Model& model() { return model_; }
  const WorkloadConfig& config() const { return config_; }
  walproof::WalWriter* writer() { return writer_.get(); }

  // Prometheus start-up: if replay would stop at a corruption, repair first
  // (a failed repair halts the workload: Prometheus exits), then open a
  // writer, which starts a new segment.
  bool Open();
  bool halted() const { return halted_; }
  bool Log(const std::string& record);
  bool Log(const std::vector<std::string>& batch);
  bool Sync();
  bool NextSegment();
  bool Close();
  // kill -9 then start again: handles die unflushed; the next call opens a new writer.
  void Kill();
  // Upstream Head.truncateWAL: new segment, checkpoint two thirds of the
  // older ones keeping every series and samples at or after mint, delete
  // what the checkpoint covers. The model's min valid time becomes mint.
  bool Truncate(int64_t mint);
  // What Prometheus does at start-up when replay hits a corruption.
  bool Repair();
  // Puts `bytes` at the end of the newest segment, durably, as if a crash had
  // left them there (after a Kill: no writer is open). For scenarios that
  // start from a damaged WAL, as the upstream issues did.
  bool Damage(std::string_view bytes);
  // Pads the newest segment with zeros to its page end first, then Damage.
  bool DamageAfterPadding(std::string_view bytes);
  // Counts of what happened, for scenario descriptions and tests.
  int failures() const { return failures_; }

 private:
  bool EnsureWriter();
  // Replaces a writer that stopped after an earlier failure.
  bool Stopped(const walproof::Status& st) const;
  uint32_t Ops() const { return static_cast<uint32_t>(sim_.log().size()); }

  SimFs& sim_;
  walproof::Fs& io_;
  Model& model_;
  WorkloadConfig config_;
  Rng rng_;
  walproof::gen::PrngChoices<Rng> choices_{rng_};
  RecordGen gen_{choices_};
  std::unique_ptr<walproof::WalWriter> writer_;
  int failures_ = 0;
  bool halted_ = false;
};

}  // namespace crashsim
