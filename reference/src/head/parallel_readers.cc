// Parallel replay's reader side: read, check, decompress and decode whole
// parts (the checkpoint, then each segment) into pieces, and the ring of
// per-part queues that hands them to the router in WAL order.
#include <algorithm>
#include <string>
#include <string_view>

#include "head/parallel_replay.h"
#include "head/replay_timing.h"
#include "walproof/format/record_codec.h"

namespace walproof::replay_internal {

// Reads, checks and decodes one part into pieces handed to `sink` (false
// from it: stop). The last piece says how the part ended. Returns false when
// the sink asked to stop.
bool ParallelReplay::ReadPart(size_t part, ReaderState* state, const PieceSink& sink) {
  ReplayPhases& phases = state->phases;
  SegmentReader reader(fs_, parts_[part]);
  reader.set_timing(options_.timing);
  std::unique_ptr<Piece> piece = NewPiece();
  bool delivered = true;
  bool failed = false;
  // Hands the current piece over and starts another; false when stopping.
  auto hand_over = [&] {
    delivered = sink(std::move(piece));
    if (delivered) piece = NewPiece();
    return delivered;
  };
  std::string_view rec;
  while (reader.Next(&rec)) {
    Clock::time_point t0;
    if (options_.timing) t0 = Clock::now();
    const char* what = "";
    Status st;
    // An entry takes at least 10 bytes: this bounds what the record holds.
    const size_t most = rec.size() / 10;
    if (most > batch_entries_ && PeekRecordType(rec) == static_cast<uint8_t>(RecordType::kSamples)) {
      // A big Samples record (a whole scrape in one commit) is decoded in
      // full first, so that a corrupt one is refused whole, then handed
      // over in batch-sized slices: memory in flight stays bounded.
      what = "samples";
      state->big.clear();
      st = AppendSampleRecord(rec, &state->big, &state->scratch.float_scratch);
      if (options_.timing) phases.decode += Since(t0);
      if (st.ok()) {
        const std::vector<RefSample>& big = state->big;
        ++piece->batch.records;  // counted once, with its first slice
        for (size_t at = 0; at < big.size() && delivered;) {
          const size_t room = batch_entries_ - std::min(batch_entries_, piece->batch.entries());
          if (room == 0) {
            hand_over();
            continue;
          }
          const size_t n = std::min(room, big.size() - at);
          piece->batch.AddSamples(big.data() + at, n);
          at += n;
        }
        if (!delivered) break;
        continue;
      }
    } else {
      // Hand the batch over before a record that could overfill it, so
      // that its vectors never outgrow what was reserved.
      const size_t entries = piece->batch.entries();
      if (entries > 0 && entries + most > batch_entries_ && !hand_over()) break;
      if (options_.timing) t0 = Clock::now();
      st = AppendRecord(rec, &piece->batch, &state->scratch, &what);
      if (options_.timing) phases.decode += Since(t0);
    }
    if (!st.ok()) {
      // As WalReader::FailDecode: the corruption is at the reader's position.
      piece->corruption = CorruptionInfo{reader.segment_path(), reader.segment(), reader.offset(),
                                         std::string("decode ") + what + ": " + st.message()};
      piece->status = Status::Corruption(piece->corruption->ToString());
      failed = true;
      break;
    }
  }
  const ReadPhaseTimes& io = reader.phase_times();
  phases.read += io.read;
  phases.checksum += io.checksum;
  phases.decompress += io.decompress;
  if (!delivered) return false;
  if (!failed) {
    piece->status = reader.status();
    piece->corruption = reader.corruption();
  }
  piece->last = true;
  return sink(std::move(piece));
}

void ParallelReplay::ReadLoop() {
  ReaderState state;
  while (true) {
    size_t part;
    {
      std::unique_lock lock(mu_);
      readers_cv_.wait(lock, [&] {
        return stopping_ || next_part_ >= parts_.size() || next_part_ < routing_ + window_;
      });
      if (stopping_ || next_part_ >= parts_.size()) break;
      part = next_part_++;
    }
    const bool go_on = ReadPart(part, &state, [&](std::unique_ptr<Piece> piece) {
      ScopedTime wait(options_.timing, &state.phases.wait);
      return Deliver(part, std::move(piece));
    });
    if (!go_on) break;
  }
  std::lock_guard lock(mu_);
  reader_phases_.read += state.phases.read;
  reader_phases_.checksum += state.phases.checksum;
  reader_phases_.decompress += state.phases.decompress;
  reader_phases_.decode += state.phases.decode;
  reader_phases_.wait += state.phases.wait;
}

bool ParallelReplay::Deliver(size_t part, std::unique_ptr<Piece> piece) {
  std::unique_lock lock(mu_);
  auto& queue = ring_[part % window_];
  readers_cv_.wait(lock, [&] { return stopping_ || queue.size() < per_part_; });
  if (stopping_) return false;
  queue.push_back(std::move(piece));
  router_cv_.notify_one();
  return true;
}

std::unique_ptr<Piece> ParallelReplay::Take(size_t part) {
  std::unique_lock lock(mu_);
  auto& queue = ring_[part % window_];
  router_cv_.wait(lock, [&] { return !queue.empty(); });
  std::unique_ptr<Piece> piece = std::move(queue.front());
  queue.pop_front();
  readers_cv_.notify_all();
  return piece;
}

}  // namespace walproof::replay_internal
