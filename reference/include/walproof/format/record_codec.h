// The record codec: typed records to bytes and back, byte-compatible with
// Prometheus (tsdb/record/record.go). All integers big-endian; deltas are
// zigzag varints; strings and label sets are uvarint-length-prefixed.
//
// Decoding trusts nothing: every length or count read from the bytes is
// checked against what remains before anything is allocated, and trailing
// bytes, truncated fields and varint overflow are Corruption.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/io/status.h"

namespace walproof {

// The type byte of an encoded record; 0 for an empty record.
uint8_t PeekRecordType(std::string_view rec);

// Encoders append one whole record (type byte included) to *out.
void EncodeSeries(const std::vector<RefSeries>& series, std::string* out);
void EncodeSamples(const std::vector<RefSample>& samples, std::string* out);
void EncodeTombstones(const std::vector<RefTombstone>& tombstones, std::string* out);
void EncodeExemplars(const std::vector<RefExemplar>& exemplars, std::string* out);
void EncodeMmapMarkers(const std::vector<RefMmapMarker>& markers, std::string* out);
void EncodeMetadata(const std::vector<RefMetadata>& metadata, std::string* out);
void EncodeHistogramSamples(const std::vector<RefHistogramSample>& histograms, std::string* out);
void EncodeFloatHistogramSamples(const std::vector<RefFloatHistogramSample>& histograms,
                                 std::string* out);
// Encodes any record; an UnknownRecord encodes as its lone type byte.
std::string EncodeRecord(const Record& record);

// Decoders replace the contents of *out (reusing its capacity, which matters
// on the replay hot path). The record's type byte must match, else
// InvalidArgument.
Status DecodeSeries(std::string_view rec, std::vector<RefSeries>* out);
Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out);
Status DecodeTombstones(std::string_view rec, std::vector<RefTombstone>* out);
Status DecodeExemplars(std::string_view rec, std::vector<RefExemplar>* out);
Status DecodeMmapMarkers(std::string_view rec, std::vector<RefMmapMarker>* out);
Status DecodeMetadata(std::string_view rec, std::vector<RefMetadata>* out);
Status DecodeHistogramSamples(std::string_view rec, std::vector<RefHistogramSample>* out);
Status DecodeFloatHistogramSamples(std::string_view rec,
                                   std::vector<RefFloatHistogramSample>* out);
// Decodes any record; types it does not know (0, 9..255, empty) give an
// UnknownRecord, never an error.
Status DecodeRecord(std::string_view rec, Record* out);

// The one rule replay, verify and repair share: whether replay applies
// records of this type (series, samples, tombstones, exemplars, metadata and
// both histogram kinds). Replay skips any other type without reading its
// body: 0, 9..255, and mmap markers, which index the out-of-order WBL's
// chunks and which Prometheus 2.42's loadWAL ignores in the WAL. So the body
// of such a record can never be the corruption that stops replay.
bool AppliedOnReplay(uint8_t type);

// Decodes a record as replay reads it: a type replay applies is decoded as
// DecodeRecord does (its error is the corruption replay reports); any other
// type gives UnknownRecord{type}, its body unread, never an error. Verify and
// repair judge records through this, so they stop exactly where replay does.
Status DecodeRecordAsReplayed(std::string_view rec, Record* out);

}  // namespace walproof
