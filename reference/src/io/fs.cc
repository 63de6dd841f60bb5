// Helpers on top of the Fs interface; they touch the OS only through it.
#include "walproof/io/fs.h"

namespace walproof {

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

Status ReadWholeFile(Fs& fs, const std::string& path, std::string* out) {
  auto file = fs.OpenForRead(path);
  if (!file.ok()) return file.status();
  out->resize((*file)->Size());
  size_t got = 0;
  WALPROOF_RETURN_IF_ERROR((*file)->Read(0, out->size(), out->data(), &got));
  out->resize(got);
  return Status::Ok();
}

Status WriteWholeFile(Fs& fs, const std::string& path, std::string_view data) {
  auto file = fs.Create(path);
  if (!file.ok()) return file.status();
  size_t written = 0;
  WALPROOF_RETURN_IF_ERROR((*file)->Append(data, &written));
  WALPROOF_RETURN_IF_ERROR((*file)->Sync());
  return (*file)->Close();
}

Status RemoveTree(Fs& fs, const std::string& path) {
  auto kind = fs.Stat(path);
  if (!kind.ok()) return kind.status();
  if (*kind == FileKind::kMissing) return Status::Ok();
  if (*kind != FileKind::kDir) return fs.RemoveFile(path);
  auto entries = fs.ListDir(path);
  if (!entries.ok()) return entries.status();
  for (const DirEntry& e : *entries) {
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(path, e.name)));
  }
  return fs.RemoveDir(path);
}

Status EnsureDir(Fs& fs, const std::string& path) {
  Status st = fs.MakeDir(path);
  if (st.IsNotFound()) {
    // A parent is missing: make it first, like mkdir -p.
    size_t slash = path.find_last_of('/', path.size() > 1 ? path.size() - 2 : 0);
    if (slash != std::string::npos && slash > 0) {
      WALPROOF_RETURN_IF_ERROR(EnsureDir(fs, path.substr(0, slash)));
      st = fs.MakeDir(path);
    }
  }
  if (st.code() == Status::Code::kAlreadyExists) {
    auto kind = fs.Stat(path);
    if (kind.ok() && *kind == FileKind::kDir) return Status::Ok();
    return Status::InvalidArgument(path + " exists and is not a directory");
  }
  return st;
}

}  // namespace walproof
