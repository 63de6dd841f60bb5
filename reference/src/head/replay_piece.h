// Piece: one decoded batch on its way from a reader through the router to
// the shards, and the pool that recycles pieces so steady-state parallel
// replay allocates no buffers.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "head/decoded_batch.h"
#include "walproof/head/head.h"
#include "walproof/io/status.h"
#include "walproof/wal/segment_reader.h"

namespace walproof::replay_internal {

// One batch of a part, from its reader through the router to the shards.
struct Piece {
  DecodedBatch batch;
  // Set by the router: the series of each sample / histogram, kNoSeries for
  // those dropped (too old, unknown ref).
  std::vector<SeriesId> sample_ids;
  std::vector<SeriesId> histogram_ids;
  std::vector<SeriesId> float_histogram_ids;
  bool last = false;  // the part's final piece; then status says how it ended
  Status status;
  std::optional<CorruptionInfo> corruption;
  std::atomic<size_t> shards_left{0};  // shards that have yet to append from it

  void Reset() {
    batch.Clear();
    last = false;
    status = Status::Ok();
    corruption.reset();
  }
};

// Spare pieces, so that steady-state replay allocates no buffers.
class PiecePool {
 public:
  std::unique_ptr<Piece> Get() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        std::unique_ptr<Piece> p = std::move(free_.back());
        free_.pop_back();
        p->Reset();
        return p;
      }
    }
    return std::make_unique<Piece>();
  }
  void Put(std::unique_ptr<Piece> p) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(p));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Piece>> free_;
};

}  // namespace walproof::replay_internal
