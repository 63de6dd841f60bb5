// ReadGood without a callback, and the N.repair comparison built on it.
#include "wal/good_records.h"

namespace walproof::repair_internal {

Result<GoodRead> ReadGood(Fs& fs, std::vector<SegmentFile> files) {
  return ReadGood(fs, std::move(files), [](std::string_view) {});
}

Result<Relation> CompareGoodRecords(Fs& fs, const SegmentFile& seg, const SegmentFile& original) {
  std::vector<std::string> mine;
  auto a = ReadGood(fs, {seg}, [&](std::string_view r) { mine.emplace_back(r); });
  if (!a.ok()) return a.status();
  size_t i = 0;
  bool diverged = false;
  auto b = ReadGood(fs, {original}, [&](std::string_view r) {
    if (i < mine.size() && mine[i] != r) diverged = true;
    ++i;
  });
  if (!b.ok()) return b.status();
  if (diverged || mine.size() > i) return Relation::kOther;
  return mine.size() == i ? Relation::kEqual : Relation::kStrictPrefix;
}

}  // namespace walproof::repair_internal
