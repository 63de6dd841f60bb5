// walproof rescue: the way out for a Prometheus that runs out of memory
// replaying its WAL. Says what the WAL holds and what rescue would write;
// with --yes writes it all as TSDB blocks, reads them back, and only then
// replaces the WAL with an empty one (tsdb/rescue.h, tsdb/rescue_journal.h).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <random>
#include <thread>

#include "args.h"
#include "commands.h"
#include "data_dir.h"
#include "file_copy.h"
#include "quantities.h"
#include "wal_location.h"
#include "walproof/io/posix_fs.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/rescue.h"
#include "walproof/tsdb/rescue_journal.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::cli {

namespace {

using tsdb::BlockSummary;
using tsdb::RescueSurvey;
using tsdb::RescueTimes;

std::string Num(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string TimeMs(int64_t t) {
  const time_t secs = static_cast<time_t>(t / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf) + " (" + std::to_string(t) + ")";
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void PrintRanking(const char* title, const std::vector<tsdb::RankedName>& ranked) {
  std::printf("%s\n", title);
  for (const tsdb::RankedName& r : ranked) {
    std::printf("  %-48s %12s series %16s samples\n", r.name.empty() ? "(none)" : r.name.c_str(),
                Num(r.series).c_str(), Num(r.samples).c_str());
  }
}

void PrintSurvey(const RescueSurvey& s, int64_t duration) {
  const ReplayReport& r = s.replay;
  std::printf("WAL: %s, segments up to %d, %s bytes of segments, replayed in %.2f s\n", s.wal_dir.c_str(),
              s.last_segment, Num(s.wal_bytes).c_str(), r.seconds);
  if (s.existing_blocks > 0) {
    std::printf("existing blocks: %zu; samples before %s are dropped, as Prometheus drops them\n", s.existing_blocks,
                TimeMs(s.min_valid_time).c_str());
  }
  const uint64_t samples = s.span.float_samples + s.span.histogram_samples;
  std::printf("found: %s series with samples, %s samples (%s float, %s native histogram)\n",
              Num(s.series_count).c_str(), Num(samples).c_str(), Num(s.span.float_samples).c_str(),
              Num(s.span.histogram_samples).c_str());
  if (s.span.any) {
    std::printf("time range: %s to %s\n", TimeMs(s.span.mint).c_str(), TimeMs(s.span.maxt).c_str());
  }
  if (s.span.deleted_samples > 0) {
    std::printf("deletions: %s samples are deleted by the WAL's tombstones and are not written\n",
                Num(s.span.deleted_samples).c_str());
  }
  PrintRanking("metric names with the most series:", s.top_metrics);
  PrintRanking("targets (job/instance) with the most series:", s.top_targets);
  if (!s.dropped.empty()) {
    std::printf("--drop removes %s series, %s samples:\n", Num(s.dropped.size()).c_str(),
                Num(s.dropped_samples).c_str());
    for (size_t i = 0; i < s.dropped.size() && i < 20; ++i) {
      std::printf("  %s  %s samples\n", s.dropped[i].labels.c_str(), Num(s.dropped[i].samples).c_str());
    }
    if (s.dropped.size() > 20) std::printf("  ... and %zu more\n", s.dropped.size() - 20);
  }
  std::printf("not written (a block cannot hold them): %s exemplars, %s metadata entries, %s float histogram samples\n",
              Num(s.exemplars).c_str(), Num(s.metadata).c_str(), Num(s.float_histogram_samples).c_str());
  if (s.series_without_samples > 0) {
    std::printf("series with no sample left to write (not written): %s\n", Num(s.series_without_samples).c_str());
  }
  std::printf("would write %zu block(s) of %s:\n", s.block_starts.size(),
              duration % 3600000 == 0 ? (std::to_string(duration / 3600000) + "h").c_str()
                                      : (std::to_string(duration) + "ms").c_str());
  for (int64_t start : s.block_starts) {
    std::printf("  [%s, %s)\n", TimeMs(start).c_str(), TimeMs(start + duration).c_str());
  }
}

// What rescue needs whatever the number of parts: the binary and the
// reader's buffers. What writing a part takes: its blocks are written at
// once and read back two at a time, each holding postings and index entries
// for each series it has, about 180 bytes a series and block range. And a
// tenth more than the head and writing measure, for the allocator and the
// 2 MiB slabs the head's chunk arenas come in. Fitted on the 300k-series
// bench WAL (3 ranges): 859.7 MiB expected, 859.6 measured in one part;
// 152 expected, 150 measured in nine.
constexpr uint64_t kFixedMemory = 64ull << 20;
constexpr uint64_t kWriteBytesPerSeriesRange = 180;

// One part's head and writing, all parts together, with that tenth.
uint64_t PartsBytes(uint64_t head_and_writing) { return head_and_writing / 10 * 11; }

// The head's memory as the survey measured it (summed over the parts):
// chunks as allocated, labels, and about 100 bytes of bookkeeping a series.
uint64_t HeadBytes(const RescueSurvey& s) {
  return s.head_memory.chunk_capacity + s.head_memory.label_bytes + 100 * s.replay.series;
}

// Writing and reading back the blocks, summed over the parts.
uint64_t WriteBytes(const RescueSurvey& s) {
  return kWriteBytesPerSeriesRange * s.replay.series * std::max<uint64_t>(1, s.block_starts.size());
}

// Before any replay: on the bench WAL the head and writing its blocks take
// 0.37 of its segment bytes (795 MiB with the tenth, for 2.17 GB); 0.4, so
// that the survey rarely has to start again with more parts.
uint64_t HeadGuess(Fs& fs, const std::string& wal_dir) {
  uint64_t bytes = 0;
  auto listing = ListWalDir(fs, wal_dir);
  if (!listing.ok()) return 0;
  for (int seg : listing->segments) {
    auto f = fs.OpenForRead(JoinPath(wal_dir, SegmentFileName(seg)));
    if (f.ok()) bytes += (*f)->Size();
  }
  return bytes / 5 * 2;
}

// Parts so that one part's head and writing, and the fixed cost, fit the budget.
uint32_t PartsFor(uint64_t head_bytes, uint64_t budget) {
  const uint64_t room = budget - kFixedMemory;
  return static_cast<uint32_t>(std::max<uint64_t>(1, (head_bytes + room - 1) / room));
}

// In parts, what one part frees must go back to the system before the next
// part's head grows: glibc otherwise raises its mmap threshold to the largest
// buffer freed (a whole WAL segment) and keeps such buffers in its heap,
// which let the peak drift a quarter above the estimate from run to run.
void ReturnFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
}

// ULIDs of this run: the current time and random bits, one apart.
std::vector<std::string> MakeUlids(size_t n) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  std::random_device rd;
  std::array<uint8_t, 10> entropy{};
  for (auto& b : entropy) b = static_cast<uint8_t>(rd());
  entropy[0] &= 0x7f;  // room to count up without wrapping
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(tsdb::MakeUlid(ms, entropy));
    for (int k = 9; k >= 0 && ++entropy[static_cast<size_t>(k)] == 0; --k) {
    }
  }
  return out;
}

