// snappy_record_fuzzer: compressed record payloads (no decompression bomb).
//
// Input: a mode byte, then the compressed bytes. Mode bit 0 picks zstd
// (Prometheus 2.46+) over snappy; bits 1-2 pick how the bytes are stored in
// a segment: one FULL fragment, FIRST+LAST, FIRST+MIDDLE+LAST.
//
// Properties:
// - DecompressRecord never crashes and never allocates for a size the input
//   cannot produce: snappy output is refused beyond 32x the input (snappy
//   cannot expand more than ~22x), zstd grows its buffer only as data comes
//   out; both stop at kMaxDecompressedRecord. Checked with the allocation
//   meter under ASan.
// - It agrees with the libraries: snappy data that libsnappy accepts is
//   accepted with the same output (the bound must never refuse a valid
//   record); zstd output equals ZSTD_decompress's when the frame says its size.
// - Compressing the output again and decompressing gives it back.
// - The same bytes as fragments in a segment: the strict reader returns
//   exactly that output, or a corruption (never a partial record).
#include <snappy.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "alloc_meter.h"
#include "format/compression.h"  // reference/src
#include "fuzz_check.h"
#include "memory_fs.h"
#include "wal_image.h"
#include "walproof/wal/segment_reader.h"

using namespace walproof;
using namespace walproof::fuzz;

namespace {

// Per-thread decompression contexts are made on first use; make them before
// anything is metered, so that only per-record allocation is counted.
bool WarmUp() {
  std::string out, packed;
  // 1 MiB: zstd keeps its window and block buffers in the context, so later
  // records allocate only when they need a bigger window than this.
  std::string some(1 << 20, 'w');
  for (Compression c : {Compression::kSnappy, Compression::kZstd}) {
    if (CompressRecord(c, some, &packed)) DecompressRecord(c, packed, &out);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool warm = WarmUp();
  (void)warm;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const Compression c = (mode & 1) ? Compression::kZstd : Compression::kSnappy;
  const std::string in(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string out;
  Status st;
  size_t allocated = 0;
  {
    AllocMeter meter;
    st = DecompressRecord(c, in, &out);
    allocated = meter.allocated();
  }
  if (st.ok()) {
    FUZZ_CHECK(out.size() <= kMaxDecompressedRecord, "output %zu beyond the bound", out.size());
  } else {
    FUZZ_CHECK(st.IsCorruption(), "failure must be Corruption: %s", st.ToString().c_str());
  }

  if (c == Compression::kSnappy) {
    if (AllocMeter::available()) {
      FUZZ_CHECK(allocated <= 32 * in.size() + 1024 + 4096,
                 "snappy: %zu input bytes made %zu bytes of allocation", in.size(), allocated);
    }
    const bool valid = snappy::IsValidCompressedBuffer(in.data(), in.size());
    FUZZ_CHECK(valid == st.ok(), "libsnappy says valid=%d, DecompressRecord says %s", valid,
               st.ToString().c_str());
    if (valid) {
      // Only snappy's char* API: OSS-Fuzz builds against libc++, and the
      // std::string overloads would tie us to the library's C++ ABI.
      size_t n = 0;
      FUZZ_CHECK(snappy::GetUncompressedLength(in.data(), in.size(), &n), "libsnappy has no length");
      std::string lib(n, '\0');
      FUZZ_CHECK(snappy::RawUncompress(in.data(), in.size(), lib.data()), "libsnappy failed after validating");
      FUZZ_CHECK(lib == out, "output differs from libsnappy's");
      FUZZ_CHECK(out.size() <= 32 * in.size() + 1024, "snappy output %zu from %zu bytes", out.size(), in.size());
    }
  } else {
    if (AllocMeter::available() && !OpenFindingSkipped("zstd-window")) {
      // zstd output can be at most ~32768x its input (a 128 KiB RLE block per
      // 4 bytes); allocation must follow output, not what a header claims.
      FUZZ_CHECK(allocated <= 65536 * in.size() + 262144,
                 "zstd: %zu input bytes made %zu bytes of allocation (%s)", in.size(), allocated,
                 st.ToString().c_str());
      if (st.ok()) {
        FUZZ_CHECK(allocated <= 4 * out.size() + 8 * in.size() + 262144,
                   "zstd: %zu bytes out of %zu made %zu bytes of allocation", out.size(), in.size(), allocated);
      }
    }
    unsigned long long claimed = ZSTD_getFrameContentSize(in.data(), in.size());
    if (st.ok() && claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed != ZSTD_CONTENTSIZE_ERROR &&
        !OpenFindingSkipped("zstd-fcs")) {
      FUZZ_CHECK(claimed == out.size(), "zstd frame claims %llu, produced %zu", claimed, out.size());
      std::string lib(out.size(), '\0');
      size_t n = ZSTD_decompress(lib.data(), lib.size(), in.data(), in.size());
      FUZZ_CHECK(!ZSTD_isError(n) && n == out.size() && lib == out, "output differs from libzstd's");
    }
  }

  if (st.ok() && out.size() <= (1u << 20)) {
    std::string again, back;
    if (CompressRecord(c, out, &again)) {
      FUZZ_CHECK(DecompressRecord(c, again, &back).ok() && back == out, "compress/decompress round trip");
    }
  }

  // In a segment. Fragments must fit a page each; bigger inputs stay unread.
  if (in.size() > 3 * kMaxFragmentPayload) return 0;
  const uint8_t bit = c == Compression::kSnappy ? kSnappyBit : kZstdBit;
  SegmentImage img;
  img.pad_tail = (mode >> 3) & 1;
  size_t pieces = std::max<size_t>(1 + ((mode >> 1) & 3) % 3, (in.size() + kMaxFragmentPayload - 1) / kMaxFragmentPayload);
  pieces = std::min<size_t>(pieces, std::max<size_t>(1, in.size()));
  size_t at = 0;
  for (size_t i = 0; i < pieces; ++i) {
    size_t n = i + 1 == pieces ? in.size() - at : std::min(kMaxFragmentPayload, (in.size() - at) / (pieces - i));
    uint8_t t = pieces == 1 ? 1 : (i == 0 ? 2 : (i + 1 == pieces ? 4 : 3));
    img.units.push_back({Unit::Kind::kFragment, static_cast<uint8_t>(t | bit), in.substr(at, n), false});
    at += n;
  }
  MemoryFs fs;
  fs.PutFile("wal/00000000", SerializeSegment(img));
  SegmentReader reader(fs, {{0, "wal/00000000"}});
  std::string_view rec;
  bool got = reader.Next(&rec);
  if (in.empty()) {
    // A compressed flag on an empty payload: upstream reads it as an empty record.
    FUZZ_CHECK(got && rec.empty(), "empty compressed fragment: %s", reader.status().ToString().c_str());
    return 0;
  }
  if (st.ok()) {
    FUZZ_CHECK(got, "reader refused a good compressed record: %s", reader.status().ToString().c_str());
    FUZZ_CHECK(rec == out, "reader returned other bytes than DecompressRecord");
    FUZZ_CHECK(reader.last_compressed(), "compressed record not flagged");
    FUZZ_CHECK(reader.last_stored_size() == in.size(), "stored size %zu of %zu", reader.last_stored_size(), in.size());
    FUZZ_CHECK(!reader.Next(&rec) && reader.status().ok(), "trailing data after the record");
  } else {
    FUZZ_CHECK(!got && reader.corruption().has_value(), "bad compressed record not reported as corruption");
  }
  return 0;
}
