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
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "head/decoded_batch.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/replay.h"

namespace walproof {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Adds the time of a scope to *total when timing is on.
class ScopedTime {
 public:
  ScopedTime(bool on, double* total) : total_(on ? total : nullptr) {
    if (total_) start_ = Clock::now();
  }
  ~ScopedTime() {
    if (total_) *total_ += Since(start_);
  }
  ScopedTime(const ScopedTime&) = delete;
  ScopedTime& operator=(const ScopedTime&) = delete;

 private:
  double* total_;
  Clock::time_point start_;
};

// Batches a shard may be behind the router.
constexpr size_t kShardQueue = 4;

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

// A bounded FIFO between threads.
template <typename T>
class Channel {
 public:
  explicit Channel(size_t capacity) : capacity_(capacity) {}

  void Push(T item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(item));
    not_empty_.notify_one();
  }
  // False once closed and drained.
  bool Pop(T* item) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
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

class ParallelReplay {
 public:
  ParallelReplay(Fs& fs, const WalReadPlan& plan, Head* head, const ReplayOptions& options,
                 int threads)
      : fs_(fs), head_(head), options_(options) {
    if (plan.checkpoint) parts_.push_back(plan.checkpoint_segments);
    for (const SegmentFile& s : plan.segments) parts_.push_back({s});
    const size_t n = static_cast<size_t>(std::max(threads, 1));
    // Reading, checking and decoding cost about half of appending: half as
    // many readers as shards keep the shards fed without crowding the CPUs.
    // With one shard the router reads itself: on two CPUs, a thread that
    // reads and routes and one that appends beat three threads handing
    // pieces around.
    readers_ = std::min(n / 2, parts_.size());
    shards_ = n;
    window_ = options.parts_ahead > 0 ? static_cast<size_t>(options.parts_ahead) : n + 1;
    window_ = std::max(window_, readers_);
    per_part_ = static_cast<size_t>(std::max(options.batches_per_part, 1));
    batch_entries_ = std::max<size_t>(options.batch_entries, 1);
    ring_.resize(window_);
  }

  Status Run(ReplayReport* report);

 private:
  // Reader side.
  struct ReaderState {
    DecodeScratch scratch;
    std::vector<RefSample> big;  // a Samples record bigger than a batch
    ReplayPhases phases;
  };
  void ReadLoop();
  template <typename Sink>
  bool ReadPart(size_t part, ReaderState* state, const Sink& sink);
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

// Reads, checks and decodes one part into pieces handed to `sink` (false
// from it: stop). The last piece says how the part ended. Returns false when
// the sink asked to stop.
template <typename Sink>
bool ParallelReplay::ReadPart(size_t part, ReaderState* state, const Sink& sink) {
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
  for (size_t s = 0; s < shards_; ++s) threads.emplace_back([this, s] { ShardLoop(s); });
  for (size_t r = 0; r < readers_; ++r) threads.emplace_back([this] { ReadLoop(); });

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

}  // namespace

Status ReplayParallel(Fs& fs, const std::string& dir, Head* head, const ReplayOptions& options,
                      int threads, ReplayReport* report) {
  const Clock::time_point start = Clock::now();
  *report = ReplayReport{};
  report->parallel = true;
  report->threads = std::max(threads, 1);
  const HeadCounters before = head->counters();
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  report->plan = *plan;

  ParallelReplay replay(fs, *plan, head, options, threads);
  Status status = replay.Run(report);

  report->counters = head->counters();
  report->series = head->num_series();
  report->samples = report->counters.samples_appended - before.samples_appended;
  report->histogram_samples = report->counters.histograms_appended - before.histograms_appended;
  report->seconds = Since(start);
  return status;
}

}  // namespace walproof
