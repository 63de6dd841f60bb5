// WalWriter: appends records to a WAL directory the way Prometheus does
// (tsdb/wlog), byte for byte: same pages, fragments, padding and segment
// switches for the same sequence of calls.
//
// Where upstream loses data, this writer does not:
// - A failed write (ENOSPC, EIO, a short write) is undone: the segment is cut
//   back to where the failed Log began and the page state restored, so no half
//   record stays behind for a later write to follow (upstream #13027, #8125).
//   If the cut itself fails, the writer refuses all further work until the
//   WAL is reopened (which starts a fresh segment).
// - A failed fsync is final for the same reason as in PostgreSQL's
//   "fsyncgate": the kernel may already have dropped the dirty pages.
// - A new segment is made durable in its directory (fsync of the directory)
//   before anything is written to it; upstream never does this.
// A Log batch normally lands in one segment; when it has to switch segments
// midway, the records before the switch are already complete in the finished
// segment and stay there even if a later part of the batch fails.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/fragment.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"

namespace walproof {

struct WalWriterOptions {
  // A multiple of kPageSize. Prometheus uses 128 MiB; tests use a few pages.
  uint64_t segment_size = kDefaultSegmentSize;
  Compression compression = Compression::kNone;
  // fsync the directory after creating a segment. Prometheus 2.42 does not;
  // crashsim turns this off to reproduce what that costs.
  bool sync_dir_on_new_segment = true;
};

class WalWriter {
 public:
  // Opens the WAL in `dir` (created if missing; on every open made durable in
  // its parent, which a crashed earlier run may not have done) and starts a new segment after the last one and after the newest
  // checkpoint, as Prometheus does on every start. The last two existing
  // segments are fsynced first: a killed writer may have left them in the page
  // cache. Fails when the existing segments are not sequential.
  static Result<std::unique_ptr<WalWriter>> Open(Fs& fs, const std::string& dir,
                                                 const WalWriterOptions& options);
  // Starts writing in segment `index`, which must not exist yet (repair and
  // checkpoints use this to choose where writing resumes).
  static Result<std::unique_ptr<WalWriter>> OpenAt(Fs& fs, const std::string& dir,
                                                   const WalWriterOptions& options, int index);

  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends records; each is one encoded record (type byte first). The bytes
  // reach the OS before this returns, but are durable only after Sync().
  Status Log(const std::vector<std::string>& batch);
  Status Log(std::string_view record);
  // fsync of the active segment: everything logged so far is durable.
  Status Sync();
  // Pads the current page, syncs and closes the active segment, and starts the
  // next one. Returns the new segment's index.
  Result<int> NextSegment();
  // Pads the current page, syncs and closes. Later calls fail.
  Status Close();

  int active_segment() const { return segment_index_; }
  const std::string& dir() const { return dir_; }
  // Bytes written to the active segment so far.
  uint64_t active_segment_size() const { return segment_bytes_; }

 private:
  WalWriter(Fs& fs, std::string dir, const WalWriterOptions& options);

  Status StartSegment(int index);
  Status LogOne(std::string_view record);
  // Stages zeros up to the end of the current page.
  void StagePagePadding();
  // Writes staged bytes to the active segment; on failure undoes them back to
  // `rollback_to` bytes of the segment.
  Status WriteStaged();
  Status FinishSegment();
  Status CheckUsable() const;

  Fs& fs_;
  std::string dir_;
  WalWriterOptions options_;
  std::unique_ptr<WritableFile> segment_;
  int segment_index_ = -1;
  uint64_t segment_bytes_ = 0;  // bytes that reached the active segment
  size_t page_alloc_ = 0;       // bytes used in the current page, staged ones included
  uint64_t done_pages_ = 0;     // full pages in the active segment, staged ones included
  std::string staged_;          // bytes of the current Log call not yet written
  std::string compressed_;      // reused compression buffer
  Status failed_;               // set when the writer can no longer be trusted
  bool closed_ = false;
};

}  // namespace walproof