int RunRescue(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  ArgSpec spec{.value_flags = {"max-memory", "block-duration", "drop", "backup", "parts"}, .bool_flags = {"yes"}};
  if (!ParseOrExit(kRescueCommand, argv, spec, 1, &args, &code)) return code;
  const auto started = std::chrono::steady_clock::now();
  const bool apply = args.Has("yes");
  auto usage = [](const std::string& why) {
    std::fprintf(stderr, "walproof rescue: %s\n\n%s", why.c_str(), kRescueCommand.help);
    return kExitUsage;
  };
  tsdb::RescueOptions options;
  if (args.Has("block-duration") && !ParseDurationMs(args.Get("block-duration"), &options.block_duration)) {
    return usage("--block-duration wants a duration such as 2h, got '" + args.Get("block-duration") + "'");
  }
  for (const std::string& text : args.GetAll("drop")) {
    auto sel = tsdb::SeriesSelector::Parse(text);
    if (!sel.ok()) return usage("--drop: " + sel.status().message());
    options.drop.push_back(std::move(*sel));
  }
  uint64_t budget = AvailableMemoryBytes();
  const bool budget_given = args.Has("max-memory");
  if (budget_given && !ParseSize(args.Get("max-memory"), &budget)) {
    return usage("--max-memory wants a size such as 2GiB, got '" + args.Get("max-memory") + "'");
  }

  Fs& fs = PosixFs();
  auto loc = LocateWal(fs, args.positional()[0]);
  if (!loc.ok()) {
    std::fprintf(stderr, "walproof rescue: %s\n", loc.status().ToString().c_str());
    return kExitCannotCheck;
  }
  if (loc->via_data_dir) std::printf("%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);
  if (!loc->in_data_dir) {
    std::fprintf(stderr,
                 "walproof rescue: %s is not DATA/wal: rescue writes blocks into the Prometheus data directory "
                 "and needs its layout; give the --storage.tsdb.path directory\n",
                 loc->wal_dir.c_str());
    return kExitCannotCheck;
  }
  const std::string& data = loc->data_dir;

  std::unique_ptr<FileLock> lock;
  if (apply) {
    if (Status st = GuardWrite(fs, *loc, &lock); !st.ok()) {
      std::fprintf(stderr, "walproof rescue: refusing: %s\n", st.message().c_str());
      return st.code() == Status::Code::kBusy ? kExitFound : kExitCannotCheck;
    }
    tsdb::SettleOutcome outcome;
    std::string what;
    if (Status st = tsdb::SettleInterruptedRescue(fs, data, &outcome, &what); !st.ok()) {
      std::fprintf(stderr, "walproof rescue: cannot settle an interrupted rescue: %s\n", st.ToString().c_str());
      return kExitFound;
    }
    if (outcome != tsdb::SettleOutcome::kNothing) std::printf("%s\n", what.c_str());
    if (outcome == tsdb::SettleOutcome::kFinished) return kExitOk;
  } else {
    auto journal = tsdb::ReadRescueJournal(fs, data);
    if (journal.ok() && *journal) {
      std::printf("an interrupted rescue left %s/%s: --yes settles it first (finishing or undoing it)\n",
                  data.c_str(), tsdb::kRescueJournalName);
    }
  }
  auto listing = ListWalDir(fs, loc->wal_dir);
  if (!listing.ok() || (listing->segments.empty() && listing->checkpoints.empty())) {
    std::fprintf(stderr, "walproof rescue: %s holds no segment and no checkpoint; nothing to rescue\n",
                 loc->wal_dir.c_str());
    return kExitCannotCheck;
  }

  std::printf("memory budget: %s (%s)\n", FormatMiB(budget).c_str(),
              budget_given ? "--max-memory" : "what this machine has available now");
  if (budget <= kFixedMemory + (16u << 20)) {
    std::fprintf(stderr, "walproof rescue: a budget of %s leaves nothing for the head (rescue itself takes %s)\n",
                 FormatMiB(budget).c_str(), FormatMiB(kFixedMemory).c_str());
    return kExitUsage;
  }
  // A first guess from the WAL's size; the survey measures the head and, when
  // the guess was short, surveys again in as many parts as the head needs.
  long long forced_parts = 0;
  std::string parts_error;
  if (!args.GetInt("parts", 0, &forced_parts, &parts_error) || forced_parts < 0 || forced_parts > 4096) {
    return usage(parts_error.empty() ? "--parts wants a number from 1 to 4096" : parts_error);
  }
  // Replaying, finishing blocks and reading them back use every CPU.
  options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.parts = forced_parts > 0 ? static_cast<uint32_t>(forced_parts) : PartsFor(HeadGuess(fs, loc->wal_dir), budget);
  if (options.parts > 1) ReturnFreedMemory();
  std::printf("%s\n", options.parts == 1 ? "working in one part (the whole head at once)"
                                         : ("working in " + std::to_string(options.parts) +
                                            " parts of the series, one head at a time (each part reads the whole WAL)")
                                               .c_str());
  std::fflush(stdout);
  auto rescue = tsdb::Rescue::Survey(fs, data, loc->wal_dir, options);
  for (int attempt = 0; rescue.ok() && attempt < 3; ++attempt) {
    const RescueSurvey& first = (*rescue)->survey();
    const uint32_t need = PartsFor(PartsBytes(HeadBytes(first) + WriteBytes(first)), budget);
    if (first.replay.corruption || need <= options.parts || forced_parts > 0) break;
    options.parts = need;
    ReturnFreedMemory();
    std::printf("the head measured %s: working in %u parts instead\n", FormatMiB(HeadBytes(first)).c_str(), need);
    std::fflush(stdout);
    rescue.value().reset();  // free the head before the next survey
    rescue = tsdb::Rescue::Survey(fs, data, loc->wal_dir, options);
  }
  if (!rescue.ok()) {
    std::fprintf(stderr, "walproof rescue: %s\n", rescue.status().ToString().c_str());
    return ExitCodeFor(rescue.status());
  }
  const RescueSurvey& s = (*rescue)->survey();
  if (s.replay.corruption) {
    std::fprintf(stderr,
                 "walproof rescue: the WAL stops at a corruption: %s\nrun `walproof repair` first; rescue only "
                 "replaces a WAL it has read to the end\n",
                 s.replay.corruption->ToString().c_str());
    return kExitFound;
  }
  PrintSurvey(s, options.block_duration);
  const uint64_t expected = kFixedMemory + PartsBytes(HeadBytes(s) + WriteBytes(s)) / s.parts;
  const uint64_t besides_head = expected - HeadBytes(s) / s.parts;
  std::printf("expected: about %s of memory (the head measured %s in %u part(s), plus %s for reading, writing and "
              "reading back) and about %.0f s\n",
              FormatMiB(expected).c_str(), FormatMiB(HeadBytes(s)).c_str(), s.parts, FormatMiB(besides_head).c_str(),
              (s.parts > 1 ? 2.2 : 2.0) * s.replay.seconds + 1);
  if (!apply) {
    if (args.Has("backup")) std::printf("would first copy %s to %s\n", loc->wal_dir.c_str(), args.Get("backup").c_str());
    std::printf("then replace the WAL with an empty one: checkpoint.%08d (empty) and segment %08d (empty); the "
                "old checkpoint and segments removed\n",
                s.last_segment, s.last_segment + 1);
    std::printf("dry run: nothing was changed; run again with --yes to rescue\n");
    return kExitOk;
  }
  if (s.block_starts.empty()) {
    std::printf("no sample to write: the WAL is left as it is\n");
    return kExitOk;
  }

  const std::vector<std::string> ulids = MakeUlids(s.block_starts.size() * s.parts);
  std::vector<BlockSummary> blocks;
  RescueTimes times;
  const auto write_started = std::chrono::steady_clock::now();
  Status st = (*rescue)->WriteBlocks(
      fs, [&](size_t i) { return ulids[i]; },
      [&](const BlockSummary& w, const BlockSummary& back) {
        std::printf("wrote and read back block %s [%lld, %lld): %s series, %s samples, %s chunks, digest %016llx\n",
                    back.meta.ulid.c_str(), static_cast<long long>(w.meta.min_time),
                    static_cast<long long>(w.meta.max_time), Num(back.series).c_str(),
                    Num(back.float_samples + back.histogram_samples).c_str(), Num(back.chunks).c_str(),
                    static_cast<unsigned long long>(back.digest));
        std::fflush(stdout);
      },
      &blocks, &times);
  if (!st.ok()) {
    std::fprintf(stderr, "walproof rescue: %s\nthe WAL is untouched; the blocks of this run were removed\n",
                 st.ToString().c_str());
    return kExitFound;
  }
  if (args.Has("backup")) {
    int files = 0;
    const std::string backup = JoinPath(args.Get("backup"), "wal");
    if (Status b = EnsureDir(fs, args.Get("backup")); !b.ok() || !(b = CopyTree(fs, loc->wal_dir, backup, &files)).ok()) {
      std::fprintf(stderr, "walproof rescue: backup failed, the WAL is untouched (the blocks stay; run again): %s\n",
                   b.ToString().c_str());
      return kExitFound;
    }
    std::printf("copied %d WAL file(s) to %s\n", files, backup.c_str());
  }
  // The head chunks m-mapped from the old WAL's series are in the blocks now.
  const std::string head_chunks = JoinPath(data, "chunks_head");
  if (auto kind = fs.Stat(head_chunks); kind.ok() && *kind == FileKind::kDir) {
    if (Status h = RemoveTree(fs, head_chunks); !h.ok() || !(h = fs.SyncDir(data)).ok()) {
      std::fprintf(stderr, "walproof rescue: cannot remove %s: %s\n", head_chunks.c_str(), h.ToString().c_str());
      return kExitFound;
    }
  }
  if (Status w = tsdb::SwapInEmptyWal(fs, data, s.last_segment); !w.ok()) {
    std::fprintf(stderr, "walproof rescue: replacing the WAL failed: %s\nrun rescue again to finish\n",
                 w.ToString().c_str());
    return kExitFound;
  }
  uint64_t samples = 0;
  for (const BlockSummary& b : blocks) samples += b.float_samples + b.histogram_samples;
  std::printf("rescued: %zu block(s), %s samples, every block read back and matching; the WAL is empty "
              "(checkpoint.%08d and segment %08d)\n",
              blocks.size(), Num(samples).c_str(), s.last_segment, s.last_segment + 1);
  std::printf("took %.2f s, peak RSS %s: replay %.2f s, survey %.2f s, writing blocks %.2f s, reading them back "
              "%.2f s, replacing the WAL %.2f s\n",
              Seconds(started), FormatMiB(PeakRssBytes()).c_str(), s.replay.seconds + times.replay, s.survey_seconds,
              times.write, times.read_back, Seconds(write_started) - times.replay - times.write - times.read_back);
  return kExitOk;
}

}  // namespace

