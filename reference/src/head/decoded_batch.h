// DecodedBatch: the entries of consecutive WAL records, decoded, in WAL
// order. Private to replay: sequential replay decodes one record into a
// batch and applies it; parallel replay decodes many on reader threads and
// applies them on others. Both go through AppendRecord, so they decode and
// fail identically.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/head/head.h"
#include "walproof/io/status.h"

namespace walproof {

struct DecodedBatch {
  enum class Kind : uint8_t {
    kSeries,
    kSamples,
    kTombstones,
    kExemplars,
    kMetadata,
    kHistograms,
    kFloatHistograms,
  };
  // `count` entries of one kind, taken in order from that kind's vector.
  struct Run {
    Kind kind;
    uint32_t count;
  };

  std::vector<Run> runs;
  // Vectors whose entries own memory (labels, buckets) keep spare entries
  // past their num_ count, so that a reused batch allocates nothing.
  std::vector<RefSeries> series;
  size_t num_series = 0;
  std::vector<RefSample> samples;
  std::vector<RefTombstone> tombstones;
  std::vector<RefExemplar> exemplars;
  size_t num_exemplars = 0;
  std::vector<RefMetadata> metadata;
  size_t num_metadata = 0;
  std::vector<RefHistogramSample> histograms;
  size_t num_histograms = 0;
  std::vector<RefFloatHistogramSample> float_histograms;
  size_t num_float_histograms = 0;

  uint64_t records = 0;  // records decoded into this batch, skipped ones included
  uint64_t skipped = 0;  // records of types replay does not apply

  // Empties the batch, keeping capacity.
  void Clear();
  // Appends samples as a run (a slice of a record; records is not counted).
  void AddSamples(const RefSample* s, size_t n);
  // Entries held, a measure of the batch's size.
  size_t entries() const;
};

// Reused decode buffers (the codec replaces a vector's contents; a batch
// accumulates).
struct DecodeScratch {
  std::vector<RefSeries> series;
  std::vector<RefSample> samples;
  std::vector<RefSample> float_scratch;
  std::vector<RefTombstone> tombstones;
  std::vector<RefExemplar> exemplars;
  std::vector<RefMetadata> metadata;
  std::vector<RefHistogramSample> histograms;
  std::vector<RefFloatHistogramSample> float_histograms;
};

// Decodes one record and appends its entries to *batch. Types replay does not
// apply (AppliedOnReplay: mmap markers, which belong to the out-of-order WBL,
// 3.x types and unknown ones) are counted as skipped, their bodies unread, as
// upstream's loadWAL ignores them.
// A record that fails to decode leaves *batch unchanged and returns the
// codec's error, with *what set to upstream's name for the record kind
// ("series", "samples", ...), for the "decode <what>: ..." corruption.
Status AppendRecord(std::string_view record, DecodedBatch* batch, DecodeScratch* scratch,
                    const char** what);

// Decodes a Samples record and appends its samples to *out: exactly what
// DecodeSamples accepts and yields (it is the fallback for anything the fast
// path does not take, so errors are the codec's), about four times faster.
Status AppendSampleRecord(std::string_view record, std::vector<RefSample>* out,
                          std::vector<RefSample>* scratch);

// Applies a batch to the head in order, with Head's per-entry semantics.
void ApplyBatch(DecodedBatch& batch, Head* head);

}  // namespace walproof
