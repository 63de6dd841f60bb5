// RapidCheck generators for WAL contents, shared by every property.
//
// The point of these generators is the corners: label sets with empty values,
// unicode and very long strings, refs that are dense, sparse, reused or
// aliased, timestamps at the int64 extremes and out of order, values whose
// bits matter (NaN payloads, the stale marker, -0.0), and records from empty
// to several pages. Large payloads are described compactly (a kind, a length
// and a seed) and expanded on demand: a shrinkable per byte would make
// multi-page records too slow for 100,000 cases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "walproof/fragment.h"
#include "walproof/record.h"

namespace walproof::prop {

// Prometheus' stale marker: a NaN whose payload must survive bit for bit.
inline constexpr uint64_t kStaleMarkerBits = 0x7ff0000000000002ull;

// Bytes of a given kind and length: 0 zeros, 1 a short repeated motif,
// 2 incompressible noise, 3 ASCII text. Deterministic in (kind, len, seed).
std::string ExpandBytes(int kind, size_t len, uint64_t seed);

// Byte strings of min_len to max_len bytes, compressible or not, shrinking
// toward min_len.
rc::Gen<std::string> genBlob(size_t min_len, size_t max_len);

// A label name or value: empty, ASCII, multi-byte UTF-8, arbitrary bytes
// (NUL included), and with allow_long sometimes tens of KiB.
rc::Gen<std::string> genLabelString(bool allow_long);
// A label set as Prometheus keeps it: names sorted and unique; from none to
// a few hundred labels.
rc::Gen<Labels> genLabels(bool allow_long = true);

rc::Gen<uint64_t> genRef();
rc::Gen<int64_t> genTimestamp();
// A float sample value; about a third are bit patterns that only bitwise
// comparison tells apart (NaN payloads, the stale marker, -0.0, denormals).
rc::Gen<double> genValue();

rc::Gen<Histogram> genHistogram();
rc::Gen<FloatHistogram> genFloatHistogram();

// Any record the codec knows, any contents (codec level: nothing needs to
// make sense together), plus UnknownRecord with types 0 and 9..255.
rc::Gen<Record> genRecord();

// Contents for the framing layer: encoded records, empty records and opaque
// blobs from one byte to several pages, some compressible.
rc::Gen<std::string> genRawRecord();

// A segment size in pages: mostly tiny, so records cross pages and segments
// often, sometimes the 128 MiB default.
rc::Gen<uint64_t> genSegmentSize();
rc::Gen<Compression> genCompression();

}  // namespace walproof::prop
