// Property 3: parallel replay equals sequential replay. For any WAL (series,
// aliases, rebinding, unknown refs, samples out of order, histograms,
// tombstones, exemplars, metadata, skipped types, a checkpoint, many
// segments, sometimes a corrupt byte), any thread count from 1 to 16 and any
// batching, both replays end with equal heads, compared series by series
// (not only by digest), refs resolving to the same series, equal counters
// and reports, and stop at the same corruption. Run under tsan, this is also
// the race test of parallel replay.
//
// The property has teeth: BrokenShardedReplay below routes samples by a shard
// function that splits a series, and a test asserts the property FAILS on it
// within the CI budget (same RC_PARAMS), printing the counterexample.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <functional>
#include <limits>

#include "gen/rc_choices.h"
#include "head_compare.h"
#include "memory_fs.h"
#include "show.h"
#include "wal_gen.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/head_digest.h"
#include "walproof/head/replay.h"

namespace walproof::prop {
namespace {

namespace gen = rc::gen;

using ReplayFn = std::function<Status(Fs&, const std::string&, Head*, const ReplayOptions&,
                                      int threads, ReplayReport*)>;

// Flips one byte of one file of the WAL (checkpoint included), so that both
// replays meet the same corruption.
void CorruptOneByte(MemoryFs& fs, const WalSpec& spec) {
  std::vector<std::string> files;
  auto add = [&](const std::string& dir) {
    auto entries = fs.ListDir(dir);
    if (!entries.ok()) return;
    for (const DirEntry& e : *entries) {
      const std::string* data = e.is_dir ? nullptr : fs.FileData(dir + "/" + e.name);
      if (data && !data->empty()) files.push_back(dir + "/" + e.name);
    }
  };
  add("wal");
  if (spec.checkpoint) add("wal/" + CheckpointName(*spec.checkpoint));
  if (files.empty()) return;
  std::string* data = fs.FileData(*gen::elementOf(files));
  const size_t at = *gen::inRange<size_t>(0, data->size());
  (*data)[at] = static_cast<char>((*data)[at] ^ *gen::inRange(1, 256));
}

// The property, for any implementation of parallel replay.
void CheckParallelEqualsSequential(const ReplayFn& parallel, bool allow_corruption) {
  const WalSpec spec = *genWalSpec();
  const int threads = *gen::resize(rc::kNominalSize, gen::inRange(1, 17));
  ReplayOptions options;
  options.timing = *gen::arbitrary<bool>();
  // Tiny batches and windows make the hand-offs between threads happen even
  // in WALs of a few records.
  options.batch_entries = *gen::element<size_t>(1, 2, 3, 8, 64, size_t{1} << 15);
  options.parts_ahead = *gen::inRange(0, 4);
  options.batches_per_part = *gen::inRange(1, 5);
  HeadOptions head_options;
  if (*gen::weightedElement<int>({{3, 0}, {1, 1}}) == 1) {
    head_options.min_valid_time = *walproof::gen::Rc([](walproof::gen::Choices& c) { return c.Int64(); });
  }
  const bool corrupt = allow_corruption && *gen::weightedElement<int>({{4, 0}, {1, 1}}) == 1;

  RC_LOG() << threads << " threads, batch_entries " << options.batch_entries << ", parts_ahead "
           << options.parts_ahead << ", batches_per_part " << options.batches_per_part
           << ", min_valid_time " << head_options.min_valid_time << (corrupt ? ", one byte flipped" : "")
           << "\n";
  MemoryFs fs;
  RC_ASSERT(WriteWal(fs, "wal", spec).ok());
  if (corrupt) CorruptOneByte(fs, spec);

  Head seq(head_options), par(head_options);
  ReplayReport rs, rp;
  const Status s1 = ReplaySequential(fs, "wal", &seq, options, &rs);
  const Status s2 = parallel(fs, "wal", &par, options, threads, &rp);
  RC_TAG(threads == 1 ? "1 thread" : threads <= 4 ? "2-4 threads" : "5-16 threads");
  RC_CLASSIFY(rs.corruption.has_value(), "stopped at a corruption");
  RC_CLASSIFY(spec.checkpoint.has_value(), "checkpoint");
  RC_CLASSIFY(rs.plan.segments.size() > 2, "3+ segments");
  RC_CLASSIFY(rs.counters.series_aliased > 0, "aliases");
  RC_CLASSIFY(rs.counters.samples_out_of_order + rs.counters.samples_duplicate > 0, "out of order");

  if (s1.code() != s2.code()) RC_FAIL("status: " + s1.ToString() + " vs " + s2.ToString());
  RC_ASSERT(rs.corruption.has_value() == rp.corruption.has_value());
  if (rs.corruption && rs.corruption->ToString() != rp.corruption->ToString()) {
    RC_FAIL("corruption: " + rs.corruption->ToString() + " vs " + rp.corruption->ToString());
  }
  const std::string diff = DiffHeads(seq, par);
  if (!diff.empty()) RC_FAIL("heads differ (sequential vs parallel): " + diff);
  const std::string refs = DiffRefBindings(seq, par, RefsOf(spec));
  if (!refs.empty()) RC_FAIL("ref bindings differ (sequential vs parallel): " + refs);
  const std::string counters = DiffCounters(seq.counters(), par.counters());
  if (!counters.empty()) RC_FAIL("counters differ (sequential vs parallel): " + counters);
  RC_ASSERT(rs.records == rp.records);
  RC_ASSERT(rs.records_skipped == rp.records_skipped);
  RC_ASSERT(rs.series == rp.series);
  RC_ASSERT(rs.samples == rp.samples);
  RC_ASSERT(rs.histogram_samples == rp.histogram_samples);
  RC_ASSERT(rs.counters == rp.counters);
  // The digest must agree with the structural comparison.
  RC_ASSERT(DigestHead(seq) == DigestHead(par, threads));
}

RC_GTEST_PROP(ReplayProperty, ParallelEqualsSequential, ()) {
  CheckParallelEqualsSequential(ReplayParallel, /*allow_corruption=*/true);
}

// ---- A deliberately broken parallel replay, to show the property bites ----

// Sequential in everything but samples: each Samples record is split into
// `threads + 1` shards by sample time, a shard function that ignores the
// series, and the shards are applied one after another, as if each shard's
// thread ran in turn. A series whose samples land in two shards gets them out
// of WAL order, so later ones are dropped as out of order or earlier ones
// come after. Deterministic and race-free on purpose: the property must catch
// wrong routing itself, not leave it to tsan.
Status BrokenShardedReplay(Fs& fs, const std::string& dir, Head* head, const ReplayOptions&,
                           int threads, ReplayReport* report) {
  *report = ReplayReport{};
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  report->plan = *plan;
  WalReader reader(fs, *plan);
  std::string_view bytes;
  Record rec;
  const uint64_t shards = static_cast<uint64_t>(threads) + 1;
  while (reader.Next(&bytes)) {
    const Status st = DecodeRecord(bytes, &rec);
    if (!st.ok()) {
      reader.FailDecode(RecordTypeName(PeekRecordType(bytes)), st);
      break;
    }
    ++report->records;
    if (auto* r = std::get_if<SamplesRecord>(&rec)) {
      for (uint64_t shard = 0; shard < shards; ++shard) {
        for (const RefSample& s : r->samples) {
          if (static_cast<uint64_t>(s.t) % shards == shard) head->AppendSample(s);
        }
      }
    } else if (std::holds_alternative<MmapMarkersRecord>(rec) ||
               std::holds_alternative<UnknownRecord>(rec)) {
      ++report->records_skipped;
    } else {
      ApplyRecord(rec, head);
    }
  }
  report->threads = threads;
  report->parallel = true;
  report->corruption = reader.corruption();
  report->counters = head->counters();
  report->series = head->num_series();
  report->samples = report->counters.samples_appended;
  report->histogram_samples = report->counters.histograms_appended;
  return reader.status();
}

// Sanity for the demonstration: with one shard the "broken" replay is a plain
// sequential one and must pass, so when it fails with more shards, the
// sharding is what the property caught.
RC_GTEST_PROP(ReplayPropertyTeeth, UnshardedVariantPasses, ()) {
  CheckParallelEqualsSequential(
      [](Fs& fs, const std::string& dir, Head* head, const ReplayOptions& o, int, ReplayReport* r) {
        return BrokenShardedReplay(fs, dir, head, o, 0, r);
      },
      /*allow_corruption=*/false);
}

// The teeth: the property, run exactly as in CI (same RC_PARAMS), must find
// a counterexample for the broken sharding. rc::check prints it (with the
// shrunk WAL and the first head difference), which is the demonstration.
TEST(ReplayPropertyTeeth, CatchesShardingThatSplitsASeries) {
  const bool passed = rc::check("parallel replay equals sequential, against BrokenShardedReplay", [] {
    CheckParallelEqualsSequential(BrokenShardedReplay, /*allow_corruption=*/false);
  });
  EXPECT_FALSE(passed) << "property 3 did not notice a replay that splits series across shards";
}

}  // namespace
}  // namespace walproof::prop
