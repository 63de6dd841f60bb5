#include "walproof/tsdb/head_blocks.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <limits>
#include <memory>
#include <thread>

#include "head/channel.h"
#include "tsdb/parallel_for.h"
#include "tsdb/series_chunks.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_writer.h"

namespace walproof::tsdb {

namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();

}  // namespace

int64_t BlockStart(int64_t t, int64_t duration) {
  int64_t q = t / duration;
  if (t % duration != 0 && t < 0) --q;
  return q * duration;
}

HeadTimeSpan SurveySeries(const Head& head, SeriesId id, int64_t duration, std::set<int64_t>* starts) {
  HeadTimeSpan span;
  auto see = [&](int64_t t) {
    if (!span.any || t < span.mint) span.mint = t;
    if (!span.any || t > span.maxt) span.maxt = t;
    span.any = true;
  };
  // Samples are in time order: only look where the range changes.
  int64_t end = kMinTime;
  auto add_start = [&](int64_t t) {
    if (!starts || (end != kMinTime && t < end && t >= end - duration)) return;
    const int64_t start = BlockStart(t, duration);
    starts->insert(start);
    end = start + duration;
  };
  const std::vector<ChunkView> chunks = head.FloatChunks(id);
  if (ChunksFitRanges(head, id, chunks, duration)) {
    // From the chunks' headers and times alone.
    for (const ChunkView& c : chunks) {
      span.float_samples += c.samples();
      add_start(c.mint());
    }
    if (!chunks.empty()) {
      see(chunks.front().mint());
      see(chunks.back().maxt);
    }
  } else {
    std::vector<FloatPoint> floats;
    Floats(head, id, chunks, &floats, &span.deleted_samples);
    span.float_samples = floats.size();
    for (const FloatPoint& p : floats) add_start(p.t);
    if (!floats.empty()) {
      see(floats.front().t);
      see(floats.back().t);
    }
  }
  std::vector<size_t> hists;
  Histograms(head, id, &hists, &span.deleted_samples);
  span.histogram_samples = hists.size();
  span.float_histogram_samples = head.float_histograms(id).size();
  const std::vector<HistogramPoint>& hs = head.histograms(id);
  if (!hists.empty()) {
    see(hs[hists.front()].t);
    see(hs[hists.back()].t);
  }
  end = kMinTime;
  for (size_t i : hists) add_start(hs[i].t);
  return span;
}

namespace {

// The block symbols of `series`: every label name and value, sorted; and
// for each of the head's symbol numbers its position among them.
struct BlockSymbols {
  std::vector<std::string> sorted;
  std::vector<uint32_t> position;  // by head symbol number
};

BlockSymbols SymbolsOf(const Head& head, const std::vector<SeriesId>& series) {
  std::vector<uint8_t> used(head.num_symbols(), 0);
  std::vector<uint32_t> numbers;
  for (SeriesId id : series) {
    head.label_symbols(id, &numbers);
    for (uint32_t n : numbers) used[n] = 1;
  }
  std::vector<uint32_t> order;
  for (uint32_t n = 0; n < used.size(); ++n) {
    if (used[n]) order.push_back(n);
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return head.symbol(a) < head.symbol(b); });
  BlockSymbols out;
  out.position.assign(used.size(), 0);
  for (uint32_t i = 0; i < order.size(); ++i) {
    out.sorted.emplace_back(head.symbol(order[i]));
    out.position[order[i]] = i;
  }
  return out;
}

// One series ready to write: its labels, their symbols' positions, its
// chunks. Preparing it walks the head (its chunks lie scattered through
// memory); writing it is encoding and I/O: with two threads, one prepares
// the next series while the other writes.
struct PreparedSeries {
  std::vector<LabelView> labels;
  std::vector<uint32_t> label_refs;
  std::vector<EncodedChunk> chunks;
  std::deque<std::string> reencoded;  // the bytes of chunks not the head's own
};
using Batch = std::vector<PreparedSeries>;
constexpr size_t kBatchSeries = 256;

class BlocksWriter {
 public:
  BlocksWriter(Fs& fs, const Head& head, const std::vector<SeriesId>& series, const std::string& parent,
               const std::vector<int64_t>& starts, int64_t duration, const std::vector<std::string>& ulids)
      : fs_(fs), head_(head), symbols_(SymbolsOf(head, series)), parent_(parent), starts_(starts),
        duration_(duration), ulids_(ulids), sums_(starts.size()), writers_(starts.size()) {}

  // Reads only the head and the symbols: safe on another thread than Write.
  Status Prepare(SeriesId id, PreparedSeries* out) const {
    SeriesChunks(head_, id, duration_, &out->chunks, &out->reencoded);
    head_.label_views(id, &out->labels);
    head_.label_symbols(id, &out->label_refs);
    for (uint32_t& ref : out->label_refs) ref = symbols_.position[ref];
    return Status::Ok();
  }

