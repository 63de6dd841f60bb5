// Checkpoint and truncation: "read, filter, write", then delete what the new
// checkpoint covers, in the order that checkpoint.h argues is crash-safe.
#include "walproof/wal/checkpoint.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "walproof/format/record_codec.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_writer.h"

namespace walproof {
namespace {

// Upstream flushes filtered records to the checkpoint in 1 MB batches.
constexpr size_t kFlushBytes = 1 << 20;

bool Walproof(DurabilityProtocol p) { return p == DurabilityProtocol::kWalproof; }

// The segments of a checkpoint directory, or why it cannot be used.
Result<std::vector<SegmentFile>> CheckpointSegments(Fs& fs, const std::string& dir,
                                                    const CheckpointEntry& cp) {
  const std::string path = JoinPath(dir, cp.name);
  if (!cp.is_dir) return Status::Corruption("checkpoint " + path + " is not a directory");
  auto segments = ListSequentialSegments(fs, path);
  if (!segments.ok()) return segments.status();
  if (segments->empty()) {
    return Status::Corruption("checkpoint " + path +
                              " holds no segment (an interrupted or damaged checkpoint)");
  }
  std::vector<SegmentFile> out;
  for (int s : *segments) out.push_back({s, JoinPath(path, SegmentFileName(s))});
  return out;
}

// Filters decoded records into re-encoded ones, counting as it goes.
class CheckpointFilter {
 public:
  CheckpointFilter(const KeepSeriesFn& keep, int64_t mint, const CheckpointOptions& options,
                   CheckpointStats* stats)
      : keep_(keep), mint_(mint), options_(options), stats_(stats) {}

  // Appends the filtered form of `rec` to *out (nothing when all of it goes).
  Status Add(std::string_view rec, std::string* out) {
    const uint8_t type = PeekRecordType(rec);
    switch (static_cast<RecordType>(type)) {
      case RecordType::kSeries: {
        WALPROOF_RETURN_IF_ERROR(DecodeSeries(rec, &series_));
        const size_t n = series_.size();
        std::erase_if(series_, [&](const RefSeries& s) { return !keep_(s.ref); });
        for (const RefSeries& s : series_) defined_.insert(s.ref);
        stats_->total_series += n;
        stats_->dropped_series += n - series_.size();
        if (!series_.empty()) EncodeSeries(series_, out);
        return Status::Ok();
      }
      case RecordType::kSamples: {
        WALPROOF_RETURN_IF_ERROR(DecodeSamples(rec, &samples_));
        const size_t n = samples_.size();
        std::erase_if(samples_, [&](const RefSample& s) { return s.t < mint_; });
        stats_->total_samples += n;
        stats_->dropped_samples += n - samples_.size();
        if (!samples_.empty()) EncodeSamples(samples_, out);
        return Status::Ok();
      }
      case RecordType::kHistogramSamples: {
        WALPROOF_RETURN_IF_ERROR(DecodeHistogramSamples(rec, &histograms_));
        const size_t n = histograms_.size();
        std::erase_if(histograms_, [&](const RefHistogramSample& h) { return h.t < mint_; });
        stats_->total_histograms += n;
        stats_->dropped_histograms += n - histograms_.size();
        if (!histograms_.empty()) EncodeHistogramSamples(histograms_, out);
        return Status::Ok();
      }
      case RecordType::kFloatHistogramSamples: {
        // Kept like integer histograms; 2.42 dropped them (fixed in 2.52).
        WALPROOF_RETURN_IF_ERROR(DecodeFloatHistogramSamples(rec, &float_histograms_));
        const size_t n = float_histograms_.size();
        std::erase_if(float_histograms_,
                      [&](const RefFloatHistogramSample& h) { return h.t < mint_; });
        stats_->total_histograms += n;
        stats_->dropped_histograms += n - float_histograms_.size();
        if (!float_histograms_.empty()) EncodeFloatHistogramSamples(float_histograms_, out);
        return Status::Ok();
      }
      case RecordType::kTombstones: {
        WALPROOF_RETURN_IF_ERROR(DecodeTombstones(rec, &tombstones_));
        const size_t n = tombstones_.size();
        // Upstream decodes one interval per entry, so "any interval of the
        // stone reaches mint" is this entry's maxt >= mint.
        std::erase_if(tombstones_, [&](const RefTombstone& t) {
          if (t.maxt < mint_) return true;
          return !options_.keep_tombstones_of_dropped_series && !keep_(t.ref);
        });
        stats_->total_tombstones += n;
        stats_->dropped_tombstones += n - tombstones_.size();
        if (!tombstones_.empty()) EncodeTombstones(tombstones_, out);
        return Status::Ok();
      }
      case RecordType::kExemplars: {
        WALPROOF_RETURN_IF_ERROR(DecodeExemplars(rec, &exemplars_));
        const size_t n = exemplars_.size();
        std::erase_if(exemplars_, [&](const RefExemplar& e) { return e.t < mint_; });
        stats_->total_exemplars += n;
        stats_->dropped_exemplars += n - exemplars_.size();
        if (!exemplars_.empty()) EncodeExemplars(exemplars_, out);
        return Status::Ok();
      }
      case RecordType::kMetadata: {
        WALPROOF_RETURN_IF_ERROR(DecodeMetadata(rec, &metadata_));
        stats_->total_metadata += metadata_.size();
        // Only metadata replay would apply: a ref whose Series record came
        // first (replay drops the others as unknown refs).
        for (RefMetadata& m : metadata_) {
          if (keep_(m.ref) && defined_.count(m.ref)) {
            latest_metadata_[m.ref] = {next_metadata_seq_++, std::move(m)};
          }
        }
        return Status::Ok();
      }
      case RecordType::kMmapMarkers: {
        // Markers belong to the out-of-order WBL's chunks; a checkpoint has
        // none. Replay skips them unread (AppliedOnReplay), so a malformed
        // one is dropped like an unknown type, never a corruption.
        if (DecodeMmapMarkers(rec, &markers_).ok()) {
          stats_->dropped_mmap_markers += markers_.size();
        } else {
          ++stats_->dropped_unknown_records;
        }
        return Status::Ok();
      }
    }
    // A type from a newer Prometheus (or 0): skipped, as upstream does.
    ++stats_->dropped_unknown_records;
    return Status::Ok();
  }

