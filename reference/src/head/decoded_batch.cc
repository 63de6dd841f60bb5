// Decoding WAL records into a DecodedBatch, and applying one in order.
#include "head/decoded_batch.h"

#include <bit>
#include <cstring>
#include <utility>

#include "walproof/format/record_codec.h"

namespace walproof {
namespace {

void AddRun(DecodedBatch* b, DecodedBatch::Kind kind, size_t count) {
  if (count == 0) return;
  if (!b->runs.empty() && b->runs.back().kind == kind) {
    b->runs.back().count += static_cast<uint32_t>(count);
  } else {
    b->runs.push_back({kind, static_cast<uint32_t>(count)});
  }
}

// Moves decoded entries that own memory into the batch by swapping with its
// spare entries, so both sides keep their allocations for the next record.
template <typename T>
void SwapIn(std::vector<T>& from, std::vector<T>* to, size_t* used) {
  for (T& e : from) {
    if (*used == to->size()) to->emplace_back();
    std::swap((*to)[(*used)++], e);
  }
}

// Go's binary.Uvarint for the fast path: false on truncation or overflow
// (the codec then reports which).
inline bool Uvarint(const uint8_t** pp, const uint8_t* end, uint64_t* out) {
  const uint8_t* p = *pp;
  if (p < end && p[0] < 0x80) {
    *out = p[0];
    *pp = p + 1;
    return true;
  }
  if (end - p >= 2 && p[1] < 0x80) {
    *out = (p[0] & 0x7fu) | uint64_t{p[1]} << 7;
    *pp = p + 2;
    return true;
  }
  uint64_t x = 0;
  for (unsigned i = 0; i < 10; ++i) {
    if (p + i == end) return false;
    const uint8_t b = p[i];
    if (b < 0x80) {
      if (i == 9 && b > 1) return false;
      *out = x | uint64_t{b} << (7 * i);
      *pp = p + i + 1;
      return true;
    }
    x |= uint64_t{b & 0x7fu} << (7 * i);
  }
  return false;
}

inline int64_t Unzigzag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }

inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

// The layout of DecodeSamples (record_codec.cc) without its per-field
// bookkeeping; false whenever anything is off.
bool AppendSamplesFast(std::string_view record, std::vector<RefSample>* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(record.data());
  const uint8_t* end = p + record.size();
  if (p == end || *p != static_cast<uint8_t>(RecordType::kSamples)) return false;
  ++p;
  if (p == end) return true;
  if (end - p < 16) return false;
  const uint64_t base_ref = LoadBE64(p);
  const uint64_t base_t = LoadBE64(p + 8);
  p += 16;
  const size_t start = out->size();
  // A sample takes at least 10 bytes (two varints and a value).
  out->resize(start + static_cast<size_t>(end - p) / 10);
  RefSample* o = out->data() + start;
  RefSample* const first = o;
  while (p < end) {
    uint64_t dref, dt;
    if (!Uvarint(&p, end, &dref) || !Uvarint(&p, end, &dt) || end - p < 8) {
      out->resize(start);
      return false;
    }
    o->ref = base_ref + static_cast<uint64_t>(Unzigzag(dref));
    o->t = static_cast<int64_t>(base_t + static_cast<uint64_t>(Unzigzag(dt)));
    o->v = std::bit_cast<double>(LoadBE64(p));
    p += 8;
    ++o;
  }
  out->resize(start + static_cast<size_t>(o - first));
  return true;
}

}  // namespace

Status AppendSampleRecord(std::string_view record, std::vector<RefSample>* out,
                          std::vector<RefSample>* scratch) {
  if (AppendSamplesFast(record, out)) return Status::Ok();
  WALPROOF_RETURN_IF_ERROR(DecodeSamples(record, scratch));
  out->insert(out->end(), scratch->begin(), scratch->end());
  return Status::Ok();
}

void DecodedBatch::Clear() {
  runs.clear();
  num_series = 0;
  samples.clear();
  tombstones.clear();
  num_exemplars = 0;
  num_metadata = 0;
  num_histograms = 0;
  num_float_histograms = 0;
  records = 0;
  skipped = 0;
}

void DecodedBatch::AddSamples(const RefSample* s, size_t n) {
  samples.insert(samples.end(), s, s + n);
  AddRun(this, Kind::kSamples, n);
}

size_t DecodedBatch::entries() const {
  return num_series + samples.size() + tombstones.size() + num_exemplars + num_metadata +
         num_histograms + num_float_histograms;
}

