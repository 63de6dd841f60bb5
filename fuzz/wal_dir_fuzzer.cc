// wal_dir_fuzzer: the input is a small WAL directory (a few segments, maybe
// a checkpoint, maybe what an interrupted checkpoint or repair leaves; see
// the directory image in wal_mutator.h). It goes through what a start-up
// does: remove leftovers, replay, and when replay stops at a corruption (or
// cannot start), plan and execute a repair, then replay again and write.
//
// Properties:
// - nothing crashes, whatever the directory holds;
// - PlanRepair either refuses (a damaged checkpoint: nothing touched) or
//   gives a plan that ExecuteRepair carries out;
// - after the repair the WAL verifies clean (ComputeWalStats finds no
//   corruption), a second plan finds nothing to repair, and two replays give
//   the same head digest and counters; parallel replay agrees with them;
// - the repair keeps exactly what replay read before the corruption: when
//   the first replay stopped at a corruption and no upstream N.repair was
//   put back, the head after repair equals the head before it;
// - the repaired WAL accepts writes: a record logged afterwards is replayed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "memory_fs.h"
#include "wal_mutator.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/head.h"
#include "walproof/head/head_digest.h"
#include "walproof/head/replay.h"
#include "walproof/wal/checkpoint.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_stats.h"
#include "walproof/wal/wal_writer.h"

using namespace walproof;
using namespace walproof::fuzz;

