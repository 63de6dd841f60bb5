#include "tsdb/series_chunks.h"

#include "walproof/head/xor_chunk.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/head_blocks.h"
#include "walproof/tsdb/histogram_chunk.h"

namespace walproof::tsdb {

namespace {

bool Overlaps(const std::vector<TimeInterval>& stones, int64_t mint, int64_t maxt) {
  for (const TimeInterval& i : stones) {
    if (i.mint <= maxt && mint <= i.maxt) return true;
  }
  return false;
}

// Re-encodes a series' samples into chunks: floats and histograms merged in
// time order, a chunk cut at 120 floats, at a change of encoding, where a
// histogram does not fit, and at every range end.
class SeriesChunker {
 public:
  // The chunks' bytes go into *storage, which keeps them where they are.
  SeriesChunker(std::vector<EncodedChunk>* out, std::deque<std::string>* storage, int64_t duration)
      : out_(out), storage_(storage), duration_(duration) {}

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
    storage_->emplace_back(xor_.bytes());
    out_->push_back({kEncXor, storage_->back(), mint_, xor_.max_time(), xor_.num_samples()});
    xor_.Reset();
  }
  void FlushHistograms() {
    if (hist_.num_samples() == 0) return;
    storage_->push_back(hist_.bytes());
    out_->push_back({kEncHistogram, storage_->back(), mint_, hist_maxt_, hist_.num_samples()});
    hist_ = HistogramChunkEncoder();
  }

  std::vector<EncodedChunk>* out_;
  std::deque<std::string>* storage_;
  const int64_t duration_;
  XorAppender xor_;
  HistogramChunkEncoder hist_;
  int64_t mint_ = 0;
  int64_t end_ = 0;
  int64_t hist_maxt_ = 0;
};

}  // namespace

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

bool ChunksFitRanges(const Head& head, SeriesId id, const std::vector<ChunkView>& chunks, int64_t duration) {
  if (chunks.empty()) return true;
  const std::vector<TimeInterval>& stones = head.tombstones(id);
  if (!stones.empty() && Overlaps(stones, chunks.front().mint(), chunks.back().maxt)) return false;
  for (const ChunkView& c : chunks) {
    if (BlockStart(c.mint(), duration) != BlockStart(c.maxt, duration)) return false;
  }
  return true;
}

void SeriesChunks(const Head& head, SeriesId id, int64_t duration, std::vector<EncodedChunk>* out,
                  std::deque<std::string>* storage) {
  out->clear();
  storage->clear();
  const std::vector<ChunkView> chunks = head.FloatChunks(id);
  if (head.histograms(id).empty() && ChunksFitRanges(head, id, chunks, duration)) {
    for (const ChunkView& c : chunks) out->push_back({kEncXor, c.bytes, c.mint(), c.maxt, c.samples()});
    return;
  }
  std::vector<FloatPoint> floats;
  std::vector<size_t> hists;
  uint64_t deleted = 0;
  Floats(head, id, chunks, &floats, &deleted);
  Histograms(head, id, &hists, &deleted);
  const std::vector<HistogramPoint>& hs = head.histograms(id);
  SeriesChunker chunker(out, storage, duration);
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

}  // namespace walproof::tsdb
