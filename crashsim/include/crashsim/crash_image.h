// CrashImage: what the disk holds after a (simulated) crash: directories and
// files by path, with contents. It is what recovery is run on, what is hashed
// to deduplicate states, and what `crashsim replay --out` writes to disk.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "crashsim/fs_state.h"
#include "walproof/io/fs.h"

namespace crashsim {

// Remembers the hash of contents already seen (keyed by the shared string,
// which it keeps alive so the key stays valid). Most crash states share all
// but one file with the previous one, so this saves most of the hashing.
class ContentHashCache {
 public:
  uint64_t Get(const Bytes& data);
  void Clear() { cache_.clear(); }

 private:
  std::unordered_map<const std::string*, std::pair<Bytes, uint64_t>> cache_;
};

struct CrashImage {
  struct Entry {
    std::string path;  // relative, '/'-separated; parents come before children
    bool is_dir = false;
    Bytes data;  // files only
  };
  std::vector<Entry> entries;

  uint64_t Hash(ContentHashCache* cache) const;
  uint64_t TotalBytes() const;
  // Writes the image below `dir` (which is created) through `fs`.
  walproof::Status WriteTo(walproof::Fs& fs, const std::string& dir) const;
  // A one-line-per-entry listing: "dir wal", "file wal/00000000 65536 <hash>".
  std::string Describe() const;
};

}  // namespace crashsim
