// Head: the in-memory state that WAL replay rebuilds (upstream tsdb.Head,
// reduced to what the WAL carries): series with their labels, float samples
// in XOR chunks, histogram samples, tombstones, exemplars and metadata.
//
// What each record does (docs/format.md, "Replay rules"; upstream tsdb/head_wal.go at
// 2.42, with the alias handling of 3.x where 2.42 is inconsistent):
// - Series (ref, labels): a new label set creates a series. A label set that
//   already exists under another ref makes `ref` an alias of that series
//   (upstream's multiRef): whatever later names the alias (samples,
//   histograms, tombstones, exemplars, metadata) lands on the original series.
//   The series keeps the samples it already had; upstream 2.42 empties the
//   series' head chunk at that point because it assumes those samples are
//   also in chunks_head or a block, which a WAL-only head does not have.
//   A later Series record for a ref that is already bound rebinds it.
// - Samples: dropped and counted when older than the min valid time (checked
//   first, as upstream does), when the ref is unknown (never an error), and
//   when not newer than the series' last sample: upstream's memSeries.append
//   refuses t <= the head chunk's max time during replay (no out-of-order
//   window in 2.42), whatever the value. t < last counts as out of order,
//   t == last as a duplicate. Floats and histograms of a series share that
//   last time, as they share upstream's head chunk.
// - Floats go into XOR chunks (xor_chunk.h), a new chunk every
//   kSamplesPerChunk samples and at the end of every chunk range (2 h), as
//   upstream cuts them: so a chunk never spans two blocks, and rescue copies
//   chunks into blocks as they are, as upstream's compaction does. Upstream
//   also predicts an end time to even out a range's chunks; that shapes
//   chunks, not contents, and is not modeled.
// - Histograms and float histograms are kept as decoded.
// - Tombstones: intervals per series, merged as upstream's Intervals.Add
//   (overlapping or adjacent ones join). Intervals that end before the min
//   valid time are dropped, as are empty ones (mint > maxt). They hide
//   samples from queries; the samples stay in the head, as upstream's do.
// - Exemplars: per series in time order; one not newer than the series' last
//   exemplar is dropped (upstream's out-of-order and duplicate exemplar
//   errors). Upstream's circular buffer capacity is not modeled.
// - Metadata: the latest per series.
//
// Memory: a float sample costs what its XOR encoding costs (1-3 bytes for
// regular scrapes); a series about 100 bytes plus its label set as uvarint
// symbol ids (label names and values are interned) plus its open chunk's
// buffer. Closed chunks are packed into arenas with an 18-byte header. On
// 300k series x 600 bench-write samples the head is about 570 MiB: 436 MB
// of XOR chunks, and most of the rest the open chunks' buffers, which the
// last cut, at the 4 h boundary, left holding one sample each.
//
// Threading: a Head is not thread-safe, with one exception parallel replay
// is built on: AppendFloatTo / AppendFloatsTo (each thread with its own
// lane), AppendHistogramTo and AppendFloatHistogramTo may run on several
// threads at once for different series, concurrently with one other thread
// that makes every remaining call (AddSeries, Resolve, AddTombstone,
// AddExemplar, SetMetadata, ...). Series live at stable addresses, and the
// two kinds of calls touch disjoint members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/head/head_counters.h"
#include "walproof/head/label_set.h"
#include "walproof/head/xor_chunk.h"

