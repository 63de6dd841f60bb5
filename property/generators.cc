// Generators: see generators.h for what they aim at.
#include "generators.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <map>

#include "walproof/record_codec.h"

namespace walproof::prop {
namespace {

using rc::Gen;
namespace gen = rc::gen;

constexpr int64_t kMinI64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// SplitMix64: cheap, good enough noise for payloads, and fully determined by
// the seed so expanded bytes are reproducible from the shown counterexample.
uint64_t Mix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// A container of at most `max` elements, the count following the size
// parameter. (gen::container alone draws up to `size` elements, and resizing
// it would shrink the elements too.)
template <typename C, typename T>
Gen<C> genUpTo(size_t max, Gen<T> g) {
  return gen::mapcat(gen::inRange<size_t>(0, max + 1),
                     [g](size_t n) { return gen::container<C>(n, g); });
}

Gen<char32_t> genCodePoint() {
  // One range per UTF-8 length; surrogates are skipped (not scalar values).
  return gen::weightedOneOf<char32_t>({
      {2, gen::inRange<char32_t>(0, 0x80)},
      {2, gen::inRange<char32_t>(0x80, 0x800)},
      {2, gen::inRange<char32_t>(0x800, 0xd800)},
      {1, gen::inRange<char32_t>(0xe000, 0x10000)},
      {2, gen::inRange<char32_t>(0x10000, 0x110000)},
  });
}

Gen<std::string> genUnicode() {
  return gen::map(genUpTo<std::vector<char32_t>>(12, genCodePoint()),
                  [](const std::vector<char32_t>& cps) {
                    std::string s;
                    for (char32_t cp : cps) AppendUtf8(cp, &s);
                    return s;
                  });
}

Gen<std::string> genIdentifier() {
  static const std::string kChars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789:";
  return genUpTo<std::string>(16, gen::elementOf(kChars));
}

// The value of sample i of a bulk Samples record: ordinary numbers with the
// bit patterns that matter mixed in.
double BulkValue(uint64_t& state) {
  const uint64_t r = Mix(state);
  switch (r % 8) {
    case 0: return std::bit_cast<double>(kStaleMarkerBits);
    case 1: return std::bit_cast<double>(Mix(state));
    case 2: return -0.0;
    default: return static_cast<double>(static_cast<int64_t>(r >> 40)) / 7.0;
  }
}

// A Samples record of up to several pages without a shrinkable per sample:
// (count, seed) expands to samples over a few refs with increasing times.
Gen<std::vector<RefSample>> genBulkSamples() {
  return gen::apply(
      [](size_t n, uint64_t seed, uint64_t base_ref, int64_t base_t) {
        uint64_t state = seed;
        const uint64_t refs = 1 + Mix(state) % 200;
        std::vector<RefSample> out(n);
        for (size_t i = 0; i < n; ++i) {
          out[i].ref = base_ref + (Mix(state) % refs);
          // Times wrap around int64 the way the codec's deltas do.
          out[i].t = static_cast<int64_t>(static_cast<uint64_t>(base_t) + i * 15000 +
                                          Mix(state) % 1000);
          out[i].v = BulkValue(state);
        }
        return out;
      },
      gen::inRange<size_t>(0, 12000), gen::arbitrary<uint64_t>(), genRef(), genTimestamp());
}

template <typename T>
Gen<std::vector<T>> genSome(Gen<T> g, size_t max) {
  return genUpTo<std::vector<T>>(max, std::move(g));
}

Gen<std::vector<HistogramSpan>> genSpans() {
  return genSome(gen::build<HistogramSpan>(
                     gen::set(&HistogramSpan::offset, gen::arbitrary<int32_t>()),
                     gen::set(&HistogramSpan::length, gen::arbitrary<uint32_t>())),
                 5);
}

template <typename Entry, typename Payload>
Gen<std::vector<Entry>> genTimed(Gen<Payload> payload, size_t max) {
  return genSome(gen::build<Entry>(gen::set(&Entry::ref, genRef()), gen::set(&Entry::t, genTimestamp()),
                                   gen::set(&Entry::h, std::move(payload))),
                 max);
}

}  // namespace

std::string ExpandBytes(int kind, size_t len, uint64_t seed) {
  static const char* const kWords[] = {"http_requests_total", "job", "instance", "le", "0.5",
                                       "GET", "/api/v1/query", "200", "node", " ", "\n"};
  std::string out;
  out.reserve(len);
  uint64_t state = seed;
  switch (kind) {
    case 0:
      out.assign(len, '\0');
      break;
    case 1: {
      std::string motif(1 + Mix(state) % 16, '\0');
      for (char& c : motif) c = static_cast<char>(Mix(state));
      while (out.size() < len) out.append(motif, 0, std::min(motif.size(), len - out.size()));
      break;
    }
    case 2:
      while (out.size() < len) {
        uint64_t r = Mix(state);
        for (int i = 0; i < 8 && out.size() < len; ++i, r >>= 8) out.push_back(static_cast<char>(r));
      }
      break;
    default:
      while (out.size() < len) {
        const char* w = kWords[Mix(state) % std::size(kWords)];
        out.append(w, std::min(std::char_traits<char>::length(w), len - out.size()));
      }
      break;
  }
  return out;
}

Gen<std::string> genBlob(size_t min_len, size_t max_len) {
  // The length ignores the size parameter: multi-page payloads must show up
  // in small test cases too, since most cases are small. It still shrinks.
  return gen::apply([](int kind, size_t len, uint64_t seed) { return ExpandBytes(kind, len, seed); },
                    gen::element(0, 1, 2, 3),
                    gen::resize(rc::kNominalSize, gen::inRange<size_t>(min_len, max_len + 1)),
                    gen::noShrink(gen::arbitrary<uint64_t>()));
}

Gen<std::string> genLabelString(bool allow_long) {
  // Long strings make Series, Exemplars and Metadata records span pages.
  // Their length follows the size parameter (unlike genBlob's), since a
  // label set may hold hundreds of them.
  auto long_string = gen::apply(
      [](int kind, size_t len, uint64_t seed) { return ExpandBytes(kind, len, seed); },
      gen::element(0, 1, 2, 3), gen::inRange<size_t>(0, 70001), gen::noShrink(gen::arbitrary<uint64_t>()));
  return gen::weightedOneOf<std::string>({
      {12, genIdentifier()},
      {4, gen::just(std::string())},
      {4, genUnicode()},
      {2, genUpTo<std::string>(24, gen::arbitrary<char>())},
      {allow_long ? 1u : 0u, long_string},
  });
}

Gen<Labels> genLabels(bool allow_long) {
  // Built as a map so names come out sorted and unique, as in Prometheus.
  // Long names and values only in small sets: hundreds of them would make
  // every record megabytes.
  auto many = [](size_t max, bool long_strings) {
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    auto pair = gen::pair(genLabelString(long_strings), genLabelString(long_strings));
    return gen::map(genUpTo<Pairs>(max, pair),
                    [](const Pairs& pairs) {
                      // The first value of a repeated name wins.
                      std::map<std::string, std::string> m(pairs.begin(), pairs.end());
                      Labels out;
                      for (const auto& [name, value] : m) out.push_back({name, value});
                      return out;
                    });
  };
  return gen::weightedOneOf<Labels>(
      {{1, gen::just(Labels())}, {8, many(6, allow_long)}, {1, many(300, false)}});
}

Gen<uint64_t> genRef() {
  return gen::weightedOneOf<uint64_t>({
      {6, gen::inRange<uint64_t>(0, 64)},  // dense, and so often reused
      {2, gen::arbitrary<uint64_t>()},    // sparse
      {1, gen::elementOf(std::vector<uint64_t>{0, 1, kMaxU64, kMaxU64 - 1, uint64_t{1} << 63,
                                               (uint64_t{1} << 63) - 1})},
  });
}

Gen<int64_t> genTimestamp() {
  constexpr int64_t kNow = 1'700'000'000'000;  // milliseconds, as Prometheus stores them
  return gen::weightedOneOf<int64_t>({
      {4, gen::inRange<int64_t>(kNow - 1'000'000, kNow + 1'000'000)},
      {3, gen::inRange<int64_t>(-1000, 1000)},
      {1, gen::elementOf(std::vector<int64_t>{kMinI64, kMinI64 + 1, kMaxI64, kMaxI64 - 1, 0, -1})},
      {2, gen::arbitrary<int64_t>()},
  });
}

Gen<double> genValue() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto from_bits = [](uint64_t bits) { return std::bit_cast<double>(bits); };
  // Any NaN: exponent all ones, a non-zero mantissa, either sign.
  auto nan = gen::map(gen::pair(gen::arbitrary<bool>(), gen::inRange<uint64_t>(1, uint64_t{1} << 52)),
                      [](const std::pair<bool, uint64_t>& p) {
                        return std::bit_cast<double>((uint64_t{p.first} << 63) |
                                                     (uint64_t{0x7ff} << 52) | p.second);
                      });
  return gen::weightedOneOf<double>({
      {4, gen::arbitrary<double>()},
      {2, gen::map(gen::inRange<int64_t>(-1000, 1000), [](int64_t i) { return double(i); })},
      {2, gen::element(std::bit_cast<double>(kStaleMarkerBits), kInf, -kInf, -0.0, 0.0,
                       std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                       std::numeric_limits<double>::denorm_min(),
                       -std::numeric_limits<double>::denorm_min(),
                       std::numeric_limits<double>::quiet_NaN())},
      {1, nan},
      {1, gen::map(gen::arbitrary<uint64_t>(), from_bits)},
  });
}

