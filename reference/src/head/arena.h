// Head::Arena: where label sets, symbols and closed chunks live.
// Bump allocation in 1 MiB slabs and no free: the head only grows during
// replay, so per-object allocation would cost time and heap slack for nothing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
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
  static constexpr size_t kSlab = size_t{1} << 20;

  void NewSlab(size_t n) {
    const size_t size = std::max(kSlab, n);
    slabs_.push_back(std::make_unique_for_overwrite<char[]>(size));
    cur_ = slabs_.back().get();
    left_ = size;
    allocated_ += size;
  }

  std::vector<std::unique_ptr<char[]>> slabs_;
  char* cur_ = nullptr;
  size_t left_ = 0;
  uint64_t used_ = 0;
  uint64_t allocated_ = 0;
};

}  // namespace walproof
