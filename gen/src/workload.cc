// Workloads: see gen/workload.h.
#include "gen/workload.h"

#include <limits>
#include <vector>

#include "gen/records.h"
#include "walproof/format/record.h"
#include "walproof/format/record_codec.h"

namespace walproof::gen {

std::string UniqueRecords::Series(int n) {
  std::vector<RefSeries> series;
  for (int i = 0; i < n; ++i) {
    RefSeries s;
    s.ref = next_ref_++;
    s.labels = {{"__name__", "crashsim_metric"}, {"instance", "i" + std::to_string(s.ref)}};
    series.push_back(std::move(s));
  }
  ++seq_;
  std::string out;
  EncodeSeries(series, &out);
  return out;
}

std::string UniqueRecords::SeriesAgain(uint64_t ref) {
  RefSeries s;
  s.ref = next_ref_++;
  s.labels = {{"__name__", "crashsim_metric"}, {"instance", "i" + std::to_string(ref)}};
  ++seq_;
  std::string out;
  EncodeSeries({s}, &out);
  return out;
}

std::string UniqueRecords::DeleteSeries(uint64_t ref) {
  RefTombstone t;
  t.ref = ref;
  t.mint = std::numeric_limits<int64_t>::min();
  t.maxt = std::numeric_limits<int64_t>::max();
  ++seq_;
  std::string out;
  EncodeTombstones({t}, &out);
  return out;
}

std::string UniqueRecords::Samples(int n) {
  std::vector<RefSample> samples;
  const uint64_t refs = next_ref_ > 1 ? next_ref_ - 1 : 1;
  // A fresh time for every record keeps every record unique.
  const int64_t t0 = next_t_;
  next_t_ += 1000 + n;
  for (int i = 0; i < n; ++i) {
    RefSample s;
    s.ref = 1 + (static_cast<uint64_t>(i) % refs);
    s.t = t0 + i;
    // Mostly integers (compress well, as real counters do), some noise.
    s.v = c_.OneIn(4) ? static_cast<double>(c_.Bits(53)) / 3.0 : static_cast<double>(seq_ * 10 + i);
    samples.push_back(s);
  }
  ++seq_;
  std::string out;
  EncodeSamples(samples, &out);
  return out;
}

std::string UniqueRecords::Next(RecordSize size) {
  switch (size) {
    case RecordSize::kTiny: return Series(1);
    case RecordSize::kSmall: return Samples(static_cast<int>(c_.InRange(2, 8)));
    case RecordSize::kMedium: return Samples(static_cast<int>(c_.InRange(150, 300)));
    case RecordSize::kPage: return Samples(static_cast<int>(c_.InRange(2300, 2500)));
    case RecordSize::kMultiPage: return Samples(static_cast<int>(c_.InRange(3300, 3900)));
  }
  return Series(1);
}

std::string UniqueRecords::NextMixed() {
  const uint64_t r = c_.Below(100);
  if (r < 35) return Next(RecordSize::kTiny);
  if (r < 80) return Next(RecordSize::kSmall);
  if (r < 96) return Next(RecordSize::kMedium);
  return Next(RecordSize::kPage);
}

std::string UniqueRecords::Marker(uint64_t n) {
  RefSeries s;
  s.ref = 0xC0FFEE0000000000ull + n;
  s.labels = {{"__name__", "crashsim_marker"}, {"n", std::to_string(n)}};
  std::string out;
  EncodeSeries({s}, &out);
  return out;
}

std::string RawRecord(Choices& c) {
  switch (c.Pick({4, 1, 3, 2, 2})) {
    case 0: return EncodeRecord(AnyRecord(c, Limits::Wide()));
    case 1: return std::string();
    case 2: return Blob(c, 1, 300);
    case 3: return Blob(c, 1, kPageSize);
    default: return Blob(c, kPageSize, 5 * kPageSize);
  }
}

uint64_t SegmentSize(Choices& c) {
  switch (c.Pick({6, 1, 1})) {
    case 0: return c.InRange(1, 4) * kPageSize;
    case 1: return 16 * kPageSize;
    default: return kDefaultSegmentSize;
  }
}

Compression AnyCompression(Choices& c) {
  switch (c.Below(3)) {
    case 0: return Compression::kNone;
    case 1: return Compression::kSnappy;
    default: return Compression::kZstd;
  }
}

}  // namespace walproof::gen
