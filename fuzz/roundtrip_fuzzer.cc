// roundtrip_fuzzer: the input chooses records, compression, segment size and
// when segments switch; WalWriter writes them, the readers read them back.
//
// Properties: every record comes back, in order, byte for byte, with no
// corruption, both through WalReader (segment by segment, as replay reads)
// and through one SegmentReader over all segments; typed records decode to
// the values written; ComputeWalStats counts them; the independent model
// reader agrees; the layout follows the rules of docs/format.md, "Writer rules":
// after Close every segment is whole pages, a segment is over its size only
// when it holds a single record too big for any segment (or, by upstream's
// arithmetic, empty records once all its pages are used), compression is used
// only when strictly shorter, and the first segment after a reopen is a new
// one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "entropy.h"
#include "format/compression.h"  // reference/src: CompressRecord, to predict the flag
#include "fuzz_check.h"
#include "gen/records.h"
#include "memory_fs.h"
#include "wal_image.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"
#include "walproof/wal/wal_stats.h"
#include "walproof/wal/wal_writer.h"

using namespace walproof;
using namespace walproof::fuzz;

namespace {

constexpr size_t kMaxTotalBytes = 256 << 10;  // keeps one run fast

struct Written {
  std::string bytes;
  std::optional<Record> value;  // for records made by the encoder
};

// A record that is just bytes: empty, random, or long and repetitive (to
// compress and to span pages and segments).
FUZZ_NO_COVERAGE std::string RawRecord(InputEntropy& e) {
  switch (e.Below(4)) {
    case 0: return std::string();
    case 1: return std::string(e.Take(e.Below(64)));
    case 2: {
      size_t n = e.Below(3 * kPageSize);
      std::string unit(e.Take(1 + e.Below(8)));
      std::string s;
      while (s.size() < n) s += unit.empty() ? std::string(1, 'r') : unit;
      s.resize(n);
      return s;
    }
    default: {
      // Incompressible and long: 1..2 pages of pseudo-random bytes.
      size_t n = kMaxFragmentPayload - 16 + e.Below(kPageSize + 32);
      std::string s(n, '\0');
      uint32_t x = static_cast<uint32_t>(e.Bits(32)) | 1;
      for (char& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
      }
      return s;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputEntropy e(data, size);
  WalWriterOptions opts;
  opts.compression = static_cast<Compression>(e.Below(3));
  opts.segment_size = kPageSize * e.InRange(1, 4);
  opts.sync_dir_on_new_segment = e.Bool();
  FUZZ_LOG("compression %s, segment size %llu", CompressionName(opts.compression),
           static_cast<unsigned long long>(opts.segment_size));

  MemoryFs fs;
  const std::string dir = "data/wal";
  auto w = WalWriter::Open(fs, dir, opts);
  FUZZ_CHECK(w.ok(), "open: %s", w.status().ToString().c_str());
  std::unique_ptr<WalWriter> writer = std::move(*w);

  std::vector<Written> written;
  std::vector<int> reopened_at;  // segments a reopen started
  size_t total = 0;
  gen::Limits lim;
  for (int op = 0; op < 64 && !e.exhausted() && total < kMaxTotalBytes; ++op) {
    switch (e.Below(10)) {
      case 0: case 1: case 2: case 3: {
        Record r = gen::AnyRecord(e, lim);
        written.push_back({EncodeRecord(r), r});
        total += written.back().bytes.size();
        Status st = writer->Log(written.back().bytes);
        FUZZ_LOG("log record %zu: %zu bytes -> segment %d", written.size() - 1, written.back().bytes.size(),
                 writer->active_segment());
        FUZZ_CHECK(st.ok(), "log: %s", st.ToString().c_str());
        break;
      }
      case 4: case 5: {
        std::vector<std::string> batch;
        for (uint64_t k = 0, n = e.Below(6); k < n; ++k) {
          bool raw = e.OneIn(3);
          if (raw) {
            written.push_back({RawRecord(e), std::nullopt});
          } else {
            Record r = gen::AnyRecord(e, lim);
            written.push_back({EncodeRecord(r), r});
          }
          batch.push_back(written.back().bytes);
          total += batch.back().size();
        }
        Status st = writer->Log(batch);
        FUZZ_LOG("log batch of %zu records, ending at %zu -> segment %d", batch.size(), written.size(),
                 writer->active_segment());
        FUZZ_CHECK(st.ok(), "log batch: %s", st.ToString().c_str());
        break;
      }
      case 6: {
        written.push_back({RawRecord(e), std::nullopt});
        total += written.back().bytes.size();
        Status st = writer->Log(written.back().bytes);
        FUZZ_LOG("log raw record %zu: %zu bytes -> segment %d", written.size() - 1, written.back().bytes.size(),
                 writer->active_segment());
        FUZZ_CHECK(st.ok(), "log raw: %s", st.ToString().c_str());
        break;
      }
      case 7: {
        int before = writer->active_segment();
        auto next = writer->NextSegment();
        FUZZ_CHECK(next.ok() && *next == before + 1, "next segment: %s", next.status().ToString().c_str());
        break;
      }
      case 8: {
        FUZZ_CHECK(writer->Sync().ok(), "sync");
        break;
      }
      default: {
        // Close and reopen, as a restart does: a new segment after the last.
        int last = writer->active_segment();
        FUZZ_CHECK(writer->Close().ok(), "close");
        auto again = WalWriter::Open(fs, dir, opts);
        FUZZ_CHECK(again.ok(), "reopen: %s", again.status().ToString().c_str());
        writer = std::move(*again);
        FUZZ_CHECK(writer->active_segment() == last + 1, "reopen started segment %d after %d",
                   writer->active_segment(), last);
        reopened_at.push_back(writer->active_segment());
      }
    }
  }
  FUZZ_CHECK(writer->Close().ok(), "close");
  FUZZ_CHECK(!writer->Log(std::string("x")).ok(), "log after close succeeded");

  // Layout.
  auto segments = ListSequentialSegments(fs, dir);
  FUZZ_CHECK(segments.ok(), "list: %s", segments.status().ToString().c_str());
  std::vector<ModelSegment> model_input;
  std::vector<SegmentFile> files;
  for (int s : *segments) {
    std::string path = JoinPath(dir, SegmentFileName(s));
    const std::string* bytes = fs.FileData(path);
    FUZZ_CHECK(bytes != nullptr, "segment %d vanished", s);
    FUZZ_CHECK(bytes->size() % kPageSize == 0, "closed segment %d is %zu bytes, not whole pages", s, bytes->size());
    model_input.push_back({s, *bytes});
    files.push_back({s, path});
  }

  // One stream over all segments: every record, in order, nothing else.
  ModelResult model = ModelRead(model_input);
  FUZZ_CHECK(!model.corrupt, "model reader finds corruption: %s at %d:%llu", model.reason.c_str(),
             model.segment, static_cast<unsigned long long>(model.offset));
  FUZZ_CHECK(model.records.size() == written.size(), "model reads %zu records, %zu written",
             model.records.size(), written.size());
  {
    SegmentReader reader(fs, files);
    std::string_view rec;
    size_t i = 0;
    std::string packed;
    while (reader.Next(&rec)) {
      FUZZ_CHECK(i < written.size(), "more records than written");
      FUZZ_CHECK(rec == written[i].bytes, "record %zu differs", i);
      bool expect_compressed = CompressRecord(opts.compression, written[i].bytes, &packed);
      FUZZ_CHECK(reader.last_compressed() == expect_compressed, "record %zu compressed=%d, expected %d", i,
                 reader.last_compressed(), expect_compressed);
      FUZZ_CHECK(reader.last_stored_size() == (expect_compressed ? packed.size() : rec.size()),
                 "record %zu stored size %zu", i, reader.last_stored_size());
      ++i;
    }
    FUZZ_CHECK(reader.status().ok(), "segment reader: %s", reader.status().ToString().c_str());
    FUZZ_CHECK(i == written.size(), "segment reader read %zu of %zu records", i, written.size());
  }

  // As replay reads it: each segment a stream of its own, so no record may
  // span two segments; each segment within its size unless it holds one
  // oversized record.
  auto plan = PlanWalRead(fs, dir);
  FUZZ_CHECK(plan.ok(), "plan: %s", plan.status().ToString().c_str());
  WalReader reader(fs, *plan);
  std::string_view rec;
  size_t i = 0;
  std::map<int, int> records_in_segment;
  std::map<int, int> nonempty_past_size;  // records of a segment that end beyond its size
  Record decoded;
  while (reader.Next(&rec)) {
    FUZZ_CHECK(i < written.size(), "wal reader: more records than written");
    FUZZ_CHECK(rec == written[i].bytes, "wal reader: record %zu differs", i);
    ++records_in_segment[reader.segment()];
    if (!rec.empty() && reader.offset() > opts.segment_size) ++nonempty_past_size[reader.segment()];
    FUZZ_LOG("read record %zu (%zu bytes) from segment %d, ending at %llu", i, rec.size(), reader.segment(),
             static_cast<unsigned long long>(reader.offset()));
    if (written[i].value) {
      Status st = DecodeRecord(rec, &decoded);
      FUZZ_CHECK(st.ok(), "record %zu does not decode: %s", i, st.ToString().c_str());
      FUZZ_CHECK(decoded == *written[i].value, "record %zu decodes to another value", i);
    }
    ++i;
  }
  FUZZ_CHECK(reader.status().ok(), "wal reader: %s", reader.status().ToString().c_str());
  FUZZ_CHECK(i == written.size(), "wal reader read %zu of %zu records", i, written.size());
  for (const ModelSegment& s : model_input) {
    // Over its size only for one record too big for any segment; or, as
    // upstream's arithmetic allows, for empty records logged once every page
    // of the segment is used (an empty record never "does not fit").
    if (s.data.size() > opts.segment_size && records_in_segment[s.index] != 1) {
      FUZZ_CHECK(nonempty_past_size[s.index] == 0,
                 "segment %d is %zu bytes (> %llu) with %d records, %d non-empty ones past its size", s.index,
                 s.data.size(), static_cast<unsigned long long>(opts.segment_size), records_in_segment[s.index],
                 nonempty_past_size[s.index]);
    }
  }
  for (int s : reopened_at) {
    FUZZ_CHECK(fs.FileData(JoinPath(dir, SegmentFileName(s))) != nullptr, "reopen did not create %d", s);
  }

  auto stats = ComputeWalStats(fs, dir);
  FUZZ_CHECK(stats.ok(), "stats: %s", stats.status().ToString().c_str());
  uint64_t decodable = 0;
  for (const Written& w2 : written) decodable += DecodeRecordAsReplayed(w2.bytes, &decoded).ok() ? 1 : 0;
  if (decodable == written.size()) {
    FUZZ_CHECK(stats->records == written.size() && !stats->corruption, "stats count %llu of %zu records",
               static_cast<unsigned long long>(stats->records), written.size());
  }
  return 0;
}
