// Reading a WAL back: see read_back.h.
#include "read_back.h"

#include "show.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/wal_reader.h"

namespace walproof::prop {
namespace {

std::string Show(const std::string& bytes) {
  Record record;
  if (DecodeRecord(bytes, &record).ok()) return Describe(record);
  return "undecodable " + Abbrev(bytes);
}

}  // namespace

std::vector<std::string> ReadBack::SegmentRecords() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (segments[i] >= 0) out.push_back(records[i]);
  }
  return out;
}

Result<ReadBack> ReadBackWal(Fs& fs, const std::string& dir) {
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  WalReader reader(fs, *plan);
  ReadBack out;
  std::string_view rec;
  while (reader.Next(&rec)) {
    out.records.emplace_back(rec);
    out.segments.push_back(reader.in_checkpoint() ? -1 : reader.segment());
  }
  out.status = reader.status();
  return out;
}

std::string DiffRecords(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (got[i] != want[i]) {
      return "record #" + std::to_string(i) + " is " + Show(got[i]) + ", expected " + Show(want[i]);
    }
  }
  if (got.size() == want.size()) return {};
  const bool extra = got.size() > want.size();
  return std::to_string(got.size()) + " records, expected " + std::to_string(want.size()) +
         (extra ? "; the first extra is " + Show(got[want.size()])
                : "; the first missing is " + Show(want[got.size()]));
}

}  // namespace walproof::prop
