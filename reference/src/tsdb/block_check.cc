#include "walproof/tsdb/block_check.h"

#include "walproof/head/xor_chunk.h"
#include "walproof/tsdb/block_digest.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_reader.h"
#include "walproof/tsdb/histogram_chunk.h"

namespace walproof::tsdb {

namespace {

std::string Range(int64_t a, int64_t b) { return "[" + std::to_string(a) + ", " + std::to_string(b) + "]"; }

// Decodes one chunk, checks its samples against `m`, adds it to the digest.
Status CheckChunk(uint8_t encoding, std::string_view data, uint32_t crc, const ChunkMeta& m,
                  const std::string& where, BlockDigest* digest, BlockSummary* sum) {
  int64_t first = 0;
  int64_t last = 0;
  uint64_t n = 0;
  auto step = [&](int64_t t) -> Status {
    if (n > 0 && t <= last) return Status::Corruption(where + ": sample times not increasing at " + std::to_string(t));
    if (n == 0) first = t;
    last = t;
    ++n;
    return Status::Ok();
  };
  if (encoding == kEncXor) {
    XorIterator it(data);
    while (it.Next()) {
      WALPROOF_RETURN_IF_ERROR(step(it.t()));
    }
    if (it.error()) return Status::Corruption(where + ": XOR chunk does not decode");
    sum->float_samples += n;
  } else if (encoding == kEncHistogram) {
    HistogramChunkIterator it(data);
    while (it.Next()) {
      WALPROOF_RETURN_IF_ERROR(step(it.t()));
    }
    if (it.error()) return Status::Corruption(where + ": histogram chunk does not decode: " + it.error_text());
    sum->histogram_samples += n;
  } else {
    return Status::Corruption(where + ": unknown chunk encoding " + std::to_string(encoding));
  }
  if (n == 0) return Status::Corruption(where + ": empty chunk");
  if (first != m.mint || last != m.maxt) {
    return Status::Corruption(where + ": samples span " + Range(first, last) + ", the index says " + Range(m.mint, m.maxt));
  }
  digest->AddChunk(encoding, m.mint, m.maxt, n, crc);
  return Status::Ok();
}

}  // namespace

Result<BlockSummary> CheckBlock(Fs& fs, const std::string& dir) {
  auto reader = BlockReader::Open(fs, dir);
  if (!reader.ok()) return reader.status();
  BlockReader& r = **reader;
  BlockSummary sum;
  sum.meta = r.meta();
  BlockDigest digest;
  Status st = r.ForEachSeries([&](const IndexSeries& s) -> Status {
    digest.BeginSeries(s.labels);
    ++sum.series;
    for (const ChunkMeta& m : s.chunks) {
      uint8_t encoding = 0;
      std::string_view data;
      uint32_t crc = 0;
      WALPROOF_RETURN_IF_ERROR(r.ReadChunk(m.ref, &encoding, &data, &crc));
      const std::string where = dir + "/chunks: chunk " + std::to_string(m.ref) + " of series " + std::to_string(s.id);
      WALPROOF_RETURN_IF_ERROR(CheckChunk(encoding, data, crc, m, where, &digest, &sum));
      ++sum.chunks;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  const BlockStats& want = r.meta().stats;
  const uint64_t samples = sum.float_samples + sum.histogram_samples;
  if (want.series != sum.series || want.samples != samples || want.chunks != sum.chunks) {
    return Status::Corruption(dir + "/meta.json: stats say " + std::to_string(want.series) + " series, " +
                              std::to_string(want.samples) + " samples, " + std::to_string(want.chunks) +
                              " chunks; the block holds " + std::to_string(sum.series) + ", " +
                              std::to_string(samples) + ", " + std::to_string(sum.chunks));
  }
  sum.digest = digest.value();
  return sum;
}

}  // namespace walproof::tsdb
