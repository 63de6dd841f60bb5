// walproof verify: read every record the way Prometheus replays it; say
// whether the WAL is clean. Opens files read-only and never writes.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "walproof/posix_fs.h"
#include "walproof/wal_stats.h"

namespace walproof::cli {
namespace {

int RunVerify(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  if (!ParseOrExit(kVerifyCommand, argv, {}, 1, &args, &code)) return code;
  const std::string& dir = args.positional()[0];
  Progress bar("verify", 0);
  auto stats = ComputeWalStats(PosixFs(), dir, [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  if (!stats.ok()) {
    std::fprintf(stderr, "walproof verify: %s\n", stats.status().ToString().c_str());
    return kExitFound;
  }
  const WalReadPlan& plan = stats->plan;
  if (stats->corruption) {
    std::printf("%s\n", stats->corruption->ToString().c_str());
    std::printf("%llu records before it are intact\n", static_cast<unsigned long long>(stats->records));
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
  return kExitOk;
}

}  // namespace

const Command kVerifyCommand = {
    "verify", "check every record of a WAL directory; exit 1 on corruption",
    "usage: walproof verify WALDIR\n\n"
    "Reads the newest checkpoint and every segment after it in replay order, checking\n"
    "page padding, fragment order, CRC-32C, decompression and record decoding, as\n"
    "Prometheus does at start-up. Never writes.\n\n"
    "On corruption prints 'corruption in segment <path> at <offset>: <reason>' and exits 1.\n"
    "Exit codes: 0 clean, 1 corruption or unreadable, 2 usage error.\n",
    RunVerify};

}  // namespace walproof::cli
