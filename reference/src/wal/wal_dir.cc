#include "walproof/wal/wal_dir.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace walproof {
namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

std::optional<int> ParseDigits(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string SegmentFileName(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08d", index);
  return buf;
}

std::optional<int> ParseSegmentIndex(std::string_view name) { return ParseDigits(name); }

std::string CheckpointDirName(int index) { return std::string(kCheckpointPrefix) + SegmentFileName(index); }

std::optional<int> ParseCheckpointIndex(std::string_view name) {
  if (!name.starts_with(kCheckpointPrefix)) return std::nullopt;
  return ParseDigits(name.substr(kCheckpointPrefix.size()));
}

std::optional<std::pair<int, int>> WalDirListing::FirstGap() const {
  for (size_t i = 1; i < segments.size(); ++i) {
    // In 64 bits: two names for INT_MAX ("2147483647", "02147483647") must not overflow.
    if (int64_t{segments[i]} != int64_t{segments[i - 1]} + 1) {
      return std::make_pair(segments[i - 1], segments[i]);
    }
  }
  return std::nullopt;
}

const CheckpointEntry* WalDirListing::LastCheckpoint() const {
  return checkpoints.empty() ? nullptr : &checkpoints.back();
}

Result<WalDirListing> ListWalDir(Fs& fs, const std::string& dir) {
  auto entries = fs.ListDir(dir);
  if (!entries.ok()) return entries.status();
  WalDirListing out;
  for (const DirEntry& e : *entries) {
    if (auto seg = ParseSegmentIndex(e.name); seg && !e.is_dir) {
      out.segments.push_back(*seg);
    } else if (auto cp = ParseCheckpointIndex(e.name)) {
      out.checkpoints.push_back({*cp, e.name, e.is_dir});
    } else if (e.name.starts_with(kCheckpointPrefix) && e.name.ends_with(".tmp")) {
      out.tmp_checkpoints.push_back(e.name);
    } else if (e.name.ends_with(".repair")) {
      out.repair_files.push_back(e.name);
    } else {
      out.other.push_back(e.name);
    }
  }
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.checkpoints.begin(), out.checkpoints.end(),
            [](const CheckpointEntry& a, const CheckpointEntry& b) { return a.index < b.index; });
  std::sort(out.tmp_checkpoints.begin(), out.tmp_checkpoints.end());
  std::sort(out.repair_files.begin(), out.repair_files.end());
  std::sort(out.other.begin(), out.other.end());
  return out;
}

Result<std::vector<int>> ListSequentialSegments(Fs& fs, const std::string& dir) {
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  if (auto gap = listing->FirstGap()) {
    return Status::Corruption("segments are not sequential in " + dir + ": " +
                              SegmentFileName(gap->first) + " is followed by " +
                              SegmentFileName(gap->second));
  }
  return std::move(listing->segments);
}

}  // namespace walproof
