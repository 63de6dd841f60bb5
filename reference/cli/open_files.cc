#include "open_files.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace walproof::cli {
namespace {

constexpr size_t kMaxListed = 10;
constexpr size_t kMaxCommand = 120;
constexpr int kCapDacOverride = 1;  // bit of CAP_DAC_OVERRIDE in CapEff

std::optional<int> ParsePid(const char* name) {
  if (*name == '\0') return std::nullopt;
  long v = 0;
  for (const char* p = name; *p; ++p) {
    if (*p < '0' || *p > '9') return std::nullopt;
    v = v * 10 + (*p - '0');
    if (v > INT_MAX) return std::nullopt;
  }
  return static_cast<int>(v);
}

bool Under(const std::string& path, const std::string& root) {
  if (root == "/") return !path.empty() && path[0] == '/';
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

std::string StripDeleted(std::string path) {
  static const std::string kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() && path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
  return path;
}

std::string ProcPath(int pid, const char* what) { return "/proc/" + std::to_string(pid) + "/" + what; }

std::string CommandOf(int pid) {
  std::ifstream in(ProcPath(pid, "cmdline"), std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : cmd) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // NUL between arguments, newlines in them
  }
  while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
  if (cmd.empty()) {
    std::ifstream comm(ProcPath(pid, "comm"));
    std::string name;
    std::getline(comm, name);
    return "[" + name + "]";
  }
  if (cmd.size() > kMaxCommand) cmd = cmd.substr(0, kMaxCommand) + "...";
  return cmd;
}

struct ProcStatus {
  bool gone = true;
  char state = '?';
  int ppid = -1;
  bool kthread = false;
  std::vector<uid_t> uids;
  std::vector<gid_t> gids;
  bool dac_override = false;
};

ProcStatus StatusOf(int pid) {
  ProcStatus s;
  std::ifstream in(ProcPath(pid, "status"));
  if (!in) return s;
  std::string line;
  while (std::getline(in, line)) {
    s.gone = false;
    std::istringstream fields(line.substr(line.find(':') == std::string::npos ? 0 : line.find(':') + 1));
    if (line.starts_with("State:")) {
      fields >> s.state;
    } else if (line.starts_with("PPid:")) {
      fields >> s.ppid;
    } else if (line.starts_with("Kthread:")) {
      int k = 0;
      fields >> k;
      s.kthread = k != 0;
    } else if (line.starts_with("Uid:")) {
      for (unsigned long v; fields >> v;) s.uids.push_back(static_cast<uid_t>(v));
    } else if (line.starts_with("Gid:") || line.starts_with("Groups:")) {
      for (unsigned long v; fields >> v;) s.gids.push_back(static_cast<gid_t>(v));
    } else if (line.starts_with("CapEff:")) {
      std::string hex;
      fields >> hex;
      unsigned long long caps = std::strtoull(hex.c_str(), nullptr, 16);
      s.dac_override = (caps >> kCapDacOverride) & 1;
    }
  }
  return s;
}

enum class Scan { kFound, kNotFound, kGone, kDenied };

// Looks through /proc/PID/fd for a file under root.
Scan ScanFds(int pid, const std::string& root, std::string* path, std::string* why) {
  const std::string dir = ProcPath(pid, "fd");
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    int err = errno;
    if (err == ENOENT || err == ESRCH) return Scan::kGone;
    *why = "reading " + dir + ": " + std::strerror(err);
    return Scan::kDenied;
  }
  Scan result = Scan::kNotFound;
  char buf[PATH_MAX + 1];
  while (dirent* e = ::readdir(d)) {
    if (!ParsePid(e->d_name)) continue;  // "." and ".."
    const std::string link = dir + "/" + e->d_name;
    ssize_t n = ::readlink(link.c_str(), buf, PATH_MAX);
    if (n < 0 && (errno == EACCES || errno == EPERM)) {
      *why = "reading " + link + ": " + std::strerror(errno);
      result = Scan::kDenied;
      break;
    }
    if (n <= 0) continue;  // closed meanwhile
    std::string target = StripDeleted(std::string(buf, static_cast<size_t>(n)));
    if (Under(target, root)) {
      *path = target;
      result = Scan::kFound;
      break;
    }
  }
  ::closedir(d);
  return result;
}

// Looks through /proc/PID/maps for a file under root.
Scan ScanMaps(int pid, const std::string& root, std::string* path, std::string* why) {
  const std::string maps = ProcPath(pid, "maps");
  FILE* f = std::fopen(maps.c_str(), "re");
  if (f == nullptr) {
    int err = errno;
    if (err == ENOENT || err == ESRCH) return Scan::kGone;
    *why = "reading " + maps + ": " + std::strerror(err);
    return Scan::kDenied;
  }
  Scan result = Scan::kNotFound;
  char* line = nullptr;
  size_t cap = 0;
  errno = 0;
  ssize_t len;
  while ((len = ::getline(&line, &cap, f)) > 0) {
    std::string l(line, static_cast<size_t>(len));
    if (!l.empty() && l.back() == '\n') l.pop_back();
    size_t slash = l.find('/');  // the path column; pseudo-maps ([heap]) have none
    if (slash == std::string::npos) continue;
    std::string target = StripDeleted(l.substr(slash));
    if (Under(target, root)) {
      *path = target;
      result = Scan::kFound;
      break;
    }
  }
  if (result == Scan::kNotFound && std::ferror(f)) {
    int err = errno;
    *why = "reading " + maps + ": " + std::strerror(err);
    result = err == ESRCH ? Scan::kGone : Scan::kDenied;
  }
  std::free(line);
  std::fclose(f);
  return result;
}

