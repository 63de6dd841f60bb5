// Whole WALs for the replay, checkpoint and repair properties: records that
// make sense together (series declared, then sampled), with the situations
// replay must get right: aliases (a second ref for an existing label set),
// rebinding (a ref declared again with other labels), refs never declared,
// samples out of order and duplicated, histograms, tombstones, exemplars,
// metadata, skipped record types; written with any compression and segment
// size, split over segments, optionally behind a checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "walproof/format/fragment.h"
#include "walproof/format/record.h"
#include "walproof/io/fs.h"

namespace walproof::prop {

// A sequence of records meant to be replayed together.
rc::Gen<std::vector<Record>> genWalRecords();

// The pieces genWalRecords is made of, for tests that draw records one at a
// time (the model test): what the records share, one record with times
// relative to its position, and the placing of those times.
struct WalContext {
  std::vector<Labels> sets;
  std::vector<uint64_t> refs;
};
rc::Gen<WalContext> genContext();
void showValue(const WalContext& ctx, std::ostream& os);
rc::Gen<Record> genDraftRecord(const WalContext& ctx);
rc::Gen<int64_t> genBaseTime();
// Moves a drafted record's times to where record `index` of a WAL starting
// at `base` lives; the int64 extremes stay as drawn.
void PlaceRecord(int64_t base, size_t index, Record* record);

struct WalSpec {
  Compression compression = Compression::kNone;
  uint64_t segment_size = kPageSize;
  // The first `checkpoint_records` records go into checkpoint.<checkpoint>,
  // the rest into segments checkpoint+1, ...
  std::optional<int> checkpoint;
  size_t checkpoint_records = 0;
  // With a checkpoint: an old segment <checkpoint> left behind, holding
  // records that replay must not read.
  bool stale_segment = false;
  std::vector<Record> records;
  // Before these record indexes (ascending) the writer moves to a new segment.
  std::vector<size_t> segment_breaks;
  // This record is logged as a Samples record cut short: framed correctly,
  // but it does not decode (corruption of the record, not of the frame).
  std::optional<size_t> undecodable;
};

rc::Gen<WalSpec> genWalSpec();

void showValue(const WalSpec& spec, std::ostream& os);

// Every ref the WAL's records name (the stale segment's too), each once.
std::vector<uint64_t> RefsOf(const WalSpec& spec);

// Writes the WAL of `spec` into `dir` (which must not exist).
Status WriteWal(Fs& fs, const std::string& dir, const WalSpec& spec);

// "checkpoint.00000003" for 3.
std::string CheckpointName(int index);

}  // namespace walproof::prop
