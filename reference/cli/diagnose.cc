// walproof diagnose: why is this WAL slow to replay, and is it damaged?
//
// Reads every segment (those covered by the checkpoint too) and answers the
// questions an operator has after a slow or failed Prometheus start: how big
// the WAL is, whether checkpoints are happening, how much time it spans
// against the 2 h block range, how many series it creates, where the first
// corruption is, and roughly how long replay will take and how much memory.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "replay_model.h"
#include "wal_location.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::cli {
namespace {

constexpr double kBlockRangeHours = 2.0;

struct SegmentSummary {
  int index = 0;
  bool in_checkpoint = false;
  uint64_t bytes = 0;
  uint64_t records = 0;
  uint64_t series = 0;
  uint64_t samples = 0;
  std::optional<int64_t> min_t, max_t;
  std::optional<CorruptionInfo> corruption;
  Status io_error;  // reading stopped for a reason that is not corruption (I/O, permission)
};

void SeeTime(SegmentSummary* s, int64_t t) {
  s->min_t = s->min_t ? std::min(*s->min_t, t) : t;
  s->max_t = s->max_t ? std::max(*s->max_t, t) : t;
}

// Reads one stream (a WAL segment, or a checkpoint's segments) and sums it up.
SegmentSummary Summarize(Fs& fs, std::vector<SegmentFile> files, bool in_checkpoint,
                         std::set<std::string>* label_sets, uint64_t* series_entries) {
  SegmentSummary s;
  s.index = files.empty() ? -1 : files.front().index;
  s.in_checkpoint = in_checkpoint;
  for (const SegmentFile& f : files) {
    if (auto file = fs.OpenForRead(f.path); file.ok()) s.bytes += (*file)->Size();
  }
  SegmentReader reader(fs, std::move(files));
  std::string_view rec;
  std::vector<RefSeries> series;
  std::vector<RefSample> samples;
  Record any;
  while (reader.Next(&rec)) {
    ++s.records;
    uint8_t type = PeekRecordType(rec);
    Status st;
    if (type == static_cast<uint8_t>(RecordType::kSeries)) {
      st = DecodeSeries(rec, &series);
      s.series += series.size();
      *series_entries += series.size();
      for (const RefSeries& x : series) {
        std::string key;
        for (const Label& l : x.labels) key += l.name + '\xff' + l.value + '\xfe';
        label_sets->insert(std::move(key));
      }
    } else if (type == static_cast<uint8_t>(RecordType::kSamples)) {
      st = DecodeSamples(rec, &samples);
      s.samples += samples.size();
      for (const RefSample& x : samples) SeeTime(&s, x.t);
    } else {
      st = DecodeRecord(rec, &any);
    }
    if (!st.ok()) {
      s.corruption = CorruptionInfo{reader.segment_path(), reader.segment(), reader.offset(),
                                    "decode " + std::string(RecordTypeName(type)) + ": " + st.message()};
      return s;
    }
  }
  if (reader.corruption()) {
    s.corruption = reader.corruption();
  } else if (!reader.status().ok()) {
    s.io_error = reader.status();
  }
  return s;
}

nlohmann::json EstimateJson(const ReplayEstimate& e) {
  nlohmann::json parts = nlohmann::json::array();
  for (const ReplayEstimate::Part& p : e.parts) parts.push_back({{"part", p.name}, {"cpu_seconds", p.cpu_seconds}});
  return {{"seconds", e.seconds}, {"cpu_seconds", e.cpu_seconds}, {"cores", e.cores}, {"bound", e.bound},
          {"memory_bytes", e.memory_bytes}, {"parts", parts}};
}

std::string Hours(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f h", double(ms) / 3.6e6);
  return buf;
}

int RunDiagnose(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  if (!ParseOrExit(kDiagnoseCommand, argv, {.value_flags = {}, .bool_flags = {"json"}}, 1, &args, &code)) {
    return code;
  }
  const bool json = args.Has("json");
  auto cannot = [&](const std::string& error, int exit_code) {
    return ReportStop("diagnose", args.positional()[0], json, error, exit_code);
  };
  Fs& fs = PosixFs();
  std::string error;
  auto loc = LocateForReading(fs, args.positional()[0], &error, &code);
  if (!loc) return cannot(error, code);
  if (loc->via_data_dir) std::fprintf(json ? stderr : stdout, "%s\n", loc->UsingLine().c_str());
  std::fflush(stdout);  // the first line, also when stdout and stderr share a file
  const std::string& dir = loc->wal_dir;
  const WalDirListing* listing = &loc->listing;
  std::vector<std::string> findings;  // what an operator should act on
  std::set<std::string> label_sets;
  uint64_t series_entries = 0;
  std::vector<SegmentSummary> summaries;

  const CheckpointEntry* cp = listing->LastCheckpoint();
  std::optional<SegmentSummary> checkpoint;
  std::string checkpoint_error;
  if (cp) {
    std::string cp_dir = JoinPath(dir, cp->name);
    auto segs = cp->is_dir ? ListSequentialSegments(fs, cp_dir) : Result<std::vector<int>>(
        Status::Corruption(cp_dir + " is not a directory"));
    if (!segs.ok()) {
      checkpoint_error = segs.status().message();
    } else if (segs->empty()) {
      checkpoint_error = cp_dir + " holds no segment";
    } else {
      std::vector<SegmentFile> files;
      for (int s : *segs) files.push_back({s, JoinPath(cp_dir, SegmentFileName(s))});
      checkpoint = Summarize(fs, files, true, &label_sets, &series_entries);
    }
  }
  uint64_t total_bytes = 0;
  for (int s : listing->segments) {
    if (auto f = fs.OpenForRead(JoinPath(dir, SegmentFileName(s))); f.ok()) total_bytes += (*f)->Size();
  }
  Progress bar("diagnose", total_bytes);
  uint64_t done_bytes = 0;
  for (int s : listing->segments) {
    summaries.push_back(Summarize(fs, {{s, JoinPath(dir, SegmentFileName(s))}}, false, &label_sets,
                                  &series_entries));
    done_bytes += summaries.back().bytes;
    bar.Update(done_bytes, total_bytes);
  }

  // A segment that could not be read (permission, I/O) leaves nothing to judge.
  if (checkpoint && !checkpoint->io_error.ok()) return cannot(checkpoint->io_error.ToString(), kExitCannotCheck);
  for (const SegmentSummary& s : summaries) {
    if (!s.io_error.ok()) return cannot(s.io_error.ToString(), kExitCannotCheck);
  }

  // What replay would read: the checkpoint, then segments after it.
  int first_replayed = cp ? cp->index + 1 : (listing->segments.empty() ? 0 : listing->segments.front());
  uint64_t replay_bytes = checkpoint ? checkpoint->bytes : 0;
  std::optional<int64_t> min_t, max_t;
  const CorruptionInfo* first_corruption = checkpoint && checkpoint->corruption ? &*checkpoint->corruption : nullptr;
  uint64_t samples = checkpoint ? checkpoint->samples : 0;
  uint64_t replay_series = checkpoint ? checkpoint->series : 0;
  for (const SegmentSummary& s : summaries) {
    if (s.index < first_replayed) continue;
    replay_bytes += s.bytes;
    samples += s.samples;
    replay_series += s.series;
    if (s.min_t) min_t = min_t ? std::min(*min_t, *s.min_t) : *s.min_t;
    if (s.max_t) max_t = max_t ? std::max(*max_t, *s.max_t) : *s.max_t;
    if (!first_corruption && s.corruption) first_corruption = &*s.corruption;
  }
  if (checkpoint && checkpoint->min_t) min_t = min_t ? std::min(*min_t, *checkpoint->min_t) : *checkpoint->min_t;

  // Findings, most urgent first.
  if (!checkpoint_error.empty()) {
    findings.push_back("the checkpoint is unusable: " + checkpoint_error +
                       "; Prometheus 2.42 cannot start on it (#6976) and repair must not truncate "
                       "segments for it (#7530)");
  }
  if (first_corruption) {
    findings.push_back("corruption: " + first_corruption->ToString() +
                       (first_corruption->path.find("checkpoint.") != std::string::npos
                            ? " (inside the checkpoint: truncating segments cannot fix it)"
                            : "; every later checkpoint will fail until it is repaired "
                              "(walproof repair shows what that drops)"));
  }
  if (auto gap = listing->FirstGap()) {
    findings.push_back("segments are not sequential: " + SegmentFileName(gap->first) + " then " +
                       SegmentFileName(gap->second) + "; Prometheus refuses to open this WAL");
  }
  for (const std::string& r : listing->repair_files) {
    findings.push_back("leftover " + r + " from an interrupted Prometheus repair (#6080)");
  }
  for (const std::string& t : listing->tmp_checkpoints) {
    findings.push_back("leftover " + t + " from an interrupted checkpoint (removed on next start)");
  }
  std::vector<std::string> other_names;
  {
    WalLocation others = *loc;
    others.listing.repair_files.clear();
    others.listing.tmp_checkpoints.clear();
    other_names = others.NotRead();  // reported above when leftovers of Prometheus
  }
  double span_h = min_t && max_t ? double(*max_t - *min_t) / 3.6e6 : 0;
  if (span_h > 1.5 * kBlockRangeHours + 0.5) {
    findings.push_back("the WAL spans " + Hours(*max_t - *min_t) + " of samples, far more than the " +
                       "~3 h a healthy WAL keeps (2 h block range): checkpoints or head compaction are "
                       "failing, so every restart replays all of it");
  }
  size_t behind = cp && !listing->segments.empty() && listing->segments.back() > cp->index
                      ? static_cast<size_t>(listing->segments.back() - cp->index) : listing->segments.size();
  const ReplayEstimate est = EstimatePrometheusReplay(
      {.bytes = replay_bytes, .samples = samples, .series_entries = replay_series},
      std::max(1u, std::thread::hardware_concurrency()));

  const int exit_code = findings.empty() ? kExitOk : kExitFound;
  if (json) {
    nlohmann::json j = {
        {"dir", dir},
        {"data_dir", loc->via_data_dir ? nlohmann::json(loc->arg) : nlohmann::json(nullptr)},
        {"status", findings.empty() ? "clean" : "findings"},
        {"exit_code", exit_code},
        {"not_read", loc->NotRead()},
        {"segments", listing->segments.size()},
        {"segment_bytes", total_bytes},
        {"checkpoint", cp ? nlohmann::json(cp->index) : nlohmann::json(nullptr)},
        {"segments_after_checkpoint", behind},
        {"replay_bytes", replay_bytes},
        {"span_hours", span_h},
        {"min_time", min_t ? nlohmann::json(*min_t) : nlohmann::json(nullptr)},
        {"max_time", max_t ? nlohmann::json(*max_t) : nlohmann::json(nullptr)},
        {"series_entries", series_entries},
        {"distinct_series", label_sets.size()},
        {"samples", samples},
        {"first_corruption", first_corruption ? nlohmann::json(first_corruption->ToString()) : nlohmann::json(nullptr)},
        {"estimated_prometheus_replay_seconds", est.seconds},
        {"estimated_prometheus_memory_bytes", est.memory_bytes},
        {"estimate", EstimateJson(est)},
        {"findings", findings},
    };
    std::cout << j.dump() << "\n";
    return exit_code;
  }

  std::printf("WAL directory        %s\n", dir.c_str());
  if (listing->segments.empty()) {
    std::printf("segments             none\n");
  } else {
    std::printf("segments             %zu (%08d..%08d), %.1f MB\n", listing->segments.size(),
                listing->segments.front(), listing->segments.back(), total_bytes / 1e6);
  }
  if (cp) {
    std::printf("checkpoint           %s, %zu segment(s) written since", cp->name.c_str(), behind);
    if (checkpoint && checkpoint->max_t && max_t) {
      std::printf("; its newest sample is %s older than the WAL's newest",
                  Hours(*max_t - *checkpoint->max_t).c_str());
    }
    std::printf("\n");
  } else {
    std::printf("checkpoint           none (replay starts at the first segment)\n");
  }
  if (min_t && max_t) {
    std::printf("time span            %s of samples (block range %.0f h; a healthy WAL spans about 3 h)\n",
                Hours(*max_t - *min_t).c_str(), kBlockRangeHours);
  }
  std::printf("series               %zu distinct label sets in %llu series entries", label_sets.size(),
              static_cast<unsigned long long>(series_entries));
  if (series_entries > label_sets.size()) {
    std::printf(" (%llu logged again, by restarts, checkpoints or churn)",
                static_cast<unsigned long long>(series_entries - label_sets.size()));
  }
  if (span_h >= 1) std::printf("; %.0f new label sets per hour", label_sets.size() / span_h);
  std::printf("\n");
  std::printf("samples to replay    %llu from %.1f MB\n", static_cast<unsigned long long>(samples),
              replay_bytes / 1e6);
  std::printf("first corruption     %s\n", first_corruption ? first_corruption->ToString().c_str() : "none");
  if (!other_names.empty()) std::printf("not read             %s\n", JoinNames(other_names).c_str());
  std::printf("estimate             Prometheus 2.42 replay ~%.1f s on %u cores (%.1f CPU s), peak memory "
              "~%.0f MB; bound by %s\n", est.seconds, est.cores, est.cpu_seconds, est.memory_bytes / 1e6,
              est.bound.c_str());
  for (const ReplayEstimate::Part& p : est.parts) {
    std::printf("                       %5.1f CPU s  %s\n", p.cpu_seconds, p.name.c_str());
  }
  std::printf("                     (a model of 2.42's measured replay: docs/replay-time.md)\n");
  if (findings.empty()) {
    std::printf("\nno problems found\n");
    return kExitOk;
  }
  std::printf("\nfindings:\n");
  for (const std::string& f : findings) std::printf("  - %s\n", f.c_str());
  return kExitFound;
}

}  // namespace

