#include "walproof/tsdb/block_meta.h"

#include <charconv>
#include <string>

namespace walproof::tsdb {

namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The value after `"key":` in the object that starts at `from`, as raw text
// up to the next ',' '}' or newline (a number or a quoted string); empty when
// absent. Keys are unique in what upstream writes, and the nested "stats"
// and "compaction" objects use names the top level does not.
std::string_view RawField(std::string_view json, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  size_t at = json.find(quoted);
  if (at == std::string_view::npos) return {};
  at += quoted.size();
  while (at < json.size() && (json[at] == ' ' || json[at] == '\t')) ++at;
  if (at >= json.size() || json[at] != ':') return {};
  ++at;
  while (at < json.size() && (json[at] == ' ' || json[at] == '\t' || json[at] == '\n' || json[at] == '\r')) ++at;
  size_t end = at;
  if (end < json.size() && json[end] == '"') {
    end = json.find('"', at + 1);
    if (end == std::string_view::npos) return {};
    return json.substr(at, end + 1 - at);
  }
  while (end < json.size() && json[end] != ',' && json[end] != '}' && json[end] != '\n' && json[end] != ' ') ++end;
  return json.substr(at, end - at);
}

template <typename T>
Status Number(std::string_view json, std::string_view key, const std::string& path, bool required, T* out) {
  std::string_view raw = RawField(json, key);
  if (raw.empty()) {
    if (!required) return Status::Ok();
    return Status::Corruption(path + ": field \"" + std::string(key) + "\" missing");
  }
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), *out);
  if (ec != std::errc() || p != raw.data() + raw.size()) {
    return Status::Corruption(path + ": field \"" + std::string(key) + "\" is not an integer: " + std::string(raw));
  }
  return Status::Ok();
}

}  // namespace

std::string MakeUlid(uint64_t unix_ms, const std::array<uint8_t, 10>& entropy) {
  unsigned __int128 v = static_cast<unsigned __int128>(unix_ms & 0xffffffffffffull) << 80;
  for (size_t i = 0; i < entropy.size(); ++i) v |= static_cast<unsigned __int128>(entropy[i]) << (8 * (9 - i));
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kCrockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

bool IsUlid(std::string_view s) {
  if (s.size() != 26 || s[0] > '7') return false;
  for (char c : s) {
    if (std::string_view(kCrockford).find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string EncodeBlockMeta(const BlockMeta& m) {
  std::string out = "{\n\t\"ulid\": \"" + m.ulid + "\",\n";
  out += "\t\"minTime\": " + std::to_string(m.min_time) + ",\n";
  out += "\t\"maxTime\": " + std::to_string(m.max_time) + ",\n";
  out += "\t\"stats\": {\n";
  out += "\t\t\"numSamples\": " + std::to_string(m.stats.samples) + ",\n";
  out += "\t\t\"numSeries\": " + std::to_string(m.stats.series) + ",\n";
  out += "\t\t\"numChunks\": " + std::to_string(m.stats.chunks);
  if (m.stats.tombstones) out += ",\n\t\t\"numTombstones\": " + std::to_string(m.stats.tombstones);
  out += "\n\t},\n";
  out += "\t\"compaction\": {\n\t\t\"level\": " + std::to_string(m.compaction_level) + ",\n";
  out += "\t\t\"sources\": [\n\t\t\t\"" + m.ulid + "\"\n\t\t]\n\t},\n";
  out += "\t\"version\": " + std::to_string(m.version) + "\n}";
  return out;
}

Result<BlockMeta> ParseBlockMeta(std::string_view json, const std::string& path) {
  BlockMeta m;
  std::string_view ulid = RawField(json, "ulid");
  if (ulid.size() < 2 || !IsUlid(ulid.substr(1, ulid.size() - 2))) {
    return Status::Corruption(path + ": field \"ulid\" is missing or not a ULID");
  }
  m.ulid = std::string(ulid.substr(1, ulid.size() - 2));
  WALPROOF_RETURN_IF_ERROR(Number(json, "minTime", path, true, &m.min_time));
  WALPROOF_RETURN_IF_ERROR(Number(json, "maxTime", path, true, &m.max_time));
  WALPROOF_RETURN_IF_ERROR(Number(json, "numSamples", path, false, &m.stats.samples));
  WALPROOF_RETURN_IF_ERROR(Number(json, "numSeries", path, false, &m.stats.series));
  WALPROOF_RETURN_IF_ERROR(Number(json, "numChunks", path, false, &m.stats.chunks));
  WALPROOF_RETURN_IF_ERROR(Number(json, "numTombstones", path, false, &m.stats.tombstones));
  WALPROOF_RETURN_IF_ERROR(Number(json, "level", path, false, &m.compaction_level));
  WALPROOF_RETURN_IF_ERROR(Number(json, "version", path, true, &m.version));
  if (m.version != 1) return Status::Corruption(path + ": unsupported meta version " + std::to_string(m.version));
  if (m.max_time < m.min_time) {
    return Status::Corruption(path + ": maxTime " + std::to_string(m.max_time) + " is before minTime " +
                              std::to_string(m.min_time));
  }
  return m;
}

}  // namespace walproof::tsdb
