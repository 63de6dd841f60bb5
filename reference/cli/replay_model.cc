#include "replay_model.h"

#include <algorithm>

namespace walproof::cli {
namespace {

// CPU cost of each part of Prometheus 2.42's replay, from its CPU profile
// during replay of three WALs (docs/replay-time.md, "The model in walproof
// diagnose"): reading, decoding and dealing samples out per WAL byte;
// processWALSamples (a series lookup by ref and a chunk append per sample)
// per sample; series creation and label hashing per series entry;
// allocation and garbage collection per sample and per series (fitted to
// the sample-heavy `short` and the series-heavy `churn` WAL).
constexpr double kDecodeSecondsPerByte = 2.4e-9;
constexpr double kAppendSecondsPerSample = 142e-9;
constexpr double kSeriesSecondsPerEntry = 4.3e-6;
constexpr double kAllocGcSecondsPerSample = 59e-9;
constexpr double kAllocGcSecondsPerSeries = 5.0e-6;
// Cores Prometheus kept busy during replay: 1.22 to 1.39 of 2, the second
// core mostly in garbage collection bursts. More cores were not measured,
// so the model does not assume they help.
constexpr double kCoresInUse = 1.3;
// Peak RSS during replay, fitted the same way: per series, per sample.
constexpr double kMemoryBytesPerSeries = 3100;
constexpr double kMemoryBytesPerSample = 0.6;

}  // namespace

ReplayEstimate EstimatePrometheusReplay(const ReplayWork& w, unsigned cores) {
  ReplayEstimate e;
  e.cores = std::max(cores, 1u);
  const double decode = double(w.bytes) * kDecodeSecondsPerByte;
  e.parts = {
      {"reading and decoding (one goroutine)", decode},
      {"processWALSamples: series lookups and chunk appends", double(w.samples) * kAppendSecondsPerSample},
      {"series creation and label hashing", double(w.series_entries) * kSeriesSecondsPerEntry},
      {"memory allocation and garbage collection",
       double(w.samples) * kAllocGcSecondsPerSample + double(w.series_entries) * kAllocGcSecondsPerSeries},
  };
  std::sort(e.parts.begin(), e.parts.end(), [](const auto& a, const auto& b) { return a.cpu_seconds > b.cpu_seconds; });
  for (const auto& p : e.parts) e.cpu_seconds += p.cpu_seconds;
  const double in_use = std::min(double(e.cores), kCoresInUse);
  const double shared = e.cpu_seconds / in_use;
  if (decode >= shared) {
    e.seconds = decode;
    e.bound = "the single decoding goroutine (more cores would not help)";
  } else {
    e.seconds = shared;
    e.bound = "CPU (2.42 keeps about 1.3 cores busy during replay), mostly " + e.parts.front().name;
  }
  e.memory_bytes = double(w.series_entries) * kMemoryBytesPerSeries + double(w.samples) * kMemoryBytesPerSample;
  return e;
}

}  // namespace walproof::cli
