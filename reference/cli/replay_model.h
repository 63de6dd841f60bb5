// What Prometheus 2.42's WAL replay will cost, part by part, from what a WAL
// holds: the model behind `walproof diagnose`'s estimate.
//
// Each part's CPU cost per unit (byte, sample, series) was measured from
// Prometheus's own CPU profile during replay (bench/replay_profile.py; the
// figures and how they were taken are in docs/replay-time.md). Reading and
// decoding run on one goroutine; the rest spreads over the cores, but 2.42
// kept only about 1.3 of 2 cores busy. So the wall time is whichever is
// longer: the decoding goroutine alone, or all the CPU over the cores in use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace walproof::cli {

struct ReplayWork {
  uint64_t bytes = 0;           // WAL bytes replay reads (checkpoint + segments after it)
  uint64_t samples = 0;         // float samples
  uint64_t series_entries = 0;  // series records' entries (each creates or looks up a series)
};

struct ReplayEstimate {
  struct Part {
    std::string name;
    double cpu_seconds;
  };
  std::vector<Part> parts;  // largest first
  double cpu_seconds = 0;
  double seconds = 0;       // wall time on `cores`
  unsigned cores = 1;
  std::string bound;        // what sets the wall time
  double memory_bytes = 0;  // Prometheus's peak RSS during replay
};

ReplayEstimate EstimatePrometheusReplay(const ReplayWork& work, unsigned cores);

}  // namespace walproof::cli