const Command kDiagnoseCommand = {
    "diagnose", "explain why a WAL replays slowly, and whether it is damaged",
    "usage: walproof diagnose DIR [--json]\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/.\n"
    "Reads every segment and the newest checkpoint (never writes) and reports: the\n"
    "number and size of segments, the checkpoint and how far behind it is, the time\n"
    "span of the samples against the 2 h block range (a WAL spanning far more than\n"
    "~3 h means checkpoints are failing), series churn, the first corruption,\n"
    "leftovers of interrupted work, and an estimate of Prometheus 2.42's replay on\n"
    "this machine's cores: time, CPU and peak memory, part by part (reading and\n"
    "decoding, processWALSamples, series creation, allocation and GC), and which\n"
    "part bounds it (a model of measured replays: docs/replay-time.md).\n\n"
    "  --json   one JSON object; its status is \"clean\", \"findings\" or \"cannot_check\"\n"
    "           (then only dir, status, exit_code and error), as the exit code says.\n\n"
    "Exit codes: 0 no problem found; 1 findings (listed: corruption, leftovers, ...);\n"
    "2 usage error; 3 could not check (not found, not a directory, permission denied,\n"
    "I/O error, or no segment and no checkpoint there).\n",
    RunDiagnose};

}  // namespace walproof::cli
