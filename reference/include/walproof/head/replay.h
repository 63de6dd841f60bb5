// Replay: rebuilding a Head from a WAL directory, as Prometheus does at
// start-up (tsdb/head_wal.go loadWAL): the newest checkpoint, then the
// segments after it (PlanWalRead), every record decoded and applied with the
// semantics in head.h.
//
// Replay stops at the first corruption: a fragment the strict reader rejects,
// or a record that fails to decode ("decode samples: ...", at the reader's
// position, as upstream reports it). Records before it stay applied, as in
// Prometheus before it repairs the WAL; the report says where and why.
//
// Two implementations with one result:
// - ReplaySequential is the reference: one thread reads, decodes and applies.
// - ReplayParallel reads, checksums, decompresses and decodes several WAL
//   parts at once (the checkpoint is one part, each later segment another),
//   while one thread applies series, tombstones, exemplars and metadata in
//   WAL order and routes samples to shard threads by series, so every series
//   sees its samples in WAL order. Only a bounded window of parts is decoded
//   ahead of the one being applied, so memory does not grow with the WAL.
// For any thread count both leave the head with equal contents and counters,
// and stop at the same record with the same corruption.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "walproof/head/head.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_reader.h"

namespace walproof {

struct ReplayOptions {
  // Per-phase times (a few clock reads per record and per fragment).
  bool timing = true;
  // Parallel replay: decoded entries a reader hands over at a time (a record
  // bigger than that makes a batch of its own). About 28 bytes an entry.
  size_t batch_entries = 1 << 14;
  // Parallel replay: WAL parts read ahead of the one being applied, at most
  // `batches_per_part` batches each. 0 picks threads + 1.
  int parts_ahead = 0;
  int batches_per_part = 2;
};

// Seconds per phase. For parallel replay these are sums of thread time, so
// they may add up to more than the wall time.
struct ReplayPhases {
  double read = 0;        // file reads
  double checksum = 0;    // CRC-32C of fragments
  double decompress = 0;  // snappy / zstd
  double decode = 0;      // record bytes to entries
  double route = 0;       // parallel only: resolving refs and handing samples to shards
  double apply = 0;       // changing the head
  double wait = 0;        // parallel only: threads blocked on a full or empty queue
};

struct ReplayReport {
  WalReadPlan plan;
  int threads = 1;
  bool parallel = false;
  int readers = 0;  // parallel: reader threads (a third of threads - 1; 0: the router reads)
  int shards = 0;   // parallel: apply shards (the rest)
  uint64_t records = 0;          // records read and decoded, skipped ones included
  uint64_t records_skipped = 0;  // mmap markers, 3.x and unknown types
  uint64_t series = 0;           // series in the head afterwards
  uint64_t samples = 0;          // float samples this replay appended
  uint64_t histogram_samples = 0;
  HeadCounters counters;         // the head's counters afterwards
  double seconds = 0;            // wall time
  ReplayPhases phases;
  std::optional<CorruptionInfo> corruption;
};

// Both return Ok after a clean replay, Corruption (report->corruption set)
// when replay stopped at a corruption, or the error that prevented reading
// (an unusable directory, an I/O error).
Status ReplaySequential(Fs& fs, const std::string& dir, Head* head, const ReplayOptions& options,
                        ReplayReport* report);
// `threads` threads in all: the calling thread, which applies series,
// tombstones, exemplars and metadata and resolves refs in WAL order (and
// reads, when there are fewer than four threads); a third of the others
// read, the rest apply shards of the series.
Status ReplayParallel(Fs& fs, const std::string& dir, Head* head, const ReplayOptions& options,
                      int threads, ReplayReport* report);

}  // namespace walproof