  // The latest metadata of every kept ref as one record (empty when none), in
  // the order those entries were logged: refs aliased to one series then end
  // with the metadata the whole WAL ends with.
  std::string MetadataRecord() {
    stats_->dropped_metadata = stats_->total_metadata - latest_metadata_.size();
    if (latest_metadata_.empty()) return {};
    std::vector<std::pair<uint64_t, RefMetadata>> by_seq;
    by_seq.reserve(latest_metadata_.size());
    for (auto& [ref, m] : latest_metadata_) by_seq.push_back(std::move(m));
    std::sort(by_seq.begin(), by_seq.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<RefMetadata> all;
    all.reserve(by_seq.size());
    for (auto& [seq, m] : by_seq) all.push_back(std::move(m));
    std::string out;
    EncodeMetadata(all, &out);
    return out;
  }

 private:
  const KeepSeriesFn& keep_;
  const int64_t mint_;
  const CheckpointOptions& options_;
  CheckpointStats* stats_;
  std::vector<RefSeries> series_;
  std::vector<RefSample> samples_;
  std::vector<RefHistogramSample> histograms_;
  std::vector<RefFloatHistogramSample> float_histograms_;
  std::vector<RefTombstone> tombstones_;
  std::vector<RefExemplar> exemplars_;
  std::vector<RefMetadata> metadata_;
  std::vector<RefMmapMarker> markers_;
  std::set<uint64_t> defined_;  // kept refs seen in a Series record so far
  uint64_t next_metadata_seq_ = 0;
  std::map<uint64_t, std::pair<uint64_t, RefMetadata>> latest_metadata_;  // ref -> (seq, latest)
};

// Reads the input stream and writes the filtered records through `writer`
// (nullptr in a dry run).
Status FilterInto(Fs& fs, std::vector<SegmentFile> inputs, CheckpointFilter* filter,
                  WalWriter* writer, CheckpointStats* stats) {
  // One stream over the old checkpoint and the segments, as upstream reads it.
  SegmentReader reader(fs, std::move(inputs));
  std::vector<std::string> batch;
  size_t batch_bytes = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    stats->records_written += batch.size();
    Status st = writer ? writer->Log(batch) : Status::Ok();
    batch.clear();
    batch_bytes = 0;
    return st;
  };
  std::string_view rec;
  std::string out;
  while (reader.Next(&rec)) {
    ++stats->records_read;
    out.clear();
    Status st = filter->Add(rec, &out);
    if (!st.ok()) {
      // A record that does not decode is corruption at that record, as in
      // Prometheus ("decode series: ...").
      CorruptionInfo c{reader.segment_path(), reader.segment(), reader.offset(),
                       std::string("decode ") + RecordTypeName(PeekRecordType(rec)) + ": " +
                           st.message()};
      return Status::Corruption("checkpoint input: " + c.ToString());
    }
    if (out.empty()) continue;
    batch_bytes += out.size();
    batch.push_back(std::move(out));
    out = std::string();
    if (batch_bytes > kFlushBytes) WALPROOF_RETURN_IF_ERROR(flush());
  }
  if (!reader.status().ok()) {
    // Repairing is not an option here: the head would not know which series
    // records were lost.
    return reader.corruption() ? Status::Corruption("checkpoint input: " + reader.corruption()->ToString())
                               : reader.status();
  }
  WALPROOF_RETURN_IF_ERROR(flush());
  std::string metadata = filter->MetadataRecord();
  if (!metadata.empty()) {
    batch.push_back(std::move(metadata));
    WALPROOF_RETURN_IF_ERROR(flush());
  }
  return Status::Ok();
}

Status SyncDirIf(Fs& fs, bool sync, const std::string& dir) {
  return sync ? fs.SyncDir(dir) : Status::Ok();
}

}  // namespace

Result<CheckpointStats> Checkpoint(Fs& fs, const std::string& dir, int from, int to,
                                   const KeepSeriesFn& keep, int64_t mint,
                                   const CheckpointOptions& options) {
  CheckpointStats stats;
  stats.index = to;
  stats.dir = JoinPath(dir, CheckpointDirName(to));
  if (from < 0 || to < from) {
    return Status::InvalidArgument("checkpoint of segments " + std::to_string(from) + ".." +
                                   std::to_string(to) + ": not a range");
  }
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();

  std::vector<SegmentFile> inputs;
  if (const CheckpointEntry* last = listing->LastCheckpoint()) {
    auto cp_segments = CheckpointSegments(fs, dir, *last);
    if (!cp_segments.ok()) return cp_segments.status();
    stats.previous = last->index;
    const int64_t expected = int64_t{last->index} + 1;  // no overflow at INT_MAX
    if (from > expected) {
      return Status::InvalidArgument("unexpected gap to last checkpoint. expected:" +
                                     std::to_string(expected) + ", requested:" + std::to_string(from));
    }
    if (to <= last->index) {
      // checkpoint.K already covers `to`. Upstream would rewrite checkpoint.to
      // by removing the old directory first; nothing new is gained, and a
      // crash in between would lose it.
      stats.index = last->index;
      stats.dir = JoinPath(dir, last->name);
      stats.already_checkpointed = true;
      return stats;
    }
    // Segments below the checkpoint should not exist; they are not read.
    from = static_cast<int>(expected);  // <= to, so it fits
    inputs = std::move(*cp_segments);
  }
  stats.first_segment = from;
  stats.last_segment = to;
  for (int s = from; s <= to; ++s) {
    if (!std::binary_search(listing->segments.begin(), listing->segments.end(), s)) {
      return Status::NotFound("checkpoint of segments " + std::to_string(from) + ".." +
                              std::to_string(to) + ": segment " + JoinPath(dir, SegmentFileName(s)) +
                              " does not exist");
    }
    inputs.push_back({s, JoinPath(dir, SegmentFileName(s))});
  }

  CheckpointFilter filter(keep, mint, options, &stats);
  if (options.dry_run) {
    WALPROOF_RETURN_IF_ERROR(FilterInto(fs, std::move(inputs), &filter, nullptr, &stats));
    return stats;
  }

  const bool walproof = Walproof(options.protocol);
  const std::string tmp = stats.dir + ".tmp";
  WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, tmp));
  WALPROOF_RETURN_IF_ERROR(fs.MakeDir(tmp));

  // From here on, every failure removes the tmp directory: nothing named
  // checkpoint.<to> exists until the rename below.
  auto fail = [&](Status st) -> Status {
    RemoveTree(fs, tmp);  // best effort; a leftover is removed on the next open
    return st;
  };
  {
    WalWriterOptions wopts;
    wopts.segment_size = options.segment_size;
    wopts.compression = options.compression;
    wopts.sync_dir_on_new_segment = walproof;
    auto writer = WalWriter::OpenAt(fs, tmp, wopts, 0);
    if (!writer.ok()) return fail(writer.status());
    Status st = FilterInto(fs, std::move(inputs), &filter, writer->get(), &stats);
    if (!st.ok()) {
      writer->reset();
      return fail(st);
    }
    // Pads the last page and fsyncs the last segment (earlier ones were
    // fsynced when the writer moved past them).
    st = (*writer)->Close();
    if (!st.ok()) return fail(st);
  }
  // The segments' directory entries, before the directory gets its real name.
  if (Status st = fs.SyncDir(tmp); !st.ok()) return fail(st);

  auto kind = fs.Stat(stats.dir);
  if (!kind.ok()) return fail(kind.status());
  if (*kind != FileKind::kMissing) {
    if (walproof) {
      // Only possible when checkpoint.<to> is not the newest checkpoint, which
      // the listing above excludes, or appeared meanwhile: not ours to remove.
      return fail(Status::AlreadyExists(stats.dir + " appeared while the checkpoint was written"));
    }
    // fileutil.Replace: not atomic.
    if (Status st = RemoveTree(fs, stats.dir); !st.ok()) return fail(st);
  }
  if (Status st = fs.Rename(tmp, stats.dir); !st.ok()) return fail(st);
  // Both protocols fsync here (upstream's fileutil.Rename does too). Until
  // this returns, the caller must not delete what the checkpoint covers.
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  return stats;
}

