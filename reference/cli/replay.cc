// walproof replay: rebuild the head from a WAL as Prometheus does at start-up,
// and say how long it took, how much memory, where the time went, and a
// digest of the result that another replay (or another tool) can be compared
// with. Reads only.
#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "args.h"
#include "commands.h"
#include "wal_location.h"
#include "walproof/head/head.h"
#include "walproof/head/head_digest.h"
#include "walproof/head/replay.h"
#include "walproof/io/posix_fs.h"

namespace walproof::cli {
namespace {

uint64_t PeakRssBytes() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// User + system CPU seconds of the process so far: unlike wall time, barely
// moved by other load on the machine.
double CpuSeconds() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto secs = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

nlohmann::json CountersJson(const HeadCounters& c) {
  return {
      {"series_created", c.series_created},
      {"series_aliased", c.series_aliased},
      {"series_repeated", c.series_repeated},
      {"series_rebound", c.series_rebound},
      {"samples_appended", c.samples_appended},
      {"samples_too_old", c.samples_too_old},
      {"samples_unknown_ref", c.samples_unknown_ref},
      {"samples_out_of_order", c.samples_out_of_order},
      {"samples_duplicate", c.samples_duplicate},
      {"histograms_appended", c.histograms_appended},
      {"histograms_too_old", c.histograms_too_old},
      {"histograms_unknown_ref", c.histograms_unknown_ref},
      {"histograms_out_of_order", c.histograms_out_of_order},
      {"histograms_duplicate", c.histograms_duplicate},
      {"tombstones_added", c.tombstones_added},
      {"tombstones_too_old", c.tombstones_too_old},
      {"tombstones_empty", c.tombstones_empty},
      {"tombstones_unknown_ref", c.tombstones_unknown_ref},
      {"exemplars_added", c.exemplars_added},
      {"exemplars_too_old", c.exemplars_too_old},
      {"exemplars_out_of_order", c.exemplars_out_of_order},
      {"exemplars_unknown_ref", c.exemplars_unknown_ref},
      {"metadata_set", c.metadata_set},
      {"metadata_unknown_ref", c.metadata_unknown_ref},
  };
}

struct Outcome {
  ReplayReport report;
  HeadMemory memory;
  std::string digest;
  double digest_seconds = 0;
  double cpu_seconds = 0;
  uint64_t peak_rss = 0;
};

nlohmann::json OutcomeJson(const Outcome& o) {
  const ReplayReport& r = o.report;
  nlohmann::json j = {
      {"dir", r.plan.dir},
      {"mode", r.parallel ? "parallel" : "sequential"},
      {"threads", r.threads},
      {"readers", r.readers},
      {"shards", r.shards},
      {"checkpoint", r.plan.checkpoint ? nlohmann::json(*r.plan.checkpoint) : nlohmann::json(nullptr)},
      {"segments", r.plan.segments.size()},
      {"records", r.records},
      {"records_skipped", r.records_skipped},
      {"series", r.series},
      {"samples", r.samples},
      {"histogram_samples", r.histogram_samples},
      {"counters", CountersJson(r.counters)},
      {"seconds", r.seconds},
      {"cpu_seconds", o.cpu_seconds},
      {"phases",
       {{"read", r.phases.read},
        {"checksum", r.phases.checksum},
        {"decompress", r.phases.decompress},
        {"decode", r.phases.decode},
        {"route", r.phases.route},
        {"apply", r.phases.apply},
        {"wait", r.phases.wait}}},
      {"peak_rss_bytes", o.peak_rss},
      {"chunks", o.memory.chunks},
      {"chunk_bytes", o.memory.chunk_bytes},
      {"chunk_capacity_bytes", o.memory.chunk_capacity},
      {"label_bytes", o.memory.label_bytes},
      {"index_bytes", o.memory.index_bytes},
      {"digest", o.digest},
      {"digest_seconds", o.digest_seconds},
      {"corruption", nullptr},
  };
  if (r.corruption) {
    j["corruption"] = {{"segment", r.corruption->path},
                       {"segment_index", r.corruption->segment},
                       {"offset", r.corruption->offset},
                       {"reason", r.corruption->reason}};
  }
  return j;
}

void PrintText(const Outcome& o) {
  const ReplayReport& r = o.report;
  const HeadCounters& c = r.counters;
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("WAL directory     %s\n", r.plan.dir.c_str());
  if (r.plan.checkpoint) {
    std::printf("checkpoint        checkpoint.%08d (%zu segment(s))\n", *r.plan.checkpoint,
                r.plan.checkpoint_segments.size());
  }
  std::printf("segments          %zu\n", r.plan.segments.size());
  if (r.parallel) {
    if (r.readers == 0) {
      std::printf("mode              parallel, %d thread(s): %d apply shard(s), 1 router that reads\n",
                  r.threads, r.shards);
    } else {
      std::printf("mode              parallel, %d thread(s): %d reader(s), %d apply shard(s), 1 router\n",
                  r.threads, r.readers, r.shards);
    }
  } else {
    std::printf("mode              sequential\n");
  }
  std::printf("records           %llu (%llu of types replay skips)\n", u(r.records), u(r.records_skipped));
  std::printf("series            %llu (%llu aliases, %llu repeated, %llu rebound)\n", u(r.series),
              u(c.series_aliased), u(c.series_repeated), u(c.series_rebound));
  std::printf("samples           %llu appended; dropped: %llu too old, %llu unknown ref, "
              "%llu out of order, %llu duplicate\n",
              u(r.samples), u(c.samples_too_old), u(c.samples_unknown_ref), u(c.samples_out_of_order),
              u(c.samples_duplicate));
  std::printf("histograms        %llu appended; dropped: %llu too old, %llu unknown ref, "
              "%llu out of order, %llu duplicate\n",
              u(r.histogram_samples), u(c.histograms_too_old), u(c.histograms_unknown_ref),
              u(c.histograms_out_of_order), u(c.histograms_duplicate));
  std::printf("tombstones        %llu intervals; dropped: %llu too old, %llu unknown ref, %llu empty\n",
              u(c.tombstones_added), u(c.tombstones_too_old), u(c.tombstones_unknown_ref),
              u(c.tombstones_empty));
  std::printf("exemplars         %llu; dropped: %llu too old, %llu unknown ref, %llu out of order\n",
              u(c.exemplars_added), u(c.exemplars_too_old), u(c.exemplars_unknown_ref),
              u(c.exemplars_out_of_order));
  std::printf("metadata          %llu; dropped: %llu unknown ref\n", u(c.metadata_set),
              u(c.metadata_unknown_ref));
  std::printf("seconds           %.3f wall, %.3f CPU\n", r.seconds, o.cpu_seconds);
  std::printf("phases            read %.3f, checksum %.3f, decompress %.3f, decode %.3f, "
              "route %.3f, apply %.3f, wait %.3f (thread seconds)\n",
              r.phases.read, r.phases.checksum, r.phases.decompress, r.phases.decode, r.phases.route,
              r.phases.apply, r.phases.wait);
  std::printf("peak RSS          %.1f MiB\n", double(o.peak_rss) / (1024.0 * 1024.0));
  const uint64_t samples = c.samples_appended;
  std::printf("XOR chunks        %llu, %llu bytes (%.2f bytes/sample; %llu allocated)\n",
              u(o.memory.chunks), u(o.memory.chunk_bytes),
              samples ? double(o.memory.chunk_bytes) / double(samples) : 0.0, u(o.memory.chunk_capacity));
  std::printf("labels            %llu bytes\n", u(o.memory.label_bytes));
  std::printf("index             %llu bytes (series records, ref and label-set indexes)\n",
              u(o.memory.index_bytes));
  std::printf("digest            %s (%.3f s)\n", o.digest.c_str(), o.digest_seconds);
  if (r.corruption) std::printf("CORRUPTION        %s\n", r.corruption->ToString().c_str());
}

// The head's contents for a differential test against another implementation
// (scripts/differential-prometheus.sh): every series by labels with its float
// samples as a query would return them (tombstoned ones left out). Values are
// strings in the shortest form that reads back to the same double.
bool WriteSamples(const Head& head, const std::string& path) {
  std::ofstream out(path);
  out << "{\"series\":[";
  char buf[64];
  bool first_series = true;
  for (SeriesId id : head.SortedSeries()) {
    nlohmann::json labels = nlohmann::json::object();
    for (const Label& l : head.labels(id)) labels[l.name] = l.value;
    out << (first_series ? "\n" : ",\n") << "{\"labels\":" << labels.dump() << ",\"samples\":[";
    first_series = false;
    bool first = true;
    for (Head::FloatIterator it(head, id); it.Next();) {
      if (head.IsDeleted(id, it.t())) continue;
      auto r = std::to_chars(buf, buf + sizeof buf, it.v());
      out << (first ? "" : ",") << "[" << it.t() << ",\"" << std::string_view(buf, r.ptr - buf) << "\"]";
      first = false;
    }
    out << "]}";
  }
  out << "\n]}\n";
  out.flush();
  return static_cast<bool>(out);
}

int RunReplay(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  ArgSpec spec{.value_flags = {"threads", "min-valid-time", "samples-out"}, .bool_flags = {"sequential", "json"}};
  if (!ParseOrExit(kReplayCommand, argv, spec, 1, &args, &code)) return code;
  long long threads = 0, min_valid = 0;
  std::string error;
  // --threads N is N threads in all (ReplayParallel): one per CPU.
  const long long cpus = std::max(1u, std::thread::hardware_concurrency());
  const long long default_threads = cpus;
  if (!args.GetInt("threads", default_threads, &threads, &error) ||
      !args.GetInt("min-valid-time", std::numeric_limits<long long>::min(), &min_valid, &error)) {
    std::fprintf(stderr, "walproof replay: %s\n", error.c_str());
    return kExitUsage;
  }
  if (threads < 1 || threads > 1024) {
    std::fprintf(stderr, "walproof replay: --threads must be between 1 and 1024\n");
    return kExitUsage;
  }
  if (args.Has("sequential") && args.Has("threads")) {
    std::fprintf(stderr, "walproof replay: --sequential and --threads exclude each other\n");
    return kExitUsage;
  }

  const bool json = args.Has("json");
  auto cannot = [&](const std::string& error, int exit_code) {
    return ReportStop("replay", args.positional()[0], json, error, exit_code);
  };
  Fs& fs = PosixFs();
  auto loc = LocateForReading(fs, args.positional()[0], &error, &code);
  if (!loc) return cannot(error, code);
  if (loc->via_data_dir) std::fprintf(json ? stderr : stdout, "%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  const std::string& dir = loc->wal_dir;
  Head head(HeadOptions{.min_valid_time = min_valid});
  ReplayOptions options;
  Outcome out;
  const double cpu0 = CpuSeconds();
  Status st = args.Has("sequential")
                  ? ReplaySequential(fs, dir, &head, options, &out.report)
                  : ReplayParallel(fs, dir, &head, options, static_cast<int>(threads),
                                   &out.report);
  out.cpu_seconds = CpuSeconds() - cpu0;
  out.peak_rss = PeakRssBytes();
  if (!st.ok() && !out.report.corruption) return cannot(st.ToString(), ExitCodeFor(st));
  const auto t0 = std::chrono::steady_clock::now();
  out.digest = DigestHead(head, static_cast<int>(cpus)).Hex();
  out.digest_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.memory = head.Memory();
  if (args.Has("samples-out") && !WriteSamples(head, args.Get("samples-out"))) {
    std::fprintf(stderr, "walproof replay: cannot write %s\n", args.Get("samples-out").c_str());
    return kExitCannotCheck;
  }
  code = out.report.corruption ? kExitFound : kExitOk;
  const std::vector<std::string> not_read = loc->NotRead();
  if (json) {
    nlohmann::json j = OutcomeJson(out);
    j["status"] = ExitCodeName(code);
    j["exit_code"] = code;
    j["data_dir"] = loc->via_data_dir ? nlohmann::json(loc->arg) : nlohmann::json(nullptr);
    j["not_read"] = not_read;
    std::cout << j.dump() << "\n";
  } else {
    PrintText(out);
    if (!not_read.empty()) std::printf("not read          %s\n", JoinNames(not_read).c_str());
  }
  return code;
}

}  // namespace

const Command kReplayCommand = {
    "replay", "replay a WAL into an in-memory head; time, memory and digest",
    "usage: walproof replay DIR [--threads N | --sequential] [--min-valid-time MS] [--json]\n"
    "                      [--samples-out FILE]\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/.\n"
    "Replays the WAL the way Prometheus does at start-up (newest checkpoint, then\n"
    "the segments after it) into an in-memory head: series with aliases, float\n"
    "samples in XOR chunks, histograms, tombstones, exemplars and metadata. Stops at\n"
    "the first corruption, keeping what came before it, as Prometheus does.\n\n"
    "Reports series, samples appended and dropped (too old, unknown ref, out of\n"
    "order, duplicate), wall and CPU seconds, per-phase thread seconds (read,\n"
    "checksum, decompress, decode, route, apply; wait is time parallel threads\n"
    "spent blocked), peak RSS, XOR chunk bytes, and a digest of the head's\n"
    "contents (series by labels, samples, histograms, tombstones, exemplars,\n"
    "metadata; independent of refs and thread count) to compare runs.\n\n"
    "  --threads N          N threads in all: a router that also reads below 4,\n"
    "                       then a third of the rest read, the others append\n"
    "                       (default: one per CPU)\n"
    "  --sequential         the single-threaded reference replay\n"
    "  --min-valid-time MS  drop samples older than MS, as a head with blocks does\n"
    "  --samples-out FILE   also write every series (labels) with its float samples\n"
    "                       ([t, \"value\"], tombstoned ones left out) as JSON to FILE\n"
    "  --json               one JSON object (keys: series, samples, digest, seconds,\n"
    "                       peak_rss_bytes, phases, threads, corruption, counters,\n"
    "                       status, exit_code, not_read, ...). status is \"clean\",\n"
    "                       \"corruption\" or \"cannot_check\" (then only dir, status,\n"
    "                       exit_code and error), as the exit code says.\n\n"
    "Exit codes: 0 clean; 1 corruption found (reported; the head holds what came\n"
    "before it); 2 usage error; 3 could not check (not found, not a directory,\n"
    "permission denied, I/O error, or no segment and no checkpoint there).\n",
    RunReplay};

}  // namespace walproof::cli
