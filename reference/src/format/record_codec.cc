// Record encoders and decoders, byte for byte those of Prometheus 2.42
// (tsdb/record/record.go over tsdb/encoding). docs/format.md, "Records",
// lists the layouts; the comments here only explain choices that are not obvious.
#include "walproof/format/record_codec.h"

#include <bit>
#include <string>
#include <type_traits>

#include "format/byte_cursor.h"

namespace walproof {
namespace {

// ---- Encoding primitives (mirror images of ByteCursor's readers) ----

void PutU8(uint8_t v, std::string* out) { out->push_back(static_cast<char>(v)); }

void PutBE64(uint64_t v, std::string* out) {
  char buf[8];
  for (int i = 7; i >= 0; --i, v >>= 8) buf[i] = static_cast<char>(v & 0xff);
  out->append(buf, sizeof(buf));
}

void PutF64(double v, std::string* out) { PutBE64(std::bit_cast<uint64_t>(v), out); }

void PutUvarint(uint64_t v, std::string* out) {
  char buf[10];
  size_t n = 0;
  for (; v >= 0x80; v >>= 7) buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

void PutVarint(int64_t v, std::string* out) {
  PutUvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

void PutString(std::string_view s, std::string* out) {
  PutUvarint(s.size(), out);
  out->append(s);
}

void PutLabels(const Labels& labels, std::string* out) {
  PutUvarint(labels.size(), out);
  for (const Label& l : labels) {
    PutString(l.name, out);
    PutString(l.value, out);
  }
}

void PutType(RecordType type, std::string* out) { PutU8(static_cast<uint8_t>(type), out); }

// Upstream computes deltas in int64 and lets them wrap; unsigned arithmetic
// gives the same bits without signed overflow, and the decoder wraps back.
int64_t Delta(uint64_t value, uint64_t base) { return static_cast<int64_t>(value - base); }
int64_t Delta(int64_t value, int64_t base) {
  return Delta(static_cast<uint64_t>(value), static_cast<uint64_t>(base));
}
int64_t AddDelta(int64_t base, int64_t delta) {
  return static_cast<int64_t>(static_cast<uint64_t>(base) + static_cast<uint64_t>(delta));
}

// Samples, exemplars and both histogram records share this header: the ref
// and time of the first entry, against which every entry (the first too) is
// a varint delta.
template <typename Entry>
void PutBase(const Entry& first, std::string* out) {
  PutBE64(first.ref, out);
  PutBE64(static_cast<uint64_t>(first.t), out);
}
template <typename Entry>
void PutDeltas(const Entry& e, const Entry& first, std::string* out) {
  PutVarint(Delta(e.ref, first.ref), out);
  PutVarint(Delta(e.t, first.t), out);
}

void PutSpans(const std::vector<HistogramSpan>& spans, std::string* out) {
  PutUvarint(spans.size(), out);
  for (const HistogramSpan& s : spans) {
    PutVarint(s.offset, out);
    PutUvarint(s.length, out);
  }
}

// ---- Decoding helpers ----

// The smallest encoding of one entry, used to size the output up front
// without trusting anything but the record's length.
constexpr size_t kMinSampleSize = 1 + 1 + 8;  // ref delta, time delta, value

Status ExpectType(std::string_view rec, RecordType want) {
  const uint8_t got = PeekRecordType(rec);
  if (!rec.empty() && got == static_cast<uint8_t>(want)) return Status::Ok();
  return Status::InvalidArgument(std::string("not a ") + RecordTypeName(static_cast<uint8_t>(want)) +
                                 " record: type byte " +
                                 (rec.empty() ? std::string("missing") : std::to_string(got)));
}

// Decoders fill elements left in *out by an earlier call before growing it,
// so label strings and histogram buckets keep their capacity across records.
// Every field of a reused element must therefore be overwritten.
template <typename T>
T& NextSlot(std::vector<T>* v, size_t* used) {
  if (*used == v->size()) v->emplace_back();
  return (*v)[(*used)++];
}

// Every decoder ends here. The loops run until the bytes are used up, so a
// partial last entry shows up as a truncated field; the leftover check is a
// guard should a loop ever stop early. On error *out is emptied (capacity
// kept): a half-decoded record must not be mistaken for data.
template <typename T>
Status Finish(RecordType type, const ByteCursor& c, std::vector<T>* out) {
  if (c.ok() && c.empty()) return Status::Ok();
  out->clear();
  std::string msg = std::string(RecordTypeName(static_cast<uint8_t>(type))) + " record: ";
  if (!c.ok()) return Status::Corruption(msg + c.error());
  return Status::Corruption(msg + "unexpected " + std::to_string(c.remaining()) +
                            " bytes left in entry");
}

void ReadLabels(ByteCursor* c, Labels* labels) {
  // A label is at least two length bytes.
  labels->resize(c->Count("label count", 2));
  for (Label& l : *labels) {
    l.name.assign(c->String("label name"));
    l.value.assign(c->String("label value"));
  }
}

// Offsets, lengths and the schema are narrowed without a range check, as
// upstream does (int32(...), uint32(...)): what Prometheus accepts, we accept.
void ReadSpans(ByteCursor* c, std::vector<HistogramSpan>* spans) {
  spans->resize(c->Count("span count", 2));  // offset and length, a byte each at least
  for (HistogramSpan& s : *spans) {
    s.offset = static_cast<int32_t>(c->Varint("span offset"));
    s.length = static_cast<uint32_t>(c->Uvarint("span length"));
  }
}

void ReadIntBuckets(ByteCursor* c, std::vector<int64_t>* buckets) {
  buckets->resize(c->Count("bucket count", 1));
  for (int64_t& b : *buckets) b = c->Varint("bucket");
}

void ReadFloatBuckets(ByteCursor* c, std::vector<double>* buckets) {
  buckets->resize(c->Count("bucket count", 8));
  for (double& b : *buckets) b = std::bit_cast<double>(c->BE64("bucket"));
}

double ReadF64(ByteCursor* c, const char* what) { return std::bit_cast<double>(c->BE64(what)); }

// Shared by the record types that start with a base ref and time. An empty
// body is an empty record; a base with no entries after it is accepted too,
// as upstream does.
template <typename Entry, typename ReadRest>
Status DecodeBased(std::string_view rec, RecordType type, std::vector<Entry>* out,
                   ReadRest read_rest) {
  WALPROOF_RETURN_IF_ERROR(ExpectType(rec, type));
  ByteCursor c(rec);
  c.U8("type");
  size_t used = 0;
  if (!c.empty()) {
    const uint64_t base_ref = c.BE64("base ref");
    const int64_t base_t = static_cast<int64_t>(c.BE64("base timestamp"));
    while (!c.empty()) {
      Entry& e = NextSlot(out, &used);
      e.ref = base_ref + static_cast<uint64_t>(c.Varint("ref delta"));
      e.t = AddDelta(base_t, c.Varint("timestamp delta"));
      read_rest(&c, &e);
    }
  }
  out->resize(used);
  return Finish(type, c, out);
}

}  // namespace

uint8_t PeekRecordType(std::string_view rec) {
  return rec.empty() ? 0 : static_cast<uint8_t>(rec[0]);
}

// ---- Encoders ----

void EncodeSeries(const std::vector<RefSeries>& series, std::string* out) {
  PutType(RecordType::kSeries, out);
  for (const RefSeries& s : series) {
    PutBE64(s.ref, out);
    PutLabels(s.labels, out);
  }
}

void EncodeSamples(const std::vector<RefSample>& samples, std::string* out) {
  PutType(RecordType::kSamples, out);
  if (samples.empty()) return;
  const RefSample& first = samples.front();
  PutBase(first, out);
  for (const RefSample& s : samples) {
    PutDeltas(s, first, out);
    PutF64(s.v, out);
  }
}

void EncodeTombstones(const std::vector<RefTombstone>& tombstones, std::string* out) {
  PutType(RecordType::kTombstones, out);
  for (const RefTombstone& t : tombstones) {
    PutBE64(t.ref, out);
    PutVarint(t.mint, out);
    PutVarint(t.maxt, out);
  }
}

void EncodeExemplars(const std::vector<RefExemplar>& exemplars, std::string* out) {
  PutType(RecordType::kExemplars, out);
  if (exemplars.empty()) return;
  const RefExemplar& first = exemplars.front();
  PutBase(first, out);
  for (const RefExemplar& e : exemplars) {
    PutDeltas(e, first, out);
    PutF64(e.v, out);
    PutLabels(e.labels, out);
  }
}

void EncodeMmapMarkers(const std::vector<RefMmapMarker>& markers, std::string* out) {
  PutType(RecordType::kMmapMarkers, out);
  for (const RefMmapMarker& m : markers) {
    PutBE64(m.ref, out);
    PutBE64(m.mmap_ref, out);
  }
}

void EncodeMetadata(const std::vector<RefMetadata>& metadata, std::string* out) {
  PutType(RecordType::kMetadata, out);
  for (const RefMetadata& m : metadata) {
    PutUvarint(m.ref, out);
    PutU8(m.type, out);
    // Named fields leave room for more; Prometheus writes exactly these two.
    PutUvarint(2, out);
    PutString("UNIT", out);
    PutString(m.unit, out);
    PutString("HELP", out);
    PutString(m.help, out);
  }
}

void EncodeHistogramSamples(const std::vector<RefHistogramSample>& histograms, std::string* out) {
  PutType(RecordType::kHistogramSamples, out);
  if (histograms.empty()) return;
  const RefHistogramSample& first = histograms.front();
  PutBase(first, out);
  for (const RefHistogramSample& s : histograms) {
    const Histogram& h = s.h;
    PutDeltas(s, first, out);
    PutU8(h.counter_reset_hint, out);
    PutVarint(h.schema, out);
    PutF64(h.zero_threshold, out);
    PutUvarint(h.zero_count, out);
    PutUvarint(h.count, out);
    PutF64(h.sum, out);
    PutSpans(h.positive_spans, out);
    PutSpans(h.negative_spans, out);
    PutUvarint(h.positive_buckets.size(), out);
    for (int64_t b : h.positive_buckets) PutVarint(b, out);
    PutUvarint(h.negative_buckets.size(), out);
    for (int64_t b : h.negative_buckets) PutVarint(b, out);
  }
}

void EncodeFloatHistogramSamples(const std::vector<RefFloatHistogramSample>& histograms,
                                 std::string* out) {
  PutType(RecordType::kFloatHistogramSamples, out);
  if (histograms.empty()) return;
  const RefFloatHistogramSample& first = histograms.front();
  PutBase(first, out);
  for (const RefFloatHistogramSample& s : histograms) {
    const FloatHistogram& h = s.h;
    PutDeltas(s, first, out);
    PutU8(h.counter_reset_hint, out);
    PutVarint(h.schema, out);
    PutF64(h.zero_threshold, out);
    PutF64(h.zero_count, out);
    PutF64(h.count, out);
    PutF64(h.sum, out);
    PutSpans(h.positive_spans, out);
    PutSpans(h.negative_spans, out);
    PutUvarint(h.positive_buckets.size(), out);
    for (double b : h.positive_buckets) PutF64(b, out);
    PutUvarint(h.negative_buckets.size(), out);
    for (double b : h.negative_buckets) PutF64(b, out);
  }
}

std::string EncodeRecord(const Record& record) {
  std::string out;
  std::visit(
      [&out](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, SeriesRecord>) EncodeSeries(r.series, &out);
        else if constexpr (std::is_same_v<R, SamplesRecord>) EncodeSamples(r.samples, &out);
        else if constexpr (std::is_same_v<R, TombstonesRecord>) EncodeTombstones(r.tombstones, &out);
        else if constexpr (std::is_same_v<R, ExemplarsRecord>) EncodeExemplars(r.exemplars, &out);
        else if constexpr (std::is_same_v<R, MmapMarkersRecord>) EncodeMmapMarkers(r.markers, &out);
        else if constexpr (std::is_same_v<R, MetadataRecord>) EncodeMetadata(r.metadata, &out);
        else if constexpr (std::is_same_v<R, HistogramsRecord>) EncodeHistogramSamples(r.histograms, &out);
        else if constexpr (std::is_same_v<R, FloatHistogramsRecord>) EncodeFloatHistogramSamples(r.histograms, &out);
        else if constexpr (std::is_same_v<R, UnknownRecord>) PutU8(r.type, &out);
        else static_assert(!sizeof(R), "EncodeRecord misses a Record alternative");
      },
      record);
  return out;
}

// ---- Decoders ----

Status DecodeSeries(std::string_view rec, std::vector<RefSeries>* out) {
  WALPROOF_RETURN_IF_ERROR(ExpectType(rec, RecordType::kSeries));
  ByteCursor c(rec);
  c.U8("type");
  size_t used = 0;
  while (!c.empty()) {
    RefSeries& s = NextSlot(out, &used);
    s.ref = c.BE64("series ref");
    ReadLabels(&c, &s.labels);
  }
  out->resize(used);
  return Finish(RecordType::kSeries, c, out);
}

// The replay hot path: samples are plain values, so they are appended into
// capacity reserved once from the record's length, with no per-sample
// allocation and no copy of the input.
Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out) {
  WALPROOF_RETURN_IF_ERROR(ExpectType(rec, RecordType::kSamples));
  out->clear();
  ByteCursor c(rec);
  c.U8("type");
  if (!c.empty()) {
    const uint64_t base_ref = c.BE64("base ref");
    const int64_t base_t = static_cast<int64_t>(c.BE64("base timestamp"));
    out->reserve(c.remaining() / kMinSampleSize);
    while (!c.empty()) {
      // Filled in place: building a temporary and copying it costs a
      // store-forwarding stall per sample with some compilers.
      RefSample& s = out->emplace_back();
      s.ref = base_ref + static_cast<uint64_t>(c.Varint("ref delta"));
      s.t = AddDelta(base_t, c.Varint("timestamp delta"));
      s.v = ReadF64(&c, "value");
    }
  }
  return Finish(RecordType::kSamples, c, out);
}

Status DecodeTombstones(std::string_view rec, std::vector<RefTombstone>* out) {
  WALPROOF_RETURN_IF_ERROR(ExpectType(rec, RecordType::kTombstones));
  out->clear();
  ByteCursor c(rec);
  c.U8("type");
  while (!c.empty()) {
    RefTombstone t;
    t.ref = c.BE64("series ref");
    t.mint = c.Varint("mint");
    t.maxt = c.Varint("maxt");
    out->push_back(t);
  }
  return Finish(RecordType::kTombstones, c, out);
}

Status DecodeExemplars(std::string_view rec, std::vector<RefExemplar>* out) {
  return DecodeBased(rec, RecordType::kExemplars, out, [](ByteCursor* c, RefExemplar* e) {
    e->v = ReadF64(c, "value");
    ReadLabels(c, &e->labels);
  });
}

Status DecodeMmapMarkers(std::string_view rec, std::vector<RefMmapMarker>* out) {
  WALPROOF_RETURN_IF_ERROR(ExpectType(rec, RecordType::kMmapMarkers));
  out->clear();
  ByteCursor c(rec);
  c.U8("type");
  while (!c.empty()) {
    RefMmapMarker m;
    m.ref = c.BE64("series ref");
    m.mmap_ref = c.BE64("mmap ref");
    out->push_back(m);
  }
  return Finish(RecordType::kMmapMarkers, c, out);
}

Status DecodeMetadata(std::string_view rec, std::vector<RefMetadata>* out) {
  WALPROOF_RETURN_IF_ERROR(ExpectType(rec, RecordType::kMetadata));
  ByteCursor c(rec);
  c.U8("type");
  size_t used = 0;
  while (!c.empty()) {
    RefMetadata& m = NextSlot(out, &used);
    m.ref = c.Uvarint("series ref");
    m.type = c.U8("metric type");
    m.unit.clear();
    m.help.clear();
    // Fields are named so that writers can add some: unknown ones are read
    // (to stay aligned on the next entry) and dropped.
    const size_t fields = c.Count("field count", 2);
    for (size_t i = 0; i < fields; ++i) {
      const std::string_view name = c.String("field name");
      const std::string_view value = c.String("field value");
      if (name == "UNIT") {
        m.unit.assign(value);
      } else if (name == "HELP") {
        m.help.assign(value);
      }
    }
  }
  out->resize(used);
  return Finish(RecordType::kMetadata, c, out);
}

Status DecodeHistogramSamples(std::string_view rec, std::vector<RefHistogramSample>* out) {
  return DecodeBased(rec, RecordType::kHistogramSamples, out,
                     [](ByteCursor* c, RefHistogramSample* s) {
                       Histogram& h = s->h;
                       h.counter_reset_hint = c->U8("counter reset hint");
                       h.schema = static_cast<int32_t>(c->Varint("schema"));
                       h.zero_threshold = ReadF64(c, "zero threshold");
                       h.zero_count = c->Uvarint("zero count");
                       h.count = c->Uvarint("count");
                       h.sum = ReadF64(c, "sum");
                       ReadSpans(c, &h.positive_spans);
                       ReadSpans(c, &h.negative_spans);
                       ReadIntBuckets(c, &h.positive_buckets);
                       ReadIntBuckets(c, &h.negative_buckets);
                     });
}

Status DecodeFloatHistogramSamples(std::string_view rec,
                                   std::vector<RefFloatHistogramSample>* out) {
  return DecodeBased(rec, RecordType::kFloatHistogramSamples, out,
                     [](ByteCursor* c, RefFloatHistogramSample* s) {
                       FloatHistogram& h = s->h;
                       h.counter_reset_hint = c->U8("counter reset hint");
                       h.schema = static_cast<int32_t>(c->Varint("schema"));
                       h.zero_threshold = ReadF64(c, "zero threshold");
                       h.zero_count = ReadF64(c, "zero count");
                       h.count = ReadF64(c, "count");
                       h.sum = ReadF64(c, "sum");
                       ReadSpans(c, &h.positive_spans);
                       ReadSpans(c, &h.negative_spans);
                       ReadFloatBuckets(c, &h.positive_buckets);
                       ReadFloatBuckets(c, &h.negative_buckets);
                     });
}

namespace {

// The alternative R of *out, kept (with its capacity) if *out already holds one.
template <typename R>
R& Reuse(Record* out) {
  if (R* r = std::get_if<R>(out)) return *r;
  return out->emplace<R>();
}

}  // namespace

Status DecodeRecord(std::string_view rec, Record* out) {
  if (rec.empty()) {
    *out = UnknownRecord{0};
    return Status::Ok();
  }
  const uint8_t type = PeekRecordType(rec);
  switch (static_cast<RecordType>(type)) {
    case RecordType::kSeries: return DecodeSeries(rec, &Reuse<SeriesRecord>(out).series);
    case RecordType::kSamples: return DecodeSamples(rec, &Reuse<SamplesRecord>(out).samples);
    case RecordType::kTombstones:
      return DecodeTombstones(rec, &Reuse<TombstonesRecord>(out).tombstones);
    case RecordType::kExemplars:
      return DecodeExemplars(rec, &Reuse<ExemplarsRecord>(out).exemplars);
    case RecordType::kMmapMarkers:
      return DecodeMmapMarkers(rec, &Reuse<MmapMarkersRecord>(out).markers);
    case RecordType::kMetadata: return DecodeMetadata(rec, &Reuse<MetadataRecord>(out).metadata);
    case RecordType::kHistogramSamples:
      return DecodeHistogramSamples(rec, &Reuse<HistogramsRecord>(out).histograms);
    case RecordType::kFloatHistogramSamples:
      return DecodeFloatHistogramSamples(rec, &Reuse<FloatHistogramsRecord>(out).histograms);
  }
  // Type 0, the 3.x types 9..13 and anything else: skipped by replay, never
  // an error, so a WAL written by a newer Prometheus still replays.
  *out = UnknownRecord{type};
  return Status::Ok();
}

bool AppliedOnReplay(uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kSeries:
    case RecordType::kSamples:
    case RecordType::kTombstones:
    case RecordType::kExemplars:
    case RecordType::kMetadata:
    case RecordType::kHistogramSamples:
    case RecordType::kFloatHistogramSamples:
      return true;
    case RecordType::kMmapMarkers:
      return false;
  }
  return false;
}

Status DecodeRecordAsReplayed(std::string_view rec, Record* out) {
  const uint8_t type = PeekRecordType(rec);
  if (!AppliedOnReplay(type)) {
    *out = UnknownRecord{type};
    return Status::Ok();
  }
  return DecodeRecord(rec, out);
}

}  // namespace walproof
