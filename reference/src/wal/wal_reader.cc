#include "walproof/wal/wal_reader.h"

#include "walproof/wal/wal_dir.h"

namespace walproof {

Result<WalReadPlan> PlanWalRead(Fs& fs, const std::string& dir) {
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  if (auto gap = listing->FirstGap()) {
    return Status::Corruption("segments are not sequential in " + dir + ": " +
                              SegmentFileName(gap->first) + " is followed by " +
                              SegmentFileName(gap->second));
  }
  WalReadPlan plan;
  plan.dir = dir;
  // 64 bits: a checkpoint.2147483647 must not overflow the index after it.
  int64_t first_replayed = listing->segments.empty() ? 0 : listing->segments.front();
  if (const CheckpointEntry* cp = listing->LastCheckpoint()) {
    plan.checkpoint = cp->index;
    plan.checkpoint_dir = JoinPath(dir, cp->name);
    if (!cp->is_dir) {
      return Status::Corruption("checkpoint " + plan.checkpoint_dir + " is not a directory");
    }
    auto segments = ListSequentialSegments(fs, plan.checkpoint_dir);
    if (!segments.ok()) return segments.status();
    if (segments->empty()) {
      return Status::Corruption("checkpoint " + plan.checkpoint_dir +
                                " holds no segment (an interrupted or damaged checkpoint)");
    }
    for (int s : *segments) {
      plan.checkpoint_segments.push_back({s, JoinPath(plan.checkpoint_dir, SegmentFileName(s))});
    }
    first_replayed = int64_t{cp->index} + 1;
    for (int s : listing->segments) {
      if (s < first_replayed) plan.skipped_segments.push_back(s);
    }
    // Prometheus 2.42 cannot open a WAL whose segments begin after cp+1.
    if (!listing->segments.empty() && listing->segments.back() >= first_replayed &&
        listing->segments.front() > first_replayed) {
      return Status::Corruption("gap between " + plan.checkpoint_dir + " and the first segment " +
                                SegmentFileName(listing->segments.front()) + " of " + dir);
    }
  }
  for (int s : listing->segments) {
    if (s >= first_replayed) plan.segments.push_back({s, JoinPath(dir, SegmentFileName(s))});
  }
  return plan;
}

WalReader::WalReader(Fs& fs, WalReadPlan plan) : fs_(fs), plan_(std::move(plan)) {
  parts_ = (plan_.checkpoint ? 1 : 0) + plan_.segments.size();
  part_ = 0;
}

bool WalReader::OpenPart(size_t part) {
  if (reader_) {
    const ReadPhaseTimes& t = reader_->phase_times();
    finished_times_.read += t.read;
    finished_times_.checksum += t.checksum;
    finished_times_.decompress += t.decompress;
  }
  part_ = part;
  if (part_ >= parts_) {
    reader_.reset();
    return false;
  }
  std::vector<SegmentFile> files;
  if (plan_.checkpoint && part_ == 0) {
    files = plan_.checkpoint_segments;
  } else {
    files.push_back(plan_.segments[part_ - (plan_.checkpoint ? 1 : 0)]);
  }
  reader_ = std::make_unique<SegmentReader>(fs_, std::move(files));
  reader_->set_timing(timing_);
  return true;
}

bool WalReader::Next(std::string_view* record) {
  if (!status_.ok()) return false;
  if (!reader_ && part_ == 0 && !OpenPart(0)) return false;
  while (reader_) {
    if (reader_->Next(record)) return true;
    if (!reader_->status().ok()) {
      status_ = reader_->status();
      corruption_ = reader_->corruption();
      return false;
    }
    if (!OpenPart(part_ + 1)) return false;
  }
  return false;
}

const CorruptionInfo& WalReader::FailDecode(const std::string& what, const Status& why) {
  corruption_ = CorruptionInfo{segment_path(), segment(), offset(), "decode " + what + ": " + why.message()};
  status_ = Status::Corruption(corruption_->ToString());
  return *corruption_;
}

ReadPhaseTimes WalReader::phase_times() const {
  ReadPhaseTimes t = finished_times_;
  if (reader_) {
    t.read += reader_->phase_times().read;
    t.checksum += reader_->phase_times().checksum;
    t.decompress += reader_->phase_times().decompress;
  }
  return t;
}

}  // namespace walproof
