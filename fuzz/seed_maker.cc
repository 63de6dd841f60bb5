// walproof_fuzz_seeds: writes the hand-made seed corpus, and cuts seeds from
// WALs written by Prometheus itself.
//
//   walproof_fuzz_seeds --out CORPUS_DIR [--prometheus-wal WAL_DIR --tag NAME]...
//
// Hand-made seeds (named after what they are): every record type, the
// decoder's error classes, every corruption class of the strict reader, the
// compression cases; for each target in CORPUS_DIR/<target>/. From a
// Prometheus WAL (e.g. `promtool tsdb bench write`, or a server's data/wal):
// its first page, a middle page and its last page, one record of each type
// it holds, and its compressed payloads, kept small (a few hundred KiB in all).
// Existing files of the same name are overwritten; nothing is deleted.
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "format/compression.h"
#include "wal_image.h"
#include "wal_mutator.h"
#include "walproof/format/crc32c.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_dir.h"

using namespace walproof;
using namespace walproof::fuzz;
namespace stdfs = std::filesystem;

namespace {

std::string g_out;
int g_written = 0;

void Put(const std::string& target, const std::string& name, std::string_view bytes) {
  stdfs::path dir = stdfs::path(g_out) / target;
  stdfs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ++g_written;
}

std::string Enc(const Record& r) { return EncodeRecord(r); }

Labels L(std::initializer_list<std::pair<const char*, const char*>> kv) {
  Labels out;
  for (auto& [k, v] : kv) out.push_back({k, v});
  return out;
}

double Bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// One record of every type, as Prometheus would write them.
std::map<std::string, std::string> TypicalRecords() {
  std::map<std::string, std::string> m;
  m["series"] = Enc(SeriesRecord{{{1, L({{"__name__", "up"}, {"instance", "localhost:9090"}, {"job", "prometheus"}})},
                                  {2, L({{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}})}}});
  m["samples"] = Enc(SamplesRecord{{{1, 1700000000000, 1.0}, {2, 1700000000000, 42.5}, {1, 1700000015000, 0.0}}});
  m["samples-stale-marker"] = Enc(SamplesRecord{{{1, 1700000030000, Bits(0x7ff0000000000002ull)}}});
  m["samples-empty"] = Enc(SamplesRecord{});
  m["samples-negative-deltas"] = Enc(SamplesRecord{{{100, 5000, -0.0}, {3, -7000, Bits(0x7ff8000000000001ull)}, {UINT64_MAX, INT64_MIN, 1e308}}});
  m["tombstones"] = Enc(TombstonesRecord{{{1, 1700000000000, 1700000060000}, {2, INT64_MIN, INT64_MAX}}});
  m["exemplars"] = Enc(ExemplarsRecord{{{2, 1700000000000, 0.25, L({{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}})},
                                        {2, 1700000001000, 0.5, L({})}}});
  m["mmapmarkers"] = Enc(MmapMarkersRecord{{{1, 0x0000000100000010ull}, {2, 0}}});
  m["metadata"] = Enc(MetadataRecord{{{1, 1, "seconds", "Time spent."}, {2, 7, "", ""}}});
  Histogram h;
  h.counter_reset_hint = 1;
  h.schema = 3;
  h.zero_threshold = 1e-128;
  h.zero_count = 2;
  h.count = 21;
  h.sum = 123.5;
  h.positive_spans = {{0, 2}, {1, 3}};
  h.negative_spans = {{-2, 1}};
  h.positive_buckets = {1, 2, -1, 0, 3};
  h.negative_buckets = {4};
  m["histogram_samples"] = Enc(HistogramsRecord{{{3, 1700000000000, h}, {4, 1700000000500, Histogram{}}}});
  FloatHistogram fh;
  fh.schema = -4;
  fh.zero_threshold = 0.001;
  fh.zero_count = 1.5;
  fh.count = 10.0;
  fh.sum = -3.25;
  fh.positive_spans = {{1, 2}};
  fh.positive_buckets = {2.0, 6.5};
  m["float_histogram_samples"] = Enc(FloatHistogramsRecord{{{5, 1700000000000, fh}}});
  return m;
}

void RecordDecoderSeeds() {
  const std::string t = "record_decoder_fuzzer";
  for (auto& [name, bytes] : TypicalRecords()) Put(t, "type-" + name, bytes);
  Put(t, "empty-record", "");
  for (int type : {0, 9, 10, 11, 12, 13, 255}) {
    Put(t, "unknown-type-" + std::to_string(type), std::string(1, static_cast<char>(type)) + "payload");
  }
  std::string s = TypicalRecords()["series"];
  Put(t, "series-truncated", s.substr(0, s.size() - 3));
  Put(t, "series-trailing-byte", s + "\x01");
  // A label count no record could hold: must fail before allocating.
  std::string huge_count = std::string("\x01") + std::string(8, '\0') + "\xff\xff\xff\xff\x0f";
  Put(t, "series-label-count-too-big", huge_count);
  Put(t, "series-string-length-too-big", std::string("\x01") + std::string(8, '\0') + "\x01\xff\xff\xff\xff\x0f" + "ab");
  std::string samples = TypicalRecords()["samples"];
  Put(t, "samples-base-only", samples.substr(0, 17));
  Put(t, "samples-varint-overflow",
      samples.substr(0, 17) + std::string(10, '\xff') + "\x7f" + std::string(8, '\0'));
  Put(t, "samples-varint-10th-byte-2", samples.substr(0, 17) + std::string(9, '\x80') + "\x02" + "\x00" + std::string(8, '\0'));
  Put(t, "samples-nonminimal-varint", samples.substr(0, 17) + "\x80\x00" + "\x00" + std::string(8, '\0'));
  Put(t, "samples-truncated-value", samples.substr(0, samples.size() - 1));
  std::string md = TypicalRecords()["metadata"];
  // A metadata entry with a third, unknown field: read and skipped.
  std::string md3 = "\x06\x05\x02\x03\x04UNIT\x01s\x04HELP\x01h\x05OTHER\x03xyz";
  Put(t, "metadata-unknown-field", md3);
  Put(t, "metadata-field-count-too-big", std::string("\x06\x05\x02\xff\xff\x03"));
  std::string hist = TypicalRecords()["histogram_samples"];
  Put(t, "histogram-truncated", hist.substr(0, hist.size() - 2));
  std::string span_bomb = std::string("\x07") + std::string(16, '\0') + "\x00\x00\x00\x00" +
                          std::string(8, '\0') + "\x00\x00" + std::string(8, '\0') + "\xff\xff\xff\xff\x0f";
  Put(t, "histogram-span-count-too-big", span_bomb);
  std::string fbucket = std::string("\x08") + std::string(16, '\0') + "\x00\x00\x00\x00" + std::string(8, '\0') +
                        std::string(24, '\0') + "\x00\x00" + "\x7f" + std::string(16, '\0');
  Put(t, "float-histogram-bucket-count-too-big", fbucket);
  Put(t, "tombstones-truncated", TypicalRecords()["tombstones"].substr(0, 12));
  Put(t, "mmapmarkers-half-entry", TypicalRecords()["mmapmarkers"].substr(0, 9));
  Put(t, "exemplars-labels-truncated", TypicalRecords()["exemplars"].substr(0, 40));
}

std::vector<std::string> AllTypical() {
  std::vector<std::string> v;
  for (auto& [name, bytes] : TypicalRecords()) v.push_back(bytes);
  return v;
}

// Raw fragment bytes: header with the given fields, then payload.
std::string Frag(uint8_t type, std::string_view payload, int len = -1, int64_t crc = -1) {
  size_t n = len < 0 ? payload.size() : static_cast<size_t>(len);
  uint32_t c = crc < 0 ? crc32c::Value(payload) : static_cast<uint32_t>(crc);
  std::string out;
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  for (int sh = 24; sh >= 0; sh -= 8) out.push_back(static_cast<char>(c >> sh));
  out.append(payload);
  return out;
}

// Appends one FULL fragment (an unknown-type record) so that `s` ends at
// `target` bytes: used to put the next header exactly where a case needs it.
std::string FillTo(std::string s, size_t target) {
  size_t pos = s.size() % kPageSize;
  size_t end = target % kPageSize == 0 ? kPageSize : target % kPageSize;
  std::string payload(end - pos - kFragmentHeaderSize, 'f');
  payload[0] = '\x2a';
  return s + Frag(1, payload);
}

std::string Page(std::string s) {
  s.resize((s.size() + kPageSize - 1) / kPageSize * kPageSize, '\0');
  return s;
}

void SegmentReaderSeeds() {
  const std::string t = "segment_reader_fuzzer";
  std::vector<std::string> recs = AllTypical();
  Put(t, "clean-every-record-type", BuildSegment(recs, Compression::kNone, true));
  Put(t, "clean-every-record-type-short-last-page", BuildSegment(recs, Compression::kNone, false));
  Put(t, "clean-snappy", BuildSegment(recs, Compression::kSnappy, false));
  Put(t, "clean-zstd", BuildSegment(recs, Compression::kZstd, false));
  std::string big(2 * kPageSize + 1000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  big[0] = 2;
  Put(t, "clean-first-middle-last", BuildSegment({recs[0], big, recs[1]}, Compression::kNone, false));
  Put(t, "empty-file", "");
  Put(t, "zero-page", std::string(kPageSize, '\0'));
  std::string one = Frag(1, recs[0]);
  // Corruption classes, in the reader's order of checks.
  Put(t, "corrupt-nonzero-byte-in-padded-page-7506", Page(one) .replace(one.size() + 5, 1, "\x01"));
  Put(t, "corrupt-header-eof", one + std::string("\x01\x00", 2));
  Put(t, "corrupt-header-at-segment-end", FillTo(one, kPageSize - 3) + "\x01");
  Put(t, "corrupt-payload-eof", one + Frag(1, "abcdefgh").substr(0, 10));
  Put(t, "ok-payload-crosses-page-end", Page(FillTo(one, kPageSize - 20) + Frag(1, std::string(40, 'p'))));
  Put(t, "corrupt-invalid-record-size", one + Frag(1, "", 32762));
  Put(t, "corrupt-unexpected-checksum", one + Frag(1, recs[1], -1, 0xdeadbeef));
  Put(t, "corrupt-unexpected-full", Frag(2, recs[0].substr(0, 5)) + Frag(1, recs[1]));
  Put(t, "corrupt-unexpected-first", Frag(2, recs[0].substr(0, 5)) + Frag(2, recs[1]));
  Put(t, "corrupt-unexpected-middle", one + Frag(3, recs[1]));
  Put(t, "corrupt-unexpected-last", one + Frag(4, recs[1]));
  for (int type = 5; type <= 7; ++type) {
    Put(t, "corrupt-unexpected-record-type-" + std::to_string(type), one + Frag(static_cast<uint8_t>(type), "x"));
  }
  Put(t, "corrupt-torn-last-record-first", one + Frag(2, recs[1].substr(0, 6)));
  Put(t, "corrupt-torn-last-record-middle", one + Frag(2, "ab") + Frag(3, "cd"));
  Put(t, "corrupt-torn-first-hidden-by-padding", Page(one + Frag(2, "ab")));
  Put(t, "corrupt-snappy-garbage", one + Frag(1 | kSnappyBit, "\x05garbage"));
  Put(t, "corrupt-snappy-claims-huge", one + Frag(1 | kSnappyBit, "\xff\xff\xff\xff\x0f\x00"));
  Put(t, "corrupt-zstd-garbage", one + Frag(1 | kZstdBit, "\x28\xb5\x2f\xfd garbage"));
  // Quiet cases the reader must accept.
  Put(t, "ok-zero-in-last-byte-of-page", FillTo(one, kPageSize - 1) + std::string(1, '\0') + one);
  Put(t, "ok-reserved-bits-set", Frag(1 | 0x20 | 0x40 | 0x80, recs[0]));
  Put(t, "ok-empty-record", Frag(1, ""));
  Put(t, "ok-empty-compressed-fragment", Frag(1 | kSnappyBit, ""));
  std::string packed;
  CompressRecord(Compression::kSnappy, recs[0] + recs[0], &packed);
  Put(t, "ok-mixed-compression-last-decides", Frag(2, "dropped") + Frag(4 | kSnappyBit, packed));
  Put(t, "ok-plain-last-drops-compressed", Frag(2 | kSnappyBit, packed) + Frag(4, recs[1]));
  Put(t, "ok-both-compression-bits", Frag(1 | kSnappyBit | kZstdBit, packed));
  Put(t, "ok-empty-fragment-fills-page-end", FillTo(one, kPageSize - 7) + Frag(1, "") + one);
  Put(t, "ok-first-fills-page-last-on-next", FillTo(one, kPageSize - 107) + Frag(2, std::string(100, 'a')) +
                                                 Frag(4, std::string(50, 'b')));
}

void RoundtripSeeds() {
  const std::string t = "roundtrip_fuzzer";
  // The input is a stream of choices (see roundtrip_fuzzer.cc): these start
  // from each compression and segment size and use every operation.
  for (int c = 0; c < 3; ++c) {
    for (int pages = 0; pages < 4; pages += 3) {
      std::string s;
      s.push_back(static_cast<char>(c));
      s.push_back(static_cast<char>(pages));
      s.push_back('\x01');
      uint32_t x = 0x9e3779b9u * static_cast<uint32_t>(c * 7 + pages + 1);
      for (int i = 0; i < 300; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s.push_back(static_cast<char>(i % 11 == 0 ? (i / 11) % 10 : x & 0xff));
      }
      Put(t, "choices-" + std::string(CompressionName(static_cast<Compression>(c))) + "-" +
                 std::to_string(pages + 1) + "-page-segments", s);
    }
  }
  // Every operation in turn, few bytes each.
  std::string ops = {'\x01', '\x00', '\x00'};
  for (int op = 0; op < 10; ++op) ops += std::string{static_cast<char>(op), '\x03', '\x02', '\x01', '\x05'};
  Put(t, "every-operation-snappy-1-page", ops);
}

void SnappySeeds() {
  const std::string t = "snappy_record_fuzzer";
  auto put = [&](const std::string& name, uint8_t mode, std::string_view payload) {
    Put(t, name, std::string(1, static_cast<char>(mode)) + std::string(payload));
  };
  std::vector<std::string> recs = AllTypical();
  std::string all;
  for (auto& r : recs) all += r;
  std::string packed;
  for (Compression c : {Compression::kSnappy, Compression::kZstd}) {
    uint8_t mode = c == Compression::kZstd ? 1 : 0;
    std::string name = CompressionName(c);
    CompressRecord(c, all, &packed);
    put(name + "-every-record-type", mode, packed);
    put(name + "-every-record-type-first-last", mode | 2, packed);
    put(name + "-every-record-type-three-fragments", mode | 4, packed);
    std::string big(100000, 'a');
    for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
    CompressRecord(c, big, &packed);
    put(name + "-100k-record", mode, packed);
    put(name + "-truncated", mode, packed.substr(0, packed.size() / 2));
  }
  put("snappy-empty", 0, "");
  put("snappy-claims-4GiB", 0, "\xff\xff\xff\xff\x0f\x00\x01\x02");
  put("snappy-claims-more-than-32x", 0, std::string("\x80\x08", 2) + std::string("\x00\x61", 2));
  put("snappy-copy-before-start", 0, std::string("\x0a\x01\x05\x00", 4));
  put("snappy-literal-past-end", 0, std::string("\x05\x10\x61", 3));
  // zstd: a frame with no content size, and trailing bytes after a frame.
  std::string stream(ZSTD_compressBound(all.size()) + 64, '\0');
  {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    size_t n = ZSTD_compress2(cctx, stream.data(), stream.size(), all.data(), all.size());
    ZSTD_freeCCtx(cctx);
    stream.resize(ZSTD_isError(n) ? 0 : n);
  }
  put("zstd-no-content-size", 1, stream);
  CompressRecord(Compression::kZstd, all, &packed);
  put("zstd-trailing-bytes", 1, packed + "xx");
  put("zstd-two-frames", 1, packed + packed);
  put("zstd-skippable-frame", 1, std::string("\x50\x2a\x4d\x18\x04\x00\x00\x00" "abcd", 12));
  // A frame that claims 2^40 bytes: refused before any allocation.
  put("zstd-claims-1TiB", 1, std::string("\x28\xb5\x2f\xfd\xc0\x00\x00\x00\x00\x00\x01\x00\x00\x01\x00\x00", 16));
}

DirEntryImage Seg(int index, std::string data) { return {0, static_cast<uint8_t>(index), 0, std::move(data)}; }
DirEntryImage CpSeg(int cp, int index, std::string data) {
  return {1, static_cast<uint8_t>(cp), static_cast<uint8_t>(index), std::move(data)};
}
DirEntryImage Leftover(int a, int kind, std::string data = {}) {
  return {2, static_cast<uint8_t>(a), static_cast<uint8_t>(kind), std::move(data)};
}

void WalDirSeeds() {
  const std::string t = "wal_dir_fuzzer";
  std::vector<std::string> recs = AllTypical();
  std::string series = TypicalRecords()["series"], samples = TypicalRecords()["samples"];
  std::string s0 = BuildSegment({series, samples}, Compression::kNone, false);
  std::string s1 = BuildSegment({samples, recs[2], recs[5]}, Compression::kSnappy, false);
  std::string s2 = BuildSegment({samples, samples}, Compression::kNone, false);
  auto put = [&](const std::string& name, std::vector<DirEntryImage> d) { Put(t, name, SerializeDirImage(d)); };
  put("clean-three-segments", {Seg(0, s0), Seg(1, s1), Seg(2, s2)});
  put("clean-checkpoint-then-segments", {CpSeg(1, 0, s0), Seg(2, s1), Seg(3, s2)});
  put("clean-empty-dir", {});
  put("clean-every-record-type", {Seg(0, BuildSegment(recs, Compression::kZstd, false))});
  std::string bad = s1;
  bad[20] ^= 0x40;
  put("corrupt-checksum-middle-segment", {Seg(0, s0), Seg(1, bad), Seg(2, s2)});
  put("corrupt-torn-last-record", {Seg(0, s0), Seg(1, s2 + Frag(2, samples.substr(0, 9)))});
  std::string garbage = Frag(1, series);
  garbage.resize(garbage.size() + 40, '\0');
  garbage.replace(garbage.size() - 10, 3, "abc");
  put("corrupt-garbage-after-page-terminator-7506", {Seg(0, garbage)});
  put("corrupt-undecodable-record", {Seg(0, BuildSegment({series, samples.substr(0, 20)}, Compression::kNone, false))});
  put("gap-segments-not-sequential", {Seg(0, s0), Seg(2, s2)});
  put("gap-after-checkpoint-4695", {CpSeg(1, 0, s0), Seg(3, s2)});
  put("checkpoint-without-segments-after", {CpSeg(3, 0, s0), Seg(1, s1)});
  put("checkpoint-empty-dir-6976", {Leftover(2, 3), Seg(0, s0), Seg(1, s1), Seg(2, s2), Seg(3, s2)});
  std::string bad_cp = s0;
  bad_cp[30] ^= 0x01;
  put("checkpoint-corrupt-7530", {CpSeg(1, 0, bad_cp), Seg(2, s1), Seg(3, s2)});
  put("leftover-checkpoint-tmp", {Seg(0, s0), Leftover(0, 1, s1), Seg(1, s2)});
  // Prometheus crashed inside its repair (#6080): 1.repair is the original,
  // 1 a partial rewrite, and 2 was never created.
  put("leftover-upstream-repair-interrupted-6080", {Seg(0, s0), Leftover(1, 0, bad), Seg(1, Frag(1, samples))});
  put("leftover-upstream-repair-missing-segment-6080", {Seg(0, s0), Leftover(1, 0, bad)});
  put("leftover-upstream-repair-finished", {Seg(0, s0), Leftover(1, 0, s1), Seg(1, s1), Seg(2, s2)});
  put("unrelated-file-in-dir", {Seg(0, s0), Leftover(0, 2, "lock")});
  put("oversized-record-segment", {Seg(0, BuildSegment({std::string(70000, 'z')}, Compression::kNone, false)), Seg(1, s2)});
}

void ReplayDiffSeeds() {
  const std::string t = "replay_diff_fuzzer";
  for (int i = 0; i < 6; ++i) {
    std::string s;
    uint32_t x = 0x2545f491u * static_cast<uint32_t>(i + 1);
    for (int k = 0; k < 200 + 300 * i; ++k) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      s.push_back(static_cast<char>(x));
    }
    s[0] = static_cast<char>(i % 4);  // threads - 1
    Put(t, "choices-" + std::to_string(i + 1) + "-threads-" + std::to_string(i % 4 + 1), s);
  }
}

// ---- Seeds cut from a Prometheus WAL ----

std::vector<int> Segments(const std::string& dir) {
  auto s = ListSequentialSegments(PosixFs(), dir);
  return s.ok() ? *s : std::vector<int>{};
}

std::string ReadFile(const std::string& path) {
  std::string out;
  ReadWholeFile(PosixFs(), path, &out);
  return out;
}

void PrometheusSeeds(const std::string& waldir, const std::string& tag) {
  std::vector<int> segs = Segments(waldir);
  if (segs.empty()) {
    std::fprintf(stderr, "%s: no segments\n", waldir.c_str());
    return;
  }
  // Pages of the first and last segments: a page of records, a page that
  // starts mid-record, and the short last page of the active segment.
  std::string first = ReadFile(JoinPath(waldir, SegmentFileName(segs.front())));
  std::string last = ReadFile(JoinPath(waldir, SegmentFileName(segs.back())));
  const std::string sr = "segment_reader_fuzzer";
  Put(sr, tag + "-first-page", first.substr(0, kPageSize));
  if (first.size() > 3 * kPageSize) {
    size_t mid = first.size() / kPageSize / 2 * kPageSize;
    Put(sr, tag + "-middle-page", first.substr(mid, kPageSize));
    Put(sr, tag + "-two-pages", first.substr(mid, 2 * kPageSize));
  }
  if (!last.empty()) {
    size_t tail = (last.size() - 1) / kPageSize * kPageSize;
    Put(sr, tag + "-last-page", last.substr(tail));
  }

  // Records: a few of each type, small ones first; and the compressed
  // payloads of compressed records.
  std::vector<SegmentFile> files;
  for (int s : segs) files.push_back({s, JoinPath(waldir, SegmentFileName(s))});
  std::map<uint8_t, std::vector<std::string>> by_type;
  SegmentReader reader(PosixFs(), files);
  std::string_view rec;
  while (reader.Next(&rec)) {
    auto& v = by_type[PeekRecordType(rec)];
    if (rec.size() <= 48 * 1024 && v.size() < 40) v.emplace_back(rec);
  }
  for (auto& [type, v] : by_type) {
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    for (size_t i = 0; i < v.size() && i < 2; ++i) {
      size_t pick = i == 0 ? 0 : v.size() / 2;
      Put("record_decoder_fuzzer", tag + "-" + RecordTypeName(type) + "-" + std::to_string(i), v[pick]);
    }
  }
  int packed_seeds = 0;
  for (const ModelSegment& m : {ModelSegment{segs.front(), first}}) {
    SegmentImage img = ParseSegment(m.data);
    for (const Unit& u : img.units) {
      if (u.kind == Unit::Kind::kFragment && (u.type_byte & 7) == 1 && (u.type_byte & kSnappyBit) &&
          u.bytes.size() < 16384 && packed_seeds < 3) {
        Put("snappy_record_fuzzer", tag + "-snappy-record-" + std::to_string(packed_seeds++),
            std::string(1, '\0') + u.bytes);
      }
    }
  }
  // A small directory image: the first page of each of the first segments.
  std::vector<DirEntryImage> dir;
  for (size_t i = 0; i < segs.size() && i < 3; ++i) {
    std::string seg = ReadFile(JoinPath(waldir, SegmentFileName(segs[i])));
    dir.push_back({0, static_cast<uint8_t>(i), 0, seg.substr(0, kPageSize)});
  }
  Put("wal_dir_fuzzer", tag + "-first-pages", SerializeDirImage(dir));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> prom;
  std::string tag = "prometheus";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      g_out = argv[++i];
    } else if (a == "--tag" && i + 1 < argc) {
      tag = argv[++i];
      if (!prom.empty()) prom.back().second = tag;
    } else if (a == "--prometheus-wal" && i + 1 < argc) {
      prom.push_back({argv[++i], tag});
    } else {
      std::fprintf(stderr, "usage: %s --out CORPUS_DIR [--prometheus-wal WAL_DIR [--tag NAME]]...\n", argv[0]);
      return 2;
    }
  }
  if (g_out.empty()) {
    std::fprintf(stderr, "--out is required\n");
    return 2;
  }
  RecordDecoderSeeds();
  SegmentReaderSeeds();
  RoundtripSeeds();
  SnappySeeds();
  WalDirSeeds();
  ReplayDiffSeeds();
  for (auto& [dir, t] : prom) PrometheusSeeds(dir, t);
  std::printf("wrote %d seed files under %s\n", g_written, g_out.c_str());
  return 0;
}
