// block_reader_fuzzer: the input is a TSDB block, its four files framed one
// after the other (block_image below): meta.json, tombstones, index and
// chunks/000001. CheckBlock reads it as rescue does before it trusts a
// block (tsdb/block_check.h).
//
// Properties:
// - nothing crashes, reads out of bounds or sizes a container from an
//   unchecked number, whatever the files hold (under ASan: allocations stay
//   within a fixed multiple of the input);
// - a block CheckBlock accepts round-trips: every series read back (labels,
//   chunk bytes) and written again with BlockWriter gives a block that
//   CheckBlock also accepts with the same series, samples, chunks and digest.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>

#include "alloc_meter.h"
#include "fuzz_check.h"
#include "memory_fs.h"
#include "walproof/tsdb/block_check.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_reader.h"
#include "walproof/tsdb/block_writer.h"

using namespace walproof;
using namespace walproof::tsdb;

namespace {

const std::string kUlid = "01H00000000000000000000001";
const std::string kCopyUlid = "01H00000000000000000000002";

// The block image: for each of the four files a big-endian 32-bit length,
// then that many bytes (cut short at the end of the input). A file whose
// length field is missing is not created.
FUZZ_NO_COVERAGE void PutBlock(MemoryFs& fs, std::string_view in) {
  static const char* const kNames[] = {"meta.json", "tombstones", "index", "chunks/000001"};
  fs.PutFile("data/" + kUlid + "/chunks/.keep", "");
  (void)fs.RemoveFile("data/" + kUlid + "/chunks/.keep");
  for (const char* name : kNames) {
    if (in.size() < 4) return;
    const uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(in[0])) << 24 |
                       static_cast<uint32_t>(static_cast<uint8_t>(in[1])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(in[2])) << 8 | static_cast<uint8_t>(in[3]);
    in.remove_prefix(4);
    const size_t take = n < in.size() ? n : in.size();
    fs.PutFile("data/" + kUlid + "/" + name, std::string(in.substr(0, take)));
    in.remove_prefix(take);
  }
}

// Reads every series of the block back and writes it again as another block.
void RoundTrip(MemoryFs& fs, const BlockSummary& first) {
  auto reader = BlockReader::Open(fs, "data/" + kUlid);
  FUZZ_CHECK(reader.ok(), "a block CheckBlock accepted does not open: %s", reader.status().ToString().c_str());
  BlockReader& r = **reader;
  std::set<std::string> symbols;
  Status st = r.ForEachSeries([&](const IndexSeries& s) {
    for (const Label& l : s.labels) {
      symbols.insert(l.name);
      symbols.insert(l.value);
    }
    return Status::Ok();
  });
  FUZZ_CHECK(st.ok(), "second pass over the series: %s", st.ToString().c_str());
  BlockMeta meta = r.meta();
  meta.ulid = kCopyUlid;
  auto w = BlockWriter::Begin(fs, "data", meta, {symbols.begin(), symbols.end()});
  FUZZ_CHECK(w.ok(), "begin the copy: %s", w.status().ToString().c_str());
  std::vector<EncodedChunk> chunks;
  std::deque<std::string> bytes_read;  // ReadChunk's view lasts until its next call
  st = r.ForEachSeries([&](const IndexSeries& s) {
    chunks.clear();
    bytes_read.clear();
    for (const ChunkMeta& m : s.chunks) {
      uint8_t enc = 0;
      std::string_view bytes;
      WALPROOF_RETURN_IF_ERROR(r.ReadChunk(m.ref, &enc, &bytes));
      const uint32_t n = bytes.size() >= 2 ? (static_cast<uint8_t>(bytes[0]) << 8 | static_cast<uint8_t>(bytes[1])) : 0;
      chunks.push_back({enc, bytes_read.emplace_back(bytes), m.mint, m.maxt, n});
    }
    return (*w)->AddSeries(s.labels, chunks);
  });
  FUZZ_CHECK(st.ok(), "copy the series: %s", st.ToString().c_str());
  FUZZ_CHECK((*w)->Finish().ok(), "finish the copy");
  auto second = CheckBlock(fs, "data/" + kCopyUlid);
  FUZZ_CHECK(second.ok(), "the copy does not check: %s", second.status().ToString().c_str());
  FUZZ_CHECK(second->series == first.series && second->float_samples == first.float_samples &&
                 second->histogram_samples == first.histogram_samples && second->chunks == first.chunks &&
                 second->digest == first.digest,
             "the copy differs: %llu/%llu series, digest %016llx/%016llx",
             static_cast<unsigned long long>(second->series), static_cast<unsigned long long>(first.series),
             static_cast<unsigned long long>(second->digest), static_cast<unsigned long long>(first.digest));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryFs fs;
  PutBlock(fs, std::string_view(reinterpret_cast<const char*>(data), size));
  Result<BlockSummary> sum = Status::Ok();
  {
    fuzz::AllocMeter meter;
    sum = CheckBlock(fs, "data/" + kUlid);
    if (fuzz::AllocMeter::available()) {
      // The index and a chunk window are copied; decoded histograms and label
      // sets are bounded by the bytes they come from.
      FUZZ_CHECK(meter.largest() <= 64 * size + (2u << 20), "one allocation of %zu bytes for %zu input bytes",
                 meter.largest(), size);
    }
  }
  if (sum.ok()) RoundTrip(fs, *sum);
  return 0;
}