Gen<Histogram> genHistogram() {
  return gen::build<Histogram>(
      gen::set(&Histogram::counter_reset_hint,
               gen::weightedOneOf<uint8_t>({{4, gen::inRange<uint8_t>(0, 4)},
                                            {1, gen::arbitrary<uint8_t>()}})),
      gen::set(&Histogram::schema, gen::weightedOneOf<int32_t>({{4, gen::inRange(-4, 9)},
                                                                {1, gen::arbitrary<int32_t>()}})),
      gen::set(&Histogram::zero_threshold, genValue()),
      gen::set(&Histogram::zero_count, gen::arbitrary<uint64_t>()),
      gen::set(&Histogram::count, gen::arbitrary<uint64_t>()),
      gen::set(&Histogram::sum, genValue()),
      gen::set(&Histogram::positive_spans, genSpans()),
      gen::set(&Histogram::negative_spans, genSpans()),
      gen::set(&Histogram::positive_buckets, genSome(gen::arbitrary<int64_t>(), 12)),
      gen::set(&Histogram::negative_buckets, genSome(gen::arbitrary<int64_t>(), 12)));
}

Gen<FloatHistogram> genFloatHistogram() {
  return gen::build<FloatHistogram>(
      gen::set(&FloatHistogram::counter_reset_hint,
               gen::weightedOneOf<uint8_t>({{4, gen::inRange<uint8_t>(0, 4)},
                                            {1, gen::arbitrary<uint8_t>()}})),
      gen::set(&FloatHistogram::schema,
               gen::weightedOneOf<int32_t>({{4, gen::inRange(-4, 9)},
                                            {1, gen::arbitrary<int32_t>()}})),
      gen::set(&FloatHistogram::zero_threshold, genValue()),
      gen::set(&FloatHistogram::zero_count, genValue()),
      gen::set(&FloatHistogram::count, genValue()),
      gen::set(&FloatHistogram::sum, genValue()),
      gen::set(&FloatHistogram::positive_spans, genSpans()),
      gen::set(&FloatHistogram::negative_spans, genSpans()),
      gen::set(&FloatHistogram::positive_buckets, genSome(genValue(), 12)),
      gen::set(&FloatHistogram::negative_buckets, genSome(genValue(), 12)));
}

