// WalStats: what a WAL directory holds, counted as logged (a Series record of
// 5 series counts 5), before any replay logic. Backs `walproof stats` and
// `walproof verify`, and lets tests compare a directory with what was written.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "walproof/io/fs.h"
#include "walproof/wal/wal_reader.h"

namespace walproof {

struct WalStats {
  WalReadPlan plan;
  uint64_t records = 0;
  std::map<int, uint64_t> records_by_type;  // type byte -> records
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t histogram_samples = 0;  // integer and float histograms
  uint64_t float_histogram_samples = 0;
  uint64_t exemplars = 0;
  uint64_t tombstones = 0;  // intervals
  uint64_t metadata = 0;
  uint64_t mmap_markers = 0;
  uint64_t unknown_records = 0;  // skipped: types 0 and 9..255, empty records
  // Records of a type replay skips unread (mmap markers) whose body does not
  // decode: counted in records_by_type, not a corruption (replay never reads it).
  uint64_t undecodable_skipped_records = 0;
  std::optional<int64_t> min_time;  // over float and histogram samples
  std::optional<int64_t> max_time;
  uint64_t compressed_records = 0;
  uint64_t record_bytes = 0;  // decompressed
  uint64_t stored_bytes = 0;  // as stored in fragments (compressed where compressed)
  uint64_t file_bytes = 0;    // sizes of every segment file read
  std::optional<CorruptionInfo> corruption;  // where reading stopped, if it did
};

// Reads and decodes every record in replay order. A corruption is not an
// error here: counting stops there and it is reported in the result. It is
// where replay would stop: a record of a type replay skips (AppliedOnReplay)
// is never one. Errors
// are for what prevents reading at all (missing directory, I/O, a gap).
// `progress`, if set, is called now and then with the bytes read so far and the
// total to read.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;
Result<WalStats> ComputeWalStats(Fs& fs, const std::string& dir, const ProgressFn& progress = {});

}  // namespace walproof
