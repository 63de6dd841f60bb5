// record_decoder_fuzzer: any bytes as one WAL record.
//
// Properties:
// - DecodeRecord never crashes, reads out of bounds or overflows (ASan, UBSan);
// - it allocates no more than the input justifies: at most kAllocPerByte bytes
//   per input byte (the largest decoded form of the smallest entry, times two
//   for vector growth), counted under ASan;
// - when it decodes, encoding the value and decoding that gives the same
//   value, and that encoding is a fixpoint (encode(decode(x)) == x for x an
//   encoding);
// - decoding into a Record that already holds an earlier, different record
//   (the replay hot path reuses buffers) gives the same value as decoding
//   into a fresh one;
// - each typed decoder refuses a record of another type (InvalidArgument),
//   and agrees with DecodeRecord on its own type.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "alloc_meter.h"
#include "fuzz_check.h"
#include "walproof/format/record_codec.h"

using namespace walproof;
using walproof::fuzz::AllocMeter;

namespace {

// A Metadata entry can be 3 bytes (ref, type, zero fields) and decodes to an
// 80-byte struct; a label can be 2 bytes and decodes to 64. Doubling growth
// makes it 2x that. 128 leaves room without hiding a count-driven allocation.
constexpr size_t kAllocPerByte = 128;
constexpr size_t kAllocSlack = 4096;

// A record of every type, to be overwritten by the next decode. Returned as
// a copy: state kept across runs would unbalance mallocs and frees within a
// run, and libFuzzer then runs a leak check after every input.
Record Reused(uint8_t type) {
  static Record slots[10];
  static bool filled = false;
  if (!filled) {
    filled = true;
    Labels big{{"__name__", std::string(100, 'n')}, {"instance", std::string(200, 'i')}};
    slots[1] = SeriesRecord{{{7, big}, {8, big}, {9, big}}};
    slots[2] = SamplesRecord{{{1, 2, 3.0}, {4, 5, 6.0}, {7, 8, 9.0}}};
    slots[3] = TombstonesRecord{{{1, 2, 3}, {4, 5, 6}}};
    slots[4] = ExemplarsRecord{{{1, 2, 3.0, big}, {4, 5, 6.0, big}}};
    slots[5] = MmapMarkersRecord{{{1, 2}, {3, 4}}};
    slots[6] = MetadataRecord{{{1, 2, std::string(50, 'u'), std::string(300, 'h')}, {2, 3, "s", "x"}}};
    Histogram h;
    h.schema = 3;
    h.positive_spans = {{1, 2}, {3, 4}};
    h.negative_spans = {{5, 6}};
    h.positive_buckets = {1, 2, 3, 4, 5, 6};
    h.negative_buckets = {7, 8, 9};
    h.zero_count = 11;
    h.count = 12;
    slots[7] = HistogramsRecord{{{1, 2, h}, {3, 4, h}}};
    FloatHistogram fh;
    fh.schema = -2;
    fh.positive_spans = {{1, 2}, {3, 4}};
    fh.positive_buckets = {1.5, 2.5, 3.5};
    fh.negative_buckets = {4.5};
    fh.count = 9.5;
    slots[8] = FloatHistogramsRecord{{{1, 2, fh}, {3, 4, fh}, {5, 6, fh}}};
    slots[9] = UnknownRecord{42};
    slots[0] = slots[1];
  }
  // The slot of another type than the input's, and (every other call) of
  // the same type: both reuse paths matter.
  static unsigned turn = 0;
  ++turn;
  return slots[(turn & 1) ? (type % 10) : ((type + 1 + turn % 8) % 10)];
}

Status DecodeAs(uint8_t type, std::string_view rec, Record* scratch) {
  switch (type) {
    case 1: return DecodeSeries(rec, &scratch->emplace<SeriesRecord>().series);
    case 2: return DecodeSamples(rec, &scratch->emplace<SamplesRecord>().samples);
    case 3: return DecodeTombstones(rec, &scratch->emplace<TombstonesRecord>().tombstones);
    case 4: return DecodeExemplars(rec, &scratch->emplace<ExemplarsRecord>().exemplars);
    case 5: return DecodeMmapMarkers(rec, &scratch->emplace<MmapMarkersRecord>().markers);
    case 6: return DecodeMetadata(rec, &scratch->emplace<MetadataRecord>().metadata);
    case 7: return DecodeHistogramSamples(rec, &scratch->emplace<HistogramsRecord>().histograms);
    case 8: return DecodeFloatHistogramSamples(rec, &scratch->emplace<FloatHistogramsRecord>().histograms);
  }
  return Status::Ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const uint8_t type = PeekRecordType(in);

  Record fresh;
  Status st;
  {
    AllocMeter meter;
    st = DecodeRecord(in, &fresh);
    if (AllocMeter::available()) {
      FUZZ_CHECK(meter.allocated() <= kAllocPerByte * size + kAllocSlack,
                 "decoding %zu bytes of a type-%u record allocated %zu bytes (largest %zu)", size,
                 type, meter.allocated(), meter.largest());
    }
  }
  if (in.empty() || type == 0 || type > 8) {
    FUZZ_CHECK(st.ok(), "an unknown record type must be skipped, not fail: %s", st.ToString().c_str());
    FUZZ_CHECK(std::holds_alternative<UnknownRecord>(fresh), "unknown type decoded as a known one");
  }
  if (!st.ok()) {
    FUZZ_CHECK(st.IsCorruption(), "decode failure must be Corruption, got %s", st.ToString().c_str());
  }

  // Reusing a record that held something else must not leak old fields.
  Record reused = Reused(type);
  Status st2 = DecodeRecord(in, &reused);
  FUZZ_CHECK(st2.code() == st.code(), "fresh and reused decodes disagree: %s vs %s",
             st.ToString().c_str(), st2.ToString().c_str());
  if (st.ok()) FUZZ_CHECK(reused == fresh, "decoding into a reused record gave another value");

  // Typed decoders: the right one agrees, every other one refuses.
  Record scratch;
  for (uint8_t t = 1; t <= 8; ++t) {
    Status s = DecodeAs(t, in, &scratch);
    if (t == type) {
      FUZZ_CHECK(s.code() == st.code(), "typed decoder %u disagrees with DecodeRecord", t);
      if (s.ok()) FUZZ_CHECK(scratch == fresh, "typed decoder %u gave another value", t);
    } else {
      FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument,
                 "decoder %u accepted a type-%u record: %s", t, type, s.ToString().c_str());
    }
  }

  if (!st.ok()) return 0;
  // Round trip: encode the value, decode it again, same value; and the
  // encoding of that is the same bytes (canonical form).
  const std::string enc = EncodeRecord(fresh);
  Record again;
  Status st3 = DecodeRecord(enc, &again);
  FUZZ_CHECK(st3.ok(), "re-encoded record does not decode: %s", st3.ToString().c_str());
  FUZZ_CHECK(again == fresh, "decode(encode(x)) != x for a type-%u record", type);
  FUZZ_CHECK(EncodeRecord(again) == enc, "encoding is not a fixpoint");
  if (!in.empty() && type >= 1 && type <= 8) {
    FUZZ_CHECK(PeekRecordType(enc) == type, "encoding changed the type byte");
  }
  return 0;
}