namespace walproof {

// Series are numbered 0, 1, 2, ... in order of creation.
using SeriesId = uint32_t;
inline constexpr SeriesId kNoSeries = std::numeric_limits<SeriesId>::max();

struct HeadOptions {
  // Samples, histograms and exemplars older than this are dropped, and
  // tombstone intervals that end before it. Upstream sets it from the newest
  // block; a WAL alone has none, hence no limit by default.
  int64_t min_valid_time = std::numeric_limits<int64_t>::min();
  // Milliseconds: a series' chunk is cut at every multiple of this (upstream's
  // chunkRange, its shortest block duration). 0 cuts on sample count alone.
  int64_t chunk_range = 2 * 60 * 60 * 1000;
};

struct TimeInterval {
  int64_t mint = 0;
  int64_t maxt = 0;
  bool operator==(const TimeInterval&) const = default;
};

struct SeriesMetadata {
  uint8_t type = 0;
  std::string unit;
  std::string help;
  bool operator==(const SeriesMetadata&) const = default;
};

struct Exemplar {
  int64_t t = 0;
  double v = 0;
  Labels labels;
  bool operator==(const Exemplar& o) const { return t == o.t && SameBits(v, o.v) && labels == o.labels; }
};

struct FloatSample {
  int64_t t = 0;
  double v = 0;
  bool operator==(const FloatSample& o) const { return t == o.t && SameBits(v, o.v); }
};

struct HistogramPoint {
  int64_t t = 0;
  Histogram h;
  bool operator==(const HistogramPoint&) const = default;
};

struct FloatHistogramPoint {
  int64_t t = 0;
  FloatHistogram h;
  bool operator==(const FloatHistogramPoint&) const = default;
};

// A float chunk as the head holds it, read without decoding: its bytes
// (xor_chunk.h) and the time of its last sample.
struct ChunkView {
  std::string_view bytes;
  int64_t maxt = 0;
  int64_t mint() const { return XorChunkMinTime(bytes); }
  uint16_t samples() const { return XorChunkSamples(bytes); }
  bool operator==(const ChunkView&) const = default;
};

struct HeadMemory {
  uint64_t chunks = 0;
  uint64_t chunk_bytes = 0;     // encoded XOR bytes, open chunks included
  uint64_t chunk_capacity = 0;  // bytes allocated for them (arenas, open buffers)
  uint64_t label_bytes = 0;     // interned strings, label sets as symbols, symbol table
  uint64_t index_bytes = 0;     // series records, and the ref and label-set indexes to them
};

class Head {
 public:
  explicit Head(HeadOptions options = {});
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // ---- Applying WAL entries, with the semantics above ----
  void AddSeries(uint64_t ref, const Labels& labels);
  void AppendSample(const RefSample& s);
  void AppendHistogram(const RefHistogramSample& s);
  void AppendFloatHistogram(const RefFloatHistogramSample& s);
  void AddTombstone(const RefTombstone& t);
  void AddExemplar(const RefExemplar& e);
  void SetMetadata(const RefMetadata& m);

  // Appends the samples of one Samples record, in order, as AppendSample
  // would one by one (the sequential replay hot path).
  void AppendSamples(const RefSample* samples, size_t n);

  // ---- Pieces for parallel replay (see Threading above) ----
  // The series a ref names (aliases resolved), or kNoSeries.
  SeriesId Resolve(uint64_t ref) const;
  // ids[i] = Resolve(samples[i].ref) for i < n.
  void ResolveSamples(const RefSample* samples, size_t n, SeriesId* ids) const;
  // Closed chunks are copied into per-lane arenas: threads that append at
  // the same time must use different lanes. Lanes 0..n-1 exist after this
  // call (lane 0 always does); not to be called while appends run.
  void SetAppendLanes(size_t n);
  // Append to a known series; no min-valid-time check and no counting: the
  // caller does both.
  AppendOutcome AppendFloatTo(SeriesId id, int64_t t, double v, size_t lane = 0);
  AppendOutcome AppendHistogramTo(SeriesId id, int64_t t, Histogram&& h);
  AppendOutcome AppendFloatHistogramTo(SeriesId id, int64_t t, FloatHistogram&& h);
  struct IdSample {
    SeriesId id;
    int64_t t;
    double v;
  };
  // AppendFloatTo for each, outcomes counted into *counters.
  void AppendFloatsTo(const IdSample* samples, size_t n, size_t lane, HeadCounters* counters);
  // Series split into `parts` parts for parallel appends: runs of 64 ids per
  // part, so that threads appending to different parts never write to one
  // cache line (series lie side by side in id order).
  static size_t PartOf(SeriesId id, size_t parts) { return (id >> 6) % parts; }
  // Appends samples[i] (its time and value; the ref is not looked at) to
  // series ids[i], for every i whose id is not kNoSeries and is in `part`.
  // Outcomes are counted into *counters.
  void AppendResolvedPart(const RefSample* samples, const SeriesId* ids, size_t n, size_t part,
                          size_t parts, size_t lane, HeadCounters* counters);
  // Adds counts gathered outside the head.
  void AddCounters(const HeadCounters& c) { counters_ += c; }

