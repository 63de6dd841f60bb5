#include "walproof/wal/wal_stats.h"

#include <algorithm>
#include <unordered_map>

#include "walproof/format/record_codec.h"

namespace walproof {
namespace {

void SeeTime(WalStats* s, int64_t t) {
  s->min_time = s->min_time ? std::min(*s->min_time, t) : t;
  s->max_time = s->max_time ? std::max(*s->max_time, t) : t;
}

// Adds one decoded record to the counts.
struct Counter {
  WalStats* s;
  void operator()(const SeriesRecord& r) { s->series += r.series.size(); }
  void operator()(const SamplesRecord& r) {
    s->samples += r.samples.size();
    for (const RefSample& x : r.samples) SeeTime(s, x.t);
  }
  void operator()(const TombstonesRecord& r) { s->tombstones += r.tombstones.size(); }
  void operator()(const ExemplarsRecord& r) { s->exemplars += r.exemplars.size(); }
  void operator()(const MmapMarkersRecord& r) { s->mmap_markers += r.markers.size(); }
  void operator()(const MetadataRecord& r) { s->metadata += r.metadata.size(); }
  void operator()(const HistogramsRecord& r) {
    s->histogram_samples += r.histograms.size();
    for (const auto& x : r.histograms) SeeTime(s, x.t);
  }
  void operator()(const FloatHistogramsRecord& r) {
    s->histogram_samples += r.histograms.size();
    s->float_histogram_samples += r.histograms.size();
    for (const auto& x : r.histograms) SeeTime(s, x.t);
  }
  void operator()(const UnknownRecord&) { ++s->unknown_records; }
};

}  // namespace

Result<WalStats> ComputeWalStats(Fs& fs, const std::string& dir, const ProgressFn& progress) {
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  WalStats stats;
  stats.plan = *plan;
  std::unordered_map<std::string, uint64_t> start_of;  // path -> bytes before it
  for (const auto* files : {&plan->checkpoint_segments, &plan->segments}) {
    for (const SegmentFile& f : *files) {
      auto file = fs.OpenForRead(f.path);
      if (!file.ok()) return file.status();
      start_of[f.path] = stats.file_bytes;
      stats.file_bytes += (*file)->Size();
    }
  }
  WalReader reader(fs, std::move(*plan));
  std::string_view bytes;
  Record record;
  while (reader.Next(&bytes)) {
    uint8_t type = PeekRecordType(bytes);
    // Every record is decoded for its counts, but only a type replay applies
    // can be a corruption: verify fails exactly where replay stops.
    Status st = DecodeRecord(bytes, &record);
    if (!st.ok() && AppliedOnReplay(type)) {
      stats.corruption = reader.FailDecode(RecordTypeName(type), st);
      break;
    }
    ++stats.records;
    ++stats.records_by_type[type];
    stats.record_bytes += bytes.size();
    stats.stored_bytes += reader.last_stored_size();
    if (reader.last_compressed()) ++stats.compressed_records;
    if (st.ok()) {
      std::visit(Counter{&stats}, record);
    } else {
      ++stats.undecodable_skipped_records;
    }
    if (progress && stats.records % 256 == 0) {
      progress(start_of[reader.segment_path()] + reader.offset(), stats.file_bytes);
    }
  }
  if (!reader.status().ok()) {
    if (!reader.corruption()) return reader.status();  // I/O, not corruption
    stats.corruption = reader.corruption();
  }
  return stats;
}

}  // namespace walproof