Status AppendRecord(std::string_view record, DecodedBatch* b, DecodeScratch* s, const char** what) {
  using Kind = DecodedBatch::Kind;
  const uint8_t type = PeekRecordType(record);
  if (!AppliedOnReplay(type)) {
    // Skipped unread: the rule verify and repair follow too (record_codec.h).
    ++b->skipped;
    ++b->records;
    return Status::Ok();
  }
  Status st;
  switch (static_cast<RecordType>(type)) {
    case RecordType::kSeries:
      *what = "series";
      if (!(st = DecodeSeries(record, &s->series)).ok()) return st;
      SwapIn(s->series, &b->series, &b->num_series);
      AddRun(b, Kind::kSeries, s->series.size());
      break;
    case RecordType::kSamples:
    {
      *what = "samples";
      const size_t before = b->samples.size();
      if (!(st = AppendSampleRecord(record, &b->samples, &s->samples)).ok()) return st;
      AddRun(b, Kind::kSamples, b->samples.size() - before);
      break;
    }
    case RecordType::kTombstones:
      *what = "tombstones";
      if (!(st = DecodeTombstones(record, &s->tombstones)).ok()) return st;
      b->tombstones.insert(b->tombstones.end(), s->tombstones.begin(), s->tombstones.end());
      AddRun(b, Kind::kTombstones, s->tombstones.size());
      break;
    case RecordType::kExemplars:
      *what = "exemplars";
      if (!(st = DecodeExemplars(record, &s->exemplars)).ok()) return st;
      SwapIn(s->exemplars, &b->exemplars, &b->num_exemplars);
      AddRun(b, Kind::kExemplars, s->exemplars.size());
      break;
    case RecordType::kMetadata:
      *what = "metadata";
      if (!(st = DecodeMetadata(record, &s->metadata)).ok()) return st;
      SwapIn(s->metadata, &b->metadata, &b->num_metadata);
      AddRun(b, Kind::kMetadata, s->metadata.size());
      break;
    case RecordType::kHistogramSamples:
      *what = "histograms";
      if (!(st = DecodeHistogramSamples(record, &s->histograms)).ok()) return st;
      SwapIn(s->histograms, &b->histograms, &b->num_histograms);
      AddRun(b, Kind::kHistograms, s->histograms.size());
      break;
    case RecordType::kFloatHistogramSamples:
      *what = "float histograms";
      if (!(st = DecodeFloatHistogramSamples(record, &s->float_histograms)).ok()) return st;
      SwapIn(s->float_histograms, &b->float_histograms, &b->num_float_histograms);
      AddRun(b, Kind::kFloatHistograms, s->float_histograms.size());
      break;
    case RecordType::kMmapMarkers:  // not applied: handled above
    default:
      ++b->skipped;
      break;
  }
  ++b->records;
  return Status::Ok();
}

void ApplyBatch(DecodedBatch& b, Head* head) {
  using Kind = DecodedBatch::Kind;
  size_t series = 0, samples = 0, tombstones = 0, exemplars = 0, metadata = 0, histograms = 0,
         float_histograms = 0;
  for (const DecodedBatch::Run& run : b.runs) {
    const size_t n = run.count;
    switch (run.kind) {
      case Kind::kSeries:
        for (size_t i = 0; i < n; ++i, ++series) head->AddSeries(b.series[series].ref, b.series[series].labels);
        break;
      case Kind::kSamples:
        for (size_t i = 0; i < n; ++i) head->AppendSample(b.samples[samples++]);
        break;
      case Kind::kTombstones:
        for (size_t i = 0; i < n; ++i) head->AddTombstone(b.tombstones[tombstones++]);
        break;
      case Kind::kExemplars:
        for (size_t i = 0; i < n; ++i) head->AddExemplar(b.exemplars[exemplars++]);
        break;
      case Kind::kMetadata:
        for (size_t i = 0; i < n; ++i) head->SetMetadata(b.metadata[metadata++]);
        break;
      case Kind::kHistograms:
        for (size_t i = 0; i < n; ++i) head->AppendHistogram(b.histograms[histograms++]);
        break;
      case Kind::kFloatHistograms:
        for (size_t i = 0; i < n; ++i) head->AppendFloatHistogram(b.float_histograms[float_histograms++]);
        break;
    }
  }
}

}  // namespace walproof
