// Property 4, checkpoint: for any WAL, any segment `to` and any mint and
// keep(ref), replaying checkpoint.<to> plus the segments after it gives, for
// every kept series, what replaying the whole WAL gives with everything
// older than mint dropped. "Older than mint dropped" is the head's own
// min_valid_time = mint on both sides, as in Prometheus after a truncation.
//
// A series (label set) counts as kept when every ref bound to it by a Series
// record inside the checkpointed range is kept: a dropped alias loses its
// samples by design (upstream #16058), and that series is not compared.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "head_compare.h"
#include "memory_fs.h"
#include "read_back.h"
#include "show.h"
#include "wal_gen.h"
#include "walproof/head/replay.h"
#include "walproof/wal/checkpoint.h"

namespace walproof::prop {
namespace {

namespace gen = rc::gen;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

Status Replay(Fs& fs, Head* head) {
  ReplayReport report;
  ReplayOptions options;
  options.timing = false;
  return ReplaySequential(fs, "wal", head, options, &report);
}

// Which records of the WAL lie in the checkpointed range: the existing
// checkpoint's and those of segments <= to. Read back rather than computed,
// since segment switches depend on record sizes.
Result<size_t> RecordsUpTo(Fs& fs, int to) {
  auto back = ReadBackWal(fs, "wal");
  if (!back.ok()) return back.status();
  if (!back->status.ok()) return back->status;
  size_t n = 0;
  while (n < back->segments.size() && back->segments[n] <= to) ++n;
  return n;
}

// The property; `metadata` says whether series metadata is compared too.
void CheckCheckpoint(bool metadata) {
  const WalSpec spec = *genWalSpec();
  MemoryFs fs;
  RC_ASSERT(WriteWal(fs, "wal", spec).ok());
  auto plan = PlanWalRead(fs, "wal");
  RC_ASSERT(plan.ok());
  RC_ASSERT(!plan->segments.empty());

  // Checkpoint up to any segment after the existing checkpoint.
  const int from = plan->segments.front().index;
  const int to = *gen::inRange(from, plan->segments.back().index + 1);
  // mint: below everything, above everything, or any time the WAL uses.
  std::vector<int64_t> times = {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (const Record& r : spec.records) {
    if (auto* s = std::get_if<SamplesRecord>(&r)) {
      for (const RefSample& x : s->samples) times.push_back(x.t);
    }
  }
  const int64_t mint = *gen::elementOf(times);
  const int keep_style = *gen::element(0, 1, 2);  // all, most, few
  const uint64_t keep_seed = *gen::arbitrary<uint64_t>();
  const KeepSeriesFn keep = [=](uint64_t ref) {
    return keep_style == 0 || Mix(ref ^ keep_seed) % 4 < (keep_style == 1 ? 3u : 1u);
  };
  RC_LOG() << "Checkpoint(from " << from << ", to " << to << ", mint " << mint << ", keep "
           << (keep_style == 0 ? "all" : keep_style == 1 ? "most" : "few") << " refs, seed " << keep_seed
           << ")\n";
  auto in_range = RecordsUpTo(fs, to);
  RC_ASSERT(in_range.ok());

  // Label sets bound, in the range, to a ref that keep() drops.
  std::set<std::string> dropped_sets;
  for (size_t i = 0; i < *in_range; ++i) {
    if (auto* s = std::get_if<SeriesRecord>(&spec.records[i])) {
      for (const RefSeries& x : s->series) {
        if (!keep(x.ref)) dropped_sets.insert(EncodeLabelSet(x.labels));
      }
    }
  }
  // With metadata compared, also label sets whose ref is later bound to
  // other labels: metadata follows the ref's binding at the time it was
  // logged, which a checkpoint (one record, written last) cannot replay.
  // Prometheus never rebinds a ref within one WAL; the generator does.
  if (metadata) {
    std::map<uint64_t, std::set<std::string>> sets_of_ref;
    for (const Record& r : spec.records) {
      if (auto* s = std::get_if<SeriesRecord>(&r)) {
        for (const RefSeries& x : s->series) sets_of_ref[x.ref].insert(EncodeLabelSet(x.labels));
      }
    }
    for (const auto& [ref, sets] : sets_of_ref) {
      if (sets.size() > 1) dropped_sets.insert(sets.begin(), sets.end());
    }
  }
  const auto kept = [&](const Labels& labels) { return !dropped_sets.count(EncodeLabelSet(labels)); };

  HeadOptions head_options;
  head_options.min_valid_time = mint;
  Head expected(head_options);
  RC_ASSERT(Replay(fs, &expected).ok());

  CheckpointOptions options;
  options.compression = spec.compression;
  options.segment_size = spec.segment_size;
  auto stats = Checkpoint(fs, "wal", from, to, keep, mint, options);
  if (!stats.ok()) RC_FAIL("Checkpoint(" + std::to_string(from) + ", " + std::to_string(to) +
                           "): " + stats.status().ToString());
  RC_ASSERT(stats->index == to);
  // Deleting what the checkpoint covers must not change replay; a WAL keeps
  // at least one segment after its checkpoint, so only when there is one.
  const bool cleanup = plan->segments.back().index > to;
  if (cleanup) {
    const Status st = DeleteSegmentsUpTo(fs, "wal", to);
    if (!st.ok()) RC_FAIL("DeleteSegmentsUpTo: " + st.ToString());
    RC_ASSERT(DeleteCheckpointsBefore(fs, "wal", to).ok());
  }
  RC_CLASSIFY(spec.checkpoint.has_value(), "from an older checkpoint");
  RC_CLASSIFY(cleanup, "old segments deleted");
  RC_CLASSIFY(stats->dropped_samples > 0, "samples dropped");
  RC_CLASSIFY(stats->dropped_series > 0, "series dropped");

  Head actual(head_options);
  const Status st = Replay(fs, &actual);
  if (!st.ok()) RC_FAIL("replay after checkpoint: " + st.ToString());
  const std::string diff = DiffHeads(expected, actual, {kept, metadata});
  if (!diff.empty()) {
    RC_FAIL("checkpoint." + std::to_string(to) + " (mint " + std::to_string(mint) +
            ") changed a kept series (whole WAL vs checkpoint): " + diff);
  }
}

RC_GTEST_PROP(CheckpointProperty, KeptSeriesReplayTheSameExceptMetadata, ()) {
  CheckCheckpoint(/*metadata=*/false);
}

// Metadata too: the checkpoint keeps only metadata replay would apply and
// writes it in logged order, so aliases end with the same metadata.
RC_GTEST_PROP(CheckpointProperty, KeptSeriesReplayTheSameMetadataIncluded, ()) {
  CheckCheckpoint(/*metadata=*/true);
}

}  // namespace
}  // namespace walproof::prop
