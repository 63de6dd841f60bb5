// walproof repair: say what cutting the WAL back to its first corruption
// would drop, and do it only when asked (--yes), with an optional backup of
// every file it changes, never while a running Prometheus holds the data
// directory.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "args.h"
#include "commands.h"
#include "data_dir.h"
#include "file_copy.h"
#include "wal_location.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_stats.h"

namespace walproof::cli {

namespace {


// Copies every existing file the repair will change or delete into
// `backup`, refusing to overwrite anything already there.
Status Backup(Fs& fs, const RepairPlan& plan, const std::string& backup, int* copied) {
  *copied = 0;
  WALPROOF_RETURN_IF_ERROR(EnsureDir(fs, backup));
  for (const std::string& path : FilesChangedByRepair(plan)) {
    auto kind = fs.Stat(path);
    if (!kind.ok()) return kind.status();
    if (*kind != FileKind::kFile) continue;
    const std::string name = path.substr(path.find_last_of('/') + 1);
    const std::string target = JoinPath(backup, name);
    auto there = fs.Stat(target);
    if (!there.ok()) return there.status();
    if (*there != FileKind::kMissing) {
      return Status::AlreadyExists("backup " + target + " already exists; choose an empty --backup directory");
    }
    WALPROOF_RETURN_IF_ERROR(CopyFile(fs, path, target));
    ++*copied;
  }
  return fs.SyncDir(backup);
}

int RunRepair(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  ArgSpec spec{.value_flags = {"backup"}, .bool_flags = {"dry-run", "yes"}};
  if (!ParseOrExit(kRepairCommand, argv, spec, 1, &args, &code)) return code;
  if (args.Has("dry-run") && args.Has("yes")) {
    std::fprintf(stderr, "walproof repair: --dry-run and --yes exclude each other\n\n%s", kRepairCommand.help);
    return kExitUsage;
  }
  const bool apply = args.Has("yes");
  Fs& fs = PosixFs();
  auto loc = LocateWal(fs, args.positional()[0]);
  if (!loc.ok()) {
    std::fprintf(stderr, "walproof repair: %s\n", loc.status().ToString().c_str());
    return kExitCannotCheck;
  }
  if (loc->via_data_dir) std::printf("%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  // What a Prometheus interrupted in its repair leaves (N.repair) is repair's
  // business even with no segment left; an empty or foreign directory is not.
  if (!loc->HasWal() && loc->listing.repair_files.empty() && loc->listing.tmp_checkpoints.empty()) {
    std::fprintf(stderr, "walproof repair: %s; nothing to repair\n", loc->NothingHere().c_str());
    return kExitCannotCheck;
  }
  const std::string& dir = loc->wal_dir;

  std::unique_ptr<FileLock> lock;
  if (apply) {
    if (Status st = GuardWrite(fs, *loc, &lock); !st.ok()) {
      std::fprintf(stderr, "walproof repair: refusing: %s\n", st.message().c_str());
      return st.code() == Status::Code::kBusy ? kExitFound : kExitCannotCheck;
    }
  }

  auto plan = PlanRepair(fs, dir);
  if (!plan.ok()) {
    std::fprintf(stderr, "walproof repair: %s\n", plan.status().ToString().c_str());
    return ExitCodeFor(plan.status());
  }
  std::fputs(plan->Summary().c_str(), stdout);
  if (!plan->needed()) return kExitOk;

  const std::string backup = args.Get("backup");
  if (!apply) {
    if (!backup.empty()) {
      std::printf("would first copy %zu file(s) to %s\n", FilesChangedByRepair(*plan).size(), backup.c_str());
    }
    std::printf("dry run: nothing was changed; run again with --yes to repair\n");
    return kExitOk;
  }
  if (!backup.empty()) {
    int copied = 0;
    Status st = Backup(fs, *plan, backup, &copied);
    if (!st.ok()) {
      std::fprintf(stderr, "walproof repair: backup failed, nothing repaired: %s\n", st.ToString().c_str());
      return kExitFound;
    }
    std::printf("copied %d file(s) to %s\n", copied, backup.c_str());
  }
  Status st = ExecuteRepair(fs, dir, *plan);
  if (!st.ok()) {
    std::fprintf(stderr, "walproof repair: %s\n", st.ToString().c_str());
    return kExitFound;
  }
  auto stats = ComputeWalStats(fs, dir);
  if (!stats.ok() || stats->corruption) {
    std::fprintf(stderr, "walproof repair: the WAL still does not read cleanly: %s\n",
                 stats.ok() ? stats->corruption->ToString().c_str() : stats.status().ToString().c_str());
    return kExitFound;
  }
  std::printf("repaired: %llu records replay cleanly\n", static_cast<unsigned long long>(stats->records));
  return kExitOk;
}

}  // namespace

const Command kRepairCommand = {
    "repair", "cut a WAL back to its first corruption (dry run unless --yes)",
    "usage: walproof repair DIR [--dry-run] [--backup DIR] [--yes]\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/.\n"
    "Finds the first corruption in replay order, as Prometheus does at start-up, and\n"
    "prints what its repair would do: the segment cut and where, the segments deleted,\n"
    "how many records and samples are dropped and their time range (counted as far as\n"
    "the damaged part can be read), and how many records are kept. Everything before\n"
    "the corruption is kept, everything after it is lost, as in Prometheus.\n\n"
    "A DRY RUN IS THE DEFAULT: nothing is written unless --yes is given.\n\n"
    "  --yes         carry the repair out. Every step is crash-safe: a crash leaves a\n"
    "                WAL that opens and replays at least what the repair keeps; run the\n"
    "                command again to finish. Takes the data directory's lock\n"
    "                (DATA/lock, as Prometheus does) and refuses if it is held; also\n"
    "                refuses while any other process has a file under the data\n"
    "                directory open or mapped (naming its PID and command line), or\n"
    "                cannot be checked and could write there (another user's, when\n"
    "                not run as root). There is no --force.\n"
    "  --backup DIR  with --yes, first copy every file that will be changed or deleted\n"
    "                into DIR (which must not hold files of the same names)\n"
    "  --dry-run     only print the plan (the default)\n\n"
    "Also cleans what interrupted runs leave: *.repair.tmp, checkpoint.*.tmp, and an\n"
    "N.repair from a Prometheus that crashed inside its own repair (put back or removed).\n"
    "A corrupt checkpoint is refused: truncating segments cannot repair it.\n\n"
    "Exit codes: 0 repaired, nothing to repair, or dry run printed; 1 refused, failed,\n"
    "or a corruption repair cannot fix; 2 usage error; 3 could not check (not found,\n"
    "not a directory, permission denied, I/O error, or no segment and no checkpoint).\n",
    RunRepair};

}  // namespace walproof::cli
