// ParallelReplay: the pipeline behind ReplayParallel (overview and the
// argument that it equals sequential replay in parallel_replay.cc). Its
// three sides live in parallel_readers.cc, parallel_router.cc and
// parallel_shards.cc; this header is what they share.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "head/channel.h"
#include "head/decoded_batch.h"
#include "head/replay_piece.h"
#include "walproof/head/head.h"
#include "walproof/head/replay.h"
#include "walproof/io/fs.h"
#include "walproof/wal/wal_reader.h"

namespace walproof::replay_internal {

// Batches a shard may be behind the router.
constexpr size_t kShardQueue = 4;

class ParallelReplay {
 public:
  ParallelReplay(Fs& fs, const WalReadPlan& plan, Head* head, const ReplayOptions& options,
                 int threads);

  Status Run(ReplayReport* report);

 private:
  // Reader side.
  struct ReaderState {
    DecodeScratch scratch;
    std::vector<RefSample> big;  // a Samples record bigger than a batch
    ReplayPhases phases;
  };
  void ReadLoop();
  // Where a reader's pieces go: the ring (reader threads) or straight to the
  // router (no reader threads). A call per piece, not per record.
  using PieceSink = std::function<bool(std::unique_ptr<Piece>)>;
  bool ReadPart(size_t part, ReaderState* state, const PieceSink& sink);
  std::unique_ptr<Piece> NewPiece() {
    std::unique_ptr<Piece> piece = pieces_.Get();
    piece->batch.samples.reserve(batch_entries_);
    return piece;
  }
  bool Deliver(size_t part, std::unique_ptr<Piece> piece);
  // Router side.
  std::unique_ptr<Piece> Take(size_t part);
  // Applies what the router applies and resolves the rest; true when the
  // piece holds anything for the shards.
  bool Route(Piece& piece);
  void Dispatch(std::unique_ptr<Piece> piece);
  // Shard side.
  void ShardLoop(size_t shard);
  void AppendPart(Piece& piece, size_t shard, HeadCounters* counters);
  void Release(Piece* piece);

  Fs& fs_;
  Head* head_;
  const ReplayOptions options_;
  std::vector<std::vector<SegmentFile>> parts_;
  size_t readers_ = 1;
  size_t shards_ = 1;
  size_t window_ = 2;
  size_t per_part_ = 4;
  size_t batch_entries_ = 1;

  // Guards everything between readers and the router.
  std::mutex mu_;
  std::condition_variable readers_cv_;
  std::condition_variable router_cv_;
  size_t next_part_ = 0;  // the next part a reader takes
  size_t routing_ = 0;    // the part the router consumes
  bool stopping_ = false;
  std::vector<std::deque<std::unique_ptr<Piece>>> ring_;  // part p queues at p % window_
  ReplayPhases reader_phases_;
  PiecePool pieces_;

  // Router to shards.
  std::vector<std::unique_ptr<Channel<Piece*>>> to_shard_;
  std::vector<HeadCounters> shard_counters_;
  std::vector<ReplayPhases> shard_phases_;
  HeadCounters routed_;  // what the router drops
  ReplayPhases router_phases_;
};

}  // namespace walproof::replay_internal
