// Checkpoint and WAL truncation (docs/format.md, "Checkpoint and
// truncation"; upstream tsdb/wlog/checkpoint.go and Head.truncateWAL).
//
// A checkpoint.N directory is a WAL of its own holding what replay still needs
// from the newest older checkpoint and segments ..N: the series records of
// kept series, samples, histograms and exemplars at or after mint, live
// tombstones and the latest metadata of each kept series. Replay reads it and
// then segments N+1, N+2, ..., so segments <= N can go.
//
// Crash-safety ordering (DurabilityProtocol::kWalproof). A crash at any point
// leaves a directory that opens and replays either exactly what it replayed
// before, or checkpoint.N followed by the unchanged segments after N; never a
// mix, never a gap:
//  1. checkpoint.N.tmp is written (each of its segments padded and fsynced,
//     then the tmp directory fsynced). Replay ignores *.tmp, and nothing else
//     has changed, so a crash here replays the old records.
//  2. rename(checkpoint.N.tmp, checkpoint.N), then fsync of the WAL directory.
//     Rename is atomic: replay sees the old state or the complete new
//     checkpoint, whose contents were durable before the name appeared.
//  3. Only once that fsync returned are segments <= N deleted, lowest first,
//     the directory fsynced after each unlink: the remaining segments always
//     form one contiguous run starting at or below N+1, and a lost unlink can
//     only leave a segment the checkpoint already covers. (Without the fsync
//     per unlink, a later unlink could persist while an earlier one is lost,
//     leaving a gap that neither Prometheus nor walproof opens.)
//  4. Older checkpoints are deleted last; replay reads only the newest one.
// An existing checkpoint.N is never removed to make room for a new one
// (upstream's fileutil.Replace does that, and a crash in between loses it):
// if N is already checkpointed there is nothing to write.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "walproof/format/fragment.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"

