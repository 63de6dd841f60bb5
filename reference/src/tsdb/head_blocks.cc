#include "walproof/tsdb/head_blocks.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "tsdb/parallel_for.h"
#include "walproof/head/xor_chunk.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_writer.h"
#include "walproof/tsdb/histogram_chunk.h"

namespace walproof::tsdb {

namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

struct FloatPoint {
  int64_t t;
  uint64_t v;
};

bool Overlaps(const std::vector<TimeInterval>& stones, int64_t mint, int64_t maxt) {
  for (const TimeInterval& i : stones) {
    if (i.mint <= maxt && mint <= i.maxt) return true;
  }
  return false;
}

// The series' float samples that no tombstone hides, in time order, into
// *out; the hidden ones are counted into *deleted.
void Floats(const Head& head, SeriesId id, const std::vector<ChunkView>& chunks, std::vector<FloatPoint>* out,
            uint64_t* deleted) {
  out->clear();
  const bool tombstoned = !head.tombstones(id).empty();
  for (const ChunkView& c : chunks) {
    for (XorIterator it(c.bytes); it.Next();) {
      if (tombstoned && head.IsDeleted(id, it.t())) {
        ++*deleted;
        continue;
      }
      out->push_back({it.t(), it.v_bits()});
    }
  }
}

// Indexes of the series' histograms that no tombstone hides.
void Histograms(const Head& head, SeriesId id, std::vector<size_t>* out, uint64_t* deleted) {
  out->clear();
  const std::vector<HistogramPoint>& hs = head.histograms(id);
  for (size_t i = 0; i < hs.size(); ++i) {
    if (head.IsDeleted(id, hs[i].t)) {
      ++*deleted;
      continue;
    }
    out->push_back(i);
  }
}

// Whether the head's chunks can go into blocks as they are: no tombstone
// hides one of their samples and none spans two ranges.
bool ChunksFitRanges(const Head& head, SeriesId id, const std::vector<ChunkView>& chunks, int64_t duration) {
  if (chunks.empty()) return true;
  const std::vector<TimeInterval>& stones = head.tombstones(id);
  if (!stones.empty() && Overlaps(stones, chunks.front().mint(), chunks.back().maxt)) return false;
  for (const ChunkView& c : chunks) {
    if (BlockStart(c.mint(), duration) != BlockStart(c.maxt, duration)) return false;
  }
  return true;
}

// Re-encodes a series' samples into chunks: floats and histograms merged in
// time order, a chunk cut at 120 floats, at a change of encoding, where a
// histogram does not fit, and at every range end.
class SeriesChunker {
 public:
  SeriesChunker(std::vector<EncodedChunk>* out, int64_t duration) : out_(out), duration_(duration) {}

  void Float(int64_t t, uint64_t v) {
    if (hist_.num_samples() > 0) FlushHistograms();
    if (xor_.num_samples() >= kSamplesPerChunk || (!xor_.empty() && t >= end_)) FlushFloats();
    if (xor_.empty()) Open(t);
    xor_.Append(t, v);
  }
  void Histo(int64_t t, const Histogram& h) {
    if (!xor_.empty()) FlushFloats();
    if (hist_.num_samples() > 0 && t >= end_) FlushHistograms();
    bool reset = false;
    if (!hist_.Fits(h, &reset)) {
      FlushHistograms();
      hist_ = HistogramChunkEncoder(h.counter_reset_hint == 3 ? kHistogramGauge
                                    : reset                    ? kHistogramCounterReset
                                                               : kHistogramUnknownReset);
    } else if (hist_.num_samples() == 0 && h.counter_reset_hint == 3) {
      hist_ = HistogramChunkEncoder(kHistogramGauge);
    }
    if (hist_.num_samples() == 0) Open(t);
    hist_.Append(t, h);
    hist_maxt_ = t;
  }
  void Finish() {
    if (!xor_.empty()) FlushFloats();
    if (hist_.num_samples() > 0) FlushHistograms();
  }

 private:
  void Open(int64_t t) {
    mint_ = t;
    end_ = BlockStart(t, duration_) + duration_;
  }
  void FlushFloats() {
    out_->push_back({kEncXor, std::string(xor_.bytes()), mint_, xor_.max_time(), xor_.num_samples()});
    xor_.Reset();
  }
  void FlushHistograms() {
    if (hist_.num_samples() == 0) return;
    out_->push_back({kEncHistogram, hist_.bytes(), mint_, hist_maxt_, hist_.num_samples()});
    hist_ = HistogramChunkEncoder();
  }

