// walproof stats: what a WAL holds, counted as logged.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "wal_location.h"
#include "walproof/format/record.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_stats.h"

namespace walproof::cli {
namespace {

nlohmann::json OptionalTime(const std::optional<int64_t>& t) {
  return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
}

nlohmann::json StatsJson(const WalStats& s) {
  nlohmann::json by_type = nlohmann::json::object();
  for (const auto& [type, n] : s.records_by_type) by_type[std::to_string(type)] = n;
  nlohmann::json j = {
      {"dir", s.plan.dir},
      {"records", s.records},
      {"records_by_type", by_type},
      {"series", s.series},
      {"samples", s.samples},
      {"histogram_samples", s.histogram_samples},
      {"float_histogram_samples", s.float_histogram_samples},
      {"exemplars", s.exemplars},
      {"tombstones", s.tombstones},
      {"metadata", s.metadata},
      {"mmap_markers", s.mmap_markers},
      {"unknown_records", s.unknown_records},
      {"undecodable_skipped_records", s.undecodable_skipped_records},
      {"min_time", OptionalTime(s.min_time)},
      {"max_time", OptionalTime(s.max_time)},
      {"compressed_records", s.compressed_records},
      {"bytes", s.file_bytes},
      {"record_bytes", s.record_bytes},
      {"stored_record_bytes", s.stored_bytes},
      {"compression_ratio",
       s.stored_bytes ? double(s.record_bytes) / double(s.stored_bytes) : 1.0},
      {"segments", s.plan.segments.size()},
      {"first_segment", s.plan.segments.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(s.plan.segments.front().index)},
      {"last_segment", s.plan.segments.empty() ? nlohmann::json(nullptr)
                                               : nlohmann::json(s.plan.segments.back().index)},
      {"checkpoint", s.plan.checkpoint ? nlohmann::json(*s.plan.checkpoint) : nlohmann::json(nullptr)},
      {"checkpoint_segments", s.plan.checkpoint_segments.size()},
      {"corruption", nullptr},
  };
  if (s.corruption) {
    j["corruption"] = {{"segment", s.corruption->path},
                       {"segment_index", s.corruption->segment},
                       {"offset", s.corruption->offset},
                       {"reason", s.corruption->reason}};
  }
  return j;
}

void PrintText(const WalStats& s) {
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("WAL directory     %s\n", s.plan.dir.c_str());
  if (s.plan.checkpoint) {
    std::printf("checkpoint        checkpoint.%08d (%zu segment(s))\n", *s.plan.checkpoint,
                s.plan.checkpoint_segments.size());
  } else {
    std::printf("checkpoint        none\n");
  }
  if (s.plan.segments.empty()) {
    std::printf("segments          none\n");
  } else {
    std::printf("segments          %zu (%08d..%08d)\n", s.plan.segments.size(),
                s.plan.segments.front().index, s.plan.segments.back().index);
  }
  std::printf("bytes             %llu on disk, %llu in records (%llu as stored, ratio %.2f)\n",
              u(s.file_bytes), u(s.record_bytes), u(s.stored_bytes),
              s.stored_bytes ? double(s.record_bytes) / double(s.stored_bytes) : 1.0);
  std::printf("records           %llu (%llu compressed)\n", u(s.records), u(s.compressed_records));
  for (const auto& [type, n] : s.records_by_type) {
    std::printf("  type %-3d %-22s %llu\n", type, RecordTypeName(static_cast<uint8_t>(type)), u(n));
  }
  std::printf("series            %llu\n", u(s.series));
  std::printf("samples           %llu\n", u(s.samples));
  std::printf("histogram samples %llu (%llu float)\n", u(s.histogram_samples),
              u(s.float_histogram_samples));
  std::printf("exemplars         %llu\n", u(s.exemplars));
  std::printf("tombstones        %llu\n", u(s.tombstones));
  std::printf("metadata          %llu\n", u(s.metadata));
  if (s.min_time) {
    std::printf("time range        %lld .. %lld ms (%.1f h)\n", static_cast<long long>(*s.min_time),
                static_cast<long long>(*s.max_time), double(*s.max_time - *s.min_time) / 3.6e6);
  } else {
    std::printf("time range        no samples\n");
  }
  if (s.corruption) std::printf("CORRUPTION        %s\n", s.corruption->ToString().c_str());
}

int RunStats(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  if (!ParseOrExit(kStatsCommand, argv, {.value_flags = {}, .bool_flags = {"json"}}, 1, &args, &code)) {
    return code;
  }
  const bool json = args.Has("json");
  auto cannot = [&](const std::string& error, int exit_code) {
    return ReportStop("stats", args.positional()[0], json, error, exit_code);
  };
  Fs& fs = PosixFs();
  std::string error;
  auto loc = LocateForReading(fs, args.positional()[0], &error, &code);
  if (!loc) return cannot(error, code);
  if (loc->via_data_dir) std::fprintf(json ? stderr : stdout, "%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  Progress bar("stats", 0);
  auto stats = ComputeWalStats(fs, loc->wal_dir,
                               [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  if (!stats.ok()) return cannot(stats.status().ToString(), ExitCodeFor(stats.status()));
  code = stats->corruption ? kExitFound : kExitOk;
  const std::vector<std::string> not_read = loc->NotRead();
  if (json) {
    nlohmann::json j = StatsJson(*stats);
    j["status"] = ExitCodeName(code);
    j["exit_code"] = code;
    j["data_dir"] = loc->via_data_dir ? nlohmann::json(loc->arg) : nlohmann::json(nullptr);
    j["not_read"] = not_read;
    std::cout << j.dump() << "\n";
  } else {
    PrintText(*stats);
    if (!not_read.empty()) std::printf("not read          %s\n", JoinNames(not_read).c_str());
  }
  return code;
}

}  // namespace

const Command kStatsCommand = {
    "stats", "count records, series, samples and bytes in a WAL directory",
    "usage: walproof stats DIR [--json]\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/.\n"
    "Counts what the WAL holds in replay order (newest checkpoint, then the segments\n"
    "after it): records per type, series, samples, histogram samples, exemplars,\n"
    "tombstones, metadata, the sample time range, bytes and compression ratio.\n"
    "Counts are entries as logged, before any replay logic. Counting stops at the\n"
    "first corruption, which is reported.\n\n"
    "  --json   one JSON object (keys: series, samples, histogram_samples, exemplars,\n"
    "           tombstones, metadata, records_by_type, min_time, max_time, segments,\n"
    "           checkpoint, corruption, bytes, compression_ratio, not_read, status,\n"
    "           exit_code, ...). status is \"clean\", \"corruption\" or \"cannot_check\"\n"
    "           (then only dir, status, exit_code and error), as the exit code says.\n\n"
    "Files that are neither segments nor checkpoints are listed as not read.\n\n"
    "Exit codes: 0 clean; 1 corruption found; 2 usage error; 3 could not check (not\n"
    "found, not a directory, permission denied, I/O error, or no segment and no\n"
    "checkpoint there).\n",
    RunStats};

}  // namespace walproof::cli
