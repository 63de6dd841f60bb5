// ParallelFor: fn(0) .. fn(n - 1) on up to `threads` threads, the caller's
// included, each taking the next index as it finishes one. For a handful of
// independent, coarse jobs (finishing or checking one block each); with
// threads <= 1 everything runs on the caller's thread, in order, which is
// what a recording file system (crashsim) needs.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace walproof::tsdb {

template <typename Fn>
void ParallelFor(size_t n, int threads, Fn fn) {
  const size_t helpers = threads <= 1 || n <= 1 ? 0 : std::min<size_t>(static_cast<size_t>(threads), n) - 1;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < helpers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace walproof::tsdb
