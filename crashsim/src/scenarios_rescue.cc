// The `rescue` scenario: `walproof rescue --yes` (tsdb/rescue.h) crashed at
// every point, under fault classes 1-5, and judged by rescue_oracle.h: the
// old WAL intact, or whole blocks and an empty WAL, or both; never neither;
// and a second rescue ends with every sample in blocks exactly once.
//
// The disk starts as a cleanly shut down Prometheus would leave it: DATA/wal
// with two segments (a checkpoint-free WAL; snappy records), holding float
// series whose samples straddle a 2-hour block boundary (two blocks), a
// native histogram series, and a deletion. The workload is the rescue run
// itself, through the recording SimFs.
#include "crashsim/rescue_oracle.h"
#include "crashsim/scenario.h"
#include "crashsim/sim_fs.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/wal_writer.h"

namespace crashsim {
namespace {

const std::string kData = "data";
constexpr int64_t kBoundary = 1700006400000;  // a multiple of 2 h
constexpr int64_t kInterval = 15000;
constexpr int kScrapes = 12;  // 6 before the boundary, 6 after

CrashImage RescueInitialImage() {
  static const CrashImage kImage = [] {
    SimFs fs;
    fs.set_recording(false);
    walproof::WalWriterOptions options;
    options.segment_size = 2 * 32 * 1024;
    options.compression = walproof::Compression::kSnappy;
    auto w = walproof::WalWriter::Open(fs, kData + "/wal", options);
    std::string rec;
    auto log = [&](auto encode) {
      rec.clear();
      encode();
      (void)(*w)->Log(rec);
    };
    log([&] {
      walproof::EncodeSeries({{1, {{"__name__", "up"}, {"instance", "a"}, {"job", "node"}}},
                              {2, {{"__name__", "up"}, {"instance", "b"}, {"job", "node"}}},
                              {3, {{"__name__", "latency"}, {"instance", "a"}, {"job", "node"}}}},
                             &rec);
    });
    const int64_t t0 = kBoundary - 6 * kInterval;
    for (int k = 0; k < kScrapes; ++k) {
      const int64_t t = t0 + k * kInterval;
      log([&] { walproof::EncodeSamples({{1, t, 1.0 * k}, {2, t, 100.0 - k}}, &rec); });
      walproof::Histogram h;
      h.zero_threshold = 0x1p-128;
      h.zero_count = static_cast<uint64_t>(k);
      h.count = 3 * static_cast<uint64_t>(k);
      h.sum = 0.5 * k;
      h.positive_spans = {{0, 2}};
      h.positive_buckets = {k, 0};
      log([&] { walproof::EncodeHistogramSamples({{3, t, h}}, &rec); });
      if (k == kScrapes / 2) (void)(*w)->NextSegment();
    }
    log([&] { walproof::EncodeTombstones({{2, t0, t0 + 2 * kInterval}}, &rec); });
    (void)(*w)->Close();
    return fs.VolatileImage();  // a clean shutdown: what the process saw is on disk
  }();
  return kImage;
}

const SeriesContent& Expected() {
  static const SeriesContent kContent = [] {
    SimFs fs(RescueInitialImage());
    fs.set_recording(false);
    return ContentOfWal(fs, kData + "/wal").content;
  }();
  return kContent;
}

void RescueWorkload(Workload& w) {
  // Whatever the outcome, the run ends there, as the process would; the
  // judge looks at the disk.
  (void)RunRescue(w.io(), kData);
}

}  // namespace

void AddRescueScenarios(std::vector<Scenario>* out) {
  Scenario s;
  s.name = "rescue";
  s.summary = "walproof rescue --yes: blocks written, read back, WAL swapped for an empty one; crashed anywhere";
  s.classes = FaultClassSet::None()
                  .With(FaultClass::kCut)
                  .With(FaultClass::kLostData)
                  .With(FaultClass::kTorn)
                  .With(FaultClass::kDirOps)
                  .With(FaultClass::kIoError);
  s.run = RescueWorkload;
  s.initial_image = RescueInitialImage;
  s.judge = [](const CrashImage& image, const Expectation&) { return JudgeRescue(image, kData, Expected()); };
  s.selftest = false;  // the broken variants break the WAL writer, which rescue does not use
  out->push_back(std::move(s));
}

}  // namespace crashsim
