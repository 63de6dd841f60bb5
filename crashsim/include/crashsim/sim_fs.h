// SimFs: an in-memory walproof::Fs that records every operation.
//
// It keeps two views of the file system: the volatile one (what a process
// sees: every successful call applied) and the durable one (what survives a
// power cut for sure: file data as of its last Sync, directory entries as of
// the directory's last SyncDir). With recording on it also keeps both views
// after every operation, so CrashBuilder can rebuild the disk at any point of
// the run with any fate for what was not yet durable.
//
// Two hooks make other fault classes possible without touching the reference:
// InjectFault makes the n-th mutating call fail (ENOSPC, EIO, short write),
// and KillProcess makes every open handle dead (a kill -9: the writer's
// destructor can no longer pad, sync or close anything).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crashsim/crash_image.h"
#include "crashsim/fs_op.h"
#include "crashsim/fs_state.h"
#include "walproof/io/fs.h"

namespace crashsim {

class SimFs final : public walproof::Fs {
 public:
  // An empty root directory, durable.
  SimFs();
  // The image, all of it durable (a disk after a crash is what it is).
  explicit SimFs(const CrashImage& image);
  ~SimFs() override;

  walproof::Result<std::unique_ptr<walproof::WritableFile>> Create(const std::string& path) override;
  walproof::Result<std::unique_ptr<walproof::WritableFile>> OpenForAppend(const std::string& path) override;
  walproof::Result<std::unique_ptr<walproof::ReadableFile>> OpenForRead(const std::string& path) override;
  walproof::Result<walproof::FileKind> Stat(const std::string& path) override;
  walproof::Result<std::vector<walproof::DirEntry>> ListDir(const std::string& path) override;
  walproof::Status MakeDir(const std::string& path) override;
  walproof::Status RemoveFile(const std::string& path) override;
  walproof::Status RemoveDir(const std::string& path) override;
  walproof::Status Rename(const std::string& from, const std::string& to) override;
  walproof::Status SyncDir(const std::string& path) override;
  walproof::Result<std::unique_ptr<walproof::FileLock>> Lock(const std::string& path) override;

  // --- recording ---
  // Keep the state after every op (needed to enumerate crash states of this
  // run; recovery runs that are only checked switch it off).
  void set_recording(bool on);
  bool recording() const { return recording_; }
  // Tags the following ops with a workload phase.
  void set_phase(uint16_t phase) { phase_ = phase; }
  uint16_t phase() const { return phase_; }
  const std::vector<FsOp>& log() const { return log_; }
  // Both views after the first k ops, 0 <= k <= log().size() (recording only).
  const FsState& volatile_at(size_t k) const { return vol_at_[k]; }
  const FsState& durable_at(size_t k) const { return dur_at_[k]; }
  const FsState& volatile_state() const { return vol_; }
  const FsState& durable_state() const { return dur_; }

  // --- fault injection ---
  // Calls that can fail, in order: Append, Truncate, Sync, SyncDir, Create,
  // MakeDir, RemoveFile, RemoveDir, Rename. `faultable_calls()[i]` is the kind
  // of the i-th one so far.
  const std::vector<OpKind>& faultable_calls() const { return calls_; }
  // The call with ordinal `call` (0-based, counted as above) fails with `fault`.
  void InjectFault(uint64_t call, IoFault fault);
  // Index in log() of the op made by the faulted call, once it happened.
  int64_t fault_op() const { return fault_op_; }

  // A kill -9: handles opened so far stop working (calls fail, change
  // nothing and are not logged). The data they wrote stays volatile.
  void KillProcess() { ++epoch_; }

  // --- applying a recorded system-call trace (trace_replayer.h) ---
  // Calls made by a real program address files by inode (its open file
  // descriptors), and may write anywhere in a file. These record the same ops
  // as the Fs calls above (a write is a kAppend op at its offset), so crash
  // states of a traced run are enumerated and built exactly as for a SimFs run.
  // Writes `data` at `offset`, as pwrite(2): zeros fill a gap past the end.
  walproof::Status WriteAt(int inode, const std::string& path, uint64_t offset, std::string_view data);
  walproof::Status TruncateInode(int inode, const std::string& path, uint64_t size);
  // fsync(2) of a file (its data) or of a directory (its entries).
  walproof::Status SyncInode(int inode, const std::string& path);
  // sync(2)/syncfs(2): every file and directory durable, one kSync op per
  // inode that had anything unsynced.
  void SyncEverything(const std::string& why);
  // A call of the traced program that failed (an injected ENOSPC or EIO):
  // logged, changes nothing; the first one is the run's fault_op().
  void RecordFailedCall(OpKind kind, int inode, const std::string& path, IoFault fault);
  const FsState& volatile_view() const { return vol_; }

  CrashImage VolatileImage() const;
  CrashImage DurableImage() const;

  // Inode of a path in the volatile view, or -1.
  int Lookup(const std::string& path) const;

 private:
  class File;
  class Reader;
  friend class File;
  friend class Reader;

  struct Parent {
    int dir = -1;
    std::string name;
  };
  // Resolves the parent directory of `path`; NotFound if it is missing.
  walproof::Status ResolveParent(const std::string& path, Parent* out) const;
  int LookupIn(int dir, const std::string& name) const;
  // Consumes one faultable-call ordinal; returns the fault to apply, if any.
  IoFault NextCall(OpKind kind);
  void Record(FsOp op);
  int NewInode(bool is_dir);
  walproof::Result<int> LinkNewInode(const Parent& p, const std::string& path, bool is_dir);
  void SetEntries(int dir, DirEntries entries);
  walproof::Status FaultStatus(IoFault fault, const std::string& what) const;

  // File operations used by the handles.
  walproof::Status AppendTo(int inode, const std::string& path, std::string_view data, size_t* written);
  walproof::Status TruncateFile(int inode, const std::string& path, uint64_t size);
  walproof::Status SyncFile(int inode, const std::string& path);

  FsState vol_;
  FsState dur_;
  bool recording_ = true;
  std::vector<FsState> vol_at_;
  std::vector<FsState> dur_at_;
  std::vector<FsOp> log_;
  uint16_t phase_ = 0;
  uint64_t epoch_ = 0;
  std::vector<OpKind> calls_;
  int64_t fault_call_ = -1;
  IoFault fault_ = IoFault::kNone;
  int64_t fault_op_ = -1;
};

}  // namespace crashsim