namespace walproof {

class WalWriter;

// Which order of file-system operations checkpoint, truncation and repair
// follow. kWalproof is the crash-safe order described in this header and in
// repair.h. kPrometheus242 replays what Prometheus 2.42 does, so that
// crashsim can show what that costs:
//  - checkpoint: no directory fsync after creating the checkpoint's segment
//    files (the tmp dir is fsynced before the rename, as upstream does); an
//    existing checkpoint.N is removed before the rename (fileutil.Replace);
//  - truncation: segments and old checkpoints are deleted with no directory
//    fsync at all;
//  - repair: later segments deleted lowest first, S renamed to S.repair
//    (the one directory fsync, from fileutil.Rename), S re-created and
//    re-filled with a page of padding and never fsynced, S.repair deleted,
//    an empty S+1 created (upstream #6080). Plain corruptions only.
// Only the order and fsyncs differ: what is written is the same.
enum class DurabilityProtocol { kWalproof, kPrometheus242 };

// keep(ref): whether series `ref` is still needed (upstream: still in the
// head, or deleted but its samples may still be in the WAL).
using KeepSeriesFn = std::function<bool(uint64_t ref)>;

struct CheckpointOptions {
  // Compression of the checkpoint's records; Prometheus uses the WAL's own.
  Compression compression = Compression::kNone;
  // Checkpoint segments roll over at this size (Prometheus: 128 MiB).
  uint64_t segment_size = kDefaultSegmentSize;
  DurabilityProtocol protocol = DurabilityProtocol::kWalproof;
  // Tombstones of series that keep() drops. Prometheus up to 3.13 keeps any
  // tombstone with an interval reaching mint (so a full-range tombstone lives
  // forever); newer upstream drops it with its series record. Off by default:
  // a tombstone whose series record is gone deletes nothing on replay.
  bool keep_tombstones_of_dropped_series = false;
  // Read and filter as usual and fill the stats, but write nothing.
  bool dry_run = false;
};

// What a checkpoint kept and dropped, counted per entry as logged.
struct CheckpointStats {
  int index = -1;                  // N of checkpoint.N
  std::string dir;                 // its path (not created in a dry run)
  std::optional<int> previous;     // the checkpoint used as input, if any
  int first_segment = 0;           // WAL segments read: first_segment..last_segment
  int last_segment = -1;
  // Nothing written: checkpoint.N already covers segment N.
  bool already_checkpointed = false;
  uint64_t records_read = 0;
  uint64_t records_written = 0;
  uint64_t total_series = 0, dropped_series = 0;
  uint64_t total_samples = 0, dropped_samples = 0;  // floats
  uint64_t total_histograms = 0, dropped_histograms = 0;  // integer and float histograms
  uint64_t total_exemplars = 0, dropped_exemplars = 0;
  uint64_t total_tombstones = 0, dropped_tombstones = 0;  // intervals
  uint64_t total_metadata = 0, dropped_metadata = 0;  // superseded or of dropped series
  uint64_t dropped_mmap_markers = 0;
  uint64_t dropped_unknown_records = 0;  // types replay skips, and malformed mmap markers
};

// Writes checkpoint.<to> from the newest existing checkpoint.K (if any) and
// segments from..to (from is raised to K+1; a from above K+1 is the error
// "unexpected gap to last checkpoint"). Samples, histograms (float ones too)
// and exemplars with t >= mint are kept, series where keep(ref), tombstones
// with an interval whose maxt >= mint (see the option above), and only the
// latest metadata of each kept ref, written last in the order it was logged.
// Unlike upstream (which ranges over a Go map), metadata logged before its
// ref's Series record is dropped, as replay drops it, so that replaying the
// checkpoint gives every kept series the metadata the whole WAL gives. Mmap
// markers and unknown record types are dropped. A corruption or decode error
// in any input aborts with its segment path and offset, and leaves no
// checkpoint.<to> behind; an empty or non-directory checkpoint.K is an error.
// Does not delete anything else: see TruncateWal.
Result<CheckpointStats> Checkpoint(Fs& fs, const std::string& dir, int from, int to,
                                   const KeepSeriesFn& keep, int64_t mint,
                                   const CheckpointOptions& options);

// Deletes checkpoint.*.tmp (files or directories): what an interrupted
// checkpoint leaves. Prometheus does it when it opens the data directory.
// Sets *removed (if given) to how many were removed.
Status RemoveLeftoverCheckpoints(Fs& fs, const std::string& dir, int* removed = nullptr);

// Deletes every checkpoint.K with K < index, oldest first. Refuses when no
// complete checkpoint at or above `index` exists (that would leave replay
// without the records the older ones hold).
Status DeleteCheckpointsBefore(Fs& fs, const std::string& dir, int index,
                               DurabilityProtocol protocol = DurabilityProtocol::kWalproof);

// Deletes WAL segments <= last, lowest first (upstream WL.Truncate(last+1)).
// Refuses unless a checkpoint at or above `last` covers them, and refuses to
// delete every segment (a WAL must keep one after its checkpoint, else a new
// writer would start below the checkpoint and replay would skip it).
Status DeleteSegmentsUpTo(Fs& fs, const std::string& dir, int last,
                          DurabilityProtocol protocol = DurabilityProtocol::kWalproof);

// The head-truncation rule (docs/format.md, "Checkpoint and truncation"), as
// a pure function.
// `first` and `last` are the WAL's segment range before the writer moves to a
// new segment (-1, -1 when there is none). The newest of them is never
// checkpointed; of the rest, the lower two thirds are:
// last' = first + (last - 1 - first) * 2 / 3 (integer division truncating
// toward zero, as Go does). Nothing when last - 1 < 0 or last' <= first.
struct CheckpointRange {
  int first = 0;
  int last = 0;
  bool operator==(const CheckpointRange&) const = default;
};
std::optional<CheckpointRange> TruncationCheckpointRange(int first, int last);

struct TruncateWalResult {
  int new_segment = -1;                  // the segment the writer moved to
  std::optional<CheckpointRange> range;  // nothing: too few segments to checkpoint
  CheckpointStats checkpoint;
  // Deleting old segments or checkpoints failed: not fatal (upstream logs it
  // and tries again next time), reported here.
  Status cleanup;
};

// Upstream Head.truncateWAL: takes the segment range, moves `wal` to a new
// segment, computes the range above, writes checkpoint.<last>, deletes
// segments <= last, then checkpoints older than last. A failed checkpoint is
// returned as the error and nothing is deleted. `options.compression` should
// be the WAL's own.
Result<TruncateWalResult> TruncateWal(Fs& fs, WalWriter& wal, int64_t mint, const KeepSeriesFn& keep,
                                      const CheckpointOptions& options);

}  // namespace walproof
