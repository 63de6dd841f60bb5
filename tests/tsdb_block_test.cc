// The TSDB block format: blocks written and read back, histogram chunks,
// and the reader's rejection of every kind of damage, each named with its
// file and offset (docs/format.md, "Block corruption cases").
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <deque>

#include "wal_test_util.h"
#include "walproof/format/crc32c.h"
#include "walproof/head/xor_chunk.h"
#include "walproof/io/posix_fs.h"
#include "walproof/tsdb/block_check.h"
#include "walproof/tsdb/block_digest.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_reader.h"
#include "walproof/tsdb/block_writer.h"
#include "walproof/tsdb/histogram_chunk.h"
#include "walproof/tsdb/label_matcher.h"

namespace walproof::tsdb {
namespace {

using testutil::ReadFileOrDie;
using testutil::TempDir;
using testutil::WriteFileOrDie;

const std::string kUlid = "01H00000000000000000000001";
constexpr int64_t kMint = 1700000000000 / kDefaultBlockDuration * kDefaultBlockDuration;

Histogram MakeHistogram(uint64_t k) {
  Histogram h;
  h.schema = 1;
  h.zero_threshold = std::ldexp(0.5, -127);
  h.zero_count = k;
  h.count = 3 * k + 2;
  h.sum = 1.5 * static_cast<double>(k);
  h.positive_spans = {{0, 2}, {3, 1}};
  h.positive_buckets = {static_cast<int64_t>(k), 1, -1};
  h.negative_spans = {{-2, 1}};
  h.negative_buckets = {static_cast<int64_t>(k) + 1};
  return h;
}

struct Written {
  std::string dir;
  uint64_t digest = 0;
};

// Three series: floats over two chunks, histograms, and a single sample.
Written WriteSample(const std::string& parent) {
  BlockMeta meta;
  meta.ulid = kUlid;
  meta.min_time = kMint;
  meta.max_time = kMint + kDefaultBlockDuration;
  auto w = BlockWriter::Begin(PosixFs(), parent, meta,
                              {"__name__", "a", "b", "hist", "job", "lone", "x", "y"});
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  // The digest expected of the block, worked out here from the chunks: each
  // chunk's CRC-32C covers its encoding byte and its bytes.
  BlockDigest digest;
  auto add_series = [&](const Labels& labels, const std::vector<EncodedChunk>& chunks) {
    digest.BeginSeries(labels);
    for (const EncodedChunk& c : chunks) {
      const char enc = static_cast<char>(c.encoding);
      const uint32_t crc = crc32c::Extend(crc32c::Extend(0, &enc, 1), c.bytes.data(), c.bytes.size());
      digest.AddChunk(c.encoding, c.mint, c.maxt, c.samples, crc);
    }
    EXPECT_TRUE((*w)->AddSeries(labels, chunks).ok());
  };
  auto floats = [&](const Labels& labels, int n) {
    std::vector<EncodedChunk> chunks;
    std::deque<std::string> bytes;  // what the chunks view
    XorAppender app;
    int64_t first = 0;
    for (int i = 0; i < n; ++i) {
      const int64_t t = kMint + 15000 * i;
      if (app.num_samples() == kSamplesPerChunk) {
        chunks.push_back({kEncXor, bytes.emplace_back(app.bytes()), first, app.max_time(), app.num_samples()});
        app.Reset();
      }
      if (app.empty()) first = t;
      const uint64_t v = std::bit_cast<uint64_t>(i * 0.5);
      app.Append(t, v);
    }
    chunks.push_back({kEncXor, bytes.emplace_back(app.bytes()), first, app.max_time(), app.num_samples()});
    add_series(labels, chunks);
  };
  floats({{"__name__", "a"}, {"job", "x"}}, 200);
  {
    const Labels labels = {{"__name__", "hist"}, {"job", "x"}};
    HistogramChunkEncoder enc;
    for (uint64_t k = 0; k < 10; ++k) {
      bool reset = false;
      EXPECT_TRUE(enc.Fits(MakeHistogram(k), &reset));
      enc.Append(kMint + 1000 * static_cast<int64_t>(k), MakeHistogram(k));
    }
    add_series(labels, {{kEncHistogram, enc.bytes(), kMint, kMint + 9000, 10}});
  }
  floats({{"__name__", "lone"}, {"job", "y"}}, 1);
  EXPECT_TRUE((*w)->Finish().ok());
  return {JoinPath(parent, kUlid), digest.value()};
}

TEST(TsdbBlock, WrittenBlockReadsBackWithTheSameDigest) {
  TempDir tmp;
  const Written w = WriteSample(tmp.path());
  auto sum = CheckBlock(PosixFs(), w.dir);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->series, 3u);
  EXPECT_EQ(sum->float_samples, 201u);
  EXPECT_EQ(sum->histogram_samples, 10u);
  EXPECT_EQ(sum->chunks, 4u);
  EXPECT_EQ(sum->digest, w.digest);
  EXPECT_EQ(sum->meta.stats.samples, 211u);
  // The temporary directory is gone; the block has every file.
  EXPECT_EQ(*PosixFs().Stat(w.dir + kTmpForCreationSuffix), FileKind::kMissing);
  EXPECT_EQ(ReadFileOrDie(JoinPath(w.dir, "tombstones")).size(), 9u);
  auto r = BlockReader::Open(PosixFs(), w.dir);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> names;
  ASSERT_TRUE((*r)->ForEachSeries([&](const IndexSeries& s) {
    names.push_back(s.labels[0].value);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "hist", "lone"}));
  EXPECT_EQ((*r)->postings_lists(), 6u);  // all, 3 names, 2 jobs
}

TEST(TsdbBlock, HistogramChunkRoundTripsWithStaleMarkers) {
  HistogramChunkEncoder enc;
  std::vector<Histogram> in;
  for (uint64_t k = 0; k < 5; ++k) in.push_back(MakeHistogram(k * 7));
  Histogram stale = MakeHistogram(99);
  stale.sum = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  in.push_back(stale);
  in.push_back(stale);
  bool reset = false;
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_TRUE(enc.Fits(in[i], &reset)) << i;
    enc.Append(static_cast<int64_t>(i) * 100 - 250, in[i]);
  }
  // After a stale marker only stale markers join the chunk.
  EXPECT_FALSE(enc.Fits(MakeHistogram(100), &reset));
  HistogramChunkIterator it(enc.bytes());
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_TRUE(it.Next()) << i << " " << it.error_text();
    EXPECT_EQ(it.t(), static_cast<int64_t>(i) * 100 - 250);
    if (i < 5) {
      EXPECT_EQ(it.histogram(), in[i]) << i;
    } else {
      EXPECT_TRUE(IsStaleHistogram(it.histogram()));
      EXPECT_TRUE(it.histogram().positive_buckets.empty());
    }
  }
  EXPECT_FALSE(it.Next());
  EXPECT_FALSE(it.error());
}