  // Hands a series' chunks to the blocks of their ranges, in runs (they are
  // in time order, each inside one range).
  Status Write(PreparedSeries& s) {
    std::vector<EncodedChunk>& chunks = s.chunks;
    size_t i = 0;
    while (i < chunks.size()) {
      const int64_t start = BlockStart(chunks[i].mint, duration_);
      const auto at = std::lower_bound(starts_.begin(), starts_.end(), start);
      if (at == starts_.end() || *at != start) {
        return Status::InvalidArgument("a sample at " + std::to_string(chunks[i].mint) +
                                       " falls in no block range to write");
      }
      const size_t b = static_cast<size_t>(at - starts_.begin());
      in_block_.clear();
      for (; i < chunks.size() && chunks[i].mint < start + duration_; ++i) {
        (chunks[i].encoding == kEncXor ? sums_[b].float_samples : sums_[b].histogram_samples) += chunks[i].samples;
        in_block_.push_back(std::move(chunks[i]));
      }
      if (!writers_[b]) {
        BlockMeta meta;
        meta.ulid = ulids_[b];
        meta.min_time = start;
        meta.max_time = start + duration_;
        auto w = BlockWriter::Begin(fs_, parent_, meta, symbols_.sorted);
        if (!w.ok()) return w.status();
        writers_[b] = std::move(*w);
      }
      WALPROOF_RETURN_IF_ERROR(writers_[b]->AddSeries(s.labels, s.label_refs, in_block_));
      sums_[b].chunks += in_block_.size();
      ++sums_[b].series;
    }
    return Status::Ok();
  }

  // Finishing a block is mostly its postings and fsyncs: the blocks' can overlap.
  Result<std::vector<BlockSummary>> Finish(int threads) {
    std::vector<Status> finished(writers_.size());
    ParallelFor(writers_.size(), threads, [&](size_t b) {
      if (writers_[b]) finished[b] = writers_[b]->Finish();
    });
    for (size_t b = 0; b < writers_.size(); ++b) {
      if (!writers_[b]) continue;
      WALPROOF_RETURN_IF_ERROR(finished[b]);
      sums_[b].meta = writers_[b]->meta();
      sums_[b].digest = writers_[b]->digest();
    }
    return sums_;
  }

 private:
  Fs& fs_;
  const Head& head_;
  const BlockSymbols symbols_;
  const std::string& parent_;
  const std::vector<int64_t>& starts_;
  const int64_t duration_;
  const std::vector<std::string>& ulids_;
  std::vector<BlockSummary> sums_;
  std::vector<std::unique_ptr<BlockWriter>> writers_;
  std::vector<EncodedChunk> in_block_;
};

// Prepares batches of series on a thread of its own, in order, until done or
// told to stop; the first error ends it and is kept.
class Preparer {
 public:
  Preparer(const BlocksWriter& writer, const std::vector<SeriesId>& series)
      : writer_(writer), series_(series), thread_([this] { Run(); }) {}
  ~Preparer() {
    stop_ = true;
    Batch drain;
    while (ready_.Pop(&drain)) {
    }
    thread_.join();
  }
  // False when every batch was taken (then status() says whether all went well).
  bool Next(Batch* batch) { return ready_.Pop(batch); }
  const Status& status() const { return status_; }

 private:
  void Run() {
    for (size_t i = 0; i < series_.size() && !stop_;) {
      Batch batch(std::min(kBatchSeries, series_.size() - i));
      for (PreparedSeries& p : batch) {
        Status st = writer_.Prepare(series_[i++], &p);
        if (!st.ok()) {
          status_ = st;
          stop_ = true;
          break;
        }
      }
      if (!stop_) ready_.Push(std::move(batch));
    }
    ready_.Close();
  }

  const BlocksWriter& writer_;
  const std::vector<SeriesId>& series_;
  Status status_;  // written by the thread before Close, read after Next fails
  std::atomic<bool> stop_{false};
  replay_internal::Channel<Batch> ready_{4};
  std::thread thread_;
};

}  // namespace

Result<std::vector<BlockSummary>> WriteHeadBlocks(Fs& fs, const Head& head, const std::vector<SeriesId>& series,
                                                  const std::string& parent, const std::vector<int64_t>& starts,
                                                  int64_t duration, const std::vector<std::string>& ulids,
                                                  int threads) {
  BlocksWriter writer(fs, head, series, parent, starts, duration, ulids);
  if (threads <= 1) {
    PreparedSeries s;
    for (SeriesId id : series) {
      WALPROOF_RETURN_IF_ERROR(writer.Prepare(id, &s));
      WALPROOF_RETURN_IF_ERROR(writer.Write(s));
    }
  } else {
    Preparer preparer(writer, series);
    Batch batch;
    while (preparer.Next(&batch)) {
      for (PreparedSeries& s : batch) WALPROOF_RETURN_IF_ERROR(writer.Write(s));
    }
    WALPROOF_RETURN_IF_ERROR(preparer.status());
  }
  return writer.Finish(threads);
}

}  // namespace walproof::tsdb
