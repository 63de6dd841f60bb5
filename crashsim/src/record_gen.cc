#include "crashsim/record_gen.h"

#include <cstring>
#include <limits>

#include "walproof/record.h"
#include "walproof/record_codec.h"

namespace crashsim {

std::string RecordGen::Series(int n) {
  std::vector<walproof::RefSeries> series;
  for (int i = 0; i < n; ++i) {
    walproof::RefSeries s;
    s.ref = next_ref_++;
    s.labels = {{"__name__", "crashsim_metric"}, {"instance", "i" + std::to_string(s.ref)}};
    series.push_back(std::move(s));
  }
  ++seq_;
  std::string out;
  walproof::EncodeSeries(series, &out);
  return out;
}

std::string RecordGen::SeriesAgain(uint64_t ref) {
  walproof::RefSeries s;
  s.ref = next_ref_++;
  s.labels = {{"__name__", "crashsim_metric"}, {"instance", "i" + std::to_string(ref)}};
  ++seq_;
  std::string out;
  walproof::EncodeSeries({s}, &out);
  return out;
}

std::string RecordGen::DeleteSeries(uint64_t ref) {
  walproof::RefTombstone t;
  t.ref = ref;
  t.mint = std::numeric_limits<int64_t>::min();
  t.maxt = std::numeric_limits<int64_t>::max();
  ++seq_;
  std::string out;
  walproof::EncodeTombstones({t}, &out);
  return out;
}

std::string RecordGen::Samples(int n) {
  std::vector<walproof::RefSample> samples;
  const uint64_t refs = next_ref_ > 1 ? next_ref_ - 1 : 1;
  // A fresh time for every record keeps every record unique.
  const int64_t t0 = next_t_;
  next_t_ += 1000 + n;
  for (int i = 0; i < n; ++i) {
    walproof::RefSample s;
    s.ref = 1 + (static_cast<uint64_t>(i) % refs);
    s.t = t0 + i;
    // Mostly integers (compress well, as real counters do), some noise.
    s.v = (rng_.Below(4) == 0) ? static_cast<double>(rng_.Next() >> 11) / 3.0 : static_cast<double>(seq_ * 10 + i);
    samples.push_back(s);
  }
  ++seq_;
  std::string out;
  walproof::EncodeSamples(samples, &out);
  return out;
}

std::string RecordGen::Next(RecordSize size) {
  switch (size) {
    case RecordSize::kTiny: return Series(1);
    case RecordSize::kSmall: return Samples(static_cast<int>(rng_.Between(2, 8)));
    case RecordSize::kMedium: return Samples(static_cast<int>(rng_.Between(150, 300)));
    case RecordSize::kPage: return Samples(static_cast<int>(rng_.Between(2300, 2500)));
    case RecordSize::kMultiPage: return Samples(static_cast<int>(rng_.Between(3300, 3900)));
  }
  return Series(1);
}

std::string RecordGen::NextMixed() {
  uint64_t r = rng_.Below(100);
  if (r < 35) return Next(RecordSize::kTiny);
  if (r < 80) return Next(RecordSize::kSmall);
  if (r < 96) return Next(RecordSize::kMedium);
  return Next(RecordSize::kPage);
}

std::string RecordGen::Marker(uint64_t n) {
  walproof::RefSeries s;
  s.ref = 0xC0FFEE0000000000ull + n;
  s.labels = {{"__name__", "crashsim_marker"}, {"n", std::to_string(n)}};
  std::string out;
  walproof::EncodeSeries({s}, &out);
  return out;
}

}  // namespace crashsim
