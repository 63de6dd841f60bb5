// Sizes and durations as operators write them on the command line:
// "512MiB", "2G", "1073741824"; "2h", "90m", "7200s", "500ms".
#pragma once

#include <cstdint>
#include <string>

namespace walproof::cli {

// Bytes. Suffixes K, M, G, T (powers of 1024, with or without "iB"/"B").
bool ParseSize(const std::string& text, uint64_t* bytes);
// Milliseconds, > 0. Suffixes ms, s, m, h, d.
bool ParseDurationMs(const std::string& text, int64_t* ms);
// What /proc/meminfo calls MemAvailable, in bytes; 0 when unknown.
uint64_t AvailableMemoryBytes();
// Peak resident set size of this process so far, in bytes.
uint64_t PeakRssBytes();
// "512.0 MiB".
std::string FormatMiB(uint64_t bytes);

}  // namespace walproof::cli
