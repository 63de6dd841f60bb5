// walproof verify: read every record the way Prometheus replays it; say
// whether the WAL is clean. Opens files read-only and never writes.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "wal_location.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_stats.h"

namespace walproof::cli {
namespace {

int RunVerify(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  if (!ParseOrExit(kVerifyCommand, argv, {}, 1, &args, &code)) return code;
  Fs& fs = PosixFs();
  std::string error;
  auto loc = LocateForReading(fs, args.positional()[0], &error, &code);
  if (!loc) {
    std::fprintf(stderr, "walproof verify: %s\n", error.c_str());
    return code;
  }
  if (loc->via_data_dir) std::printf("%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  const std::string& dir = loc->wal_dir;
  Progress bar("verify", 0);
  auto stats = ComputeWalStats(fs, dir, [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  if (!stats.ok()) {
    std::fprintf(stderr, "walproof verify: %s\n", stats.status().ToString().c_str());
    return ExitCodeFor(stats.status());
  }
  const WalReadPlan& plan = stats->plan;
  const std::vector<std::string> not_read = loc->NotRead();
  if (stats->corruption) {
    std::printf("%s\n", stats->corruption->ToString().c_str());
    std::printf("%llu records before it are intact\n", static_cast<unsigned long long>(stats->records));
    if (!not_read.empty()) std::printf("note: not read: %s\n", JoinNames(not_read).c_str());
    return kExitFound;
  }
  std::printf("ok: %s: %llu records in %zu segment(s)", dir.c_str(),
              static_cast<unsigned long long>(stats->records), plan.segments.size());
  if (plan.checkpoint) {
    std::printf(" and checkpoint.%08d (%zu segment(s))", *plan.checkpoint,
                plan.checkpoint_segments.size());
  }
  std::printf("\n");
  if (!plan.skipped_segments.empty()) {
    std::printf("note: %zu segment(s) up to %08d are covered by the checkpoint and not replayed\n",
                plan.skipped_segments.size(), plan.skipped_segments.back());
  }
  if (!not_read.empty()) std::printf("note: not read: %s\n", JoinNames(not_read).c_str());
  return kExitOk;
}

}  // namespace

const Command kVerifyCommand = {
    "verify", "check every record of a WAL; exit 1 on corruption, 3 if it cannot check",
    "usage: walproof verify DIR\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/.\n"
    "Reads the newest checkpoint and every segment after it in replay order, checking\n"
    "page padding, fragment order, CRC-32C, decompression and record decoding, as\n"
    "Prometheus does at start-up. Never writes.\n\n"
    "On corruption prints 'corruption in segment <path> at <offset>: <reason>' and exits 1.\n"
    "Files that are neither segments nor checkpoints (N.repair, checkpoint.N.tmp, a\n"
    "segment name with a suffix, ...) are listed as not read.\n\n"
    "Exit codes: 0 clean; 1 corruption found; 2 usage error; 3 could not check (not\n"
    "found, not a directory, permission denied, I/O error, or no segment and no\n"
    "checkpoint there: what the directory holds is listed).\n",
    RunVerify};

}  // namespace walproof::cli
