#include "walproof/tsdb/rescue_journal.h"

#include <charconv>
#include <sstream>

#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/block_writer.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::tsdb {

namespace {

constexpr const char* kJournalHeader = "walproof rescue journal 1";

Result<FileKind> KindOf(Fs& fs, const std::string& path) { return fs.Stat(path); }

Status RemoveIfThere(Fs& fs, const std::string& path) {
  auto kind = fs.Stat(path);
  if (!kind.ok()) return kind.status();
  if (*kind == FileKind::kDir) return RemoveTree(fs, path);
  if (*kind != FileKind::kMissing) return fs.RemoveFile(path);
  return Status::Ok();
}

Status RemoveJournal(Fs& fs, const std::string& data_dir) {
  WALPROOF_RETURN_IF_ERROR(RemoveIfThere(fs, JoinPath(data_dir, kRescueJournalName)));
  return fs.SyncDir(data_dir);
}

}  // namespace

Status WriteRescueJournal(Fs& fs, const std::string& data_dir, const RescueJournal& j) {
  std::string text = std::string(kJournalHeader) + "\nlast_segment " + std::to_string(j.last_segment) + "\n";
  for (const std::string& u : j.ulids) text += "block " + u + "\n";
  WALPROOF_RETURN_IF_ERROR(WriteFileViaRename(fs, data_dir, kRescueJournalName, text));
  return fs.SyncDir(data_dir);
}

Result<std::optional<RescueJournal>> ReadRescueJournal(Fs& fs, const std::string& data_dir) {
  const std::string path = JoinPath(data_dir, kRescueJournalName);
  auto kind = fs.Stat(path);
  if (!kind.ok()) return kind.status();
  if (*kind == FileKind::kMissing) return std::optional<RescueJournal>();
  std::string text;
  WALPROOF_RETURN_IF_ERROR(ReadWholeFile(fs, path, &text));
  std::istringstream in(text);
  std::string line;
  RescueJournal j;
  int n = 0;
  bool have_segment = false;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = path + " line " + std::to_string(n) + ": ";
    if (n == 1) {
      if (line != kJournalHeader) return Status::Corruption(where + "not a walproof rescue journal");
      continue;
    }
    if (line.rfind("last_segment ", 0) == 0) {
      const std::string v = line.substr(13);
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), j.last_segment);
      if (ec != std::errc() || p != v.data() + v.size()) return Status::Corruption(where + "bad segment number");
      have_segment = true;
    } else if (line.rfind("block ", 0) == 0 && IsUlid(line.substr(6))) {
      j.ulids.push_back(line.substr(6));
    } else {
      return Status::Corruption(where + "cannot parse '" + line + "'");
    }
  }
  if (!have_segment) return Status::Corruption(path + ": no last_segment line (cut short while written?)");
  return std::optional<RescueJournal>(std::move(j));
}

Result<bool> IsRescuedWal(Fs& fs, const std::string& wal_dir, int last_segment) {
  auto entries = fs.ListDir(wal_dir);
  if (!entries.ok()) return entries.status();
  if (entries->size() != 2) return false;
  bool segment = false;
  bool checkpoint = false;
  for (const DirEntry& e : *entries) {
    if (!e.is_dir && ParseSegmentIndex(e.name) == last_segment + 1) {
      auto file = fs.OpenForRead(JoinPath(wal_dir, e.name));
      if (!file.ok()) return file.status();
      segment = (*file)->Size() == 0;
    } else if (e.is_dir && e.name == CheckpointDirName(last_segment)) {
      auto inside = fs.ListDir(JoinPath(wal_dir, e.name));
      if (!inside.ok()) return inside.status();
      if (inside->size() != 1 || (*inside)[0].is_dir || ParseSegmentIndex((*inside)[0].name) != 0) return false;
      auto file = fs.OpenForRead(JoinPath(JoinPath(wal_dir, e.name), (*inside)[0].name));
      if (!file.ok()) return file.status();
      checkpoint = (*file)->Size() == 0;
    }
  }
  return segment && checkpoint;
}

