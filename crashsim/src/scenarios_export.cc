// A workload that reads like a real Prometheus WAL, for the differential
// recovery against Prometheus 2.42 (`crashsim export`,
// scripts/differential-prometheus.sh): the series records come first, then
// one samples record per scrape of every series at 15 s intervals from a real
// date, with counters and gauges; a target appears and one goes away midway;
// snappy on, a new segment every 12 scrapes (a real scrape volume fills one
// that fast), and a head truncation (checkpoint of the older segments) partway. The other scenarios exercise the WAL with records of
// chosen sizes; many of their samples name series never created, which both
// sides drop, so they say little about which samples survive.
#include "crashsim/scenario.h"
#include "walproof/format/record.h"
#include "walproof/format/record_codec.h"

namespace crashsim {
namespace {

constexpr uint64_t kPage = 32 * 1024;
constexpr int64_t kStartMs = 1700000000000;  // 2023-11-14T22:13:20Z
constexpr int64_t kIntervalMs = 15000;
constexpr int kTargets = 12;                // instances, each with a counter and a gauge
constexpr uint64_t kRefsPerTarget = 2;

uint64_t CounterRef(int target) { return 1 + kRefsPerTarget * static_cast<uint64_t>(target); }
uint64_t GaugeRef(int target) { return CounterRef(target) + 1; }

std::string SeriesOf(int first_target, int targets) {
  std::vector<walproof::RefSeries> series;
  for (int t = first_target; t < first_target + targets; ++t) {
    const std::string instance = "host-" + std::to_string(t) + ":9100";
    series.push_back({CounterRef(t), {{"__name__", "crashsim_requests_total"}, {"instance", instance}}});
    series.push_back({GaugeRef(t), {{"__name__", "crashsim_temperature_celsius"}, {"instance", instance}}});
  }
  std::string out;
  walproof::EncodeSeries(series, &out);
  return out;
}

// One scrape of targets [first, last) at scrape number `n`: every record has
// its own timestamp, so every record is unique, as the oracle needs.
std::string Scrape(Workload& w, int n, int first, int last) {
  std::vector<walproof::RefSample> samples;
  const int64_t t = kStartMs + kIntervalMs * n;
  for (int target = first; target < last; ++target) {
    // A counter that grows by a few requests a scrape, and a gauge with a
    // fractional part (exercises the XOR encoding's non-integer path).
    const double count = static_cast<double>(n * 37 + target * 1000 + static_cast<int>(w.rng().Below(30)));
    const double temp = 20.0 + static_cast<double>(target) + static_cast<double>(w.rng().Below(1000)) / 64.0;
    samples.push_back({CounterRef(target), t, count});
    samples.push_back({GaugeRef(target), t, temp});
  }
  std::string out;
  walproof::EncodeSamples(samples, &out);
  return out;
}

void ScrapeRun(Workload& w) {
  w.Open();
  w.Log(SeriesOf(0, kTargets - 2));
  w.Sync();
  int n = 0;
  // Scrapes of all targets but the last two; fsync every 4 (a commit of the
  // scrape loop is not an fsync: Prometheus fsyncs on segment switch only,
  // the workload fsyncs more often so that acknowledged records exist).
  for (; n < 40; ++n) {
    w.Log(Scrape(w, n, 0, kTargets - 2));
    if (n % 4 == 3) w.Sync();
    if (n % 12 == 11) w.NextSegment();
  }
  // Two targets appear, the first one goes away.
  w.Log(SeriesOf(kTargets - 2, 2));
  for (; n < 60; ++n) {
    w.Log(Scrape(w, n, 1, kTargets));
    if (n % 4 == 3) w.Sync();
    if (n % 12 == 11) w.NextSegment();
  }
  // Head truncation at the time of scrape 30: checkpoint, older segments deleted.
  w.Truncate(kStartMs + kIntervalMs * 30);
  for (; n < 72; ++n) {
    w.Log(Scrape(w, n, 1, kTargets));
    if (n % 4 == 3) w.Sync();
  }
  w.Log(Scrape(w, n, 1, kTargets));  // unsynced when the run ends
}

}  // namespace

void AddExportScenarios(std::vector<Scenario>* out) {
  Scenario s;
  s.name = "scrape-realtime";
  s.summary = "Prometheus-like: 24 series scraped every 15 s from 2023-11-14, a target added and one removed, "
              "snappy, a segment every 12 scrapes, a checkpoint partway (for crashsim export)";
  s.run = ScrapeRun;
  s.segment_size = kPage;
  s.compression = walproof::Compression::kSnappy;
  s.weight = 0.5;
  out->push_back(s);
}

}  // namespace crashsim
