// The good prefix of a WAL as replay reads it: every record up to the first
// corruption, a record that does not decode included. Repair keeps exactly
// this, so planning, the read-back check and the N.repair comparison all
// read through it. ReadGood is a template so callers see each record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/format/record_codec.h"
#include "walproof/io/fs.h"
#include "walproof/io/status.h"
#include "walproof/wal/segment_reader.h"

namespace walproof::repair_internal {

// Reads `files` as one stream, decoding every record as replay does, until
// the end or the first corruption (a decode error included; the body of a
// record replay skips, such as mmap markers, is never judged). Calls
// on_record for each good one. I/O errors are returned; corruption is
// reported in *corruption.
struct GoodRead {
  uint64_t records = 0;
  uint64_t end_offset = 0;  // just past the last good record, in its segment
  std::optional<CorruptionInfo> corruption;
};

template <typename OnRecord>
Result<GoodRead> ReadGood(Fs& fs, std::vector<SegmentFile> files, OnRecord on_record) {
  GoodRead out;
  SegmentReader reader(fs, std::move(files));
  std::string_view rec;
  Record decoded;
  while (reader.Next(&rec)) {
    Status st = DecodeRecordAsReplayed(rec, &decoded);
    if (!st.ok()) {
      out.corruption = CorruptionInfo{reader.segment_path(), reader.segment(), reader.offset(),
                                      std::string("decode ") + RecordTypeName(PeekRecordType(rec)) +
                                          ": " + st.message()};
      return out;
    }
    ++out.records;
    out.end_offset = reader.offset();
    on_record(rec);
  }
  if (!reader.status().ok()) {
    if (!reader.corruption()) return reader.status();
    out.corruption = reader.corruption();
  }
  return out;
}

Result<GoodRead> ReadGood(Fs& fs, std::vector<SegmentFile> files);

// How the good records of segment N compare with those of N.repair.
enum class Relation { kEqual, kStrictPrefix, kOther };
Result<Relation> CompareGoodRecords(Fs& fs, const SegmentFile& seg, const SegmentFile& original);

}  // namespace walproof::repair_internal