Gen<Record> genRecord() {
  auto series = gen::map(
      genSome(gen::build<RefSeries>(gen::set(&RefSeries::ref, genRef()),
                                    gen::set(&RefSeries::labels, genLabels())),
              30),
      [](std::vector<RefSeries> v) { return Record(SeriesRecord{std::move(v)}); });
  auto samples = gen::map(
      gen::weightedOneOf<std::vector<RefSample>>(
          {{4, gen::container<std::vector<RefSample>>(gen::build<RefSample>(
                   gen::set(&RefSample::ref, genRef()), gen::set(&RefSample::t, genTimestamp()),
                   gen::set(&RefSample::v, genValue())))},
           {1, genBulkSamples()}}),
      [](std::vector<RefSample> v) { return Record(SamplesRecord{std::move(v)}); });
  auto tombstones = gen::map(
      gen::container<std::vector<RefTombstone>>(gen::build<RefTombstone>(
          gen::set(&RefTombstone::ref, genRef()), gen::set(&RefTombstone::mint, genTimestamp()),
          gen::set(&RefTombstone::maxt, genTimestamp()))),
      [](std::vector<RefTombstone> v) { return Record(TombstonesRecord{std::move(v)}); });
  auto exemplars = gen::map(
      genSome(gen::build<RefExemplar>(
                  gen::set(&RefExemplar::ref, genRef()), gen::set(&RefExemplar::t, genTimestamp()),
                  gen::set(&RefExemplar::v, genValue()), gen::set(&RefExemplar::labels, genLabels(false))),
              30),
      [](std::vector<RefExemplar> v) { return Record(ExemplarsRecord{std::move(v)}); });
  auto markers = gen::map(
      gen::container<std::vector<RefMmapMarker>>(gen::build<RefMmapMarker>(
          gen::set(&RefMmapMarker::ref, genRef()),
          gen::set(&RefMmapMarker::mmap_ref, gen::arbitrary<uint64_t>()))),
      [](std::vector<RefMmapMarker> v) { return Record(MmapMarkersRecord{std::move(v)}); });
  auto metadata = gen::map(
      genSome(gen::build<RefMetadata>(
                  gen::set(&RefMetadata::ref, genRef()),
                  gen::set(&RefMetadata::type,
                           gen::weightedOneOf<uint8_t>({{4, gen::inRange<uint8_t>(0, 8)},
                                                        {1, gen::arbitrary<uint8_t>()}})),
                  gen::set(&RefMetadata::unit, genLabelString(false)),
                  gen::set(&RefMetadata::help, genLabelString(true))),
              30),
      [](std::vector<RefMetadata> v) { return Record(MetadataRecord{std::move(v)}); });
  auto histograms =
      gen::map(genTimed<RefHistogramSample>(genHistogram(), 20),
               [](std::vector<RefHistogramSample> v) { return Record(HistogramsRecord{std::move(v)}); });
  auto float_histograms = gen::map(
      genTimed<RefFloatHistogramSample>(genFloatHistogram(), 20),
      [](std::vector<RefFloatHistogramSample> v) { return Record(FloatHistogramsRecord{std::move(v)}); });
  auto unknown = gen::map(gen::oneOf(gen::just(0), gen::inRange(9, 256)),
                          [](int t) { return Record(UnknownRecord{static_cast<uint8_t>(t)}); });
  return gen::weightedOneOf<Record>({{3, series},
                                     {4, samples},
                                     {2, tombstones},
                                     {2, exemplars},
                                     {1, markers},
                                     {2, metadata},
                                     {2, histograms},
                                     {2, float_histograms},
                                     {1, unknown}});
}

Gen<std::string> genRawRecord() {
  return gen::weightedOneOf<std::string>({
      {4, gen::map(genRecord(), [](const Record& r) { return EncodeRecord(r); })},
      {1, gen::just(std::string())},
      {3, genBlob(1, 300)},
      {2, genBlob(1, kPageSize)},
      {2, genBlob(kPageSize, 5 * kPageSize)},
  });
}

Gen<uint64_t> genSegmentSize() {
  return gen::weightedOneOf<uint64_t>({
      {6, gen::map(gen::inRange<uint64_t>(1, 5), [](uint64_t pages) { return pages * kPageSize; })},
      {1, gen::just(uint64_t{16 * kPageSize})},
      {1, gen::just(uint64_t{kDefaultSegmentSize})},
  });
}

Gen<Compression> genCompression() {
  return gen::element(Compression::kNone, Compression::kSnappy, Compression::kZstd);
}

}  // namespace walproof::prop
