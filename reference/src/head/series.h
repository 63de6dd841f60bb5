// Head::Series, the per-series record, and where series live: fixed blocks
// of 4096 that never move, so appenders on other threads keep valid pointers
// while the control thread creates series. Head::at() is inline here because
// every append goes through it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "head/label_bytes.h"
#include "walproof/head/head.h"
#include "walproof/head/xor_chunk.h"

namespace walproof {

inline constexpr unsigned kBlockBits = 12;
inline constexpr size_t kBlockSize = size_t{1} << kBlockBits;
inline constexpr size_t kNumBlocks = (size_t{1} << 32) >> kBlockBits;

// A closed chunk in an arena: the previous (older) chunk's address, the
// chunk's size (2 bytes, native order), then its bytes. Unaligned, so no
// padding: fields are read and written with memcpy.
inline constexpr size_t kChunkHeader = sizeof(const char*) + sizeof(uint16_t);
static_assert(size_t{kSamplesPerChunk} * 19 + 2 < 65536, "a closed chunk's size must fit 16 bits");

struct ClosedChunk {
  const char* prev;
  std::string_view bytes;
};

inline ClosedChunk ReadChunk(const char* c) {
  const char* prev;
  uint16_t size;
  std::memcpy(&prev, c, sizeof prev);
  std::memcpy(&size, c + sizeof prev, sizeof size);
  return {prev, std::string_view(c + kChunkHeader, size)};
}

struct Head::Series {
  struct Histograms {
    std::vector<HistogramPoint> ints;
    std::vector<FloatHistogramPoint> floats;
    int64_t last_t = 0;
  };
  struct Extras {
    std::vector<TimeInterval> tombstones;
    std::vector<Exemplar> exemplars;
    std::optional<SeriesMetadata> metadata;
  };

  Series(uint64_t r, const char* l) : ref(r), labels(l) {}

  // Set at creation by the control thread, read-only afterwards.
  uint64_t ref;
  // In the label arena: uvarint size, then the label set as symbols: uvarint
  // count, then (name, value) symbol ids as uvarints.
  const char* labels;
  // Samples: written by the one thread appending to this series. The open
  // chunk is never empty once a float was appended (a chunk is cut just
  // before the next append), so its max time is the last float's time.
  XorAppender open;
  const char* newest_chunk = nullptr;  // closed chunks, newest first
  std::unique_ptr<Histograms> histograms;
  // Written by the control thread only.
  std::unique_ptr<Extras> extras;

  std::string_view symbol_bytes() const {
    const char* p = labels;
    const size_t n = head_internal::GetUvarint(&p);
    return {p, n};
  }
  // Floats and histograms share the last time, as they share upstream's head
  // chunk: only a sample newer than both is taken.
  AppendOutcome Admit(int64_t t) const {
    int64_t last;
    if (!open.empty()) {
      last = open.max_time();
      if (histograms && histograms->last_t > last) last = histograms->last_t;
    } else if (histograms) {
      last = histograms->last_t;
    } else {
      return AppendOutcome::kAppended;
    }
    if (t > last) return AppendOutcome::kAppended;
    return t == last ? AppendOutcome::kDuplicate : AppendOutcome::kOutOfOrder;
  }
  Extras& extra() {
    if (!extras) extras = std::make_unique<Extras>();
    return *extras;
  }
  Histograms& hist() {
    if (!histograms) histograms = std::make_unique<Histograms>();
    return *histograms;
  }
  // Closed chunks, oldest first, then the open one.
  std::vector<std::string_view> Chunks() const {
    std::vector<std::string_view> out;
    for (const char* c = newest_chunk; c != nullptr;) {
      const ClosedChunk cc = ReadChunk(c);
      out.push_back(cc.bytes);
      c = cc.prev;
    }
    std::reverse(out.begin(), out.end());
    if (!open.empty()) out.push_back(open.bytes());
    return out;
  }
};

inline Head::Series& Head::at(SeriesId id) {
  return blocks_[id >> kBlockBits][id & (kBlockSize - 1)];
}
inline const Head::Series& Head::at(SeriesId id) const {
  return blocks_[id >> kBlockBits][id & (kBlockSize - 1)];
}

// What the getters of absent per-series parts return.
template <typename T>
inline const std::vector<T>& EmptyVector() {
  static const std::vector<T> kEmpty;
  return kEmpty;
}

}  // namespace walproof