const Command kRescueCommand = {
    "rescue", "turn a WAL Prometheus cannot replay into blocks (dry run unless --yes)",
    "usage: walproof rescue DATA [--max-memory SIZE] [--block-duration D] [--drop SELECTOR]...\n"
    "                       [--parts N] [--backup DIR] [--yes]\n\n"
    "For a Prometheus that runs out of memory replaying its WAL at start-up. DATA is its\n"
    "data directory (--storage.tsdb.path; DATA/wal is accepted too). Replays the WAL and\n"
    "says what it holds: series, samples, time range, the ten metric names and the ten\n"
    "targets (job/instance) with the most series, what --drop removes, what a block cannot\n"
    "hold (exemplars, metadata, float histograms: counted, not written), the blocks it would\n"
    "write and the memory and time it expects to need. It uses every CPU.\n\n"
    "A DRY RUN IS THE DEFAULT: nothing is written unless --yes is given.\n\n"
    "  --yes                 write one TSDB block per block range into DATA (each in a\n"
    "                        temporary directory, fsynced, renamed), read every block back\n"
    "                        and compare it with the WAL's content, and only then replace\n"
    "                        the WAL with an empty one: an empty segment numbered after\n"
    "                        the last, behind an empty checkpoint (old checkpoint and\n"
    "                        segments removed), and remove DATA/chunks_head. Deletions are\n"
    "                        applied. Crash-safe: an interrupted run is finished or undone\n"
    "                        by the next `rescue --yes`. Takes DATA/lock and refuses while\n"
    "                        any other process has a file under DATA open or mapped.\n"
    "  --drop SELECTOR       leave out the series it selects, e.g. '{job=\"runaway\"}'\n"
    "                        (=, !=, =~, !~; repeatable); listed in the dry run\n"
    "  --block-duration D    block range (default 2h, as Prometheus)\n"
    "  --max-memory SIZE     memory budget (e.g. 4GiB; default: what the machine has\n"
    "                        available). When the head does not fit, rescue works in\n"
    "                        parts of the series, one head at a time, each part reading\n"
    "                        the whole WAL and writing its own blocks over the same\n"
    "                        ranges (Prometheus merges blocks that overlap).\n"
    "  --parts N             work in N parts whatever the budget\n"
    "  --backup DIR          with --yes, first copy the WAL to DIR/wal\n\n"
    "Exit codes: 0 rescued, or dry run printed; 1 refused or failed (the WAL is left as\n"
    "it was), or the WAL is corrupt (run `walproof repair` first); 2 usage error;\n"
    "3 could not check (not found, not a data directory, permission denied, I/O error,\n"
    "no WAL).\n",
    RunRescue};

}  // namespace walproof::cli
