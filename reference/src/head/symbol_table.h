// Head::SymbolTable: label names and values interned once, numbered densely.
// Label sets repeat job, instance, __name__ ... across thousands of series,
// so a series stores uvarint symbol ids instead of the strings.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "head/arena.h"
#include "head/label_bytes.h"
#include "walproof/head/head.h"

namespace walproof {

// Interned strings, numbered densely: each is stored once in the label arena
// (uvarint length, bytes), found through an open-addressing table of ids.
class Head::SymbolTable {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  explicit SymbolTable(Arena* arena) : arena_(arena) {}

  uint32_t Find(std::string_view s) const { return Lookup(s, head_internal::HashBytes(s)); }

  uint32_t Intern(std::string_view s) {
    const uint64_t hash = head_internal::HashBytes(s);
    if (const uint32_t id = Lookup(s, hash); id != kNone) return id;
    if ((strings_.size() + 1) * 4 > slots_.size() * 3) Rehash(slots_.empty() ? 256 : slots_.size() * 2);
    std::string size;
    head_internal::PutUvarint(s.size(), &size);
    char* p = arena_->Allocate(size.size() + s.size());
    std::memcpy(p, size.data(), size.size());
    std::memcpy(p + size.size(), s.data(), s.size());
    const auto id = static_cast<uint32_t>(strings_.size());
    strings_.push_back(p);
    Place(id, hash);
    return id;
  }

  size_t size() const { return strings_.size(); }
  std::string_view Get(uint32_t id) const {
    const char* p = strings_[id];
    return head_internal::GetString(&p);
  }

  uint64_t table_bytes() const {
    return strings_.capacity() * sizeof(const char*) + slots_.capacity() * sizeof(uint32_t);
  }

 private:
  uint32_t Lookup(std::string_view s, uint64_t hash) const {
    if (slots_.empty()) return kNone;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const uint32_t slot = slots_[i];
      if (slot == 0) return kNone;
      if (Get(slot - 1) == s) return slot - 1;
    }
  }
  void Place(uint32_t id, uint64_t hash) {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == 0) {
        slots_[i] = id + 1;
        return;
      }
    }
  }
  void Rehash(size_t capacity) {
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (uint32_t id = 0; id < strings_.size(); ++id) Place(id, head_internal::HashBytes(Get(id)));
  }

  Arena* arena_;
  std::vector<const char*> strings_;
  std::vector<uint32_t> slots_;  // id + 1, 0 when empty
  size_t mask_ = 0;
};

}  // namespace walproof
