// ScanLoss: a lenient walk over fragments, so the plan can say what goes.
#include "wal/repair_loss.h"

#include <algorithm>
#include <variant>

#include "format/compression.h"
#include "walproof/format/crc32c.h"
#include "walproof/format/fragment.h"
#include "walproof/format/record_codec.h"

namespace walproof::repair_internal {
namespace {

void SeeTime(RepairLoss* loss, int64_t t) {
  loss->min_time = loss->min_time ? std::min(*loss->min_time, t) : t;
  loss->max_time = loss->max_time ? std::max(*loss->max_time, t) : t;
}

struct LossCounter {
  RepairLoss* loss;
  void operator()(const SeriesRecord& r) { loss->series += r.series.size(); }
  void operator()(const SamplesRecord& r) {
    loss->samples += r.samples.size();
    for (const auto& s : r.samples) SeeTime(loss, s.t);
  }
  void operator()(const TombstonesRecord& r) { loss->tombstones += r.tombstones.size(); }
  void operator()(const ExemplarsRecord& r) { loss->exemplars += r.exemplars.size(); }
  void operator()(const MmapMarkersRecord&) {}
  void operator()(const MetadataRecord& r) { loss->metadata += r.metadata.size(); }
  void operator()(const HistogramsRecord& r) {
    loss->histogram_samples += r.histograms.size();
    for (const auto& h : r.histograms) SeeTime(loss, h.t);
  }
  void operator()(const FloatHistogramsRecord& r) {
    loss->histogram_samples += r.histograms.size();
    for (const auto& h : r.histograms) SeeTime(loss, h.t);
  }
  void operator()(const UnknownRecord&) {}
};

}  // namespace

void ScanLoss(Fs& fs, const std::string& path, uint64_t start, RepairLoss* loss) {
  auto file = fs.OpenForRead(path);
  if (!file.ok()) {
    loss->unreadable.push_back(path + ": " + file.status().ToString());
    return;
  }
  const uint64_t size = (*file)->Size();
  if (size > start) loss->bytes += size - start;

  uint64_t damaged = 0, torn = 0, first_damage = 0;
  auto damage = [&](uint64_t offset) {
    if (damaged++ == 0) first_damage = offset;
  };
  bool open = false;
  uint8_t open_bits = 0;
  std::string record, plain;
  Record decoded;
  auto emit = [&](std::string_view bytes, uint8_t type_byte) {
    ++loss->records;
    if (type_byte & (kSnappyBit | kZstdBit)) {
      Compression c = (type_byte & kSnappyBit) ? Compression::kSnappy : Compression::kZstd;
      if (!DecompressRecord(c, bytes, &plain).ok()) {
        ++loss->undecodable_records;
        return;
      }
      bytes = plain;
    }
    // Undecodable as replay judges it: a skipped type is counted, not read.
    if (!DecodeRecordAsReplayed(bytes, &decoded).ok()) {
      ++loss->undecodable_records;
      return;
    }
    std::visit(LossCounter{loss}, decoded);
  };

  std::string page(kPageSize, '\0');
  for (uint64_t page_start = start - start % kPageSize; page_start < size; page_start += kPageSize) {
    size_t got = 0;
    Status st = (*file)->Read(page_start, std::min<uint64_t>(kPageSize, size - page_start), page.data(), &got);
    if (!st.ok()) {
      loss->unreadable.push_back(path + ": " + st.ToString());
      return;
    }
    size_t pos = page_start < start ? start - page_start : 0;
    while (pos + kFragmentHeaderSize <= got) {
      const auto* p = reinterpret_cast<const uint8_t*>(page.data() + pos);
      const uint8_t type = p[0] & kFragmentTypeMask;
      if (p[0] == 0) {
        // Page terminator: the rest of the page must be zeros.
        if (std::any_of(page.begin() + static_cast<long>(pos), page.begin() + static_cast<long>(got),
                        [](char c) { return c != 0; })) {
          damage(page_start + pos);
        }
        break;
      }
      const bool bad_bits = (p[0] & ~(kFragmentTypeMask | kSnappyBit | kZstdBit)) != 0 ||
                            ((p[0] & kSnappyBit) && (p[0] & kZstdBit));
      const size_t length = size_t{p[1]} << 8 | p[2];
      if (type == 0 || type > 4 || bad_bits || pos + kFragmentHeaderSize + length > got) {
        damage(page_start + pos);
        if (open) ++torn;
        open = false;
        break;
      }
      const uint32_t crc = uint32_t{p[3]} << 24 | uint32_t{p[4]} << 16 | uint32_t{p[5]} << 8 | p[6];
      std::string_view payload(page.data() + pos + kFragmentHeaderSize, length);
      if (crc32c::Value(payload) != crc) {
        damage(page_start + pos);
        if (open) ++torn;
        open = false;
        pos += kFragmentHeaderSize + length;
        continue;
      }
      switch (static_cast<FragmentType>(type)) {
        case FragmentType::kFull:
          if (open) ++torn;
          open = false;
          emit(payload, p[0]);
          break;
        case FragmentType::kFirst:
          if (open) ++torn;
          open = true;
          open_bits = p[0];
          record.assign(payload);
          break;
        case FragmentType::kMiddle:
        case FragmentType::kLast:
          if (!open) {
            ++torn;  // the rest of a record whose start is gone
            break;
          }
          record.append(payload);
          if (static_cast<FragmentType>(type) == FragmentType::kLast) {
            open = false;
            emit(record, static_cast<uint8_t>(p[0] | (open_bits & (kSnappyBit | kZstdBit))));
          }
          break;
        default:
          break;
      }
      pos += kFragmentHeaderSize + length;
    }
  }
  if (open) ++torn;
  if (damaged > 0 || torn > 0) {
    std::string what = path + " from offset " + std::to_string(start) + ":";
    if (damaged > 0) {
      what += " " + std::to_string(damaged) + " damaged fragment(s) or page(s), the first at offset " +
              std::to_string(first_damage);
    }
    if (torn > 0) {
      what += std::string(damaged > 0 ? "," : "") + " " + std::to_string(torn) +
              " incomplete record(s) (torn, or parts of records whose other parts are damaged)";
    }
    loss->unreadable.push_back(std::move(what));
  }
}

}  // namespace walproof::repair_internal
