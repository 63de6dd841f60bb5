// Repair: cut a WAL back to just before its first corruption (docs/format.md,
// "Repair"; upstream WL.Repair), as Prometheus does at start-up, but safe
// against a crash at every step, and only after saying what it will drop.
//
// Semantics are upstream's: every record before the first corruption (in
// replay order) is kept, everything after it is dropped, and writing goes on
// in the segment after the cut (WalWriter::Open starts there). A record that
// does not decode is corruption at that record. A missing segment (a gap) is
// treated as a corruption at the end of the segment before it.
//
// Crash-safety ordering (DurabilityProtocol::kWalproof), with S the segment
// holding the corruption:
//  1. Leftovers replay never reads (S.repair.tmp, checkpoint.*.tmp) are
//     removed; an upstream N.repair is put back or removed (see below).
//  2. The kept bytes of S (every fragment before the cut; the records are
//     intact, so they are copied as stored, each with its own compression)
//     go to S.repair.tmp, zero-padded to the page, fsynced, read back and
//     checked, and the directory fsynced. That name is not a segment for
//     Prometheus nor walproof: nothing visible has changed.
//  3. Segments after S are deleted from the highest down, with a directory
//     fsync after each: what remains is always the contiguous run ..k with
//     k >= S, and replay still stops at the corruption in the old S, so it
//     yields exactly the kept records. (A lost unlink is harmless; the fsync
//     stops a later unlink from persisting while an earlier one is lost.)
//  4. rename(S.repair.tmp, S), directory fsync: an atomic replacement, so S
//     is the old one (replay stops at the corruption: the kept records) or the
//     new one (the kept records, then a clean end). Nothing follows S. This
//     comes after step 3 on purpose: a clean S followed by the old later
//     segments would replay records from after the corruption.
//  5. Only if they hold a gap: segments the checkpoint covers (never
//     replayed), lowest first, a directory fsync after each.
// A crash anywhere leaves a directory that opens, has no gap, and replays at
// least the records the repair keeps; running the repair again finishes it.
// If the directory had a gap before repair, the states before the gap is
// gone do not open either (they are never worse), and the rerun finishes.
//
// Segments missing right after the checkpoint (a gap between checkpoint.N
// and the first segment) lose everything after it; S is then N+1, created
// empty. A checkpoint with no segment after it also gets an empty N+1: a
// writer would otherwise start at or below N, where replay never looks.
//
// An upstream N.repair (Prometheus crashed inside its own repair, #6080) is
// the original segment N, renamed aside and never modified. Let K be its
// records before its corruption. If N is missing, or N holds a strict prefix
// of K (an interrupted re-write) and no later segment holds data, N.repair is
// renamed back over N (atomically) and the repair proceeds as if Prometheus
// had never started one. If N holds exactly K, the upstream repair finished
// and only the deletion of N.repair was lost: it is removed. Otherwise the
// WAL has moved on since; N.repair is left alone and reported. That choice is
// checked against the directory as the repair leaves it, so that a second
// repair has nothing to do: if the later data that held N.repair back is all
// dropped, N.repair is put back after all; if segment N itself is deleted
// (after the cut, or covered by the checkpoint), N.repair is an older copy of
// it and is removed with it (in the plan, and counted in the loss).
//
// A corruption inside the newest checkpoint (or an empty or non-directory
// one) is refused: cutting WAL segments cannot repair a checkpoint, and
// upstream cutting them anyway is #7530. Nothing is touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "walproof/io/fs.h"
#include "walproof/io/status.h"
#include "walproof/wal/checkpoint.h"
#include "walproof/wal/segment_reader.h"

namespace walproof {

// What a repair drops, as far as it can be read: after the cut, fragments
// are parsed leniently (a damaged fragment is skipped, a damaged page header
// skips the page), so this counts every record that is still recognisable.
struct RepairLoss {
  uint64_t records = 0;              // complete records found after the cut
  uint64_t undecodable_records = 0;  // of those, records that did not decode
  uint64_t series = 0;
  uint64_t samples = 0;              // float samples
  uint64_t histogram_samples = 0;    // integer and float histograms
  uint64_t exemplars = 0;
  uint64_t tombstones = 0;
  uint64_t metadata = 0;
  std::optional<int64_t> min_time;   // over dropped samples and histograms
  std::optional<int64_t> max_time;
  uint64_t bytes = 0;                // file bytes after the cut and in deleted segments
  // Parts that could not be read: damaged fragments, torn records, pages
  // skipped. Empty when every byte after the cut was accounted for.
  std::vector<std::string> unreadable;
  bool complete() const { return unreadable.empty(); }
};

enum class UpstreamRepairAction {
  kRestore,  // rename N.repair back to N, then repair from there
  kRemove,   // N already holds what N.repair would give: delete N.repair
  kLeave,    // the WAL moved on since; not touched
};

struct UpstreamRepairLeftover {
  std::string name;  // "00000005.repair"
  int segment = 0;
  UpstreamRepairAction action = UpstreamRepairAction::kLeave;
  std::string why;
};

struct RepairPlan {
  std::string dir;
  // The first corruption in replay order (a gap is reported as one).
  std::optional<CorruptionInfo> corruption;
  // S: the segment cut, and where. Everything of S before cut_offset (the end
  // of the last good record) is kept.
  std::optional<int> segment;
  uint64_t cut_offset = 0;
  uint64_t segment_size = 0;       // S's size now
  bool rewrite_segment = false;    // S changes (else only later segments go)
  bool segment_exists = true;      // false: S is created empty (gap after a checkpoint)
  uint64_t kept_records_in_segment = 0;
  uint64_t kept_records = 0;       // checkpoint and every segment, in replay order
  std::optional<int> checkpoint;   // the checkpoint replay starts from
  std::vector<int> delete_segments;    // after S, highest first
  std::vector<int> obsolete_segments;  // covered by the checkpoint, deleted to close a gap
  std::vector<std::string> remove_leftovers;  // S.repair.tmp, checkpoint.*.tmp
  std::vector<UpstreamRepairLeftover> upstream_leftovers;
  RepairLoss loss;

  // Whether ExecuteRepair would change anything.
  bool needed() const;
  // One paragraph for operators: "would delete segments ..., drop N records
  // (M samples) from t1 to t2, keep K records", or "nothing to repair".
  std::string Summary() const;
};

// Reads the WAL in replay order and decides what a repair would do. Writes
// nothing. Errors: the directory cannot be read, I/O errors, and a damaged
// checkpoint (see above).
Result<RepairPlan> PlanRepair(Fs& fs, const std::string& dir);

struct RepairOptions {
  DurabilityProtocol protocol = DurabilityProtocol::kWalproof;
};

// Carries out `plan`, after planning again and checking that the directory
// still matches it (else an error, and nothing touched). With
// kPrometheus242, only a plain corruption in a segment is accepted and the
// steps are upstream's (see checkpoint.h).
Status ExecuteRepair(Fs& fs, const std::string& dir, const RepairPlan& plan,
                     const RepairOptions& options = {});

// Paths of every existing file that ExecuteRepair would change or delete (for
// a backup beforehand). checkpoint.*.tmp directories are not included: they
// are incomplete by definition.
std::vector<std::string> FilesChangedByRepair(const RepairPlan& plan);

// "00000005.repair.tmp": where the kept part of segment 5 is written.
std::string RepairTempFileName(int segment);
// Removes every *.repair.tmp: always safe, replay never reads them (call on
// open). Sets *removed (if given) to how many.
Status RemoveRepairTempFiles(Fs& fs, const std::string& dir, int* removed = nullptr);

}  // namespace walproof
