#include "crashsim/crash_image.h"

#include <cstdio>

#include "crashsim/hash.h"

namespace crashsim {

uint64_t ContentHashCache::Get(const Bytes& data) {
  if (!data) return 0;
  auto it = cache_.find(data.get());
  if (it != cache_.end()) return it->second.second;
  // Contents made for this one state (a cut, a hole) are held only by its
  // image: caching them would keep every one alive and never hit.
  if (data.use_count() == 1) return Hash64(*data, 0x5eedULL);
  // Bounded: the cache lives as long as a scenario, whose images share most contents.
  if (cache_.size() > 200000) cache_.clear();
  uint64_t h = Hash64(*data, 0x5eedULL);
  cache_.emplace(data.get(), std::make_pair(data, h));
  return h;
}

uint64_t CrashImage::Hash(ContentHashCache* cache) const {
  uint64_t h = 0xC0FFEEULL;
  for (const Entry& e : entries) {
    h = HashCombine(h, Hash64(e.path));
    h = HashCombine(h, e.is_dir ? 1 : (cache ? cache->Get(e.data) : Hash64(*e.data)) ^ 2);
  }
  return h;
}

uint64_t CrashImage::TotalBytes() const {
  uint64_t n = 0;
  for (const Entry& e : entries) n += e.is_dir ? 0 : e.data->size();
  return n;
}

walproof::Status CrashImage::WriteTo(walproof::Fs& fs, const std::string& dir) const {
  WALPROOF_RETURN_IF_ERROR(walproof::EnsureDir(fs, dir));
  for (const Entry& e : entries) {
    std::string path = walproof::JoinPath(dir, e.path);
    if (e.is_dir) {
      WALPROOF_RETURN_IF_ERROR(walproof::EnsureDir(fs, path));
    } else {
      WALPROOF_RETURN_IF_ERROR(walproof::WriteWholeFile(fs, path, *e.data));
    }
  }
  return walproof::Status::Ok();
}

std::string CrashImage::Describe() const {
  std::string out;
  for (const Entry& e : entries) {
    if (e.is_dir) {
      out += "dir  " + e.path + "\n";
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %zu bytes, hash %016llx", e.data->size(),
                    static_cast<unsigned long long>(Hash64(*e.data)));
      out += "file " + e.path + buf + "\n";
    }
  }
  return out;
}

}  // namespace crashsim
