#include "walproof/tsdb/head_blocks.h"

#include <algorithm>
#include <limits>
#include <set>

#include "walproof/head/xor_chunk.h"
#include "walproof/tsdb/block_digest.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_writer.h"
#include "walproof/tsdb/histogram_chunk.h"

namespace walproof::tsdb {

namespace {

struct FloatPoint {
  int64_t t;
  uint64_t v;
};

// Calls fn(t, v_bits) for the series' float samples in [mint, maxt) that no
// tombstone hides, in time order, until fn returns false (then false);
// counts the hidden ones into *deleted. Head chunks wholly before mint are
// skipped by their successor's first time, those from maxt on not read.
template <typename Fn>
bool ForEachFloatIn(const Head& head, SeriesId id, int64_t mint, int64_t maxt, uint64_t* deleted, Fn fn) {
  const std::vector<std::string_view> chunks = head.ChunkBytes(id);
  const bool tombstoned = !head.tombstones(id).empty();
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i + 1 < chunks.size() && XorChunkMinTime(chunks[i + 1]) <= mint) continue;
    if (XorChunkMinTime(chunks[i]) >= maxt) break;
    for (XorIterator it(chunks[i]); it.Next();) {
      if (it.t() < mint) continue;
      if (it.t() >= maxt) break;
      if (tombstoned && head.IsDeleted(id, it.t())) {
        if (deleted) ++*deleted;
        continue;
      }
      if (!fn(it.t(), it.v_bits())) return false;
    }
  }
  return true;
}

// The series' float samples in [mint, maxt), deletions applied, into *out.
void FloatsIn(const Head& head, SeriesId id, int64_t mint, int64_t maxt, std::vector<FloatPoint>* out,
              uint64_t* deleted) {
  out->clear();
  ForEachFloatIn(head, id, mint, maxt, deleted, [&](int64_t t, uint64_t v) {
    out->push_back({t, v});
    return true;
  });
}

// Whether the series has a float sample in [mint, maxt) that no tombstone
// hides; stops at the first.
bool HasFloatIn(const Head& head, SeriesId id, int64_t mint, int64_t maxt) {
  return !ForEachFloatIn(head, id, mint, maxt, nullptr, [](int64_t, uint64_t) { return false; });
}

// Indexes of the series' histograms in [mint, maxt), deletions applied.
void HistogramsIn(const Head& head, SeriesId id, int64_t mint, int64_t maxt, std::vector<size_t>* out,
                  uint64_t* deleted) {
  out->clear();
  const std::vector<HistogramPoint>& hs = head.histograms(id);
  auto first = std::lower_bound(hs.begin(), hs.end(), mint,
                                [](const HistogramPoint& p, int64_t t) { return p.t < t; });
  for (auto it = first; it != hs.end() && it->t < maxt; ++it) {
    if (head.IsDeleted(id, it->t)) {
      if (deleted) ++*deleted;
      continue;
    }
    out->push_back(static_cast<size_t>(it - hs.begin()));
  }
}

// The chunks of one series in one block, in time order, into the digest.
class SeriesChunker {
 public:
  SeriesChunker(std::vector<EncodedChunk>* out, BlockDigest* digest) : out_(out), digest_(digest) {}

  void Float(int64_t t, uint64_t v) {
    if (hist_.num_samples() > 0) FlushHistograms();
    if (xor_.num_samples() >= kSamplesPerChunk) FlushFloats();
    if (xor_.empty()) mint_ = t;
    xor_.Append(t, v);
    digest_->AddFloat(t, v);
  }
  void Histo(int64_t t, const Histogram& h) {
    if (!xor_.empty()) FlushFloats();
    bool reset = false;
    if (!hist_.Fits(h, &reset)) {
      FlushHistograms();
      hist_ = HistogramChunkEncoder(h.counter_reset_hint == 3 ? kHistogramGauge
                                    : reset                    ? kHistogramCounterReset
                                                               : kHistogramUnknownReset);
    } else if (hist_.num_samples() == 0 && h.counter_reset_hint == 3) {
      hist_ = HistogramChunkEncoder(kHistogramGauge);
    }
    if (hist_.num_samples() == 0) mint_ = t;
    hist_.Append(t, h);
    hist_maxt_ = t;
    digest_->AddHistogram(t, h);
  }
  void Finish() {
    if (!xor_.empty()) FlushFloats();
    if (hist_.num_samples() > 0) FlushHistograms();
  }

