// walproof dump: one JSON line per record, for people and for diffs.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "wal_location.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/wal_reader.h"

namespace walproof::cli {
namespace {

using nlohmann::json;

// JSON has no NaN or infinity; write those as strings that keep the bits
// (the stale marker is a NaN with a payload that matters).
json Value(double v) {
  if (std::isfinite(v)) return v;
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  char buf[40];
  std::snprintf(buf, sizeof buf, "NaN(0x%016llx)", static_cast<unsigned long long>(bits));
  return buf;
}

json LabelsJson(const Labels& labels) {
  json j = json::object();
  for (const Label& l : labels) j[l.name] = l.value;
  return j;
}

json SpansJson(const std::vector<HistogramSpan>& spans) {
  json j = json::array();
  for (const auto& s : spans) j.push_back({s.offset, s.length});
  return j;
}

template <typename H>
json HistogramJson(const H& h) {
  json pos = json::array(), neg = json::array();
  for (auto b : h.positive_buckets) pos.push_back(Value(static_cast<double>(b)));
  for (auto b : h.negative_buckets) neg.push_back(Value(static_cast<double>(b)));
  return {{"counter_reset_hint", h.counter_reset_hint},
          {"schema", h.schema},
          {"zero_threshold", Value(h.zero_threshold)},
          {"zero_count", Value(static_cast<double>(h.zero_count))},
          {"count", Value(static_cast<double>(h.count))},
          {"sum", Value(h.sum)},
          {"positive_spans", SpansJson(h.positive_spans)},
          {"negative_spans", SpansJson(h.negative_spans)},
          {"positive_buckets", pos},
          {"negative_buckets", neg}};
}

struct EntriesJson {
  json operator()(const SeriesRecord& r) {
    json a = json::array();
    for (const auto& s : r.series) a.push_back({{"ref", s.ref}, {"labels", LabelsJson(s.labels)}});
    return a;
  }
  json operator()(const SamplesRecord& r) {
    json a = json::array();
    for (const auto& s : r.samples) a.push_back({{"ref", s.ref}, {"t", s.t}, {"v", Value(s.v)}});
    return a;
  }
  json operator()(const TombstonesRecord& r) {
    json a = json::array();
    for (const auto& s : r.tombstones) a.push_back({{"ref", s.ref}, {"mint", s.mint}, {"maxt", s.maxt}});
    return a;
  }
  json operator()(const ExemplarsRecord& r) {
    json a = json::array();
    for (const auto& e : r.exemplars) {
      a.push_back({{"ref", e.ref}, {"t", e.t}, {"v", Value(e.v)}, {"labels", LabelsJson(e.labels)}});
    }
    return a;
  }
  json operator()(const MmapMarkersRecord& r) {
    json a = json::array();
    for (const auto& m : r.markers) a.push_back({{"ref", m.ref}, {"mmap_ref", m.mmap_ref}});
    return a;
  }
  json operator()(const MetadataRecord& r) {
    json a = json::array();
    for (const auto& m : r.metadata) {
      a.push_back({{"ref", m.ref}, {"type", m.type}, {"unit", m.unit}, {"help", m.help}});
    }
    return a;
  }
  json operator()(const HistogramsRecord& r) {
    json a = json::array();
    for (const auto& h : r.histograms) a.push_back({{"ref", h.ref}, {"t", h.t}, {"h", HistogramJson(h.h)}});
    return a;
  }
  json operator()(const FloatHistogramsRecord& r) {
    json a = json::array();
    for (const auto& h : r.histograms) a.push_back({{"ref", h.ref}, {"t", h.t}, {"h", HistogramJson(h.h)}});
    return a;
  }
  json operator()(const UnknownRecord&) { return json::array(); }
};

int RunDump(const std::vector<std::string>& argv) {
  Args args;
  int code = 0;
  if (!ParseOrExit(kDumpCommand, argv, {}, 1, &args, &code)) return code;
  Fs& fs = PosixFs();
  std::string error;
  auto loc = LocateForReading(fs, args.positional()[0], &error, &code);
  if (!loc) {
    std::fprintf(stderr, "walproof dump: %s\n", error.c_str());
    return code;
  }
  // stdout is all JSON lines: what is said about the directory goes to stderr.
  if (loc->via_data_dir) std::fprintf(stderr, "%s\n", loc->UsingLine().c_str());
  if (auto not_read = loc->NotRead(); !not_read.empty()) {
    std::fprintf(stderr, "note: not read: %s\n", JoinNames(not_read).c_str());
  }
  auto plan = PlanWalRead(fs, loc->wal_dir);
  if (!plan.ok()) {
    std::fprintf(stderr, "walproof dump: %s\n", plan.status().ToString().c_str());
    return ExitCodeFor(plan.status());
  }
  WalReader reader(fs, std::move(*plan));
  std::string_view bytes;
  Record record;
  while (reader.Next(&bytes)) {
    uint8_t type = PeekRecordType(bytes);
    Status st = DecodeRecord(bytes, &record);
    // A body replay never reads (mmap markers, unknown types) is shown as
    // undecodable, not as the corruption that stops replay: the one rule of
    // AppliedOnReplay.
    if (!st.ok() && AppliedOnReplay(type)) {
      reader.FailDecode(RecordTypeName(type), st);
      break;
    }
    json line = {{"source", reader.in_checkpoint() ? "checkpoint" : "segment"},
                 {"segment", reader.segment()},
                 {"end_offset", reader.offset()},
                 {"type", type},
                 {"type_name", RecordTypeName(type)},
                 {"bytes", bytes.size()},
                 {"compressed", reader.last_compressed()},
                 {"entries", st.ok() ? std::visit(EntriesJson{}, record) : json(nullptr)}};
    if (!st.ok()) line["decode_error"] = st.message();
    std::cout << line.dump() << "\n";
  }
  std::cout.flush();
  if (!reader.status().ok()) {
    std::fprintf(stderr, "%s\n", reader.status().message().c_str());
    return ExitCodeFor(reader.status());
  }
  return kExitOk;
}

}  // namespace

const Command kDumpCommand = {
    "dump", "print every record as one JSON line",
    "usage: walproof dump DIR\n\n"
    "DIR is the WAL directory or the Prometheus data directory holding wal/ (said on\n"
    "stderr, with any files that are not read).\n"
    "Prints one JSON object per record in replay order: where it came from (checkpoint\n"
    "or segment, and the offset just past it), its type, size, whether it was\n"
    "compressed, and its entries. Non-finite values are strings that keep their bits,\n"
    "e.g. the stale marker \"NaN(0x7ff0000000000002)\". Stops at the first corruption,\n"
    "reported on stderr. A record of a type replay skips (mmap markers, unknown types)\n"
    "whose body does not decode is printed with entries null and its decode_error.\n\n"
    "Exit codes: 0 clean; 1 corruption found; 2 usage error; 3 could not check (not\n"
    "found, not a directory, permission denied, I/O error, or no segment and no\n"
    "checkpoint there).\n",
    RunDump};

}  // namespace walproof::cli