TEST(TsdbBlock, HistogramChunkCutsOnCounterResetAndLayoutChange) {
  HistogramChunkEncoder enc;
  enc.Append(0, MakeHistogram(10));
  bool reset = false;
  EXPECT_FALSE(enc.Fits(MakeHistogram(2), &reset));
  EXPECT_TRUE(reset);
  Histogram other = MakeHistogram(11);
  other.schema = 2;
  EXPECT_FALSE(enc.Fits(other, &reset));
  EXPECT_FALSE(reset);
  Histogram bucket_down = MakeHistogram(11);
  bucket_down.positive_buckets[1] = -20;
  EXPECT_FALSE(enc.Fits(bucket_down, &reset));
  EXPECT_TRUE(reset);
}

TEST(TsdbBlock, ZeroThresholdEncodings) {
  for (double zt : {0.0, std::ldexp(0.5, -127), std::ldexp(0.5, 11), 0.001, std::ldexp(0.5, 12)}) {
    Histogram h = MakeHistogram(1);
    h.zero_threshold = zt;
    HistogramChunkEncoder enc;
    enc.Append(5, h);
    HistogramChunkIterator it(enc.bytes());
    ASSERT_TRUE(it.Next());
    EXPECT_EQ(it.histogram().zero_threshold, zt);
  }
  // The default threshold 2^-128 takes one byte, 116, as upstream writes it.
  HistogramChunkEncoder enc;
  enc.Append(0, MakeHistogram(1));
  EXPECT_EQ(static_cast<uint8_t>(enc.bytes()[3]), 116);
}

// ---- Corruption: each case names its file and offset ----

