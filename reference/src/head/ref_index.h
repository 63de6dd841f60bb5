// Head::RefIndex: WAL ref -> series. A plain array while refs are dense
// (Prometheus hands them out 1, 2, 3, ...), an open-addressing table beyond;
// inline because every sample is resolved through Find.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "walproof/head/head.h"

namespace walproof {

class Head::RefIndex {
 public:
  SeriesId Find(uint64_t ref) const {
    if (ref < dense_.size()) return dense_[ref];
    if (slots_.empty()) return kNoSeries;
    for (size_t i = Home(ref);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNoSeries) return kNoSeries;
      if (s.ref == ref) return s.id;
    }
  }

  // Binds ref to id; returns the previous binding or kNoSeries.
  SeriesId Set(uint64_t ref, SeriesId id) {
    if (ref >= dense_.size() && ref < DenseLimit()) GrowDense(ref);
    if (ref < dense_.size()) {
      const SeriesId old = std::exchange(dense_[ref], id);
      if (old == kNoSeries) ++bound_;
      return old;
    }
    if ((used_ + 1) * 2 > slots_.size()) Rehash(slots_.empty() ? 64 : slots_.size() * 2);
    for (size_t i = Home(ref);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id == kNoSeries) {
        s = {ref, id};
        ++used_;
        ++bound_;
        return kNoSeries;
      }
      if (s.ref == ref) return std::exchange(s.id, id);
    }
  }

 private:
  struct Slot {
    uint64_t ref = 0;
    SeriesId id = kNoSeries;  // kNoSeries: empty
  };

  // A dense array costs 4 bytes per possible ref: worth it while refs are at
  // most a few times more than the bindings.
  uint64_t DenseLimit() const { return 4 * (bound_ + 1) + 65536; }

  size_t Home(uint64_t ref) const {
    return static_cast<size_t>((ref * 0x9e3779b97f4a7c15ULL) >> shift_);
  }

  void GrowDense(uint64_t ref) {
    uint64_t size = std::max<uint64_t>({ref + 1, dense_.size() * 2, 1024});
    size = std::min(size, DenseLimit());
    dense_.resize(static_cast<size_t>(size), kNoSeries);
    if (used_ == 0) return;
    // Move table entries the array now covers.
    std::vector<Slot> old;
    old.swap(slots_);
    used_ = 0;
    Rehash(old.size());
    for (const Slot& s : old) {
      if (s.id == kNoSeries) continue;
      if (s.ref < dense_.size()) {
        dense_[s.ref] = s.id;
      } else {
        Place(s);
      }
    }
  }

  void Rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    used_ = 0;
    for (const Slot& s : old) {
      if (s.id != kNoSeries) Place(s);
    }
  }

  void Place(const Slot& slot) {
    for (size_t i = Home(slot.ref);; i = (i + 1) & mask_) {
      if (slots_[i].id == kNoSeries) {
        slots_[i] = slot;
        ++used_;
        return;
      }
    }
  }

  std::vector<SeriesId> dense_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;

 public:
  uint64_t bytes() const { return dense_.capacity() * sizeof(SeriesId) + slots_.capacity() * sizeof(Slot); }

 private:
  size_t used_ = 0;
  uint64_t bound_ = 0;
};

}  // namespace walproof
