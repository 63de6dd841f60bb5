// Head::LabelIndex: label set -> series, by a hash of the set's symbol ids.
// Only 32 bits of the hash are stored per slot (8-byte slots), so every hit
// is confirmed against the labels themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "walproof/head/head.h"

namespace walproof {

// A multimap on the hash (linear probing, no deletion): every entry with the
// wanted hash is checked against the labels, so collisions cost a compare.
class Head::LabelIndex {
 public:
  template <typename LabelsOf>
  SeriesId Find(uint64_t hash, std::string_view encoded, const LabelsOf& labels_of) const {
    if (slots_.empty()) return kNoSeries;
    const auto tag = static_cast<uint32_t>(hash);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNoSeries) return kNoSeries;
      if (s.tag == tag && labels_of(s.id) == encoded) return s.id;
    }
  }

  void Insert(uint64_t hash, SeriesId id) {
    // At most 3/4 full: with 8-byte slots that is 11 to 21 bytes a series.
    if ((used_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.empty() ? 64 : slots_.size() * 2);
    Place({static_cast<uint32_t>(hash), id});
    ++used_;
  }

 private:
  // 32 bits of the hash: they pick the home slot and filter compares (a
  // table of more than 2^32 slots would only cluster, never fail).
  struct Slot {
    uint32_t tag = 0;
    SeriesId id = kNoSeries;
  };

  void Rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.id != kNoSeries) Place(s);
    }
  }

  void Place(const Slot& slot) {
    for (size_t i = slot.tag & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].id == kNoSeries) {
        slots_[i] = slot;
        return;
      }
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;

 public:
  uint64_t bytes() const { return slots_.capacity() * sizeof(Slot); }
};

}  // namespace walproof
