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

// A closed chunk in an arena: the previous (older) chunk's address, its last
// sample's time (a block's index needs it, and the bit stream only yields it
// to a full decode), the chunk's size (2 bytes), then its bytes. Native byte
// order, unaligned, so no padding: fields are read and written with memcpy.
inline constexpr size_t kChunkHeader = sizeof(const char*) + sizeof(int64_t) + sizeof(uint16_t);
static_assert(size_t{kSamplesPerChunk} * 19 + 2 < 65536, "a closed chunk's size must fit 16 bits");

struct ClosedChunk {
  const char* prev;
  int64_t maxt;
  std::string_view bytes;
};

inline ClosedChunk ReadChunk(const char* c) {
  const char* prev;
  int64_t maxt;
  uint16_t size;
  std::memcpy(&prev, c, sizeof prev);
  std::memcpy(&maxt, c + sizeof prev, sizeof maxt);
  std::memcpy(&size, c + sizeof prev + sizeof maxt, sizeof size);
  return {prev, maxt, std::string_view(c + kChunkHeader, size)};
}

// Writes a closed chunk at c (kChunkHeader + bytes.size() bytes).
inline void WriteChunk(char* c, const char* prev, int64_t maxt, std::string_view bytes) {
  const auto size = static_cast<uint16_t>(bytes.size());
  std::memcpy(c, &prev, sizeof prev);
  std::memcpy(c + sizeof prev, &maxt, sizeof maxt);
  std::memcpy(c + sizeof prev + sizeof maxt, &size, sizeof size);
  std::memcpy(c + kChunkHeader, bytes.data(), bytes.size());
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
  // The open chunk is cut before a sample at or after this time: the end of
  // the chunk range its first sample fell in (HeadOptions::chunk_range).
  int64_t chunk_end = 0;
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
  std::vector<ChunkView> Chunks() const {
    std::vector<ChunkView> out;
    for (const char* c = newest_chunk; c != nullptr;) {
      const ClosedChunk cc = ReadChunk(c);
      out.push_back({cc.bytes, cc.maxt});
      c = cc.prev;
    }
    std::reverse(out.begin(), out.end());
    if (!open.empty()) out.push_back({open.bytes(), open.max_time()});
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
