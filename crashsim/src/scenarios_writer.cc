// Writer workloads under the reference protocol: appends of every size, with
// and without compression, segments small enough to roll over, explicit
// segment switches, restarts. Each must survive every crash state.
#include "crashsim/scenario.h"

namespace crashsim {
namespace {

constexpr uint64_t kPage = 32 * 1024;

// The default workload: mixed sizes, a sync every 4 records, two segments.
void AppendMixed(Workload& w) {
  w.Open();
  for (int i = 0; i < 20; ++i) {
    w.Log(w.gen().NextMixed());
    if (i % 4 == 3) w.Sync();
  }
  w.Log(w.gen().Next(RecordSize::kMultiPage));
  w.Sync();
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Close();
}

void MultiPage(Workload& w) {
  w.Open();
  w.Log(w.gen().Next(RecordSize::kTiny));
  w.Log(w.gen().Next(RecordSize::kMultiPage));
  w.Sync();
  w.Log(w.gen().Next(RecordSize::kPage));
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  // Bigger than a 3-page segment: an oversized segment of its own.
  w.Log(w.gen().Samples(9000));
  w.Sync();
  w.Log(w.gen().Next(RecordSize::kMedium));
  w.Close();
}

void SegmentSwitch(Workload& w) {
  w.Open();
  for (int i = 0; i < 15; ++i) {
    w.Log(w.gen().Next(i % 5 == 2 ? RecordSize::kMedium : RecordSize::kSmall));
    if (i % 5 == 4) {
      w.Sync();
      w.NextSegment();
    }
  }
  w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
}

void RestartCycles(Workload& w) {
  for (int session = 0; session < 3; ++session) {
    w.Open();
    for (int i = 0; i < 5; ++i) w.Log(w.gen().NextMixed());
    w.Sync();
    w.Log(w.gen().Next(RecordSize::kSmall));
    w.Close();
  }
  w.Open();
  w.Log(w.gen().Next(RecordSize::kMedium));
  w.Sync();
  w.Log(w.gen().Next(RecordSize::kSmall));  // unsynced when the run ends
}

// Prometheus killed with records not yet fsynced, restarted, logging again.
void KillRestart(Workload& w) {
  w.Open();
  for (int i = 0; i < 6; ++i) w.Log(w.gen().NextMixed());
  w.Sync();
  for (int i = 0; i < 3; ++i) w.Log(w.gen().Next(RecordSize::kMedium));
  w.Kill();
  w.Open();
  for (int i = 0; i < 4; ++i) w.Log(w.gen().Next(RecordSize::kSmall));
  w.Sync();
  w.Close();
}

Scenario Make(std::string name, std::string summary, void (*run)(Workload&)) {
  Scenario s;
  s.name = std::move(name);
  s.summary = std::move(summary);
  s.run = run;
  return s;
}

}  // namespace

void AddWriterScenarios(std::vector<Scenario>* out) {
  Scenario s = Make("append-mixed",
                    "the default workload: 22 records from 30 B to 45 KB, fsync every 4, 64 KiB segments", AppendMixed);
  s.weight = 2;
  out->push_back(s);

  s = Make("append-snappy", "append-mixed with snappy-compressed records", AppendMixed);
  s.compression = walproof::Compression::kSnappy;
  out->push_back(s);

  s = Make("append-zstd", "append-mixed with zstd-compressed records", AppendMixed);
  s.compression = walproof::Compression::kZstd;
  out->push_back(s);

  s = Make("multipage-records", "records of 1 to 3 pages and one bigger than a segment, 96 KiB segments", MultiPage);
  s.segment_size = 3 * kPage;
  out->push_back(s);

  s = Make("segment-switch", "explicit segment switches every 5 records, 32 KiB segments", SegmentSwitch);
  s.segment_size = kPage;
  out->push_back(s);

  s = Make("restart-cycles", "four sessions: open, log, fsync, close; the last one crashes", RestartCycles);
  out->push_back(s);

  s = Make("fresh-directory", "the first start: the writer creates the WAL directory itself", SegmentSwitch);
  s.wal_dir_exists = false;
  s.segment_size = kPage;
  out->push_back(s);

  s = Make("kill-restart", "kill -9 with unsynced records, restart, log and fsync in the next segment", KillRestart);
  out->push_back(s);
}

}  // namespace crashsim
