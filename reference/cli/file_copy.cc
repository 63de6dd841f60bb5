#include "file_copy.h"

#include <algorithm>

namespace walproof::cli {

Status CopyFile(Fs& fs, const std::string& from, const std::string& to) {
  auto in = fs.OpenForRead(from);
  if (!in.ok()) return in.status();
  auto out = fs.Create(to);
  if (!out.ok()) return out.status();
  std::string buf;
  size_t written = 0;
  const uint64_t size = (*in)->Size();
  for (uint64_t off = 0; off < size;) {
    buf.resize(static_cast<size_t>(std::min<uint64_t>(1 << 20, size - off)));
    size_t got = 0;
    WALPROOF_RETURN_IF_ERROR((*in)->Read(off, buf.size(), buf.data(), &got));
    if (got == 0) break;
    buf.resize(got);
    WALPROOF_RETURN_IF_ERROR((*out)->Append(buf, &written));
    off += got;
  }
  WALPROOF_RETURN_IF_ERROR((*out)->Sync());
  return (*out)->Close();
}

Status CopyTree(Fs& fs, const std::string& from, const std::string& to, int* files) {
  auto there = fs.Stat(to);
  if (!there.ok()) return there.status();
  if (*there != FileKind::kMissing) return Status::AlreadyExists(to + " already exists; choose a new --backup directory");
  WALPROOF_RETURN_IF_ERROR(fs.MakeDir(to));
  auto entries = fs.ListDir(from);
  if (!entries.ok()) return entries.status();
  for (const DirEntry& e : *entries) {
    if (e.is_dir) {
      WALPROOF_RETURN_IF_ERROR(CopyTree(fs, JoinPath(from, e.name), JoinPath(to, e.name), files));
    } else {
      WALPROOF_RETURN_IF_ERROR(CopyFile(fs, JoinPath(from, e.name), JoinPath(to, e.name)));
      ++*files;
    }
  }
  return fs.SyncDir(to);
}

}  // namespace walproof::cli
