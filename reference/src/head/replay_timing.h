// Phase timing for replay reports (--timing): a clock read only when timing
// is on, so untimed replay pays one branch per scope.
#pragma once

#include <chrono>

namespace walproof::replay_internal {

using Clock = std::chrono::steady_clock;

inline double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Adds the time of a scope to *total when timing is on.
class ScopedTime {
 public:
  ScopedTime(bool on, double* total) : total_(on ? total : nullptr) {
    if (total_) start_ = Clock::now();
  }
  ~ScopedTime() {
    if (total_) *total_ += Since(start_);
  }
  ScopedTime(const ScopedTime&) = delete;
  ScopedTime& operator=(const ScopedTime&) = delete;

 private:
  double* total_;
  Clock::time_point start_;
};

}  // namespace walproof::replay_internal
