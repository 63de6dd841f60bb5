// Variant: a change to the code under test, made from outside the reference.
//
// crashsim proves itself by running its scenarios against deliberately
// broken variants of the reference (selftest), and reproduces upstream
// behaviour the reference deliberately does not have (the prometheus-2.42
// protocol's writer buffering on ENOSPC, its retried short writes). All of it
// is done by wrapping what the reference uses (the Fs, the repair call, the
// replay call), so the reference never knows crashsim exists.
#pragma once

#include <memory>
#include <string>

#include "walproof/head/head.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"
#include "walproof/wal/checkpoint.h"

namespace crashsim {

class Variant {
 public:
  virtual ~Variant() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;

  // The Fs the workload's writer and checkpointer use; null leaves it alone.
  virtual std::unique_ptr<walproof::Fs> WrapWorkloadFs(walproof::Fs& fs);
  // The Fs recovery (read, repair, replay, append) uses; null leaves it alone.
  virtual std::unique_ptr<walproof::Fs> WrapRecoveryFs(walproof::Fs& fs);
  // Repairs `dir` if it needs it; sets *wrote when something changed.
  virtual walproof::Status Repair(walproof::Fs& fs, const std::string& dir,
                                  walproof::DurabilityProtocol protocol, bool* wrote);
  // Replays `dir` into `head`.
  virtual walproof::Status Replay(walproof::Fs& fs, const std::string& dir, walproof::Head* head);
};

// The reference itself, unchanged.
Variant& ReferenceVariant();

}  // namespace crashsim
