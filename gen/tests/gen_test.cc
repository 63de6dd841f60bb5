// The shared generator's contracts: each source draws what it should, the
// two load-bearing draw orders stay put (fuzz bytes -> records, crashsim
// seed -> workload records), and the wide limits reach their corners.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "crashsim/rng.h"
#include "entropy.h"
#include "gen/choices.h"
#include "gen/records.h"
#include "gen/workload.h"
#include "walproof/format/record_codec.h"

namespace walproof::gen {
namespace {

uint64_t Fnv(uint64_t h, std::string_view s) {
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

TEST(PrngChoices, DrawsWhatThePrngGives) {
  crashsim::Rng a(42), b(42);
  PrngChoices<crashsim::Rng> c(b);
  for (uint64_t n = 1; n < 2000; n += 7) {
    EXPECT_EQ(c.Below(n), a.Below(n));
    EXPECT_EQ(c.Bits(53), a.Next() >> 11);
    EXPECT_EQ(c.InRange(150, 300), a.Between(150, 300));
  }
  EXPECT_EQ(c.Below(0), 0u);  // draws nothing
  EXPECT_EQ(b.Next(), a.Next());
}

TEST(InputEntropy, ExhaustedInputReadsAsZeros) {
  const uint8_t bytes[] = {0xff, 0x01};
  fuzz::InputEntropy e(bytes, sizeof bytes);
  EXPECT_EQ(e.Bits(16), 0xff01u);
  EXPECT_TRUE(e.exhausted());
  EXPECT_EQ(e.Int64(), 0);  // Below(8) of a zero byte: case 0
  const Record r = AnyRecord(e, Limits());
  ASSERT_TRUE(std::holds_alternative<SeriesRecord>(r));
  EXPECT_TRUE(std::get<SeriesRecord>(r).series.empty());
}

// Fuzz input bytes mean these records: the committed corpus was found and
// minimized under this mapping. If this fails, the draw order of the default
// Limits path (records.cc) or of Entropy changed: put it back, or regenerate
// the corpus (fuzz/README.md) and update the digest.
TEST(AnyRecord, FuzzBytesKeepTheirMeaning) {
  std::string bytes(1 << 16, '\0');
  crashsim::Rng rng(2026);
  rng.Fill(bytes.data(), bytes.size());
  fuzz::InputEntropy e(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  Limits small;
  small.max_entries = 6;
  small.ref_space = 16;
  uint64_t h = 0xcbf29ce484222325ull;
  int records = 0;
  while (!e.exhausted()) {
    h = Fnv(h, EncodeRecord(AnyRecord(e, records % 2 ? small : Limits())));
    h = Fnv(h, EncodeRecord(RecordOfType(e, Limits(), static_cast<uint8_t>(1 + records % 8))));
    ++records;
  }
  EXPECT_EQ(records, 311);
  // The digest the fuzz generator gave before it moved here (fuzz/record_gen.cc).
  EXPECT_EQ(h, 767219920404836772ull);
}

// Crashsim rebuilds every crash state from (scenario, seed, state id): the
// records its workload logs for a seed must not change.
TEST(UniqueRecords, SameSeedSameRecords) {
  crashsim::Rng rng(crashsim::DeriveSeed(1, 0x10ad));
  PrngChoices<crashsim::Rng> c(rng);
  UniqueRecords g(c);
  uint64_t h = 0xcbf29ce484222325ull;
  h = Fnv(h, g.Series(2));
  for (int i = 0; i < 30; ++i) h = Fnv(h, g.NextMixed());
  h = Fnv(h, g.Next(RecordSize::kMultiPage));
  h = Fnv(h, g.DeleteSeries(1));
  h = Fnv(h, g.SeriesAgain(1));
  h = Fnv(h, g.Samples(9));
  // The digest crashsim's own generator gave before it moved here.
  EXPECT_EQ(h, 14851214941165412488ull);
}

TEST(UniqueRecords, EveryRecordIsUniqueAndDecodes) {
  crashsim::Rng rng(7);
  PrngChoices<crashsim::Rng> c(rng);
  UniqueRecords g(c);
  std::vector<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string r = g.NextMixed();
    Record decoded;
    ASSERT_TRUE(DecodeRecord(r, &decoded).ok());
    EXPECT_EQ(std::count(seen.begin(), seen.end(), r), 0) << "record " << i;
    seen.push_back(r);
  }
  const int64_t before = g.now();
  Record samples;
  ASSERT_TRUE(DecodeRecord(g.Samples(3), &samples).ok());
  for (const RefSample& s : std::get<SamplesRecord>(samples).samples) EXPECT_GE(s.t, before);
  Record tomb;
  ASSERT_TRUE(DecodeRecord(g.DeleteSeries(5), &tomb).ok());
  const auto& t = std::get<TombstonesRecord>(tomb).tombstones;
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].ref, 5u);
  EXPECT_EQ(t[0].mint, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(t[0].maxt, std::numeric_limits<int64_t>::max());
  EXPECT_NE(UniqueRecords::Marker(0), UniqueRecords::Marker(1));
}

// The property tests rely on Limits::Wide reaching what the fuzz limits
// never make: big label sets, long and multi-byte strings, bulk samples.
TEST(AnyRecord, WideLimitsReachTheirCorners) {
  crashsim::Rng rng(3);
  PrngChoices<crashsim::Rng> c(rng);
  const Limits wide = Limits::Wide();
  size_t most_labels = 0, longest_string = 0, most_samples = 0;
  bool multibyte = false;
  for (int i = 0; i < 3000; ++i) {
    const Record r = RecordOfType(c, wide, static_cast<uint8_t>(1 + i % 2));
    if (const auto* s = std::get_if<SeriesRecord>(&r)) {
      for (const RefSeries& x : s->series) {
        most_labels = std::max(most_labels, x.labels.size());
        for (const Label& l : x.labels) {
          longest_string = std::max(longest_string, l.value.size());
          multibyte |= std::any_of(l.value.begin(), l.value.end(),
                                   [](char ch) { return (static_cast<unsigned char>(ch) & 0xc0) == 0xc0; });
        }
      }
    } else {
      most_samples = std::max(most_samples, std::get<SamplesRecord>(r).samples.size());
    }
  }
  EXPECT_GT(most_labels, wide.max_labels);
  EXPECT_GT(longest_string, 1000u);
  EXPECT_TRUE(multibyte);
  EXPECT_GT(most_samples, 2000u);
}

// Labels come out as Prometheus keeps them, whatever the source.
TEST(AnyLabels, SortedAndUniqueByName) {
  crashsim::Rng rng(11);
  PrngChoices<crashsim::Rng> c(rng);
  for (int i = 0; i < 2000; ++i) {
    const Labels ls = AnyLabels(c, Limits::Wide(), false);
    for (size_t j = 1; j < ls.size(); ++j) ASSERT_LT(ls[j - 1].name, ls[j].name);
  }
}

}  // namespace
}  // namespace walproof::gen
