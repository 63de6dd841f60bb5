// Head::Lane: what one appending thread owns (its arena for closed chunks, its
// scratch list of samples, its guess at chunk sizes), so that parallel
// appenders share nothing and need no lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "head/arena.h"
#include "walproof/head/head.h"

namespace walproof {

// A sample bound for a known series.
struct Head::Pending {
  Series* target;
  int64_t t;
  uint64_t v_bits;
};

// What one appending thread owns: where its closed chunks go, its scratch
// list of samples to append, and what it has learnt of chunk sizes.
struct Head::Lane {
  static constexpr size_t kPadding = 48;  // AppendRun's prefetch distance

  Arena arena;
  std::vector<Pending> pending;
  uint64_t mean16 = 0;  // chunk size, in 1/16 bytes
  uint64_t dev16 = 0;   // its mean deviation

  // Room for n samples to append (and the padding).
  Pending* Reserve(size_t n) {
    if (pending.size() < n + kPadding) pending.resize(n + kPadding);
    return pending.data();
  }
  // The first n entries, followed by copies of the last for AppendRun to
  // prefetch past the end.
  const Pending* Padded(size_t n) {
    if (n > 0) {
      std::fill(pending.begin() + static_cast<ptrdiff_t>(n),
                pending.begin() + static_cast<ptrdiff_t>(n + kPadding), pending[n - 1]);
    }
    return pending.data();
  }

  // A series' open-chunk buffer is allocated once, at the size a chunk will
  // likely need, and then kept: growing it later leaves a hole in the heap
  // that no other series' buffer fits. So the guess aims high: the mean plus
  // four mean deviations of recent chunks (decaying over ~16 chunks).
  void Learn(size_t size) {
    const uint64_t x = static_cast<uint64_t>(size) << 4;
    if (mean16 == 0) mean16 = x;
    const uint64_t d = x > mean16 ? x - mean16 : mean16 - x;
    mean16 = mean16 - mean16 / 16 + x / 16;
    dev16 = dev16 - dev16 / 16 + d / 16;
  }
  // 0 until a chunk was seen: XorAppender's default then.
  size_t Hint() const { return mean16 == 0 ? 0 : static_cast<size_t>((mean16 + 4 * dev16) >> 4) + 12; }
};

}  // namespace walproof
