#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace walproof::cli {

Progress::Progress(std::string what, uint64_t total)
    : what_(std::move(what)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void Progress::MaybeDraw() {
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1)) return;
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  double secs = std::chrono::duration<double>(now - start_).count();
  double frac = total_ ? double(done_) / double(total_) : 0;
  if (frac > 1) frac = 1;
  constexpr int kWidth = 30;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  double rate = secs > 0 ? double(done_) / secs / 1e6 : 0;
  double eta = frac > 0 ? secs / frac - secs : 0;
  std::fprintf(stderr, "\r\033[K%s [%s] %5.1f%%  %.0f MB/s  %.0fs left", what_.c_str(), bar.c_str(),
               frac * 100, rate, eta);
  std::fflush(stderr);
}

}  // namespace walproof::cli