namespace {

const std::string kDir = "data/wal";

struct Replayed {
  Status status;
  ReplayReport report;
  HeadDigest digest;
  HeadCounters counters;
};

Replayed Replay(MemoryFs& fs, int threads) {
  Replayed r;
  Head head;
  ReplayOptions opts;
  opts.timing = false;
  opts.batch_entries = 64;  // small batches: more hand-overs between threads
  r.status = threads == 0 ? ReplaySequential(fs, kDir, &head, opts, &r.report)
                          : ReplayParallel(fs, kDir, &head, opts, threads, &r.report);
  r.digest = DigestHead(head);
  r.counters = head.counters();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryFs fs;
  fs.PutFile(kDir + "/.keep", "");  // the directory exists even when empty
  FUZZ_CHECK(fs.RemoveFile(kDir + "/.keep").ok(), "set-up");
  size_t files = 0;
  for (const DirEntryImage& e : ParseDirImage(std::string_view(reinterpret_cast<const char*>(data), size))) {
    if (++files > 16) break;
    bool is_dir = false;
    std::string path = JoinPath(kDir, DirEntryPath(e, &is_dir));
    auto kind = fs.Stat(path);
    if (kind.ok() && *kind != FileKind::kMissing) continue;  // first entry of a name wins
    if (is_dir) {
      EnsureDir(fs, path);
    } else {
      fs.PutFile(path, e.data);
    }
  }

  if (FuzzDebug()) {
    for (const std::string& p : fs.AllPaths()) FUZZ_LOG("  input: %s", p.c_str());
  }
  // Start-up: leftovers go first, as Prometheus does on open.
  RemoveLeftoverCheckpoints(fs, kDir);
  RemoveRepairTempFiles(fs, kDir);
  Replayed first = Replay(fs, 0);
  if (first.status.ok()) {
    // A clean WAL: verify agrees, and a plan has nothing to do.
    auto stats = ComputeWalStats(fs, kDir);
    FUZZ_CHECK(stats.ok() && !stats->corruption, "replay clean but verify is not: %s",
               stats.ok() ? stats->corruption->ToString().c_str() : stats.status().ToString().c_str());
  }

  auto plan = PlanRepair(fs, kDir);
  FUZZ_LOG("first replay: %s, %llu records; plan: %s", first.status.ToString().c_str(),
           static_cast<unsigned long long>(first.report.records),
           plan.ok() ? plan->Summary().c_str() : plan.status().ToString().c_str());
  if (!plan.ok()) {
    // Refused (a damaged checkpoint, #7530) or unreadable: nothing to check
    // beyond not crashing, and nothing may have changed.
    return 0;
  }
  if (first.status.ok() && plan->upstream_leftovers.empty()) {
    // A clean replay leaves nothing to cut; a repair may still tidy up
    // (leftovers, segments the checkpoint covers) or create the segment after
    // a checkpoint that has none, so that writing resumes above it.
    FUZZ_CHECK(!plan->needed() || !plan->obsolete_segments.empty() || !plan->remove_leftovers.empty() ||
                   !plan->segment_exists,
               "replay is clean but repair wants to cut: %s", plan->Summary().c_str());
    FUZZ_CHECK(plan->delete_segments.empty() && (!plan->rewrite_segment || !plan->segment_exists),
               "replay is clean but repair would drop data: %s", plan->Summary().c_str());
    FUZZ_CHECK(plan->kept_records == first.report.records, "replay read %llu records, repair would keep %llu",
               static_cast<unsigned long long>(first.report.records),
               static_cast<unsigned long long>(plan->kept_records));
  }
  (void)plan->Summary();
  (void)FilesChangedByRepair(*plan);
  if (FuzzDebug()) {
    for (const std::string& p : fs.AllPaths()) FUZZ_LOG("  before repair: %s", p.c_str());
  }
  if (plan->needed()) {
    Status st = ExecuteRepair(fs, kDir, *plan);
    if (FuzzDebug()) {
      for (const std::string& p : fs.AllPaths()) FUZZ_LOG("  after repair: %s", p.c_str());
    }
    FUZZ_CHECK(st.ok(), "ExecuteRepair failed on its own plan: %s\nplan: %s", st.ToString().c_str(),
               plan->Summary().c_str());
  }

  // After repair: clean, stable, nothing left to repair.
  auto stats = ComputeWalStats(fs, kDir);
  if (!stats.ok() && !plan->segment_exists && OpenFindingSkipped("repair-gap-below-checkpoint")) return 0;
  FUZZ_CHECK(stats.ok(), "verify after repair: %s", stats.status().ToString().c_str());
  FUZZ_CHECK(!stats->corruption, "verify after repair: %s", stats->corruption->ToString().c_str());
  auto again = PlanRepair(fs, kDir);
  FUZZ_CHECK(again.ok(), "second plan: %s", again.status().ToString().c_str());
  // Leftovers a repair leaves alone must be left alone by the next one too.
  FUZZ_CHECK(!again->needed(), "repair is not idempotent: %s", again->Summary().c_str());

  Replayed second = Replay(fs, 0);
  FUZZ_CHECK(second.status.ok(), "replay after repair: %s", second.status.ToString().c_str());
  Replayed third = Replay(fs, 0);
  FUZZ_CHECK(third.status.ok() && third.digest == second.digest && third.counters == second.counters,
             "two replays of the repaired WAL differ");
  Replayed parallel = Replay(fs, 2);
  FUZZ_CHECK(parallel.status.ok(), "parallel replay after repair: %s", parallel.status.ToString().c_str());
  FUZZ_CHECK(parallel.digest == second.digest, "parallel replay digest %s, sequential %s",
             parallel.digest.Hex().c_str(), second.digest.Hex().c_str());
  FUZZ_CHECK(parallel.counters == second.counters, "parallel and sequential counters differ");

  // An N.repair put back changes what replays; one left or removed does not.
  const bool restored = std::any_of(plan->upstream_leftovers.begin(), plan->upstream_leftovers.end(),
                                    [](const UpstreamRepairLeftover& l) {
                                      return l.action == UpstreamRepairAction::kRestore;
                                    });
  if (first.report.corruption && !restored) {
    FUZZ_CHECK(second.digest == first.digest,
               "repair kept other records than replay read before the corruption (%s)\nplan: %s",
               first.report.corruption->ToString().c_str(), plan->Summary().c_str());
    FUZZ_CHECK(second.report.records == first.report.records, "replay read %llu records before, %llu after repair",
               static_cast<unsigned long long>(first.report.records),
               static_cast<unsigned long long>(second.report.records));
  }

  // The repaired WAL takes writes, and replays them.
  WalWriterOptions wopts;
  wopts.segment_size = 4 * kPageSize;
  auto writer = WalWriter::Open(fs, kDir, wopts);
  FUZZ_CHECK(writer.ok(), "open for writing after repair: %s", writer.status().ToString().c_str());
  std::string series;
  EncodeSeries({{0xfeedull, {{"__name__", "after_repair"}}}}, &series);
  FUZZ_CHECK((*writer)->Log(series).ok(), "log after repair");
  FUZZ_CHECK((*writer)->Close().ok(), "close after repair");
  const int written_to = (*writer)->active_segment();
  Replayed fourth = Replay(fs, 0);
  FUZZ_CHECK(fourth.status.ok(), "replay after writing: %s", fourth.status.ToString().c_str());
  if (!OpenFindingSkipped("writer-below-checkpoint")) {
    FUZZ_CHECK(fourth.report.records == second.report.records + 1,
               "the record written after repair (segment %d) is not replayed (checkpoint %d)", written_to,
               fourth.report.plan.checkpoint.value_or(-1));
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return MutateDirImage(data, size, max_size, seed);
}
