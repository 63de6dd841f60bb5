// Reading floats back: chunk lists, sample counts, decoded samples and the
// streaming iterator the digest uses. Off the replay path, so plain code.
#include <algorithm>
#include <bit>
#include <memory>
#include <optional>

#include "head/series.h"
#include "walproof/head/head.h"
#include "walproof/head/xor_chunk.h"

namespace walproof {

std::vector<ChunkView> Head::FloatChunks(SeriesId id) const { return at(id).Chunks(); }

uint64_t Head::num_float_samples(SeriesId id) const {
  const Series& s = at(id);
  uint64_t n = s.open.num_samples();
  for (const char* c = s.newest_chunk; c != nullptr;) {
    const ClosedChunk cc = ReadChunk(c);
    n += XorChunkSamples(cc.bytes);
    c = cc.prev;
  }
  return n;
}

uint64_t Head::num_float_samples() const {
  uint64_t n = 0;
  for (size_t id = 0; id < num_series_; ++id) n += num_float_samples(static_cast<SeriesId>(id));
  return n;
}

std::vector<FloatSample> Head::FloatSamples(SeriesId id) const {
  std::vector<FloatSample> out;
  out.reserve(num_float_samples(id));
  for (FloatIterator it(*this, id); it.Next();) out.push_back({it.t(), it.v()});
  return out;
}

// ---- FloatIterator ----

struct Head::FloatIterator::State {
  std::vector<ChunkView> chunks;
  size_t next = 0;
  std::optional<XorIterator> it;
};

Head::FloatIterator::FloatIterator(const Head& head, SeriesId id)
    : state_(std::make_unique<State>(State{head.at(id).Chunks(), 0, std::nullopt})) {}

Head::FloatIterator::~FloatIterator() = default;

double Head::FloatIterator::v() const { return std::bit_cast<double>(v_); }

bool Head::FloatIterator::Next() {
  State& st = *state_;
  while (true) {
    if (st.it && st.it->Next()) {
      t_ = st.it->t();
      v_ = st.it->v_bits();
      return true;
    }
    if (st.next == st.chunks.size()) return false;
    st.it.emplace(st.chunks[st.next++].bytes);
  }
}

}  // namespace walproof
