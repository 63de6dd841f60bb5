// walproof demo: write a small WAL whose every sample is known in advance, for
// the README's first command and for interop tests that check Prometheus reads
// exactly what we wrote.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "data_dir.h"
#include "wal_location.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_writer.h"

namespace walproof::cli {
namespace {

// Native histogram j at scrape k: schema 0, the default zero threshold,
// zero count k + j, two positive buckets of k each, count 3k + j, sum 1.5k + j.
Histogram DemoHistogram(long long j, long long k) {
  Histogram h;
  h.schema = 0;
  h.zero_threshold = 0x1p-128;
  h.zero_count = static_cast<uint64_t>(k + j);
  h.count = static_cast<uint64_t>(3 * k + j);
  h.sum = 1.5 * double(k) + double(j);
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {k, 0};  // deltas: k, then k again
  return h;
}

int RunDemo(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  ArgSpec spec{.value_flags = {"series", "scrapes", "compression", "start-ms", "interval-ms",
                               "segment-size", "histograms"},
               .bool_flags = {}};
  if (!ParseOrExit(kDemoCommand, argv, spec, 1, &args, &code)) return code;
  long long series = 0, scrapes = 0, start = 0, interval = 0, segment_size = 0, histograms = 0;
  std::string error;
  WalWriterOptions options;
  if (!args.GetInt("series", 100, &series, &error) || !args.GetInt("scrapes", 120, &scrapes, &error) ||
      !args.GetInt("start-ms", 1700000000000LL, &start, &error) ||
      !args.GetInt("interval-ms", 15000, &interval, &error) || !args.GetInt("histograms", 0, &histograms, &error) ||
      !args.GetInt("segment-size", static_cast<long long>(kDefaultSegmentSize), &segment_size, &error)) {
    std::fprintf(stderr, "walproof demo: %s\n", error.c_str());
    return kExitUsage;
  }
  if (series < 1 || scrapes < 1 || interval < 1 || histograms < 0) {
    std::fprintf(stderr, "walproof demo: --series, --scrapes and --interval-ms must be positive, --histograms not "
                 "negative\n");
    return kExitUsage;
  }
  if (!ParseCompression(args.Get("compression", "snappy").c_str(), &options.compression)) {
    std::fprintf(stderr, "walproof demo: --compression must be none, snappy or zstd\n");
    return kExitUsage;
  }
  options.segment_size = static_cast<uint64_t>(segment_size);
  Fs& fs = PosixFs();
  auto loc = LocateWal(fs, args.positional()[0], /*may_be_missing=*/true);
  if (!loc.ok()) {
    std::fprintf(stderr, "walproof demo: %s\n", loc.status().ToString().c_str());
    return kExitCannotCheck;
  }
  if (loc->via_data_dir) std::printf("%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  // Write into a new or empty directory, or after the segments of a WAL;
  // never among someone else's files.
  if (loc->exists && !loc->HasWal() && !loc->Empty()) {
    std::fprintf(stderr, "walproof demo: refusing: %s is not a WAL directory and not empty (%s); give a "
                 "new or empty directory, a WAL directory or a Prometheus data directory\n",
                 loc->wal_dir.c_str(), JoinNames(loc->NotRead()).c_str());
    return kExitCannotCheck;
  }
  std::unique_ptr<FileLock> lock;
  if (Status st = GuardWrite(fs, *loc, &lock); !st.ok()) {
    std::fprintf(stderr, "walproof demo: refusing: %s\n", st.message().c_str());
    return st.code() == Status::Code::kBusy ? kExitFound : kExitCannotCheck;
  }
  const std::string& dir = loc->wal_dir;

  auto writer = WalWriter::Open(fs, dir, options);
  if (!writer.ok()) {
    std::fprintf(stderr, "walproof demo: %s\n", writer.status().ToString().c_str());
    return kExitFound;
  }
  auto fail = [&](const Status& st) {
    std::fprintf(stderr, "walproof demo: writing %s: %s\n", dir.c_str(), st.ToString().c_str());
    return kExitFound;
  };

  // Series i has ref i+1 and value i*1000 + k at scrape k.
  std::vector<RefSeries> refs;
  for (long long i = 0; i < series; ++i) {
    refs.push_back({static_cast<uint64_t>(i + 1),
                    {{"__name__", "walproof_demo"}, {"instance", "demo"}, {"series", std::to_string(i)}}});
  }
  for (long long j = 0; j < histograms; ++j) {
    refs.push_back({static_cast<uint64_t>(series + j + 1),
                    {{"__name__", "walproof_demo_histogram"}, {"instance", "demo"}, {"series", std::to_string(j)}}});
  }
  std::string rec;
  EncodeSeries(refs, &rec);
  if (Status st = (*writer)->Log(rec); !st.ok()) return fail(st);

  std::vector<RefSample> samples(static_cast<size_t>(series));
  for (long long k = 0; k < scrapes; ++k) {
    for (long long i = 0; i < series; ++i) {
      samples[i] = {static_cast<uint64_t>(i + 1), start + k * interval, double(i * 1000 + k)};
    }
    rec.clear();
    EncodeSamples(samples, &rec);
    if (Status st = (*writer)->Log(rec); !st.ok()) return fail(st);
    if (histograms == 0) continue;
    std::vector<RefHistogramSample> hs;
    for (long long j = 0; j < histograms; ++j) hs.push_back({static_cast<uint64_t>(series + j + 1), start + k * interval, DemoHistogram(j, k)});
    rec.clear();
    EncodeHistogramSamples(hs, &rec);
    if (Status st = (*writer)->Log(rec); !st.ok()) return fail(st);
  }
  // Delete series 0's first ten samples, so readers must apply tombstones.
  rec.clear();
  EncodeTombstones({{1, start, start + 9 * interval}}, &rec);
  if (Status st = (*writer)->Log(rec); !st.ok()) return fail(st);
  if (Status st = (*writer)->Close(); !st.ok()) return fail(st);

  std::printf("wrote %s: %lld series x %lld scrapes (%lld samples), 1 tombstone, %s compression\n",
              dir.c_str(), series, scrapes, series * scrapes, CompressionName(options.compression));
  if (histograms > 0) {
    std::printf("and %lld native histogram series x %lld scrapes\n", histograms, scrapes);
  }
  return kExitOk;
}

}  // namespace

const Command kDemoCommand = {
    "demo", "write a small WAL with known contents",
    "usage: walproof demo DIR [--series N] [--scrapes M] [--compression none|snappy|zstd]\n"
    "                            [--start-ms T] [--interval-ms I] [--segment-size BYTES]\n"
    "                            [--histograms H]\n\n"
    "Writes a WAL into DIR (created if missing; a new segment after any existing\n"
    "ones; DATA/wal when DIR is a Prometheus data directory DATA; refused when DIR\n"
    "holds files but no WAL): one Series record with refs 1..N, labels __name__=\"walproof_demo\",\n"
    "instance=\"demo\", series=\"<i>\" for i in 0..N-1; then M Samples records, scrape k\n"
    "at T + k*I with value i*1000 + k for series i; then one Tombstones record deleting\n"
    "series 0 over [T, T + 9*I]. Syncs and closes.\n"
    "With --histograms H, also H native histogram series walproof_demo_histogram\n"
    "(refs N+1..N+H, series=\"<j>\"), one HistogramSamples record after each scrape:\n"
    "schema 0, zero count k+j, two buckets of k, count 3k+j, sum 1.5k+j.\n\n"
    "Defaults: N=100, M=120, snappy, T=1700000000000, I=15000, segment size 128 MiB.\n\n"
    "Into an existing directory, takes the data directory's lock (when DIR is DATA/wal)\n"
    "and refuses while any other process has a file under it open or mapped, or cannot\n"
    "be checked and could write there.\n\n"
    "Exit codes: 0 written; 1 refused or failed; 2 usage error; 3 could not check DIR\n"
    "(not a directory, permission denied, or not a WAL directory).\n",
    RunDemo};

}  // namespace walproof::cli