 private:
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
  BlockDigest* digest_;
  XorAppender xor_;
  HistogramChunkEncoder hist_;
  int64_t mint_ = 0;
  int64_t hist_maxt_ = 0;
};

}  // namespace

int64_t BlockStart(int64_t t, int64_t duration) {
  int64_t q = t / duration;
  if (t % duration != 0 && t < 0) --q;
  return q * duration;
}

HeadTimeSpan SurveySeries(const Head& head, SeriesId id, int64_t duration, std::set<int64_t>* starts) {
  HeadTimeSpan span;
  std::vector<FloatPoint> floats;
  std::vector<size_t> hists;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  FloatsIn(head, id, kMin, kMax, &floats, &span.deleted_samples);
  HistogramsIn(head, id, kMin, kMax, &hists, &span.deleted_samples);
  span.float_samples = floats.size();
  span.histogram_samples = hists.size();
  span.float_histogram_samples = head.float_histograms(id).size();
  auto see = [&](int64_t t) {
    if (!span.any || t < span.mint) span.mint = t;
    if (!span.any || t > span.maxt) span.maxt = t;
    span.any = true;
  };
  if (!floats.empty()) {
    see(floats.front().t);
    see(floats.back().t);
  }
  if (!hists.empty()) {
    see(head.histograms(id)[hists.front()].t);
    see(head.histograms(id)[hists.back()].t);
  }
  if (starts) {
    // Samples are in time order: only look where the range changes.
    int64_t end = kMin;
    for (const FloatPoint& p : floats) {
      if (end != kMin && p.t < end && p.t >= end - duration) continue;
      const int64_t start = BlockStart(p.t, duration);
      starts->insert(start);
      end = start + duration;
    }
    for (size_t i : hists) starts->insert(BlockStart(head.histograms(id)[i].t, duration));
  }
  return span;
}

Result<BlockSummary> WriteHeadBlock(Fs& fs, const Head& head, const std::vector<SeriesId>& series,
                                    const std::string& parent, int64_t mint, int64_t maxt, const std::string& ulid) {
  // Pass 1: the series with a sample here, and their symbols.
  std::vector<SeriesId> present;
  std::set<std::string> symbols;
  std::vector<FloatPoint> floats;
  std::vector<size_t> hists;
  for (SeriesId id : series) {
    if (!HasFloatIn(head, id, mint, maxt)) {
      HistogramsIn(head, id, mint, maxt, &hists, nullptr);
      if (hists.empty()) continue;
    }
    present.push_back(id);
    for (const Label& l : head.labels(id)) {
      symbols.insert(l.name);
      symbols.insert(l.value);
    }
  }
  BlockSummary sum;
  if (present.empty()) return sum;

  // Pass 2: chunks and index.
  BlockMeta meta;
  meta.ulid = ulid;
  meta.min_time = mint;
  meta.max_time = maxt;
  auto writer = BlockWriter::Begin(fs, parent, meta, {symbols.begin(), symbols.end()});
  if (!writer.ok()) return writer.status();
  BlockDigest digest;
  std::vector<EncodedChunk> chunks;
  for (SeriesId id : present) {
    const Labels labels = head.labels(id);
    FloatsIn(head, id, mint, maxt, &floats, nullptr);
    HistogramsIn(head, id, mint, maxt, &hists, nullptr);
    chunks.clear();
    digest.BeginSeries(labels);
    SeriesChunker chunker(&chunks, &digest);
    const std::vector<HistogramPoint>& hs = head.histograms(id);
    size_t f = 0, h = 0;
    while (f < floats.size() || h < hists.size()) {
      if (h == hists.size() || (f < floats.size() && floats[f].t < hs[hists[h]].t)) {
        chunker.Float(floats[f].t, floats[f].v);
        ++f;
        ++sum.float_samples;
      } else {
        chunker.Histo(hs[hists[h]].t, hs[hists[h]].h);
        ++h;
        ++sum.histogram_samples;
      }
    }
    chunker.Finish();
    sum.chunks += chunks.size();
    ++sum.series;
    WALPROOF_RETURN_IF_ERROR((*writer)->AddSeries(labels, chunks));
  }
  WALPROOF_RETURN_IF_ERROR((*writer)->Finish());
  sum.meta = (*writer)->meta();
  sum.digest = digest.value();
  return sum;
}

}  // namespace walproof::tsdb
