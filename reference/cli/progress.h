// A progress bar on stderr for long work. It appears only after the work has
// run for a second and only when stderr is a terminal, so scripts and CI logs
// never see it; it redraws at most ten times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace walproof::cli {

class Progress {
 public:
  // `what` names the work ("verify"); `total` is in `unit`s (bytes: "B").
  Progress(std::string what, uint64_t total);
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Sets how much is done; cheap enough to call per record.
  void Update(uint64_t done) {
    done_ = done;
    if (enabled_ && ++calls_ % 64 == 0) MaybeDraw();
  }
  // Same, when the total is learnt as the work goes.
  void Update(uint64_t done, uint64_t total) {
    total_ = total;
    done_ = done;
    if (enabled_) MaybeDraw();
  }

 private:
  void MaybeDraw();

  std::string what_;
  uint64_t total_;
  uint64_t done_ = 0;
  uint64_t calls_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace walproof::cli
