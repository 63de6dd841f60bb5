#include "wal_location.h"

#include "args.h"
#include "data_dir.h"

namespace walproof::cli {
namespace {

std::string StripSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string BaseName(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

// "00000003.bak", "00000003.repair.tmp", "00000003~": a segment's name with
// something after it. Never read, so never silently passed over either.
bool SegmentNameWithSuffix(const std::string& name) {
  size_t digits = 0;
  while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
  return digits > 0 && digits < name.size();
}

}  // namespace

bool WalLocation::Empty() const {
  return !HasWal() && listing.tmp_checkpoints.empty() && listing.repair_files.empty() &&
         listing.other.empty();
}

std::string WalLocation::UsingLine() const {
  return "using " + wal_dir + " (" + DataDirOf(wal_dir) + " is a data directory holding wal/)";
}

std::vector<std::string> WalLocation::NotRead() const {
  std::vector<std::string> out;
  for (const std::string& n : listing.repair_files) {
    out.push_back(n + " (left by a Prometheus interrupted in its repair; walproof repair puts it back)");
  }
  for (const std::string& n : listing.tmp_checkpoints) {
    out.push_back(n + " (left by an interrupted checkpoint)");
  }
  for (const std::string& n : listing.other) {
    out.push_back(SegmentNameWithSuffix(n) ? n + " (a segment name with a suffix: not a segment)" : n);
  }
  return out;
}

std::string WalLocation::NothingHere() const {
  std::string msg = "no WAL segments here: " + wal_dir + " holds no segment and no checkpoint";
  std::vector<std::string> names = NotRead();
  if (names.empty()) return msg + " (it is empty)";
  return msg + "; non-segment files: " + JoinNames(names);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<WalLocation> LocateWal(Fs& fs, const std::string& arg, bool may_be_missing) {
  WalLocation loc;
  loc.arg = arg;
  loc.wal_dir = StripSlashes(arg);
  auto kind = fs.Stat(loc.wal_dir);
  if (!kind.ok()) return kind.status();
  if (*kind == FileKind::kMissing) {
    if (!may_be_missing) return Status::NotFound(arg + ": no such directory");
    loc.exists = false;
  } else if (*kind != FileKind::kDir) {
    return Status::InvalidArgument(arg + " is not a directory");
  } else {
    auto listing = ListWalDir(fs, loc.wal_dir);
    if (!listing.ok()) return listing.status();
    loc.listing = std::move(*listing);
    if (!loc.HasWal()) {
      const std::string inner = JoinPath(loc.wal_dir, "wal");
      auto inner_kind = fs.Stat(inner);
      if (!inner_kind.ok()) return inner_kind.status();
      if (*inner_kind == FileKind::kDir) {
        auto inner_listing = ListWalDir(fs, inner);
        if (!inner_listing.ok()) return inner_listing.status();
        loc.wal_dir = inner;
        loc.listing = std::move(*inner_listing);
        loc.via_data_dir = true;
      }
    }
  }
  loc.in_data_dir = BaseName(loc.wal_dir) == "wal";
  loc.data_dir = loc.in_data_dir ? DataDirOf(loc.wal_dir) : loc.wal_dir;
  return loc;
}

std::optional<WalLocation> LocateForReading(Fs& fs, const std::string& arg, std::string* error, int* code) {
  auto loc = LocateWal(fs, arg);
  if (!loc.ok()) {
    *error = loc.status().ToString();
    *code = kExitCannotCheck;
    return std::nullopt;
  }
  if (!loc->HasWal()) {
    *error = (loc->via_data_dir ? loc->UsingLine() + "; " : std::string()) + loc->NothingHere();
    *code = kExitCannotCheck;
    return std::nullopt;
  }
  return std::move(*loc);
}

}  // namespace walproof::cli
