// Fs: the one seam between walproof and the operating system.
//
// Every byte the reference reads or writes goes through this interface, the
// way LevelDB goes through Env. PosixFs (posix_fs.h) is the real one; crashsim
// provides an in-memory SimFs that records every call so that any crash state
// can be rebuilt. Keep it narrow: every method here is one more thing the
// simulator must model, so add one only when a real caller needs it.
//
// Paths are plain strings joined with '/'. Nothing here buffers: a successful
// Append has reached the OS (or the simulator's log), not necessarily the disk;
// only Sync (files) and SyncDir (directory entries) promise durability.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/status.h"

namespace walproof {

// A file opened for writing at its end.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Appends `data`. On failure *written says how many leading bytes did reach
  // the file (a short write), so the caller can undo them; it is never more
  // than data.size(). On success *written == data.size().
  virtual Status Append(std::string_view data, size_t* written) = 0;
  // Cuts the file to `size` bytes; later appends go to the new end.
  virtual Status Truncate(uint64_t size) = 0;
  // fsync: data and metadata (size) durable.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

// A file opened for reading at any offset.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to n bytes at `offset` into buf; *got < n only at end of file.
  virtual Status Read(uint64_t offset, size_t n, char* buf, size_t* got) const = 0;
  virtual uint64_t Size() const = 0;
  // A file held in memory may lend its bytes instead of copying them: points
  // *out at up to n bytes at `offset` (fewer only at the end of the file),
  // which stay valid and unchanged until the next View() or until this
  // object is destroyed, and returns true. False (the default): use Read().
  virtual bool View(uint64_t offset, size_t n, std::string_view* out) const {
    (void)offset;
    (void)n;
    (void)out;
    return false;
  }
};

// Held while a data directory must not be touched by anyone else.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

enum class FileKind { kMissing, kFile, kDir, kOther };

class Fs {
 public:
  virtual ~Fs() = default;

  // Creates `path` empty (truncating an existing file) and opens it for append.
  virtual Result<std::unique_ptr<WritableFile>> Create(const std::string& path) = 0;
  // Opens an existing file for append; NotFound if it does not exist.
  virtual Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) = 0;

  virtual Result<FileKind> Stat(const std::string& path) = 0;
  // Entries of a directory, without "." and "..", in no particular order.
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& path) = 0;
  virtual Status MakeDir(const std::string& path) = 0;  // AlreadyExists if present
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;  // must be empty
  // rename(2): atomic replacement of `to`, durable only after SyncDir.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // fsync of a directory: makes creates, renames and unlinks in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // An exclusive advisory lock (flock) on `path`, created if missing.
  // Busy when another process holds it.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path) = 0;
};

// Helpers built only on the interface above.
std::string JoinPath(std::string_view dir, std::string_view name);
// Reads a whole file.
Status ReadWholeFile(Fs& fs, const std::string& path, std::string* out);
// Creates `path` with `data`, fsyncs it and closes it.
Status WriteWholeFile(Fs& fs, const std::string& path, std::string_view data);
// Removes a directory and everything below it.
Status RemoveTree(Fs& fs, const std::string& path);
// MakeDir that accepts an existing directory and makes missing parents.
Status EnsureDir(Fs& fs, const std::string& path);

}  // namespace walproof
