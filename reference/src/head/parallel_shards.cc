// Parallel replay's shards: each appends the samples and histograms of its
// part of the series (Head::PartOf) from every piece, in the order the
// router sent them, so per series the order is the WAL's.
#include <utility>

#include "head/parallel_replay.h"
#include "head/replay_timing.h"

namespace walproof::replay_internal {

void ParallelReplay::Release(Piece* piece) {
  // The last shard out recycles the piece; acq_rel so that it sees every
  // other shard done with it.
  if (piece->shards_left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    pieces_.Put(std::unique_ptr<Piece>(piece));
  }
}

void ParallelReplay::AppendPart(Piece& piece, size_t shard, HeadCounters* counters) {
  using Kind = DecodedBatch::Kind;
  const DecodedBatch& b = piece.batch;
  size_t samples = 0, histograms = 0, float_histograms = 0;
  for (const DecodedBatch::Run& run : b.runs) {
    const size_t n = run.count;
    switch (run.kind) {
      case Kind::kSamples:
        head_->AppendResolvedPart(b.samples.data() + samples, piece.sample_ids.data() + samples, n,
                                  shard, shards_, shard, counters);
        samples += n;
        break;
      case Kind::kHistograms:
        for (size_t i = 0; i < n; ++i, ++histograms) {
          const SeriesId id = piece.histogram_ids[histograms];
          if (id == kNoSeries || Head::PartOf(id, shards_) != shard) continue;
          const RefHistogramSample& h = b.histograms[histograms];
          Histogram copy = h.h;  // the batch is shared; histograms are rare
          CountHistogramOutcome(head_->AppendHistogramTo(id, h.t, std::move(copy)), counters);
        }
        break;
      case Kind::kFloatHistograms:
        for (size_t i = 0; i < n; ++i, ++float_histograms) {
          const SeriesId id = piece.float_histogram_ids[float_histograms];
          if (id == kNoSeries || Head::PartOf(id, shards_) != shard) continue;
          const RefFloatHistogramSample& h = b.float_histograms[float_histograms];
          FloatHistogram copy = h.h;
          CountHistogramOutcome(head_->AppendFloatHistogramTo(id, h.t, std::move(copy)), counters);
        }
        break;
      default:
        break;  // the router's
    }
  }
}

void ParallelReplay::ShardLoop(size_t shard) {
  HeadCounters counters;
  ReplayPhases phases;
  Piece* piece = nullptr;
  while (true) {
    {
      ScopedTime wait(options_.timing, &phases.wait);
      if (!to_shard_[shard]->Pop(&piece)) break;
    }
    {
      ScopedTime apply(options_.timing, &phases.apply);
      AppendPart(*piece, shard, &counters);
    }
    Release(piece);
  }
  shard_counters_[shard] = counters;
  shard_phases_[shard] = phases;
}

}  // namespace walproof::replay_internal
