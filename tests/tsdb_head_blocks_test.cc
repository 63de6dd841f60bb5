// Blocks written from a head (tsdb/head_blocks.h): the head's chunks copied
// as they are where they fit a block, re-encoded where they do not (a chunk
// spanning two ranges, a deletion), and the same blocks whatever the number
// of threads.
#include <gtest/gtest.h>

#include <bit>
#include <set>
#include <string>
#include <vector>

#include "wal_test_util.h"
#include "walproof/head/head.h"
#include "walproof/head/xor_chunk.h"
#include "walproof/io/posix_fs.h"
#include "walproof/tsdb/block_check.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_reader.h"
#include "walproof/tsdb/head_blocks.h"

namespace walproof::tsdb {
namespace {

using testutil::TempDir;

constexpr int64_t kH = kDefaultBlockDuration;
constexpr int64_t kT0 = 1700000000000 / kH * kH;

// Three series scraped every 30 s for 3 h from kT0 + 90 min: samples in
// three block ranges.
std::unique_ptr<Head> ScrapedHead(int64_t chunk_range) {
  HeadOptions options;
  options.chunk_range = chunk_range;
  auto head = std::make_unique<Head>(options);
  for (uint64_t ref = 1; ref <= 3; ++ref) {
    head->AddSeries(ref, {{"__name__", "m" + std::to_string(ref)}, {"job", "j"}});
  }
  for (int i = 0; i < 360; ++i) {
    for (uint64_t ref = 1; ref <= 3; ++ref) {
      head->AppendSample({ref, kT0 + 90 * 60000 + 30000 * i, double(i) * double(ref)});
    }
  }
  return head;
}

struct Written {
  std::vector<BlockSummary> blocks;
  std::vector<std::string> dirs;
};

Written WriteAll(const Head& head, const std::string& parent, int threads = 1) {
  const std::vector<SeriesId> series = head.SortedSeries();
  std::set<int64_t> starts;
  for (SeriesId id : series) SurveySeries(head, id, kH, &starts);
  const std::vector<int64_t> ranges(starts.begin(), starts.end());
  std::vector<std::string> ulids;
  Written w;
  for (size_t i = 0; i < ranges.size(); ++i) {
    ulids.push_back("01H0000000000000000000000" + std::to_string(i));
    w.dirs.push_back(JoinPath(parent, ulids.back()));
  }
  auto blocks = WriteHeadBlocks(PosixFs(), head, series, parent, ranges, kH, ulids, threads);
  EXPECT_TRUE(blocks.ok()) << blocks.status().ToString();
  if (blocks.ok()) w.blocks = *blocks;
  return w;
}

// The XOR chunks of one series in a block, as stored.
std::vector<std::string> BlockChunks(const std::string& dir, const std::string& name) {
  auto r = BlockReader::Open(PosixFs(), dir);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> out;
  EXPECT_TRUE((*r)->ForEachSeries([&](const IndexSeries& s) -> Status {
                    if (s.labels[0].value != name) return Status::Ok();
                    for (const ChunkMeta& m : s.chunks) {
                      uint8_t enc = 0;
                      std::string_view data;
                      WALPROOF_RETURN_IF_ERROR((*r)->ReadChunk(m.ref, &enc, &data));
                      out.emplace_back(data);
                    }
                    return Status::Ok();
                  }).ok());
  return out;
}

// The samples of one series in [mint, maxt) read from a block.
std::vector<FloatSample> BlockSamples(const std::string& dir, const std::string& name) {
  std::vector<FloatSample> out;
  for (const std::string& c : BlockChunks(dir, name)) {
    for (XorIterator it(c); it.Next();) out.push_back({it.t(), std::bit_cast<double>(it.v_bits())});
  }
  return out;
}

std::vector<FloatSample> HeadSamples(const Head& head, SeriesId id, int64_t mint, int64_t maxt) {
  std::vector<FloatSample> out;
  for (const FloatSample& s : head.FloatSamples(id)) {
    if (s.t >= mint && s.t < maxt && !head.IsDeleted(id, s.t)) out.push_back(s);
  }
  return out;
}

TEST(HeadBlocks, CopiesTheHeadsChunksAsTheyAre) {
  TempDir tmp;
  const auto head = ScrapedHead(kH);
  const Written w = WriteAll(*head, tmp.path());
  ASSERT_EQ(w.blocks.size(), 3u);
  // The head's chunks, in order, are the blocks' chunks, byte for byte.
  const SeriesId id = head->FindByLabels({{"__name__", "m2"}, {"job", "j"}});
  std::vector<std::string> stored;
  for (const std::string& dir : w.dirs) {
    for (std::string& c : BlockChunks(dir, "m2")) stored.push_back(std::move(c));
  }
  std::vector<std::string> held;
  for (const ChunkView& c : head->FloatChunks(id)) held.emplace_back(c.bytes);
  EXPECT_EQ(stored, held);
  for (size_t i = 0; i < w.dirs.size(); ++i) {
    auto back = CheckBlock(PosixFs(), w.dirs[i]);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->digest, w.blocks[i].digest);
    EXPECT_EQ(back->float_samples, w.blocks[i].float_samples);
  }
  EXPECT_EQ(w.blocks[0].float_samples, 3u * 60);   // 30 minutes of the first range
  EXPECT_EQ(w.blocks[1].float_samples, 3u * 240);  // a whole range
  EXPECT_EQ(w.blocks[2].float_samples, 3u * 60);
}

// A head that cuts on sample count alone has chunks across the boundaries:
// they are decoded and cut where the ranges end.
TEST(HeadBlocks, ReencodesChunksThatSpanTwoRanges) {
  TempDir tmp;
  const auto head = ScrapedHead(0);
  const Written w = WriteAll(*head, tmp.path());
  ASSERT_EQ(w.blocks.size(), 3u);
  const SeriesId id = head->FindByLabels({{"__name__", "m3"}, {"job", "j"}});
  for (size_t i = 0; i < w.dirs.size(); ++i) {
    auto back = CheckBlock(PosixFs(), w.dirs[i]);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->digest, w.blocks[i].digest);
    const int64_t mint = w.blocks[i].meta.min_time;
    EXPECT_EQ(BlockSamples(w.dirs[i], "m3"), HeadSamples(*head, id, mint, mint + kH)) << "block " << i;
  }
}