  // ---- Reading back ----
  const HeadOptions& options() const { return options_; }
  const HeadCounters& counters() const { return counters_; }
  size_t num_series() const { return num_series_; }
  // Float samples held (appended ones; tombstones do not remove any).
  uint64_t num_float_samples() const;
  HeadMemory Memory() const;

  SeriesId FindByLabels(const Labels& labels) const;
  // All series in ascending label order (Prometheus's: label by label, name
  // then value, a prefix first).
  std::vector<SeriesId> SortedSeries() const;

  // The ref of the Series record that created the series.
  uint64_t series_ref(SeriesId id) const;
  Labels labels(SeriesId id) const;
  // The same as views of the head's interned strings, valid as long as the
  // head: no copy, for passes over every series (rescue makes several).
  void label_views(SeriesId id, std::vector<LabelView>* out) const;
  // The same as the head's numbers for those strings (name, value, ...), and
  // the strings behind the numbers: series named without hashing a string.
  void label_symbols(SeriesId id, std::vector<uint32_t>* out) const;
  std::string_view symbol(uint32_t number) const;
  size_t num_symbols() const;
  // The label set as the WAL encodes it (uvarint count, then uvarint-length
  // prefixed names and values): equal label sets, equal strings.
  std::string encoded_labels(SeriesId id) const;
  // Float samples in time order.
  std::vector<FloatSample> FloatSamples(SeriesId id) const;
  uint64_t num_float_samples(SeriesId id) const;
  // The XOR chunks, oldest first, the open chunk last; valid until the series
  // is appended to.
  std::vector<ChunkView> FloatChunks(SeriesId id) const;
  const std::vector<HistogramPoint>& histograms(SeriesId id) const;
  const std::vector<FloatHistogramPoint>& float_histograms(SeriesId id) const;
  const std::vector<TimeInterval>& tombstones(SeriesId id) const;
  const std::vector<Exemplar>& exemplars(SeriesId id) const;
  // Null when none was recorded.
  const SeriesMetadata* metadata(SeriesId id) const;
  // Whether a tombstone hides time t of the series.
  bool IsDeleted(SeriesId id, int64_t t) const;

  // Streams a series' float samples without copying them out.
  class FloatIterator {
   public:
    FloatIterator(const Head& head, SeriesId id);
    ~FloatIterator();
    bool Next();
    int64_t t() const { return t_; }
    uint64_t v_bits() const { return v_; }
    double v() const;

   private:
    struct State;
    std::unique_ptr<State> state_;
    int64_t t_ = 0;
    uint64_t v_ = 0;
  };

 private:
  struct Series;  // defined in src/head/series.h
  class RefIndex;
  class LabelIndex;
  class Arena;
  class SymbolTable;
  struct Lane;
  struct Pending;

  Series& at(SeriesId id);
  const Series& at(SeriesId id) const;
  SeriesId NewSeries(uint64_t ref, std::string_view encoded);
  // The label set as symbol ids; false (when not interning) if a string is
  // no symbol yet.
  bool SymbolizeLabels(const Labels& labels, bool intern, std::string* out) const;
  template <typename Sample, typename Append>
  void AdmitHistogram(const Sample& s, Append append);
  int CompareSymbolLabels(std::string_view a, std::string_view b) const;
  AppendOutcome AppendTo(Series& s, int64_t t, uint64_t v_bits, Lane& lane);
  // Where the chunk that t opens must end (HeadOptions::chunk_range).
  int64_t ChunkRangeEnd(int64_t t) const;
  void AppendRun(const Pending* items, size_t n, Lane& lane, HeadCounters* counters);

  HeadOptions options_;
  HeadCounters counters_;
  size_t num_series_ = 0;
  // Series in blocks that never move, so that appends on some threads can go
  // on while another creates series.
  std::unique_ptr<Series*[], void (*)(void*)> blocks_;
  std::unique_ptr<RefIndex> refs_;
  std::unique_ptr<LabelIndex> labels_;
  std::unique_ptr<Arena> label_arena_;
  std::unique_ptr<SymbolTable> symbols_;
  std::string scratch_labels_;  // AddSeries
  std::vector<std::unique_ptr<Lane>> lanes_;  // see SetAppendLanes
};

}  // namespace walproof
