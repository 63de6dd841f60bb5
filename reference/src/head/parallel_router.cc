// Parallel replay's router: sees every record in WAL order, applies series,
// tombstones, exemplars and metadata itself, and resolves each sample's ref
// to a series id so the shards never touch the ref index.
#include "head/parallel_replay.h"
#include "head/replay_timing.h"

namespace walproof::replay_internal {

bool ParallelReplay::Route(Piece& piece) {
  using Kind = DecodedBatch::Kind;
  DecodedBatch& b = piece.batch;
  const int64_t min_valid = head_->options().min_valid_time;
  piece.sample_ids.reserve(b.samples.capacity());
  piece.sample_ids.resize(b.samples.size());
  piece.histogram_ids.resize(b.num_histograms);
  piece.float_histogram_ids.resize(b.num_float_histograms);
  bool for_shards = false;
  size_t series = 0, samples = 0, tombstones = 0, exemplars = 0, metadata = 0, histograms = 0,
         float_histograms = 0;
  // Histograms of both kinds: too old first, then unknown, as Head checks;
  // true when any is left for the shards.
  auto resolve_histograms = [&](const auto* h, SeriesId* ids, size_t n) {
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      ids[i] = h[i].t < min_valid ? kNoSeries : head_->Resolve(h[i].ref);
      if (h[i].t < min_valid) {
        ++routed_.histograms_too_old;
      } else if (ids[i] == kNoSeries) {
        ++routed_.histograms_unknown_ref;
      } else {
        any = true;
      }
    }
    return any;
  };
  for (const DecodedBatch::Run& run : b.runs) {
    const size_t n = run.count;
    const bool routed = run.kind == Kind::kSamples || run.kind == Kind::kHistograms ||
                        run.kind == Kind::kFloatHistograms;
    ScopedTime time(options_.timing, routed ? &router_phases_.route : &router_phases_.apply);
    switch (run.kind) {
      case Kind::kSeries:
        for (size_t i = 0; i < n; ++i, ++series) head_->AddSeries(b.series[series].ref, b.series[series].labels);
        break;
      case Kind::kSamples: {
        const RefSample* s = b.samples.data() + samples;
        SeriesId* ids = piece.sample_ids.data() + samples;
        samples += n;
        head_->ResolveSamples(s, n, ids);
        uint64_t too_old = 0, unknown = 0;
        for (size_t i = 0; i < n; ++i) {
          // Too old first, then unknown, as upstream (and Head) checks.
          if (s[i].t < min_valid) {
            ++too_old;
            ids[i] = kNoSeries;
          } else if (ids[i] == kNoSeries) {
            ++unknown;
          }
        }
        routed_.samples_too_old += too_old;
        routed_.samples_unknown_ref += unknown;
        for_shards |= too_old + unknown < n;
        break;
      }
      case Kind::kHistograms:
        for_shards |= resolve_histograms(b.histograms.data() + histograms,
                                         piece.histogram_ids.data() + histograms, n);
        histograms += n;
        break;
      case Kind::kFloatHistograms:
        for_shards |= resolve_histograms(b.float_histograms.data() + float_histograms,
                                         piece.float_histogram_ids.data() + float_histograms, n);
        float_histograms += n;
        break;
      case Kind::kTombstones:
        for (size_t i = 0; i < n; ++i) head_->AddTombstone(b.tombstones[tombstones++]);
        break;
      case Kind::kExemplars:
        for (size_t i = 0; i < n; ++i) head_->AddExemplar(b.exemplars[exemplars++]);
        break;
      case Kind::kMetadata:
        for (size_t i = 0; i < n; ++i) head_->SetMetadata(b.metadata[metadata++]);
        break;
    }
  }
  return for_shards;
}

void ParallelReplay::Dispatch(std::unique_ptr<Piece> piece) {
  Piece* p = piece.release();
  p->shards_left.store(shards_, std::memory_order_relaxed);
  ScopedTime wait(options_.timing, &router_phases_.wait);
  // The channel's lock orders the router's writes before each shard's reads.
  for (auto& channel : to_shard_) channel->Push(p);
}

}  // namespace walproof::replay_internal