TEST(HeadBlocks, DeletedSamplesAreLeftOut) {
  TempDir tmp;
  auto head = ScrapedHead(kH);
  head->AddTombstone({1, kT0 + kH + 60000, kT0 + kH + 10 * 60000});  // 19 samples of m1
  const Written w = WriteAll(*head, tmp.path());
  ASSERT_EQ(w.blocks.size(), 3u);
  EXPECT_EQ(w.blocks[1].float_samples, 3u * 240 - 19);
  const SeriesId id = head->Resolve(1);
  EXPECT_EQ(BlockSamples(w.dirs[1], "m1"), HeadSamples(*head, id, kT0 + kH, kT0 + 2 * kH));
  // The other series' chunks are still the head's own.
  const SeriesId other = head->Resolve(2);
  EXPECT_EQ(BlockChunks(w.dirs[1], "m2").size(), 2u);
  EXPECT_EQ(BlockSamples(w.dirs[1], "m2"), HeadSamples(*head, other, kT0 + kH, kT0 + 2 * kH));
}

TEST(HeadBlocks, ThreadsChangeNothingWritten) {
  TempDir one, two;
  const auto head = ScrapedHead(kH);
  const Written a = WriteAll(*head, one.path(), 1);
  const Written b = WriteAll(*head, two.path(), 2);
  ASSERT_EQ(a.blocks.size(), b.blocks.size());
  for (size_t i = 0; i < a.blocks.size(); ++i) EXPECT_EQ(a.blocks[i].digest, b.blocks[i].digest);
}

// What SurveySeries reads from chunk headers equals what decoding finds.
TEST(HeadBlocks, SurveyFromHeadersMatchesDecoding) {
  const auto copied = ScrapedHead(kH);
  const auto decoded = ScrapedHead(0);
  for (SeriesId id : copied->SortedSeries()) {
    std::set<int64_t> a, b;
    const HeadTimeSpan x = SurveySeries(*copied, id, kH, &a);
    const HeadTimeSpan y = SurveySeries(*decoded, decoded->FindByLabels(copied->labels(id)), kH, &b);
    EXPECT_EQ(x.float_samples, y.float_samples);
    EXPECT_EQ(x.mint, y.mint);
    EXPECT_EQ(x.maxt, y.maxt);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), 3u);
  }
}

}  // namespace
}  // namespace walproof::tsdb
