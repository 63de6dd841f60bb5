// Parallel replay (replay.h). Upstream reads and decodes on one goroutine and
// only shards the appends; here the reading side is parallel too, because WAL
// parts (the checkpoint, then each segment) are independent streams:
//
//   reader threads          router (calling thread)           shard threads
//   part p: read, CRC,   -> in WAL order: series, tombstones, -> each appends the
//   decompress, decode      exemplars, metadata to the head;     floats and
//   into batches (a         samples and histograms: drop too     histograms of its
//   window of parts)        old / unknown, resolve refs to ids   part of the series
//
// A batch goes from a reader to the router, which writes the series id of
// every sample next to it, then to every shard; each shard appends the
// samples whose series is in its part (Head::PartOf) straight from the batch,
// and the last shard done recycles it. Nothing is copied per sample between
// threads but a 4-byte id.
//
// Why it equals sequential replay:
// - Only the router creates series or binds refs, and it sees every record in
//   WAL order, so a sample resolves to the series sequential replay would pick
//   (aliases included) and is unknown exactly when it would be.
// - A series belongs to one shard, chosen by its id (not its ref, so an
//   alias's samples join the original's), and every shard takes the batches
//   in the order the router passed them: per series, samples arrive in WAL
//   order, so the out-of-order and duplicate decisions are the same.
// - Tombstones, exemplars and metadata touch members of a series that the
//   shards never touch (head.h, Threading); the min valid time is fixed.
// - A part that ends in a corruption hands over the entries decoded before it
//   and then its status; the router applies them and stops there, ignoring
//   whatever later parts were read ahead.
// Memory: at most `parts_ahead` parts are being read ahead of the one being
// routed, each with at most `batches_per_part` batches queued, and each shard
// at most kShardQueue batches behind the router.
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "head/parallel_replay.h"
#include "head/replay_timing.h"
#include "head/thread_name.h"
#include "walproof/head/replay.h"

namespace walproof {
namespace replay_internal {

ParallelReplay::ParallelReplay(Fs& fs, const WalReadPlan& plan, Head* head,
                               const ReplayOptions& options, int threads)
    : fs_(fs), head_(head), options_(options) {
  if (plan.checkpoint) parts_.push_back(plan.checkpoint_segments);
  for (const SegmentFile& s : plan.segments) parts_.push_back({s});
  const size_t n = static_cast<size_t>(std::max(threads, 1));
  // N threads in all. The calling thread routes, and reads too when no
  // reader thread is left; a third of the others read, the rest append.
  // Measured on two CPUs (2.2 GB promtool WAL, median of interleaved runs):
  // a router that reads plus one shard replayed in 3.5-4.1 s, where one
  // reader, the router and two shards (four threads for two CPUs) took
  // 4.3-5.1 s: shards beyond the free CPUs only add hand-offs.
  const size_t others = n > 1 ? n - 1 : 1;
  readers_ = std::min(others / 3, parts_.size());
  shards_ = std::max<size_t>(1, others - readers_);
  window_ = options.parts_ahead > 0 ? static_cast<size_t>(options.parts_ahead) : n + 1;
  window_ = std::max(window_, readers_);
  per_part_ = static_cast<size_t>(std::max(options.batches_per_part, 1));
  batch_entries_ = std::max<size_t>(options.batch_entries, 1);
  ring_.resize(window_);
}

Status ParallelReplay::Run(ReplayReport* report) {
  report->readers = static_cast<int>(readers_);
  report->shards = static_cast<int>(shards_);
  head_->SetAppendLanes(shards_);
  shard_counters_.resize(shards_);
  shard_phases_.resize(shards_);
  for (size_t s = 0; s < shards_; ++s) {
    to_shard_.push_back(std::make_unique<Channel<Piece*>>(kShardQueue));
  }
  std::vector<std::thread> threads;
  for (size_t s = 0; s < shards_; ++s) {
    threads.emplace_back([this, s] {
      NameThisThread("wp-shard-" + std::to_string(s));
      ShardLoop(s);
    });
  }
  for (size_t r = 0; r < readers_; ++r) {
    threads.emplace_back([this, r] {
      NameThisThread("wp-reader-" + std::to_string(r));
      ReadLoop();
    });
  }

  // The router applies each piece in WAL order; false once a part ended
  // badly (its status is then the result).
  Status status;
  auto consume = [&](std::unique_ptr<Piece> piece) {
    const bool for_shards = Route(*piece);
    report->records += piece->batch.records;
    report->records_skipped += piece->batch.skipped;
    const bool last = piece->last;
    if (last && !piece->status.ok()) {
      status = piece->status;
      report->corruption = piece->corruption;
    }
    if (for_shards) {
      Dispatch(std::move(piece));
    } else {
      pieces_.Put(std::move(piece));
    }
    return status.ok();
  };
  if (readers_ == 0) {
    // Few threads: the router reads too, sparing a hand-over per piece.
    ReaderState state;
    for (size_t part = 0; part < parts_.size() && status.ok(); ++part) {
      if (!ReadPart(part, &state, consume)) break;
    }
    reader_phases_ = state.phases;
  } else {
    for (size_t part = 0; part < parts_.size() && status.ok(); ++part) {
      {
        std::lock_guard lock(mu_);
        routing_ = part;
      }
      readers_cv_.notify_all();
      bool more = true;
      while (more) {
        std::unique_ptr<Piece> piece;
        {
          ScopedTime wait(options_.timing, &router_phases_.wait);
          piece = Take(part);
        }
        more = !piece->last;
        if (!consume(std::move(piece))) break;
      }
    }
  }

  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  readers_cv_.notify_all();
  for (auto& channel : to_shard_) channel->Close();
  for (std::thread& t : threads) t.join();

  head_->AddCounters(routed_);
  report->phases = reader_phases_;
  report->phases.route = router_phases_.route;
  report->phases.apply = router_phases_.apply;
  report->phases.wait += router_phases_.wait;
  for (size_t s = 0; s < shards_; ++s) {
    head_->AddCounters(shard_counters_[s]);
    report->phases.apply += shard_phases_[s].apply;
    report->phases.wait += shard_phases_[s].wait;
  }
  return status;
}

}  // namespace replay_internal

Status ReplayParallel(Fs& fs, const std::string& dir, Head* head, const ReplayOptions& options,
                      int threads, ReplayReport* report) {
  const replay_internal::Clock::time_point start = replay_internal::Clock::now();
  *report = ReplayReport{};
  report->parallel = true;
  report->threads = std::max(threads, 1);
  const HeadCounters before = head->counters();
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  report->plan = *plan;

  replay_internal::ParallelReplay replay(fs, *plan, head, options, threads);
  Status status = replay.Run(report);

  report->counters = head->counters();
  report->series = head->num_series();
  report->samples = report->counters.samples_appended - before.samples_appended;
  report->histogram_samples = report->counters.histograms_appended - before.histograms_appended;
  report->seconds = replay_internal::Since(start);
  return status;
}

}  // namespace walproof
