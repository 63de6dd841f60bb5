// The rescue journal: how `walproof rescue --yes` stays crash-safe across
// its three steps (write blocks, verify them, replace the WAL with an empty
// one), each of which may be cut short by a crash.
//
// Before the first block is written, DATA/walproof-rescue holds the WAL's
// last segment number N and the ULIDs of every block the run will write
// (written to a .tmp file, fsynced, renamed, DATA fsynced). The WAL is then
// replaced with two renames, each made durable before the next step:
//
//   DATA/wal.rescue.new/  an empty checkpoint.N (one empty segment) and an
//                         empty segment N+1, all fsynced
// (Prometheus replays from the checkpoint's N + 1: with segment N+1 and no
// checkpoint it would look for segment 0 and refuse to start. Numbering on
// from N keeps remote-write's WAL watcher, which follows segment numbers,
// moving forward.)
//   DATA/wal -> DATA/wal.rescue.old,  DATA/wal.rescue.new -> DATA/wal
//   DATA/wal.rescue.old removed, then the journal removed
//
// Prometheus reads none of these names (it loads only ULID directories and
// wal/), so at every point it sees the old WAL, or the blocks and an empty
// (or, between the renames, missing) WAL, or both. The next rescue reads the
// journal and settles the interrupted run first (SettleInterruptedRescue):
// if wal/ is the new empty one or missing with wal.rescue.new ready, the
// swap is finished; otherwise the old WAL is intact and the journal's blocks
// (whole or half written) are removed, so that the run starts over and
// writes every sample exactly once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "walproof/io/fs.h"

namespace walproof::tsdb {

inline constexpr const char* kRescueJournalName = "walproof-rescue";
inline constexpr const char* kRescueNewWalName = "wal.rescue.new";
inline constexpr const char* kRescueOldWalName = "wal.rescue.old";

struct RescueJournal {
  int last_segment = -1;  // N: the new WAL is one empty segment N+1
  std::vector<std::string> ulids;
};

Status WriteRescueJournal(Fs& fs, const std::string& data_dir, const RescueJournal& journal);
// Nothing when there is no journal; Corruption naming the line that does not parse.
Result<std::optional<RescueJournal>> ReadRescueJournal(Fs& fs, const std::string& data_dir);

enum class SettleOutcome { kNothing, kFinished, kUndone };

// What the journal says was left, made whole; *what says what was done, in
// a sentence for the operator.
Status SettleInterruptedRescue(Fs& fs, const std::string& data_dir, SettleOutcome* outcome, std::string* what);

// Whether `wal_dir` is exactly the WAL rescue leaves: an empty checkpoint
// numbered last_segment, one empty segment after it, and nothing else.
Result<bool> IsRescuedWal(Fs& fs, const std::string& wal_dir, int last_segment);

// Replaces DATA/wal with an empty one numbered after `last_segment` (the
// renames above), then removes the journal.
Status SwapInEmptyWal(Fs& fs, const std::string& data_dir, int last_segment);

}  // namespace walproof::tsdb
