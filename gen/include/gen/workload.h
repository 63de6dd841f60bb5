// Workloads from Choices: sequences of encoded records and the layout
// choices a writer is run with.
//
// UniqueRecords is crashsim's workload: real Prometheus records (series and
// samples) of chosen sizes, every one unique, so that an oracle can tell a
// duplicate or an out-of-place record from the right one. Sizes go from a few
// bytes to several pages, which exercises FULL, FIRST/MIDDLE/LAST fragments
// and records that force a segment switch. Its draws are the crash states'
// identity (crashsim replays a state from its seed): keep their order.
#pragma once

#include <cstdint>
#include <string>

#include "gen/choices.h"
#include "walproof/format/fragment.h"

namespace walproof::gen {

enum class RecordSize {
  kTiny,       // one series, ~30 B
  kSmall,      // a few samples, ~100 B
  kMedium,     // ~3 KB
  kPage,       // ~30 KB: nearly a page
  kMultiPage,  // ~45 KB: spans pages (FIRST, MIDDLE?, LAST)
};

class UniqueRecords {
 public:
  explicit UniqueRecords(Choices& c) : c_(c) {}
  // A Series record creating `n` new series (refs never used before).
  std::string Series(int n = 1);
  // A Series record giving the labels of series `ref` a new ref, as
  // Prometheus does when a deleted series comes back.
  std::string SeriesAgain(uint64_t ref);
  // A Tombstones record deleting all of series `ref` (one full-range
  // interval, as Prometheus writes when a series is deleted from the head).
  std::string DeleteSeries(uint64_t ref);
  // A Samples record of `n` samples for existing series at fresh timestamps.
  std::string Samples(int n);
  // A record of about the given size: Series when tiny, Samples otherwise.
  std::string Next(RecordSize size);
  // Sizes drawn from a fixed mix (mostly small, some pages).
  std::string NextMixed();
  // A record unlike any this generator makes, for the post-recovery append.
  static std::string Marker(uint64_t n);
  // The timestamp the next Samples record starts at: samples logged so far are older.
  int64_t now() const { return next_t_; }

 private:
  Choices& c_;
  uint64_t next_ref_ = 1;
  int64_t next_t_ = 1000;
  uint64_t seq_ = 0;
};

// What a framing layer is given to write: encoded records (Limits::Wide),
// empty records, and opaque blobs from one byte to several pages, some
// compressible.
std::string RawRecord(Choices& c);
// A segment size: mostly a few pages, so records cross pages and segments
// often; sometimes 16 pages or the 128 MiB default.
uint64_t SegmentSize(Choices& c);
Compression AnyCompression(Choices& c);

}  // namespace walproof::gen
