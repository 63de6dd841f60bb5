// Head::Arena: where label sets, symbols and closed chunks live.
// Bump allocation in 2 MiB slabs and no free: the head only grows during
// replay, so per-object allocation would cost time and heap slack for nothing.
// Slabs are aligned to 2 MiB and offered to the kernel as huge pages: the
// head is nearly all arena, and first-touch faults on 4 KiB pages cost about
// a tenth of a replay's CPU (perf, on a 2.2 GB WAL in a VM).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "walproof/head/head.h"

namespace walproof {

// Bump allocation in slabs; nothing is freed before the head is.
class Head::Arena {
 public:
  char* Allocate(size_t n) {
    if (n > left_) NewSlab(n);
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    used_ += n;
    return p;
  }
  uint64_t used() const { return used_; }
  uint64_t allocated() const { return allocated_; }

 private:
  static constexpr size_t kSlab = size_t{1} << 21;
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  void NewSlab(size_t n) {
    const size_t size = (std::max(kSlab, n) + kSlab - 1) / kSlab * kSlab;
    char* p = static_cast<char*>(std::aligned_alloc(kSlab, size));
    if (p == nullptr) throw std::bad_alloc();
    // Advice only: where huge pages are off, this fails and changes nothing.
    madvise(p, size, MADV_HUGEPAGE);
    slabs_.emplace_back(p);
    cur_ = p;
    left_ = size;
    allocated_ += size;
  }

  std::vector<std::unique_ptr<char, Free>> slabs_;
  char* cur_ = nullptr;
  size_t left_ = 0;
  uint64_t used_ = 0;
  uint64_t allocated_ = 0;
};

}  // namespace walproof
