// MemFs: a plain in-memory Fs for properties that need a WAL directory but no
// crash model (codec, framing, replay, checkpoint, repair). Kept here rather
// than borrowed from crashsim so these properties depend only on the
// reference; the model test (property 6) uses crashsim's SimFs for crashes.
//
// Files are shared byte strings, so a reader sees later appends, as on POSIX.
// Nothing is ever lost: Sync and SyncDir do nothing.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "walproof/fs.h"

namespace walproof::prop {

class MemFs final : public Fs {
 public:
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

  // Direct access for tests that inspect or damage bytes.
  std::string* File(const std::string& path);

 private:
  bool ParentExists(const std::string& path) const;

  std::map<std::string, std::shared_ptr<std::string>> files_;
  // The root, under the names callers use for it ("." is what the writer
  // fsyncs as the parent of a relative WAL directory).
  std::set<std::string> dirs_{"", "/", "."};
};

}  // namespace walproof::prop
