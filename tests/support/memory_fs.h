// MemoryFs: a plain in-memory Fs for tests that need a WAL directory but no
// crash model: the fuzz targets and the RapidCheck properties (codec,
// framing, replay, checkpoint, repair). Test code only; nothing in the
// reference links it.
//
// Fuzz targets run thousands of times a second and properties hundreds of
// thousands of cases a night, so neither may touch the disk. This is not
// crashsim's SimFs: it records nothing and models no durability; Sync and
// SyncDir succeed and do nothing, and nothing is ever lost. What it does
// model is what the reader and writer rely on: files shared between open
// handles (a reader sees appends and truncations made after it opened the
// file), directories that must exist and be empty to be removed, and rename
// of files and directories. Lookups never change it, so readers on several
// threads (parallel replay) may share one while nobody writes.
//
// Two faults can be injected into reads, to reach the reader's I/O paths:
// a read error from some offset on, and a file whose Size() claims more bytes
// than it has (a file that shrank after the size was taken).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "walproof/io/fs.h"

namespace walproof {

class MemoryFs final : public Fs {
 public:
  struct ReadFaults {
    // Reads reaching this offset fail with an I/O error (per file path).
    std::map<std::string, uint64_t> error_at;
    // Size() of a file opened for reading reports this many extra bytes.
    std::map<std::string, uint64_t> size_lie;
  };

  MemoryFs() = default;

  Result<std::unique_ptr<WritableFile>> Create(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path) override;
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override;
  Result<FileKind> Stat(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override;
  Status MakeDir(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override;

  // Test set-up and inspection: a file with these bytes (parents made as needed).
  void PutFile(const std::string& path, std::string data);
  // The bytes of a file, or nullptr. The mutable one is for tests that
  // damage a file in place; open handles see the change.
  const std::string* FileData(const std::string& path) const;
  std::string* FileData(const std::string& path);
  // Every path, files and directories, in name order (for digests and dumps).
  std::vector<std::string> AllPaths() const;
  ReadFaults& faults() { return faults_; }

 private:
  struct Node {
    bool is_dir = false;
    std::shared_ptr<std::string> data;  // files only; shared with open handles
  };
  static std::string Normalize(const std::string& path);
  static std::string Parent(const std::string& path);
  bool IsDir(const std::string& path) const;

  std::map<std::string, Node> nodes_;
  std::set<std::string> locks_;
  ReadFaults faults_;
  friend class MemoryLock;
};

}  // namespace walproof