class BlockDamage : public ::testing::Test {
 protected:
  void SetUp() override { w_ = WriteSample(tmp_.path()); }
  std::string Path(const std::string& name) const { return JoinPath(w_.dir, name); }
  // Rewrites `name` with f applied to its bytes and returns CheckBlock's error.
  template <typename F>
  std::string Damage(const std::string& name, F f) {
    std::string bytes = ReadFileOrDie(Path(name));
    f(bytes);
    WriteFileOrDie(Path(name), bytes);
    auto sum = CheckBlock(PosixFs(), w_.dir);
    EXPECT_FALSE(sum.ok());
    if (!sum.ok()) {
      EXPECT_TRUE(sum.status().IsCorruption()) << sum.status().ToString();
    }
    return sum.ok() ? "" : sum.status().message();
  }
  uint64_t Toc(int i) {
    const std::string idx = ReadFileOrDie(Path("index"));
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = v << 8 | static_cast<uint8_t>(idx[idx.size() - 52 + 8 * i + k]);
    return v;
  }
  TempDir tmp_;
  Written w_;
};

TEST_F(BlockDamage, IndexBadMagic) {
  EXPECT_EQ(Damage("index", [](std::string& b) { b[0] ^= 1; }), Path("index") + " at offset 0: bad magic");
}

TEST_F(BlockDamage, IndexTocChecksum) {
  std::string idx = ReadFileOrDie(Path("index"));
  const size_t toc = idx.size() - 52;
  EXPECT_EQ(Damage("index", [](std::string& b) { b[b.size() - 1] ^= 1; }),
            Path("index") + " at offset " + std::to_string(toc) + ": TOC: checksum mismatch");
}

TEST_F(BlockDamage, IndexSymbolTableChecksum) {
  const uint64_t at = Toc(0);
  EXPECT_EQ(Damage("index", [&](std::string& b) { b[at + 9] ^= 0x20; }),
            Path("index") + " at offset " + std::to_string(at) + ": symbol table: checksum mismatch");
}

TEST_F(BlockDamage, IndexSeriesEntryChecksum) {
  const uint64_t at = Toc(1);
  EXPECT_EQ(Damage("index", [&](std::string& b) { b[at + 2] ^= 0x01; }),
            Path("index") + " at offset " + std::to_string(at) + ": series entry: checksum mismatch");
}

TEST_F(BlockDamage, IndexPostingsOffsetTableChecksum) {
  const uint64_t at = Toc(5);
  EXPECT_EQ(Damage("index", [&](std::string& b) { b[at + 10] ^= 0x01; }),
            Path("index") + " at offset " + std::to_string(at) + ": postings offset table: checksum mismatch");
}

TEST_F(BlockDamage, IndexPostingsListChecksum) {
  const uint64_t at = (Toc(4) + 3) / 4 * 4;  // the all-series list comes first, 4-byte aligned
  EXPECT_EQ(Damage("index", [&](std::string& b) { b[at + 9] ^= 0x01; }),
            Path("index") + " at offset " + std::to_string(at) + ": postings list: checksum mismatch");
}

TEST_F(BlockDamage, IndexSectionLengthPastTheEnd) {
  const uint64_t at = Toc(0);
  EXPECT_EQ(Damage("index", [&](std::string& b) { b[at] = '\x7f'; }),
            Path("index") + " at offset " + std::to_string(at) + ": symbol table: length " +
                std::to_string((0x7fu << 24) | (static_cast<uint8_t>(ReadFileOrDie(Path("index"))[at + 1]) << 16) |
                               (static_cast<uint8_t>(ReadFileOrDie(Path("index"))[at + 2]) << 8) |
                               static_cast<uint8_t>(ReadFileOrDie(Path("index"))[at + 3])) +
                " runs past the end");
}

TEST_F(BlockDamage, IndexTruncated) {
  EXPECT_EQ(Damage("index", [](std::string& b) { b.resize(20); }),
            Path("index") + " at offset 0: 20 bytes, too short for header and TOC");
}

TEST_F(BlockDamage, ChunkChecksum) {
  const std::string file = "chunks/000001";
  EXPECT_EQ(Damage(file, [](std::string& b) { b[12] ^= 0x40; }), Path(file) + " at offset 8: chunk checksum mismatch");
}

TEST_F(BlockDamage, ChunkFileBadMagic) {
  const std::string file = "chunks/000001";
  EXPECT_EQ(Damage(file, [](std::string& b) { b[1] ^= 0x40; }), Path(file) + " at offset 0: bad magic");
}

