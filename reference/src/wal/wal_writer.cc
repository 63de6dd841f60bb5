#include "walproof/wal/wal_writer.h"

#include <algorithm>
#include <limits>

#include "format/compression.h"
#include "walproof/format/crc32c.h"
#include "walproof/wal/wal_dir.h"

namespace walproof {
namespace {

void PutFragmentHeader(std::string* out, uint8_t type, std::string_view payload) {
  uint32_t crc = crc32c::Value(payload);
  char h[kFragmentHeaderSize] = {
      static_cast<char>(type),
      static_cast<char>(payload.size() >> 8),
      static_cast<char>(payload.size()),
      static_cast<char>(crc >> 24),
      static_cast<char>(crc >> 16),
      static_cast<char>(crc >> 8),
      static_cast<char>(crc),
  };
  out->append(h, sizeof h);
}

std::string ParentOf(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

}  // namespace

WalWriter::WalWriter(Fs& fs, std::string dir, const WalWriterOptions& options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

WalWriter::~WalWriter() {
  if (!closed_ && failed_.ok()) Close();
}

Result<std::unique_ptr<WalWriter>> WalWriter::Open(Fs& fs, const std::string& dir,
                                                   const WalWriterOptions& options) {
  auto kind = fs.Stat(dir);
  if (!kind.ok()) return kind.status();
  if (*kind == FileKind::kMissing) WALPROOF_RETURN_IF_ERROR(EnsureDir(fs, dir));
  if (options.sync_dir_on_new_segment) {
    // The WAL directory is itself a directory entry: without an fsync of its
    // parent, power loss can take the whole WAL with it. This runs on every
    // open, not only the one that created the directory: an earlier run may
    // have created it and crashed (or failed this very fsync) before the
    // entry was durable, and the directory looks the same either way.
    WALPROOF_RETURN_IF_ERROR(fs.SyncDir(ParentOf(dir)));
  }
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  if (auto gap = listing->FirstGap()) {
    return Status::Corruption("segments are not sequential in " + dir + ": " +
                              SegmentFileName(gap->first) + " is followed by " +
                              SegmentFileName(gap->second));
  }
  // Replay skips segments at or below the newest checkpoint, so new records
  // must go after it even when no segment is left (upstream looks only at
  // segments and would write where replay never reads).
  int64_t next = listing->segments.empty() ? 0 : int64_t{listing->segments.back()} + 1;
  if (const CheckpointEntry* cp = listing->LastCheckpoint()) next = std::max(next, int64_t{cp->index} + 1);
  if (options.sync_dir_on_new_segment) {
    // A writer that was killed left its last segments in the page cache, and
    // Prometheus fsyncs a finished segment only in the background. Make them
    // durable before anything newer is acknowledged: otherwise power loss
    // could tear an old segment behind durable new ones, and repair would
    // then cut away the new ones.
    for (size_t i = listing->segments.size() >= 2 ? listing->segments.size() - 2 : 0;
         i < listing->segments.size(); ++i) {
      auto file = fs.OpenForAppend(JoinPath(dir, SegmentFileName(listing->segments[i])));
      if (!file.ok()) return file.status();
      WALPROOF_RETURN_IF_ERROR((*file)->Sync());
      WALPROOF_RETURN_IF_ERROR((*file)->Close());
    }
  }
  if (next > std::numeric_limits<int>::max()) {
    return Status::InvalidArgument("no segment index left after " +
                                   JoinPath(dir, SegmentFileName(std::numeric_limits<int>::max())));
  }
  return OpenAt(fs, dir, options, static_cast<int>(next));
}

Result<std::unique_ptr<WalWriter>> WalWriter::OpenAt(Fs& fs, const std::string& dir,
                                                     const WalWriterOptions& options, int index) {
  if (options.segment_size == 0 || options.segment_size % kPageSize != 0) {
    return Status::InvalidArgument("segment size " + std::to_string(options.segment_size) +
                                   " is not a positive multiple of the 32 KiB page size");
  }
  if (index < 0) return Status::InvalidArgument("negative segment index " + std::to_string(index));
  std::unique_ptr<WalWriter> w(new WalWriter(fs, dir, options));
  WALPROOF_RETURN_IF_ERROR(w->StartSegment(index));
  return w;
}

Status WalWriter::StartSegment(int index) {
  std::string path = JoinPath(dir_, SegmentFileName(index));
  // Never truncate a segment that exists: its records may be all that is
  // left of them. (Create would; upstream would write over its start.)
  auto kind = fs_.Stat(path);
  if (!kind.ok() || *kind != FileKind::kMissing) {
    failed_ = kind.ok() ? Status::AlreadyExists("segment " + path + " already exists; refusing to overwrite it")
                        : kind.status();
    return failed_;
  }
  auto file = fs_.Create(path);
  if (!file.ok()) {
    // The previous segment is closed by now, so there is nowhere left to write.
    failed_ = file.status();
    return failed_;
  }
  if (options_.sync_dir_on_new_segment) {
    // Without this a power cut can drop the whole directory entry, and with it
    // every record that a later Sync() of the file "made durable".
    Status st = fs_.SyncDir(dir_);
    if (!st.ok()) {
      failed_ = st;
      return st;
    }
  }
  segment_ = std::move(*file);
  segment_index_ = index;
  segment_bytes_ = 0;
  page_alloc_ = 0;
  done_pages_ = 0;
  return Status::Ok();
}

Status WalWriter::CheckUsable() const {
  if (!failed_.ok()) {
    return Status::IOError("WAL writer for " + dir_ +
                           " stopped after an earlier failure; reopen the WAL: " +
                           failed_.ToString());
  }
  if (closed_) return Status::InvalidArgument("WAL writer for " + dir_ + " is closed");
  return Status::Ok();
}

void WalWriter::StagePagePadding() {
  staged_.append(kPageSize - page_alloc_, '\0');
  page_alloc_ = 0;
  ++done_pages_;
}

Status WalWriter::WriteStaged() {
  if (staged_.empty()) return Status::Ok();
  size_t written = 0;
  Status st = segment_->Append(staged_, &written);
  if (st.ok()) {
    segment_bytes_ += staged_.size();
    staged_.clear();
    return st;
  }
  // Undo whatever part reached the file, so no fragment of this call can
  // ever be followed by bytes of a later one.
  staged_.clear();
  page_alloc_ = segment_bytes_ % kPageSize;
  done_pages_ = segment_bytes_ / kPageSize;
  if (written > 0) {
    Status cut = segment_->Truncate(segment_bytes_);
    if (!cut.ok()) {
      failed_ = Status::IOError(st.ToString() + "; then could not cut " +
                                JoinPath(dir_, SegmentFileName(segment_index_)) + " back to " +
                                std::to_string(segment_bytes_) + ": " + cut.ToString());
      return failed_;
    }
  }
  return st;
}

Status WalWriter::FinishSegment() {
  // Pad only a page that holds data: an empty page at the end would claim a
  // page that was never used.
  if (page_alloc_ > 0) StagePagePadding();
  WALPROOF_RETURN_IF_ERROR(WriteStaged());
  Status st = segment_->Sync();
  if (!st.ok()) {
    failed_ = st;
    return st;
  }
  st = segment_->Close();
  segment_.reset();
  if (!st.ok()) failed_ = st;
  return st;
}

Status WalWriter::LogOne(std::string_view record) {
  // A page with fewer than a header's bytes left is finished.
  if (kPageSize - page_alloc_ < kFragmentHeaderSize) StagePagePadding();

  uint8_t compression_bit = 0;
  if (CompressRecord(options_.compression, record, &compressed_)) {
    record = compressed_;
    compression_bit = options_.compression == Compression::kSnappy ? kSnappyBit : kZstdBit;
  }

  // A record never spans segments: when it does not fit in what is left of
  // this one, move on first. The arithmetic is upstream's, so that segment
  // switches fall on the same records.
  const uint64_t pages_per_segment = options_.segment_size / kPageSize;
  int64_t left = static_cast<int64_t>(kPageSize - page_alloc_) - int64_t{kFragmentHeaderSize};
  left += static_cast<int64_t>(kMaxFragmentPayload) *
          (static_cast<int64_t>(pages_per_segment) - static_cast<int64_t>(done_pages_) - 1);
  if (static_cast<int64_t>(record.size()) > left) {
    WALPROOF_RETURN_IF_ERROR(FinishSegment());
    if (segment_index_ == std::numeric_limits<int>::max()) {
      failed_ = Status::InvalidArgument("no segment index left after " + SegmentFileName(segment_index_));
      return failed_;
    }
    WALPROOF_RETURN_IF_ERROR(StartSegment(segment_index_ + 1));
  }

  // At least one fragment, so that an empty record is written too.
  bool first = true;
  do {
    size_t room = kPageSize - page_alloc_ - kFragmentHeaderSize;
    size_t n = std::min(record.size(), room);
    bool last = n == record.size();
    FragmentType type = first ? (last ? FragmentType::kFull : FragmentType::kFirst)
                              : (last ? FragmentType::kLast : FragmentType::kMiddle);
    std::string_view part = record.substr(0, n);
    PutFragmentHeader(&staged_, static_cast<uint8_t>(type) | compression_bit, part);
    staged_.append(part);
    page_alloc_ += kFragmentHeaderSize + n;
    if (kPageSize - page_alloc_ < kFragmentHeaderSize) StagePagePadding();
    record.remove_prefix(n);
    first = false;
  } while (!record.empty());
  return Status::Ok();
}

Status WalWriter::Log(std::string_view record) {
  WALPROOF_RETURN_IF_ERROR(CheckUsable());
  Status st = LogOne(record);
  if (!st.ok()) {
    staged_.clear();
    page_alloc_ = segment_bytes_ % kPageSize;
    done_pages_ = segment_bytes_ / kPageSize;
    return st;
  }
  return WriteStaged();
}

Status WalWriter::Log(const std::vector<std::string>& batch) {
  WALPROOF_RETURN_IF_ERROR(CheckUsable());
  for (const std::string& record : batch) {
    Status st = LogOne(record);
    if (!st.ok()) {
      staged_.clear();
      page_alloc_ = segment_bytes_ % kPageSize;
      done_pages_ = segment_bytes_ / kPageSize;
      return st;
    }
  }
  return WriteStaged();
}

Status WalWriter::Sync() {
  WALPROOF_RETURN_IF_ERROR(CheckUsable());
  Status st = segment_->Sync();
  if (!st.ok()) failed_ = st;
  return st;
}

Result<int> WalWriter::NextSegment() {
  WALPROOF_RETURN_IF_ERROR(CheckUsable());
  WALPROOF_RETURN_IF_ERROR(FinishSegment());
  if (segment_index_ == std::numeric_limits<int>::max()) {
    failed_ = Status::InvalidArgument("no segment index left after " + SegmentFileName(segment_index_));
    return failed_;
  }
  WALPROOF_RETURN_IF_ERROR(StartSegment(segment_index_ + 1));
  return segment_index_;
}

Status WalWriter::Close() {
  WALPROOF_RETURN_IF_ERROR(CheckUsable());
  Status st = FinishSegment();
  closed_ = true;
  return st;
}

}  // namespace walproof
