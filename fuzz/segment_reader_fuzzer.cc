// segment_reader_fuzzer: any bytes as one WAL segment.
//
// The strict reader (SegmentReader) reads the input
//   A. as the only segment; then one of B..E, chosen by the input's CRC:
//   B. as the tail of a two-segment stream after a good segment, with
//      per-phase timing on (a checkpoint is read this way);
//   C. cut in two segments (at a page boundary when it has two pages or more,
//      else in the middle, leaving a short first segment);
//   D. with a file that claims more bytes than it has (shrank after stat);
//   E. with a read error injected at an offset the input picks, or followed
//      by a segment file that cannot be opened;
//   F. as segment 0 of a WAL directory, through ComputeWalStats (always).
// Properties: no crash; records equal, one for one, those of an independent
// model of the reader rules (wal_image.h), so never a record whose fragments
// failed their CRC; a corruption exactly where the model stops (segment and
// offset), its offset inside the padded segment, and the same reason text;
// with a read error, an I/O status (not a corruption) after a prefix of the
// records; WalStats counts
// agree with the records the model returns and the codec decodes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "memory_fs.h"
#include "wal_image.h"
#include "wal_mutator.h"
#include "walproof/format/crc32c.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_stats.h"

using namespace walproof;
using namespace walproof::fuzz;

namespace {

struct Read {
  std::vector<std::string> records;
  std::vector<bool> compressed;
  Status status;
  std::optional<CorruptionInfo> corruption;
};

Read ReadAll(Fs& fs, const std::vector<ModelSegment>& segs, bool timing) {
  std::vector<SegmentFile> files;
  for (const ModelSegment& s : segs) files.push_back({s.index, "wal/" + std::to_string(s.index)});
  SegmentReader reader(fs, files);
  reader.set_timing(timing);
  Read out;
  std::string_view rec;
  while (reader.Next(&rec)) {
    out.records.emplace_back(rec);
    out.compressed.push_back(reader.last_compressed());
    FUZZ_CHECK(out.records.size() < 1000000, "runaway reader");
  }
  FUZZ_CHECK(!reader.Next(&rec), "Next() returned a record after the end");
  out.status = reader.status();
  out.corruption = reader.corruption();
  return out;
}

uint64_t PaddedSize(size_t n) { return (n + kPageSize - 1) / kPageSize * kPageSize; }

void Compare(const char* config, const Read& got, const ModelResult& want,
             const std::vector<ModelSegment>& segs) {
  FUZZ_CHECK(got.records.size() == want.records.size(),
             "[%s] reader returned %zu records, model %zu (reader: %s; model: %s)", config,
             got.records.size(), want.records.size(), got.status.ToString().c_str(),
             want.corrupt ? want.reason.c_str() : "ok");
  for (size_t i = 0; i < got.records.size(); ++i) {
    FUZZ_CHECK(got.records[i] == want.records[i], "[%s] record %zu differs from the model", config, i);
    FUZZ_CHECK(got.compressed[i] == want.compressed[i], "[%s] record %zu compressed flag differs", config, i);
  }
  FUZZ_CHECK(got.corruption.has_value() == want.corrupt, "[%s] reader %s, model %s", config,
             got.status.ToString().c_str(), want.corrupt ? want.reason.c_str() : "ok");
  if (!want.corrupt) {
    FUZZ_CHECK(got.status.ok(), "[%s] status %s without corruption", config, got.status.ToString().c_str());
    return;
  }
  const CorruptionInfo& c = *got.corruption;
  FUZZ_CHECK(got.status.IsCorruption(), "[%s] corruption info but status %s", config, got.status.ToString().c_str());
  FUZZ_CHECK(c.segment == want.segment && c.offset == want.offset,
             "[%s] corruption at segment %d offset %llu, model says segment %d offset %llu (%s / %s)",
             config, c.segment, static_cast<unsigned long long>(c.offset), want.segment,
             static_cast<unsigned long long>(want.offset), c.reason.c_str(), want.reason.c_str());
  uint64_t limit = 0;
  for (const ModelSegment& s : segs) {
    if (s.index == c.segment) limit = PaddedSize(s.data.size());
  }
  FUZZ_CHECK(c.offset <= limit, "[%s] corruption offset %llu beyond the padded segment (%llu)", config,
             static_cast<unsigned long long>(c.offset), static_cast<unsigned long long>(limit));
  // The same reason, word for word (upstream's texts), except that the
  // decompression libraries word their own errors.
  if (want.reason.rfind("decompress: ", 0) == 0) {
    FUZZ_CHECK(c.reason == want.reason.substr(12), "[%s] reason '%s', model '%s'", config,
               c.reason.c_str(), want.reason.c_str());
  } else {
    FUZZ_CHECK(c.reason == want.reason, "[%s] reason '%s', model '%s'", config, c.reason.c_str(),
               want.reason.c_str());
  }
}

void Check(const char* config, std::vector<ModelSegment> segs, bool timing, uint64_t size_lie = 0) {
  MemoryFs fs;
  for (const ModelSegment& s : segs) fs.PutFile("wal/" + std::to_string(s.index), s.data);
  if (size_lie) fs.faults().size_lie["wal/" + std::to_string(segs.back().index)] = size_lie;
  Read got = ReadAll(fs, segs, timing);
  Compare(config, got, ModelRead(segs), segs);
}

const std::string& GoodSegment() {
  static const std::string seg = [] {
    std::string series, samples;
    EncodeSeries({{1, {{"__name__", "up"}, {"job", "fuzz"}}}}, &series);
    EncodeSamples({{1, 1000, 1.0}, {1, 2000, 0.0}}, &samples);
    return BuildSegment({series, samples, std::string(40000, 's')}, Compression::kNone, true);
  }();
  return seg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);