  std::vector<EncodedChunk>* out_;
  const int64_t duration_;
  XorAppender xor_;
  HistogramChunkEncoder hist_;
  int64_t mint_ = 0;
  int64_t end_ = 0;
  int64_t hist_maxt_ = 0;
};

// A series' chunks, deletions applied, each inside one range: the head's own
// where they fit, else re-encoded.
void SeriesChunks(const Head& head, SeriesId id, int64_t duration, std::vector<EncodedChunk>* out) {
  out->clear();
  const std::vector<ChunkView> chunks = head.FloatChunks(id);
  if (head.histograms(id).empty() && ChunksFitRanges(head, id, chunks, duration)) {
    for (const ChunkView& c : chunks) out->push_back({kEncXor, std::string(c.bytes), c.mint(), c.maxt, c.samples()});
    return;
  }
  std::vector<FloatPoint> floats;
  std::vector<size_t> hists;
  uint64_t deleted = 0;
  Floats(head, id, chunks, &floats, &deleted);
  Histograms(head, id, &hists, &deleted);
  const std::vector<HistogramPoint>& hs = head.histograms(id);
  SeriesChunker chunker(out, duration);
  size_t f = 0, h = 0;
  while (f < floats.size() || h < hists.size()) {
    if (h == hists.size() || (f < floats.size() && floats[f].t < hs[hists[h]].t)) {
      chunker.Float(floats[f].t, floats[f].v);
      ++f;
    } else {
      chunker.Histo(hs[hists[h]].t, hs[hists[h]].h);
      ++h;
    }
  }
  chunker.Finish();
}

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

void AddSymbols(const Head& head, SeriesId id, std::unordered_set<std::string_view>* symbols) {
  thread_local std::vector<LabelView> labels;
  head.label_views(id, &labels);
  for (const LabelView& l : labels) {
    symbols->insert(l.name);
    symbols->insert(l.value);
  }
}

std::vector<std::string> SortedSymbols(const std::unordered_set<std::string_view>& symbols) {
  std::vector<std::string> out(symbols.begin(), symbols.end());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<BlockSummary>> WriteHeadBlocks(Fs& fs, const Head& head, const std::vector<SeriesId>& series,
                                                  const std::vector<std::string>& symbols, const std::string& parent,
                                                  const std::vector<int64_t>& starts, int64_t duration,
                                                  const std::vector<std::string>& ulids, int threads) {
  // A series' labels become symbol positions once, for all its blocks.
  std::unordered_map<std::string_view, uint32_t> position;
  position.reserve(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) position.emplace(symbols[i], static_cast<uint32_t>(i));
  std::vector<BlockSummary> sums(starts.size());
  std::vector<std::unique_ptr<BlockWriter>> writers(starts.size());
  std::vector<EncodedChunk> chunks;
  std::vector<EncodedChunk> in_block;
  std::vector<LabelView> labels;
  std::vector<uint32_t> label_refs;
  for (SeriesId id : series) {
    SeriesChunks(head, id, duration, &chunks);
    if (chunks.empty()) continue;
    head.label_views(id, &labels);
    label_refs.clear();
    for (const LabelView& l : labels) {
      for (std::string_view str : {l.name, l.value}) {
        const auto it = position.find(str);
        if (it == position.end()) return Status::InvalidArgument("label string missing from the symbols: " + std::string(str));
        label_refs.push_back(it->second);
      }
    }
    // Chunks are in time order, each inside one range: hand them out in runs.
    size_t i = 0;
    while (i < chunks.size()) {
      const int64_t start = BlockStart(chunks[i].mint, duration);
      const auto at = std::lower_bound(starts.begin(), starts.end(), start);
      if (at == starts.end() || *at != start) {
        return Status::InvalidArgument("a sample at " + std::to_string(chunks[i].mint) +
                                       " falls in no block range to write");
      }
      const size_t b = static_cast<size_t>(at - starts.begin());
      in_block.clear();
      for (; i < chunks.size() && chunks[i].mint < start + duration; ++i) {
        (chunks[i].encoding == kEncXor ? sums[b].float_samples : sums[b].histogram_samples) += chunks[i].samples;
        in_block.push_back(std::move(chunks[i]));
      }
      if (!writers[b]) {
        BlockMeta meta;
        meta.ulid = ulids[b];
        meta.min_time = start;
        meta.max_time = start + duration;
        auto w = BlockWriter::Begin(fs, parent, meta, symbols);
        if (!w.ok()) return w.status();
        writers[b] = std::move(*w);
      }
      WALPROOF_RETURN_IF_ERROR(writers[b]->AddSeries(labels, label_refs, in_block));
      sums[b].chunks += in_block.size();
      ++sums[b].series;
    }
  }
  // Finishing a block is mostly its postings and fsyncs: the blocks' can overlap.
  std::vector<Status> finished(writers.size());
  ParallelFor(writers.size(), threads, [&](size_t b) {
    if (writers[b]) finished[b] = writers[b]->Finish();
  });
  for (size_t b = 0; b < writers.size(); ++b) {
    if (!writers[b]) continue;
    WALPROOF_RETURN_IF_ERROR(finished[b]);
    sums[b].meta = writers[b]->meta();
    sums[b].digest = writers[b]->digest();
  }
  return sums;
}

}  // namespace walproof::tsdb