Status SwapInEmptyWal(Fs& fs, const std::string& data_dir, int last_segment) {
  const std::string wal = JoinPath(data_dir, "wal");
  const std::string fresh = JoinPath(data_dir, kRescueNewWalName);
  const std::string old = JoinPath(data_dir, kRescueOldWalName);
  WALPROOF_RETURN_IF_ERROR(RemoveIfThere(fs, fresh));
  WALPROOF_RETURN_IF_ERROR(fs.MakeDir(fresh));
  const std::string checkpoint = JoinPath(fresh, CheckpointDirName(last_segment));
  WALPROOF_RETURN_IF_ERROR(fs.MakeDir(checkpoint));
  WALPROOF_RETURN_IF_ERROR(WriteWholeFile(fs, JoinPath(checkpoint, SegmentFileName(0)), ""));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(checkpoint));
  WALPROOF_RETURN_IF_ERROR(WriteWholeFile(fs, JoinPath(fresh, SegmentFileName(last_segment + 1)), ""));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(fresh));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
  WALPROOF_RETURN_IF_ERROR(fs.Rename(wal, old));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
  WALPROOF_RETURN_IF_ERROR(fs.Rename(fresh, wal));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
  WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, old));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
  return RemoveJournal(fs, data_dir);
}

Status SettleInterruptedRescue(Fs& fs, const std::string& data_dir, SettleOutcome* outcome, std::string* what) {
  *outcome = SettleOutcome::kNothing;
  auto journal = ReadRescueJournal(fs, data_dir);
  if (!journal.ok()) return journal.status();
  if (!*journal) return Status::Ok();
  const RescueJournal& j = **journal;
  const std::string wal = JoinPath(data_dir, "wal");
  const std::string fresh = JoinPath(data_dir, kRescueNewWalName);
  const std::string old = JoinPath(data_dir, kRescueOldWalName);
  auto wal_kind = KindOf(fs, wal);
  if (!wal_kind.ok()) return wal_kind.status();
  bool swapped = false;
  if (*wal_kind == FileKind::kDir) {
    auto rescued = IsRescuedWal(fs, wal, j.last_segment);
    if (!rescued.ok()) return rescued.status();
    swapped = *rescued;
  } else if (*wal_kind == FileKind::kMissing) {
    // Between the two renames: finish with the new WAL when it is ready,
    // else put the old one back.
    auto fresh_kind = KindOf(fs, fresh);
    if (!fresh_kind.ok()) return fresh_kind.status();
    bool ready = false;
    if (*fresh_kind == FileKind::kDir) {
      auto r = IsRescuedWal(fs, fresh, j.last_segment);
      if (!r.ok()) return r.status();
      ready = *r;
    }
    if (ready) {
      WALPROOF_RETURN_IF_ERROR(fs.Rename(fresh, wal));
      swapped = true;
    } else {
      WALPROOF_RETURN_IF_ERROR(fs.Rename(old, wal));
    }
    WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
  } else {
    return Status::Corruption(wal + " is not a directory");
  }
  if (swapped) {
    WALPROOF_RETURN_IF_ERROR(RemoveIfThere(fs, old));
    WALPROOF_RETURN_IF_ERROR(RemoveIfThere(fs, fresh));
    WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
    WALPROOF_RETURN_IF_ERROR(RemoveJournal(fs, data_dir));
    *outcome = SettleOutcome::kFinished;
    *what = "an interrupted rescue had written and verified its " + std::to_string(j.ulids.size()) +
            " block(s); its WAL replacement was finished";
    return Status::Ok();
  }
  // The old WAL is intact: the blocks of the interrupted run go, whole or not.
  size_t removed = 0;
  for (const std::string& u : j.ulids) {
    for (const std::string& dir : {JoinPath(data_dir, u), JoinPath(data_dir, u + kTmpForCreationSuffix)}) {
      auto kind = KindOf(fs, dir);
      if (!kind.ok()) return kind.status();
      if (*kind == FileKind::kMissing) continue;
      WALPROOF_RETURN_IF_ERROR(RemoveIfThere(fs, dir));
      ++removed;
    }
  }
  WALPROOF_RETURN_IF_ERROR(RemoveIfThere(fs, fresh));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(data_dir));
  WALPROOF_RETURN_IF_ERROR(RemoveJournal(fs, data_dir));
  *outcome = SettleOutcome::kUndone;
  *what = "an interrupted rescue left the WAL intact; its " + std::to_string(removed) +
          " block director(ies) were removed and the rescue starts over";
  return Status::Ok();
}

}  // namespace walproof::tsdb