  Check("A: one segment", {{0, in}}, false);
  // One of B..E per input, picked by its checksum: all four cost as much as
  // the rest of the target together, and the corpus covers each of them.
  const uint32_t h = crc32c::Value(in);
  switch (h % 4) {
    case 0:
      Check("B: after a good segment", {{0, GoodSegment()}, {1, in}}, true);
      break;
    case 1: {
      size_t cut = size >= 2 * kPageSize ? (size / kPageSize / 2) * kPageSize : size / 2;
      Check("C: cut in two", {{3, in.substr(0, cut)}, {4, in.substr(cut)}}, false);
      break;
    }
    case 2:
      if (size > 0) Check("D: file shrank", {{0, in}}, false, 1 + (h >> 2) % (2 * kPageSize));
      break;
    default: {  // E: read error at some offset (or a next segment that is gone):
                // an I/O status, after a prefix of the records.
      MemoryFs fs;
      fs.PutFile("wal/0", in);
      fs.faults().error_at["wal/0"] = size ? (h >> 3) % (size + 1) : 0;
      std::vector<ModelSegment> segs{{0, in}};
      if (h & 4) {
        fs.faults().error_at.clear();
        segs.push_back({1, std::string()});  // wal/1 is never created: NotFound on open
      }
      Read got = ReadAll(fs, segs, false);
      ModelResult want = ModelRead({{0, in}});
      FUZZ_CHECK(got.records.size() <= want.records.size(), "[E] more records than the model");
      for (size_t i = 0; i < got.records.size(); ++i) {
        FUZZ_CHECK(got.records[i] == want.records[i], "[E] record %zu differs from the model", i);
      }
      if (!got.status.ok() && !got.corruption) {
        FUZZ_CHECK(got.status.code() == ((h & 4) ? Status::Code::kNotFound : Status::Code::kIOError),
                   "[E] unexpected status %s", got.status.ToString().c_str());
      }
      if (got.corruption) Compare("E: read error", got, want, {{0, in}});
    }
  }

  {  // F: the whole stack, directory to stats.
    MemoryFs fs;
    fs.PutFile("wal/00000000", in);
    auto stats = ComputeWalStats(fs, "wal");
    FUZZ_CHECK(stats.ok(), "[F] ComputeWalStats failed: %s", stats.status().ToString().c_str());
    ModelResult want = ModelRead({{0, in}});
    uint64_t decodable = 0;
    bool decode_failed = false;
    Record r;
    for (const std::string& rec : want.records) {
      // Stats stops where replay would: only a type replay applies can fail.
      if (!DecodeRecordAsReplayed(rec, &r).ok()) {
        decode_failed = true;
        break;
      }
      ++decodable;
    }
    FUZZ_CHECK(stats->records == decodable, "[F] stats count %llu records, model and codec %llu",
               static_cast<unsigned long long>(stats->records), static_cast<unsigned long long>(decodable));
    FUZZ_CHECK(stats->corruption.has_value() == (decode_failed || want.corrupt),
               "[F] stats corruption %d, expected %d", stats->corruption.has_value(),
               decode_failed || want.corrupt);
    FUZZ_CHECK(stats->file_bytes == size, "[F] file_bytes %llu for a %zu-byte segment",
               static_cast<unsigned long long>(stats->file_bytes), size);
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return MutateSegment(data, size, max_size, seed);
}
