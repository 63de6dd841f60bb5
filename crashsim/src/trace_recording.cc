#include "crashsim/trace_recording.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "crashsim/sha256.h"
#include "walproof/io/posix_fs.h"

namespace crashsim {
namespace {

using nlohmann::json;
using walproof::Result;
using walproof::Status;

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": cannot open");
  std::ostringstream s;
  s << f.rdbuf();
  *out = s.str();
  return Status::Ok();
}

Status Walk(const std::string& root, const std::string& rel, CrashImage* out) {
  const std::string path = rel.empty() ? root : root + "/" + rel;
  DIR* d = opendir(path.c_str());
  if (!d) return Status::IOError(path + ": cannot list");
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    const std::string child = rel.empty() ? n : rel + "/" + n;
    struct stat st;
    if (lstat((root + "/" + child).c_str(), &st) != 0) return Status::IOError(root + "/" + child + ": cannot stat");
    if (S_ISDIR(st.st_mode)) {
      out->entries.push_back(CrashImage::Entry{child, true, nullptr});
      WALPROOF_RETURN_IF_ERROR(Walk(root, child, out));
    } else if (S_ISREG(st.st_mode)) {
      std::string data;
      WALPROOF_RETURN_IF_ERROR(ReadFile(root + "/" + child, &data));
      out->entries.push_back(CrashImage::Entry{child, false, MakeBytes(std::move(data))});
    } else {
      return Status::InvalidArgument(root + "/" + child + ": neither a file nor a directory (not in the crash model)");
    }
  }
  return Status::Ok();
}

}  // namespace

Status SaveTraceMeta(const std::string& trace_dir, const TraceMeta& m) {
  json j = {{"data_dir", m.data_dir},
            {"cwd", m.cwd},
            {"command", m.command},
            {"driver", m.driver},
            {"excludes", m.excludes},
            {"exclude_reason", m.exclude_reason},
            {"inject", m.inject},
            {"exit_code", m.exit_code},
            {"self_check_ok", m.self_check_ok},
            {"files_checked", m.files_checked},
            {"checker", m.checker_hint}};
  std::ofstream f(trace_dir + "/trace.json");
  f << j.dump(2) << "\n";
  if (!f) return Status::IOError(trace_dir + "/trace.json: cannot write");
  return Status::Ok();
}

Result<TraceMeta> LoadTraceMeta(const std::string& trace_dir) {
  std::string text;
  WALPROOF_RETURN_IF_ERROR(ReadFile(trace_dir + "/trace.json", &text));
  TraceMeta m;
  try {
    json j = json::parse(text);
    m.data_dir = j.at("data_dir");
    m.cwd = j.value("cwd", "/");
    m.command = j.at("command").get<std::vector<std::string>>();
    m.driver = j.value("driver", "");
    m.excludes = j.value("excludes", std::vector<std::string>{});
    m.exclude_reason = j.value("exclude_reason", "");
    m.inject = j.value("inject", "");
    m.exit_code = j.value("exit_code", 0);
    m.self_check_ok = j.value("self_check_ok", false);
    m.files_checked = j.value("files_checked", 0);
    m.checker_hint = j.value("checker", "");
  } catch (const std::exception& e) {
    return Status::Corruption(trace_dir + "/trace.json: " + e.what());
  }
  return m;
}

Result<CrashImage> SnapshotDir(const std::string& dir) {
  CrashImage img;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return img;  // not there yet: the program makes it
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(dir + ": not a directory");
  WALPROOF_RETURN_IF_ERROR(Walk(dir, "", &img));
  return img;
}

std::string SelfCheck::Summary() const {
  std::string s = "self-check: " + std::to_string(files) + " files and " + std::to_string(dirs) +
                  " directories " + (ok() ? "reproduced byte for byte (sha256 equal)" : "compared") + "\n";
  for (const std::string& e : excluded) s += "self-check: skipped " + e + "\n";
  for (const std::string& m : mismatches) s += "self-check: MISMATCH " + m + "\n";
  if (!ok()) s += "self-check: FAILED, " + std::to_string(mismatches.size()) + " difference(s)\n";
  return s;
}

SelfCheck CheckAgainstDisk(const ReplayedTrace& replayed, const CrashImage& on_disk, const TraceOptions& options) {
  SelfCheck c;
  std::map<std::string, const CrashImage::Entry*> model, real;
  const CrashImage image = replayed.run->VolatileImage();
  for (const auto& e : image.entries) model[e.path] = &e;
  for (const auto& e : on_disk.entries) {
    if (IsExcluded(options, e.path)) {
      c.excluded.push_back(e.path + " (excluded from the crash model)");
      continue;
    }
    real[e.path] = &e;
  }
  for (const auto& [path, e] : real) {
    auto it = model.find(path);
    if (it == model.end()) {
      c.mismatches.push_back(path + ": on disk, not in the replayed trace");
      continue;
    }
    if (e->is_dir != it->second->is_dir) {
      c.mismatches.push_back(path + ": a file on one side, a directory on the other");
      continue;
    }
    if (e->is_dir) {
      ++c.dirs;
      continue;
    }
    ++c.files;
    const std::string want = Sha256Hex(*e->data), got = Sha256Hex(*it->second->data);
    if (want != got) {
      c.mismatches.push_back(path + ": disk " + std::to_string(e->data->size()) + " bytes sha256 " + want +
                             ", trace " + std::to_string(it->second->data->size()) + " bytes sha256 " + got);
    }
  }
  for (const auto& [path, e] : model) {
    if (!real.count(path)) c.mismatches.push_back(path + ": in the replayed trace, not on disk");
  }
  return c;
}

Result<LoadedTrace> LoadTrace(const std::string& trace_dir) {
  LoadedTrace t;
  t.dir = trace_dir;
  auto meta = LoadTraceMeta(trace_dir);
  if (!meta.ok()) return meta.status();
  t.meta = *meta;
  t.options.data_dir = t.meta.data_dir;
  t.options.cwd = t.meta.cwd;
  t.options.excludes = t.meta.excludes;
  auto before = SnapshotDir(trace_dir + "/before");
  if (!before.ok()) return before.status();
  std::string text;
  WALPROOF_RETURN_IF_ERROR(ReadFile(trace_dir + "/strace.log", &text));
  auto log = StraceLog::Parse(text);
  if (!log.ok()) return Status::Corruption(trace_dir + "/strace.log: " + log.status().message());
  auto replayed = ReplayTrace(*log, *before, t.options);
  if (!replayed.ok()) return Status::InvalidArgument(trace_dir + "/strace.log: " + replayed.status().message());
  t.replayed = std::move(*replayed);
  return t;
}

CrashImage WithExcluded(const CrashImage& image, const LoadedTrace& trace) {
  CrashImage out = image;
  std::set<std::string> dirs;
  for (const auto& e : image.entries) {
    if (e.is_dir) dirs.insert(e.path);
  }
  for (const auto& e : trace.replayed.before.entries) {
    if (e.is_dir || !IsExcluded(trace.options, e.path)) continue;
    const size_t slash = e.path.rfind('/');
    if (slash == std::string::npos || dirs.count(e.path.substr(0, slash))) out.entries.push_back(e);
  }
  return out;
}

}  // namespace crashsim
