// The float append path, the hot loop of replay: admit a sample, cut the
// chunk when full (into the lane's arena), XOR-encode. Everything it calls is
// inline (series.h, ref_index.h, append_lane.h, xor_chunk.h) so that the
// loop compiles to one function without LTO.
#include <bit>
#include <cstring>
#include <limits>

#include "head/append_lane.h"
#include "head/ref_index.h"
#include "head/series.h"
#include "walproof/head/head.h"
#include "walproof/head/xor_chunk.h"

namespace walproof {

int64_t Head::ChunkRangeEnd(int64_t t) const {
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  const int64_t range = options_.chunk_range;
  if (range <= 0) return kNever;
  // Floored, so that negative times get ranges of their own too; the
  // extremes saturate instead of overflowing.
  int64_t start = t / range * range;
  if (start > t) start = start < std::numeric_limits<int64_t>::min() + range ? std::numeric_limits<int64_t>::min() : start - range;
  return start > kNever - range ? kNever : start + range;
}

[[gnu::always_inline]] inline AppendOutcome Head::AppendTo(Series& s, int64_t t, uint64_t v_bits, Lane& lane) {
  const AppendOutcome outcome = s.Admit(t);
  if (outcome != AppendOutcome::kAppended) return outcome;
  if (!s.open.empty() && (s.open.num_samples() >= kSamplesPerChunk || t >= s.chunk_end)) {
    const std::string_view bytes = s.open.bytes();
    lane.Learn(bytes.size());
    char* c = lane.arena.Allocate(kChunkHeader + bytes.size());
    WriteChunk(c, s.newest_chunk, s.open.max_time(), bytes);
    s.newest_chunk = c;
    s.open.Reset();
  }
  if (s.open.empty()) {
    s.open.Reserve(lane.Hint());  // no effect once the buffer exists
    s.chunk_end = ChunkRangeEnd(t);
  }
  s.open.Append(t, v_bits);
  return outcome;
}

AppendOutcome Head::AppendFloatTo(SeriesId id, int64_t t, double v, size_t lane) {
  return AppendTo(at(id), t, std::bit_cast<uint64_t>(v), *lanes_[lane]);
}

// Appends to series spread over memory. The series a few samples ahead and
// its chunk buffer a little later are prefetched, so that cache misses
// overlap instead of stalling one sample at a time. items[n ..
// n + kPrefetchSeries) must be valid entries too (see Lane::Padded).
constexpr size_t kPrefetchSeries = 48;
constexpr size_t kPrefetchBuffer = 24;

void Head::AppendRun(const Pending* items, size_t n, Lane& lane, HeadCounters* counters) {
  static_assert(Lane::kPadding >= kPrefetchSeries && kPrefetchSeries >= kPrefetchBuffer);
  uint64_t outcomes[3] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    __builtin_prefetch(items[i + kPrefetchSeries].target, 1);
    __builtin_prefetch(items[i + kPrefetchBuffer].target->open.write_hint(), 1);
    const Pending& p = items[i];
    ++outcomes[static_cast<size_t>(AppendTo(*p.target, p.t, p.v_bits, lane))];
  }
  counters->samples_appended += outcomes[static_cast<size_t>(AppendOutcome::kAppended)];
  counters->samples_out_of_order += outcomes[static_cast<size_t>(AppendOutcome::kOutOfOrder)];
  counters->samples_duplicate += outcomes[static_cast<size_t>(AppendOutcome::kDuplicate)];
}

void Head::AppendFloatsTo(const IdSample* samples, size_t n, size_t lane_index,
                          HeadCounters* counters) {
  Lane& lane = *lanes_[lane_index];
  Pending* items = lane.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    items[i] = {&at(samples[i].id), samples[i].t, std::bit_cast<uint64_t>(samples[i].v)};
  }
  AppendRun(lane.Padded(n), n, lane, counters);
}

void Head::AppendResolvedPart(const RefSample* samples, const SeriesId* ids, size_t n, size_t part,
                              size_t parts, size_t lane_index, HeadCounters* counters) {
  Lane& lane = *lanes_[lane_index];
  Pending* items = lane.Reserve(n);
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    const SeriesId id = ids[i];
    if (id == kNoSeries || PartOf(id, parts) != part) continue;
    items[kept++] = {&at(id), samples[i].t, std::bit_cast<uint64_t>(samples[i].v)};
  }
  AppendRun(lane.Padded(kept), kept, lane, counters);
}

void Head::AppendSamples(const RefSample* samples, size_t n) {
  Lane& lane = *lanes_[0];
  Pending* items = lane.Reserve(n);
  size_t kept = 0;
  const RefIndex& refs = *refs_;
  const int64_t min_valid = options_.min_valid_time;
  for (size_t i = 0; i < n; ++i) {
    // The order of checks is upstream's: too old first, then unknown.
    if (samples[i].t < min_valid) {
      ++counters_.samples_too_old;
      continue;
    }
    const SeriesId id = refs.Find(samples[i].ref);
    if (id == kNoSeries) {
      ++counters_.samples_unknown_ref;
      continue;
    }
    items[kept++] = {&at(id), samples[i].t, std::bit_cast<uint64_t>(samples[i].v)};
  }
  AppendRun(lane.Padded(kept), kept, lane, &counters_);
}

void Head::AppendSample(const RefSample& s) { AppendSamples(&s, 1); }

}  // namespace walproof
