// Counts the samples in a Prometheus WAL directory with walproof::reference.
#include <cstdio>

#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_stats.h"

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: read-wal WAL_DIR\n"), 2;
  auto stats = walproof::ComputeWalStats(walproof::PosixFs(), argv[1]);
  if (!stats.ok()) return std::fprintf(stderr, "%s\n", stats.status().ToString().c_str()), 3;
  std::printf("%llu records, %llu series, %llu samples\n", (unsigned long long)stats->records,
              (unsigned long long)stats->series, (unsigned long long)stats->samples);
  if (stats->corruption) return std::fprintf(stderr, "%s\n", stats->corruption->ToString().c_str()), 1;
  return 0;
}