Status RemoveLeftoverCheckpoints(Fs& fs, const std::string& dir, int* removed) {
  if (removed) *removed = 0;
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  for (const std::string& name : listing->tmp_checkpoints) {
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(dir, name)));
    if (removed) ++*removed;
  }
  // Not needed for correctness (replay ignores these names either way); it
  // keeps them from coming back after a power cut and being removed again.
  if (!listing->tmp_checkpoints.empty()) WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  return Status::Ok();
}

Status DeleteCheckpointsBefore(Fs& fs, const std::string& dir, int index,
                               DurabilityProtocol protocol) {
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  const bool sync = Walproof(protocol);
  bool covered = false;
  for (const CheckpointEntry& cp : listing->checkpoints) {
    if (cp.index >= index && CheckpointSegments(fs, dir, cp).ok()) covered = true;
  }
  bool any_older = std::any_of(listing->checkpoints.begin(), listing->checkpoints.end(),
                               [&](const CheckpointEntry& cp) { return cp.index < index; });
  if (!any_older) return Status::Ok();
  if (!covered && sync) {
    return Status::InvalidArgument("not deleting checkpoints before " + std::to_string(index) +
                                   " in " + dir + ": no complete checkpoint at or above it");
  }
  for (const CheckpointEntry& cp : listing->checkpoints) {
    if (cp.index >= index) break;
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(dir, cp.name)));
    WALPROOF_RETURN_IF_ERROR(SyncDirIf(fs, sync, dir));
  }
  return Status::Ok();
}

