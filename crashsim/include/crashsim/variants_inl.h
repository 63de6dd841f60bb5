// Implementation of ForEachFragment (a template, so it lives in a header).
#pragma once

#include <cstdint>
#include <string_view>

#include "walproof/format/fragment.h"

namespace crashsim {

template <typename Fn>
void ForEachFragment(std::string_view data, uint64_t base, Fn fn) {
  using walproof::kFragmentHeaderSize;
  using walproof::kPageSize;
  uint64_t p = 0;
  while (p < data.size()) {
    const uint64_t in_page = (base + p) % kPageSize;
    const uint64_t page_left = kPageSize - in_page;
    const auto type = static_cast<uint8_t>(data[p]);
    if ((type & walproof::kFragmentTypeMask) == 0) {
      p += page_left;  // a terminator: the rest of the page is padding
      continue;
    }
    if (page_left < kFragmentHeaderSize || p + kFragmentHeaderSize > data.size()) return;
    const uint64_t len = uint64_t{static_cast<uint8_t>(data[p + 1])} << 8 | static_cast<uint8_t>(data[p + 2]);
    if (kFragmentHeaderSize + len > page_left) return;
    if (!fn(p, type, len)) return;
    p += kFragmentHeaderSize + len;
  }
}

}  // namespace crashsim
