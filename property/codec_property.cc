// Property 1, the codec: decode(encode(x)) == x for every record type, with
// doubles compared bit for bit (the stale marker and NaN payloads must come
// back exactly). Replay decodes into one reused Record to keep buffers warm;
// a second property checks that reuse never leaks an earlier record's fields.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>

#include "gen/rc_choices.h"
#include "gen/records.h"
#include "show.h"
#include "walproof/format/record_codec.h"

namespace walproof::prop {
namespace {

using gen::Choices;
using gen::Limits;

rc::Gen<Record> genRecord() {
  return gen::Rc([](Choices& c) { return AnyRecord(c, Limits::Wide()); });
}

RC_GTEST_PROP(CodecProperty, DecodeOfEncodeIsIdentity, ()) {
  const Record in = *genRecord();
  const std::string bytes = EncodeRecord(in);
  RC_TAG(RecordTypeName(PeekRecordType(bytes)),
         bytes.size() <= 1 ? "type byte only" : bytes.size() > kPageSize ? "multi-page" : "in a page");
  Record out;
  const Status st = DecodeRecord(bytes, &out);
  RC_ASSERT(st.ok());
  RC_ASSERT(out == in);
  // Encoding is a function of the value: the bytes come back the same too.
  RC_ASSERT(EncodeRecord(out) == bytes);
}

RC_GTEST_PROP(CodecProperty, DecodingIntoAReusedRecordEqualsAFreshDecode, ()) {
  const auto records = *rc::gen::scale(0.2, rc::gen::container<std::vector<Record>>(genRecord()));
  Record reused;
  for (const Record& in : records) {
    const Status st = DecodeRecord(EncodeRecord(in), &reused);
    RC_ASSERT(st.ok());
    RC_ASSERT(reused == in);
  }
}

// The stale marker specifically, in every place a double is stored: a
// regression here would be silent (NaN == NaN is false anyway).
RC_GTEST_PROP(CodecProperty, StaleMarkerSurvivesInEveryDoubleField, ()) {
  const double stale = std::bit_cast<double>(gen::kStaleMarkerBits);
  // Each piece is one pick of a whole value, so a counterexample shows values.
  const Limits lim = Limits::Wide();
  const uint64_t ref = *gen::Rc([lim](Choices& c) { return AnyRef(c, lim); });
  const int64_t t = *gen::Rc([](Choices& c) { return c.Int64(); });
  std::vector<Record> in;
  in.push_back(SamplesRecord{{{ref, t, stale}}});
  const Labels labels = *gen::Rc([lim](Choices& c) { return AnyLabels(c, lim, false); });
  in.push_back(ExemplarsRecord{{{ref, t, stale, labels}}});
  Histogram h = *gen::Rc([lim](Choices& c) { return AnyHistogram(c, lim); });
  h.sum = stale;
  h.zero_threshold = stale;
  in.push_back(HistogramsRecord{{{ref, t, h}}});
  FloatHistogram fh = *gen::Rc([lim](Choices& c) { return AnyFloatHistogram(c, lim); });
  fh.sum = fh.count = fh.zero_count = fh.zero_threshold = stale;
  fh.positive_buckets.push_back(stale);
  in.push_back(FloatHistogramsRecord{{{ref, t, fh}}});
  for (const Record& r : in) {
    Record out;
    RC_ASSERT(DecodeRecord(EncodeRecord(r), &out).ok());
    RC_ASSERT(out == r);
  }
}

}  // namespace
}  // namespace walproof::prop