Status DeleteSegmentsUpTo(Fs& fs, const std::string& dir, int last, DurabilityProtocol protocol) {
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  const bool sync = Walproof(protocol);
  if (listing->segments.empty() || listing->segments.front() > last) return Status::Ok();
  if (sync) {
    const CheckpointEntry* cp = listing->LastCheckpoint();
    if (cp == nullptr || cp->index < last || !CheckpointSegments(fs, dir, *cp).ok()) {
      return Status::InvalidArgument("not deleting segments up to " + SegmentFileName(last) + " in " +
                                     dir + ": no complete checkpoint covers them");
    }
    if (listing->segments.back() <= last) {
      return Status::InvalidArgument("not deleting segments up to " + SegmentFileName(last) + " in " +
                                     dir + ": that is every segment; a WAL keeps the newest one");
    }
  }
  // Lowest first, so that what remains is always one contiguous run.
  for (int s : listing->segments) {
    if (s > last) break;
    WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(JoinPath(dir, SegmentFileName(s))));
    WALPROOF_RETURN_IF_ERROR(SyncDirIf(fs, sync, dir));
  }
  return Status::Ok();
}

std::optional<CheckpointRange> TruncationCheckpointRange(int first, int last) {
  --last;  // never the segment that was active when truncation began
  if (last < 0) return std::nullopt;
  // The lower two thirds should hold mostly samples below mint. C++ and Go
  // both truncate toward zero when last < first.
  const int64_t cut = int64_t{first} + (int64_t{last} - first) * 2 / 3;  // 64 bits: no overflow
  if (cut <= first) return std::nullopt;
  return CheckpointRange{first, static_cast<int>(cut)};
}

Result<TruncateWalResult> TruncateWal(Fs& fs, WalWriter& wal, int64_t mint, const KeepSeriesFn& keep,
                                      const CheckpointOptions& options) {
  if (options.dry_run) return Status::InvalidArgument("TruncateWal has no dry run; use Checkpoint");
  const std::string& dir = wal.dir();
  auto segments = ListSequentialSegments(fs, dir);
  if (!segments.ok()) return segments.status();
  const int first = segments->empty() ? -1 : segments->front();
  const int last = segments->empty() ? -1 : segments->back();

  TruncateWalResult result;
  // A new segment first, so that a quiet WAL does not keep more than needed.
  auto next = wal.NextSegment();
  if (!next.ok()) return next.status();
  result.new_segment = *next;

  result.range = TruncationCheckpointRange(first, last);
  if (!result.range) return result;
  auto stats = Checkpoint(fs, dir, result.range->first, result.range->last, keep, mint, options);
  if (!stats.ok()) return stats.status();
  result.checkpoint = *stats;

  // Only now is checkpoint.<last> durable: what it covers may go.
  result.cleanup = DeleteSegmentsUpTo(fs, dir, result.range->last, options.protocol);
  Status st = DeleteCheckpointsBefore(fs, dir, result.range->last, options.protocol);
  if (result.cleanup.ok()) result.cleanup = st;
  return result;
}

}  // namespace walproof
