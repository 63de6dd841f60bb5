#include "replay_model.h"

#include <algorithm>

namespace walproof::cli {
namespace {

// CPU cost of each part of Prometheus 2.42's replay, from its CPU profile
// on two WALs of different shape (docs/replay-time.md, "The model"):
// reading and decoding per WAL byte; processWALSamples (series lookup by
// ref, chunk append) per sample; series creation and label hashing per
// series entry; allocation and garbage collection per sample and per series
// (the head's objects are what the collector scans).
constexpr double kDecodeSecondsPerByte = 2.3e-9;
constexpr double kAppendSecondsPerSample = 43e-9;
constexpr double kSeriesSecondsPerEntry = 4.1e-6;
constexpr double kAllocGcSecondsPerSample = 30e-9;
constexpr double kAllocGcSecondsPerSeries = 6e-6;
// Peak RSS: the head's series and postings, plus chunk bytes per sample.
constexpr double kMemoryBytesPerSeries = 3500;
constexpr double kMemoryBytesPerSample = 1.5;

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
  const double shared = e.cpu_seconds / e.cores;
  if (decode >= shared) {
    e.seconds = decode;
    e.bound = "the single decoding goroutine (more cores would not help)";
  } else {
    e.seconds = shared;
    e.bound = "CPU on all " + std::to_string(e.cores) + " cores, mostly " + e.parts.front().name;
  }
  e.memory_bytes = double(w.series_entries) * kMemoryBytesPerSeries + double(w.samples) * kMemoryBytesPerSample;
  return e;
}

}  // namespace walproof::cli
