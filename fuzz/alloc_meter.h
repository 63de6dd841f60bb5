// AllocMeter: how many bytes the code under a scope allocated, so that a
// target can assert "never allocates more than the input justifies".
//
// Built on the sanitizer allocator's malloc hook, so it counts only under
// ASan (the asan and fuzz presets, OSS-Fuzz). Elsewhere it reports nothing
// and the targets skip the check (available() is false). Counts the calling
// thread only.
#pragma once

#include <cstddef>

namespace walproof::fuzz {

class AllocMeter {
 public:
  AllocMeter();
  ~AllocMeter();
  AllocMeter(const AllocMeter&) = delete;
  AllocMeter& operator=(const AllocMeter&) = delete;

  static bool available();
  // Bytes requested from malloc/new since construction (frees not deducted).
  size_t allocated() const;
  // The largest single request.
  size_t largest() const;
};

}  // namespace walproof::fuzz
