// walproof checkpoint: an offline checkpoint and truncation, for a WAL that
// grew because Prometheus's own checkpoints kept failing (docs/format.md,
// "Checkpoint and truncation"): checkpoint every segment but the newest, then
// delete what the checkpoint covers.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <unordered_set>

#include "args.h"
#include "commands.h"
#include "data_dir.h"
#include "wal_location.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/checkpoint.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"

namespace walproof::cli {

namespace {


// Which series a head at `mint` would still hold, decided offline: those with
// a float sample, histogram or exemplar at or after mint anywhere in what
// replay reads (the checkpoint and every segment, not only the ones being
// checkpointed). Prometheus keeps the series that are still in its head,
// which after head truncation are about these.
struct KeepScan {
  std::unordered_set<uint64_t> refs;
  uint64_t records = 0;
  uint64_t compressed_records = 0;
  std::optional<CorruptionInfo> corruption;
};

Result<KeepScan> ScanKeep(Fs& fs, const std::string& dir, int64_t mint) {
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  KeepScan scan;
  WalReader reader(fs, std::move(*plan));
  std::string_view bytes;
  Record record;
  while (reader.Next(&bytes)) {
    Status st = DecodeRecordAsReplayed(bytes, &record);  // stop where replay would
    if (!st.ok()) {
      scan.corruption = reader.FailDecode(RecordTypeName(PeekRecordType(bytes)), st);
      return scan;
    }
    ++scan.records;
    if (reader.last_compressed()) ++scan.compressed_records;
    if (auto* s = std::get_if<SamplesRecord>(&record)) {
      for (const auto& x : s->samples) if (x.t >= mint) scan.refs.insert(x.ref);
    } else if (auto* h = std::get_if<HistogramsRecord>(&record)) {
      for (const auto& x : h->histograms) if (x.t >= mint) scan.refs.insert(x.ref);
    } else if (auto* f = std::get_if<FloatHistogramsRecord>(&record)) {
      for (const auto& x : f->histograms) if (x.t >= mint) scan.refs.insert(x.ref);
    } else if (auto* e = std::get_if<ExemplarsRecord>(&record)) {
      for (const auto& x : e->exemplars) if (x.t >= mint) scan.refs.insert(x.ref);
    }
  }
  if (!reader.status().ok()) {
    if (!reader.corruption()) return reader.status();
    scan.corruption = reader.corruption();
  }
  return scan;
}

std::string Range(int a, int b) {
  return a == b ? SegmentFileName(a) : SegmentFileName(a) + ".." + SegmentFileName(b);
}

void PrintStats(const CheckpointStats& s, bool dry_run) {
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("%s %s from %s%s\n", dry_run ? "would write" : "wrote", s.dir.c_str(),
              s.previous ? (CheckpointDirName(*s.previous) + " and segments ").c_str() : "segments ",
              Range(s.first_segment, s.last_segment).c_str());
  std::printf("  series      keep %llu of %llu\n", u(s.total_series - s.dropped_series), u(s.total_series));
  std::printf("  samples     keep %llu of %llu\n", u(s.total_samples - s.dropped_samples), u(s.total_samples));
  std::printf("  histograms  keep %llu of %llu\n", u(s.total_histograms - s.dropped_histograms),
              u(s.total_histograms));
  std::printf("  exemplars   keep %llu of %llu\n", u(s.total_exemplars - s.dropped_exemplars),
              u(s.total_exemplars));
  std::printf("  tombstones  keep %llu of %llu\n", u(s.total_tombstones - s.dropped_tombstones),
              u(s.total_tombstones));
  std::printf("  metadata    keep %llu of %llu (the latest per kept series)\n",
              u(s.total_metadata - s.dropped_metadata), u(s.total_metadata));
  std::printf("  records     %llu read, %llu written\n", u(s.records_read), u(s.records_written));
}

int RunCheckpoint(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  ArgSpec spec{.value_flags = {"mint", "compression"}, .bool_flags = {"dry-run", "drop-chunks-head"}};
  if (!ParseOrExit(kCheckpointCommand, argv, spec, 1, &args, &code)) return code;
  long long mint = 0;
  std::string error;
  if (!args.Has("mint")) error = "--mint is required";
  if (error.empty()) args.GetInt("mint", 0, &mint, &error);
  CheckpointOptions options;
  if (error.empty() && args.Has("compression") &&
      !ParseCompression(args.Get("compression").c_str(), &options.compression)) {
    error = "--compression must be none, snappy or zstd";
  }
  if (!error.empty()) {
    std::fprintf(stderr, "walproof checkpoint: %s\n\n%s", error.c_str(), kCheckpointCommand.help);
    return kExitUsage;
  }
  const bool dry_run = args.Has("dry-run");
  options.dry_run = dry_run;
  Fs& fs = PosixFs();
  auto fail = [](const std::string& what, int exit_code = kExitFound) {
    std::fprintf(stderr, "walproof checkpoint: %s\n", what.c_str());
    return exit_code;
  };
  auto loc = LocateWal(fs, args.positional()[0]);
  if (!loc.ok()) return fail(loc.status().ToString(), kExitCannotCheck);
  if (loc->via_data_dir) std::printf("%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  if (!loc->HasWal()) return fail(loc->NothingHere(), kExitCannotCheck);
  const std::string& dir = loc->wal_dir;

  std::unique_ptr<FileLock> lock;
  if (!dry_run) {
    if (Status st = GuardWrite(fs, *loc, &lock); !st.ok()) {
      return fail("refusing: " + st.message(), st.code() == Status::Code::kBusy ? kExitFound : kExitCannotCheck);
    }
    int removed = 0;
    if (Status st = RemoveLeftoverCheckpoints(fs, dir, &removed); !st.ok()) return fail(st.ToString());
    if (removed) std::printf("removed %d leftover checkpoint.*.tmp\n", removed);
  }

  // Prometheus loads m-mapped head chunks before the WAL, so samples older
  // than --mint that sit there would come back (tombstoned ones too) once
  // the checkpoint has dropped them and their tombstones from the WAL.
  auto chunk_files = CountHeadChunkFiles(fs, dir);
  if (!chunk_files.ok()) return fail(chunk_files.status().ToString());
  const std::string chunks_head = JoinPath(DataDirOf(dir), "chunks_head");
  if (*chunk_files > 0 && !args.Has("drop-chunks-head")) {
    if (dry_run) {
      std::printf("note: %s holds files; without --drop-chunks-head the real run refuses\n",
                  chunks_head.c_str());
    } else {
      return fail("refusing: " + chunks_head + " holds " + std::to_string(*chunk_files) +
                " file(s) of m-mapped head chunks, which Prometheus replays before the WAL; samples "
                "older than --mint in them would come back. Their samples are also in the WAL: "
                "pass --drop-chunks-head to delete them after the checkpoint, or move them away");
    }
  }

  auto listing = ListWalDir(fs, dir);  // again: leftovers may have gone
  if (!listing.ok()) return fail(listing.status().ToString(), kExitCannotCheck);
  if (listing->segments.size() < 2) {
    std::printf("nothing to do: %s has fewer than two segments (the newest is never checkpointed)\n",
                dir.c_str());
    return kExitOk;
  }
  const int first = listing->segments.front();
  const int to = listing->segments.back() - 1;

  auto scan = ScanKeep(fs, dir, mint);
  if (!scan.ok()) return fail(scan.status().ToString(), ExitCodeFor(scan.status()));
  if (scan->corruption) {
    if (scan->corruption->segment <= to || scan->corruption->path.find("/checkpoint.") != std::string::npos) {
      return fail(scan->corruption->ToString() +
                  "\na checkpoint cannot read past a corruption; run `walproof repair` first");
    }
    std::printf("warning: %s\n  (in the newest segment, which is not checkpointed; series seen only "
                "after it are not kept)\n",
                scan->corruption->ToString().c_str());
  }
  if (!args.Has("compression") && scan->compressed_records > 0) {
    // Every Prometheus since 2.11 reads snappy; zstd needs 2.46.
    options.compression = Compression::kSnappy;
  }

  std::unordered_set<uint64_t>& keep_refs = scan->refs;
  auto stats = Checkpoint(fs, dir, first, to, [&](uint64_t ref) { return keep_refs.count(ref) > 0; },
                          mint, options);
  if (!stats.ok()) return fail(stats.status().ToString());
  if (stats->already_checkpointed) {
    std::printf("%s already covers segment %s\n", stats->dir.c_str(), SegmentFileName(to).c_str());
  } else {
    PrintStats(*stats, dry_run);
  }

  std::vector<int> doomed;
  for (int s : listing->segments) if (s <= to) doomed.push_back(s);
  std::vector<std::string> old_checkpoints;
  for (const auto& cp : listing->checkpoints) if (cp.index < to) old_checkpoints.push_back(cp.name);
  if (dry_run) {
    if (!doomed.empty()) {
      std::printf("would delete segments %s\n", Range(doomed.front(), doomed.back()).c_str());
    }
    if (*chunk_files > 0) std::printf("would delete %s\n", chunks_head.c_str());
    for (const auto& name : old_checkpoints) std::printf("would delete %s\n", name.c_str());
    std::printf("dry run: nothing was changed\n");
    return kExitOk;
  }
  if (Status st = DeleteSegmentsUpTo(fs, dir, to); !st.ok()) {
    return fail("the checkpoint is written, but deleting the segments it covers failed: " + st.ToString());
  }
  if (!doomed.empty()) std::printf("deleted segments %s\n", Range(doomed.front(), doomed.back()).c_str());
  if (Status st = DeleteCheckpointsBefore(fs, dir, to); !st.ok()) {
    return fail("deleting older checkpoints failed: " + st.ToString());
  }
  for (const auto& name : old_checkpoints) std::printf("deleted %s\n", name.c_str());
  if (*chunk_files > 0) {
    if (Status st = RemoveTree(fs, chunks_head); !st.ok()) return fail(st.ToString());
    std::printf("deleted %s (%zu file(s))\n", chunks_head.c_str(), *chunk_files);
  }
  return kExitOk;
}

}  // namespace

const Command kCheckpointCommand = {
    "checkpoint", "write a checkpoint offline and delete the segments it covers",
    "usage: walproof checkpoint DIR --mint T [--dry-run] [--drop-chunks-head] [--compression C]\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/.\n"
    "For a WAL that grew because Prometheus's checkpoints kept failing: checkpoints\n"
    "every segment but the newest (with the newest checkpoint, if any), as Prometheus\n"
    "would, then deletes those segments and older checkpoints. Run it with Prometheus\n"
    "stopped: it takes the data directory's lock (DATA/lock) and refuses if held, and\n"
    "since Debian's Prometheus takes that lock only with --storage.tsdb.use-lockfile,\n"
    "it also refuses while any other process has a file under the data directory open\n"
    "or mapped (naming its PID and command line), or cannot be checked and could write\n"
    "there (another user's, when not run as root). There is no --force.\n\n"
    "  --mint T         milliseconds since the epoch. Samples, histograms and exemplars\n"
    "                   before T are dropped, and so are tombstones that end before T or\n"
    "                   belong to a dropped series. A series is kept when it has a sample,\n"
    "                   histogram or exemplar at or after T anywhere in the WAL\n"
    "                   (Prometheus keeps the series still in its head, which are about\n"
    "                   these); only the latest metadata of a kept series is kept.\n"
    "  --dry-run        read and count what would be kept and dropped; write nothing\n"
    "  --drop-chunks-head  delete DATA/chunks_head after the checkpoint. Without it\n"
    "                   the command refuses when chunks_head holds files: Prometheus\n"
    "                   replays them before the WAL, so dropped samples would come back.\n"
    "  --compression C  none, snappy or zstd (zstd needs Prometheus 2.46). Default:\n"
    "                   snappy when the WAL holds compressed records, else none.\n\n"
    "Crash-safe: the checkpoint is written under checkpoint.N.tmp, made durable, then\n"
    "renamed; segments are deleted only after that. A corruption in what is to be\n"
    "checkpointed aborts it (run `walproof repair` first).\n\n"
    "Exit codes: 0 done or nothing to do; 1 refused, failed, or corruption in what is\n"
    "to be checkpointed; 2 usage error; 3 could not check (not found, not a\n"
    "directory, permission denied, I/O error, or no segment and no checkpoint).\n",
    RunCheckpoint};

}  // namespace walproof::cli
