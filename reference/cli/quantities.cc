#include "quantities.h"

#include <sys/resource.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>

namespace walproof::cli {

namespace {

// The leading integer of text and what follows it.
bool SplitNumber(const std::string& text, uint64_t* n, std::string* unit) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *n);
  if (ec != std::errc() || p == text.data()) return false;
  *unit = std::string(p, text.data() + text.size());
  for (char& c : *unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

}  // namespace

bool ParseSize(const std::string& text, uint64_t* bytes) {
  uint64_t n = 0;
  std::string unit;
  if (!SplitNumber(text, &n, &unit)) return false;
  int shift = 0;
  if (unit.empty() || unit == "b") shift = 0;
  else if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  else if (unit == "t" || unit == "tb" || unit == "tib") shift = 40;
  else return false;
  if (n > (UINT64_MAX >> shift)) return false;
  *bytes = n << shift;
  return *bytes > 0;
}

bool ParseDurationMs(const std::string& text, int64_t* ms) {
  uint64_t n = 0;
  std::string unit;
  if (!SplitNumber(text, &n, &unit)) return false;
  uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60 * 1000;
  else if (unit == "h") scale = 3600 * 1000;
  else if (unit == "d") scale = 86400 * 1000;
  else return false;
  if (n == 0 || n > uint64_t{INT64_MAX} / scale) return false;
  *ms = static_cast<int64_t>(n * scale);
  return true;
}

uint64_t AvailableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

uint64_t PeakRssBytes() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string FormatMiB(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace walproof::cli