std::string Describe(const DirUser& u) {
  return "PID " + std::to_string(u.pid) + " (" + u.command + ") has " + u.path + (u.mapped ? " mapped" : " open");
}

}  // namespace

bool CouldWriteDir(const DirOwner& dir, const std::vector<uid_t>& uids, const std::vector<gid_t>& gids,
                   bool dac_override) {
  if (dac_override) return true;
  for (uid_t uid : uids) {
    if (uid == 0) return true;
    bool can;
    if (uid == dir.uid) {
      can = dir.mode & S_IWUSR;
    } else if (std::find(gids.begin(), gids.end(), dir.gid) != gids.end()) {
      can = dir.mode & S_IWGRP;
    } else {
      can = dir.mode & S_IWOTH;
    }
    if (can) return true;
  }
  return false;
}

Result<DirUsers> FindDirUsers(const std::string& root_arg, const std::vector<std::string>& writable_dirs) {
  char real[PATH_MAX];
  if (::realpath(root_arg.c_str(), real) == nullptr) return Status::FromErrno(errno, "resolve " + root_arg);
  const std::string root = real;
  std::vector<std::pair<std::string, DirOwner>> owners;
  for (const std::string& d : writable_dirs) {
    struct stat st {};
    if (::stat(d.c_str(), &st) != 0) return Status::FromErrno(errno, "stat " + d);
    owners.push_back({d, DirOwner{st.st_mode, st.st_uid, st.st_gid}});
  }
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return Status::FromErrno(errno, "list /proc (needed to see who else has " + root + " open)");
  }
  DirUsers out;
  const int self = static_cast<int>(::getpid());
  const uid_t self_uid = ::geteuid();
  while (dirent* e = ::readdir(proc)) {
    std::optional<int> pid = ParsePid(e->d_name);
    if (!pid || *pid == self) continue;
    std::string path, why;
    Scan fds = ScanFds(*pid, root, &path, &why);
    if (fds == Scan::kGone) continue;
    if (fds == Scan::kFound) {
      out.users.push_back({*pid, CommandOf(*pid), path, false});
      continue;
    }
    Scan maps = fds == Scan::kDenied ? Scan::kDenied : ScanMaps(*pid, root, &path, &why);
    if (maps == Scan::kGone || maps == Scan::kNotFound) continue;
    if (maps == Scan::kFound) {
      out.users.push_back({*pid, CommandOf(*pid), path, true});
      continue;
    }
    // Could not look inside: does it matter?
    ProcStatus status = StatusOf(*pid);
    if (status.gone || status.state == 'Z' || status.state == 'X') continue;
    if (status.kthread || *pid == 2 || status.ppid == 2) continue;  // kernel threads hold no files
    const bool same_user = !status.uids.empty() &&
                           std::all_of(status.uids.begin(), status.uids.end(), [&](uid_t u) { return u == self_uid; });
    if (same_user) {
      // Our own user's, yet closed to us: it made itself non-dumpable or holds
      // capabilities we lack (a container's or VM's supervisor). Named, not blocking.
      out.same_user_unchecked.push_back({*pid, CommandOf(*pid), self_uid, why});
      continue;
    }
    for (const auto& [dir, owner] : owners) {
      if (CouldWriteDir(owner, status.uids, status.gids, status.dac_override)) {
        uid_t uid = status.uids.size() > 1 ? status.uids[1] : (status.uids.empty() ? 0 : status.uids[0]);
        out.unchecked.push_back({*pid, CommandOf(*pid), uid,
                                 why + "; it runs as uid " + std::to_string(uid) + ", which could write " + dir});
        break;
      }
    }
  }
  ::closedir(proc);
  auto by_pid = [](const auto& a, const auto& b) { return a.pid < b.pid; };
  std::sort(out.users.begin(), out.users.end(), by_pid);
  std::sort(out.unchecked.begin(), out.unchecked.end(), by_pid);
  return out;
}

Status RefuseIfDirInUse(const std::string& root, const std::vector<std::string>& writable_dirs) {
  auto found = FindDirUsers(root, writable_dirs);
  if (!found.ok()) return found.status();
  for (const UncheckedProcess& u : found->same_user_unchecked) {
    std::fprintf(stderr, "note: PID %d (%s) could not be checked (%s); it runs as this user (uid %u), so it is "
                 "taken for a supervisor, not a writer\n", u.pid, u.command.c_str(), u.why.c_str(),
                 static_cast<unsigned>(u.uid));
  }
  if (found->users.empty() && found->unchecked.empty()) return Status::Ok();
  std::vector<std::string> lines;
  for (const DirUser& u : found->users) lines.push_back(Describe(u));
  for (const UncheckedProcess& u : found->unchecked) {
    lines.push_back("PID " + std::to_string(u.pid) + " (" + u.command + ") could not be checked: " + u.why);
  }
  std::string msg;
  if (!found->users.empty()) {
    msg = root + " is in use by another process; stop it first (a running Prometheus appends to its WAL "
          "whether or not it holds the data directory's lock):";
  } else {
    msg = "cannot tell whether another process is using " + root +
          "; run walproof as root (or as the only user who can write it) so that every process can be checked:";
  }
  for (size_t i = 0; i < lines.size() && i < kMaxListed; ++i) msg += "\n  " + lines[i];
  if (lines.size() > kMaxListed) msg += "\n  and " + std::to_string(lines.size() - kMaxListed) + " more";
  return Status::Busy(msg);
}

}  // namespace walproof::cli
