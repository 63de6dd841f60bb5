// replay_diff_fuzzer: the input makes a valid WAL (records over a small set
// of refs and label sets, so that aliases, rebinding, duplicates, out-of-order
// samples, tombstones and exemplars all happen; any compression; small
// segments; sometimes a checkpoint and truncation; sometimes a damaged byte
// in the last segment), then picks the parallel replay's thread count and
// batch sizes.
//
// Properties: sequential and parallel replay end with the same status, the
// same head digest, the same counters and record counts, and (when the WAL
// is damaged) stop at the same corruption.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "entropy.h"
#include "fuzz_check.h"
#include "gen/records.h"
#include "memory_fs.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/head.h"
#include "walproof/head/head_digest.h"
#include "walproof/head/replay.h"
#include "walproof/wal/checkpoint.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_writer.h"

using namespace walproof;
using namespace walproof::fuzz;

namespace {

const std::string kDir = "wal";

// Label sets drawn from a handful, so that two refs often share one (an alias).
Labels SmallLabels(Entropy& e) {
  static const char* kNames[] = {"a", "b", "c", "d"};
  Labels ls{{"__name__", std::string("m") + static_cast<char>('0' + e.Below(4))}};
  for (uint64_t i = 0, n = e.Below(2); i < n; ++i) ls.push_back({kNames[e.Below(4)], std::string(1, static_cast<char>('x' + e.Below(3)))});
  std::sort(ls.begin(), ls.end(), [](const Label& x, const Label& y) { return x.name < y.name; });
  ls.erase(std::unique(ls.begin(), ls.end(), [](const Label& x, const Label& y) { return x.name == y.name; }), ls.end());
  return ls;
}

Record MakeRecord(InputEntropy& e, int64_t* clock) {
  gen::Limits lim;
  lim.ref_space = 12;
  lim.max_entries = 6;
  lim.max_buckets = 4;
  switch (e.Below(10)) {
    case 0: case 1: {
      SeriesRecord r;
      for (uint64_t i = 0, n = e.InRange(1, 4); i < n; ++i) r.series.push_back({e.InRange(1, 12), SmallLabels(e)});
      return r;
    }
    case 2: case 3: case 4: case 5: {
      SamplesRecord r;
      for (uint64_t i = 0, n = e.InRange(1, 8); i < n; ++i) {
        // Mostly forward in time, sometimes equal or backwards.
        int64_t dt = static_cast<int64_t>(e.Below(4)) - 1;
        *clock += dt * 1000;
        r.samples.push_back({e.InRange(1, 14), *clock, e.Double()});
      }
      return r;
    }
    case 6: {
      TombstonesRecord r;
      for (uint64_t i = 0, n = e.InRange(1, 2); i < n; ++i) {
        int64_t a = *clock - static_cast<int64_t>(e.Below(20)) * 1000;
        r.tombstones.push_back({e.InRange(1, 14), a, a + static_cast<int64_t>(e.Below(20)) * 1000 - 2000});
      }
      return r;
    }
    case 7: {
      ExemplarsRecord r;
      for (uint64_t i = 0, n = e.InRange(1, 3); i < n; ++i) {
        *clock += static_cast<int64_t>(e.Below(3)) * 500 - 500;
        r.exemplars.push_back({e.InRange(1, 14), *clock, e.Double(), SmallLabels(e)});
      }
      return r;
    }
    case 8: {
      Record r = gen::RecordOfType(e, lim, static_cast<uint8_t>(e.OneIn(2) ? 7 : 8));
      std::visit([&](auto& x) {
        if constexpr (requires { x.histograms; }) {
          for (auto& h : x.histograms) {
            *clock += static_cast<int64_t>(e.Below(3)) * 1000 - 1000;
            h.t = *clock;
          }
        }
      }, r);
      return r;
    }
    default:
      return gen::RecordOfType(e, lim, static_cast<uint8_t>(e.OneIn(3) ? 6 : (e.OneIn(2) ? 5 : 11)));
  }
}

struct Run {
  Status status;
  ReplayReport report;
  HeadDigest digest;
  HeadCounters counters;
  size_t series = 0;
};

Run Replay(MemoryFs& fs, int threads, const ReplayOptions& opts, const HeadOptions& hopts) {
  Run r;
  Head head(hopts);
  r.status = threads == 0 ? ReplaySequential(fs, kDir, &head, opts, &r.report)
                          : ReplayParallel(fs, kDir, &head, opts, threads, &r.report);
  r.digest = DigestHead(head, threads == 0 ? 1 : 2);
  r.counters = head.counters();
  r.series = head.num_series();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputEntropy e(data, size);
  const int threads = static_cast<int>(e.InRange(1, 4));
  ReplayOptions ropts;
  ropts.timing = e.Bool();
  ropts.batch_entries = size_t{1} << e.Below(8);  // 1 .. 128 entries per hand-over
  ropts.parts_ahead = static_cast<int>(e.Below(4));
  ropts.batches_per_part = static_cast<int>(e.InRange(1, 4));
  HeadOptions hopts;
  if (e.OneIn(4)) hopts.min_valid_time = static_cast<int64_t>(e.Below(30)) * 1000;

  WalWriterOptions wopts;
  wopts.compression = static_cast<Compression>(e.Below(3));
  wopts.segment_size = kPageSize * e.InRange(1, 2);
  MemoryFs fs;
  auto w = WalWriter::Open(fs, kDir, wopts);
  FUZZ_CHECK(w.ok(), "open: %s", w.status().ToString().c_str());
  std::unique_ptr<WalWriter> writer = std::move(*w);
  int64_t clock = 10000;
  bool checkpointed = false;
  for (int op = 0; op < 80 && !e.exhausted(); ++op) {
    uint64_t kind = e.Below(16);
    if (kind < 13) {
      std::vector<std::string> batch;
      for (uint64_t i = 0, n = e.InRange(1, 3); i < n; ++i) batch.push_back(EncodeRecord(MakeRecord(e, &clock)));
      FUZZ_CHECK(writer->Log(batch).ok(), "log");
    } else if (kind < 15) {
      FUZZ_CHECK(writer->NextSegment().ok(), "next segment");
    } else if (!checkpointed) {
      // Head truncation: checkpoint the older segments, drop them.
      uint64_t keep_mask = e.Bits(16);
      KeepSeriesFn keep = [keep_mask](uint64_t ref) { return (keep_mask >> (ref % 16)) & 1; };
      CheckpointOptions copts;
      copts.compression = wopts.compression;
      copts.segment_size = wopts.segment_size;
      auto res = TruncateWal(fs, *writer, clock - static_cast<int64_t>(e.Below(20)) * 1000, keep, copts);
      FUZZ_CHECK(res.ok(), "truncate: %s", res.status().ToString().c_str());
      checkpointed = true;
    }
  }
  FUZZ_CHECK(writer->Close().ok(), "close");

  // Sometimes a damaged byte in the newest segment: both must stop at it.
  if (e.OneIn(4)) {
    auto segs = ListSequentialSegments(fs, kDir);
    if (segs.ok() && !segs->empty()) {
      std::string path = JoinPath(kDir, SegmentFileName(segs->back()));
      std::string bytes = *fs.FileData(path);
      if (!bytes.empty()) {
        bytes[e.Below(bytes.size())] ^= static_cast<char>(1 + e.Below(255));
        fs.PutFile(path, bytes);
      }
    }
  }

  Run seq = Replay(fs, 0, ropts, hopts);
  Run par = Replay(fs, threads, ropts, hopts);
  FUZZ_CHECK(seq.status.code() == par.status.code(), "sequential: %s; parallel (%d threads): %s",
             seq.status.ToString().c_str(), threads, par.status.ToString().c_str());
  FUZZ_CHECK(seq.digest == par.digest, "head digests differ: sequential %s, parallel (%d threads) %s",
             seq.digest.Hex().c_str(), threads, par.digest.Hex().c_str());
  FUZZ_CHECK(seq.counters == par.counters, "head counters differ (%d threads)", threads);
  FUZZ_CHECK(seq.series == par.series, "series %zu vs %zu", seq.series, par.series);
  FUZZ_CHECK(seq.report.records == par.report.records && seq.report.records_skipped == par.report.records_skipped,
             "records %llu/%llu vs %llu/%llu", static_cast<unsigned long long>(seq.report.records),
             static_cast<unsigned long long>(seq.report.records_skipped),
             static_cast<unsigned long long>(par.report.records),
             static_cast<unsigned long long>(par.report.records_skipped));
  FUZZ_CHECK(seq.report.corruption.has_value() == par.report.corruption.has_value(), "one replay saw a corruption");
  if (seq.report.corruption) {
    const CorruptionInfo& a = *seq.report.corruption;
    const CorruptionInfo& b = *par.report.corruption;
    FUZZ_CHECK(a.segment == b.segment && a.offset == b.offset && a.reason == b.reason,
               "corruption differs: %s vs %s", a.ToString().c_str(), b.ToString().c_str());
  }
  return 0;
}