TEST_F(BlockDamage, ChunkFileTruncated) {
  const std::string file = "chunks/000001";
  const std::string msg = Damage(file, [](std::string& b) { b.resize(b.size() - 3); });
  EXPECT_NE(msg.find(Path(file) + " at offset "), std::string::npos) << msg;
  EXPECT_NE(msg.find("runs past the end"), std::string::npos) << msg;
}

TEST_F(BlockDamage, MetaStatsDisagree) {
  const std::string msg = Damage("meta.json", [](std::string& b) {
    b.replace(b.find("\"numSamples\": 211"), 17, "\"numSamples\": 212");
  });
  EXPECT_EQ(msg, w_.dir + "/meta.json: stats say 3 series, 212 samples, 4 chunks; the block holds 3, 211, 4");
}

TEST_F(BlockDamage, MetaFieldMissing) {
  EXPECT_EQ(Damage("meta.json", [](std::string& b) { b.replace(b.find("\"maxTime\""), 9, "\"maxTimX\""); }),
            Path("meta.json") + ": field \"maxTime\" missing");
}

TEST_F(BlockDamage, TombstonesChecksum) {
  EXPECT_EQ(Damage("tombstones", [](std::string& b) { b[6] ^= 1; }), Path("tombstones") + " at offset 5: checksum mismatch");
}

TEST_F(BlockDamage, TombstonesBadMagic) {
  EXPECT_EQ(Damage("tombstones", [](std::string& b) { b[0] ^= 1; }), Path("tombstones") + " at offset 0: bad magic");
}

TEST(TsdbBlock, TombstonesRoundTrip) {
  const std::vector<Tombstone> in = {{16, -5, 100}, {32, 0, 0}};
  const std::string bytes = EncodeTombstones(in);
  auto out = DecodeTombstones(bytes, "t");
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].series_ref, 16u);
  EXPECT_EQ((*out)[0].mint, -5);
  EXPECT_EQ((*out)[1].series_ref, 32u);
}

TEST(TsdbBlock, UlidsAndMeta) {
  std::array<uint8_t, 10> e{};
  EXPECT_EQ(MakeUlid(0, e), std::string(26, '0'));
  e[9] = 31;
  EXPECT_EQ(MakeUlid(1, e), "000000000100000000000000" "0Z");
  EXPECT_TRUE(IsUlid(MakeUlid(1700000000000, e)));
  EXPECT_FALSE(IsUlid("81H00000000000000000000001"));  // overflows 128 bits
  EXPECT_FALSE(IsUlid("01H0000000000000000000000U"));  // U is not Crockford
  BlockMeta m;
  m.ulid = kUlid;
  m.min_time = -7200000;
  m.max_time = 0;
  m.stats = {5, 2, 3, 0};
  auto back = ParseBlockMeta(EncodeBlockMeta(m), "meta.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->min_time, -7200000);
  EXPECT_EQ(back->stats.samples, 5u);
  EXPECT_EQ(back->stats.chunks, 3u);
}

TEST(TsdbBlock, SelectorsParseAndMatch) {
  auto sel = SeriesSelector::Parse("up{job=\"runaway\", instance=~\"10\\\\..*\"}");
  ASSERT_TRUE(sel.ok()) << sel.status().ToString();
  EXPECT_TRUE(sel->Matches({{"__name__", "up"}, {"instance", "10.1"}, {"job", "runaway"}}));
  EXPECT_FALSE(sel->Matches({{"__name__", "up"}, {"instance", "110.1"}, {"job", "runaway"}}));
  EXPECT_FALSE(sel->Matches({{"__name__", "down"}, {"instance", "10.1"}, {"job", "runaway"}}));
  auto neg = SeriesSelector::Parse("{job!=\"a\",x!~\"b|c\"}");
  ASSERT_TRUE(neg.ok());
  EXPECT_TRUE(neg->Matches({{"job", "z"}}));
  EXPECT_FALSE(neg->Matches({{"job", "z"}, {"x", "c"}}));
  EXPECT_FALSE(SeriesSelector::Parse("{}").ok());
  EXPECT_EQ(SeriesSelector::Parse("{job=runaway}").status().message(),
            "selector {job=runaway} at position 5: expected a quoted value");
}

}  // namespace
}  // namespace walproof::tsdb
