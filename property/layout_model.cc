// LayoutModel: see layout_model.h. Written from docs/format.md ("Writer
// rules"), not from wal_writer.cc, so the two can disagree when either is wrong.
#include "layout_model.h"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <array>

namespace walproof::prop {

uint32_t ModelCrc32c(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (char ch : data) crc = table[(crc ^ static_cast<uint8_t>(ch)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

std::vector<FragmentAt> ParseFragments(std::string_view segment) {
  std::vector<FragmentAt> out;
  uint64_t pos = 0;
  while (pos < segment.size()) {
    const uint64_t page_left = kPageSize - pos % kPageSize;
    // Too little room for a header, or a terminator: the page is padding.
    if (page_left < kFragmentHeaderSize || segment[pos] == 0) {
      pos += page_left;
      continue;
    }
    if (pos + kFragmentHeaderSize > segment.size()) break;
    FragmentAt f;
    f.offset = pos;
    f.type = static_cast<uint8_t>(segment[pos]);
    f.length = static_cast<uint32_t>(static_cast<uint8_t>(segment[pos + 1]) << 8 |
                                     static_cast<uint8_t>(segment[pos + 2]));
    if ((f.type & kFragmentTypeMask) > 4 || f.end() > segment.size()) break;
    out.push_back(f);
    pos = f.end();
  }
  return out;
}

LayoutModel::LayoutModel(Compression compression, uint64_t segment_size)
    : compression_(compression), pages_per_segment_(segment_size / kPageSize) {
  files_[0];
}

void LayoutModel::PadPage() {
  files_[segment_].append(kPageSize - page_used_, '\0');
  page_used_ = 0;
  ++full_pages_;
}

std::string LayoutModel::Stored(std::string_view record, uint8_t* compression_bit) const {
  *compression_bit = 0;
  if (record.empty() || compression_ == Compression::kNone) return std::string(record);
  std::string out;
  if (compression_ == Compression::kSnappy) {
    snappy::Compress(record.data(), record.size(), &out);
  } else {
    out.resize(ZSTD_compressBound(record.size()));
    size_t n = ZSTD_compress(out.data(), out.size(), record.data(), record.size(),
                             ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(n)) return std::string(record);
    out.resize(n);
  }
  // Compressed only when strictly shorter.
  if (out.size() >= record.size()) return std::string(record);
  *compression_bit = compression_ == Compression::kSnappy ? kSnappyBit : kZstdBit;
  return out;
}

void LayoutModel::Log(std::string_view record) {
  if (kPageSize - page_used_ < kFragmentHeaderSize) PadPage();
  uint8_t bit = 0;
  const std::string stored = Stored(record, &bit);
  // What is left of the segment, counted upstream's way: this page's room,
  // plus a full payload for every page not yet begun.
  const int64_t left = int64_t(kPageSize - page_used_ - kFragmentHeaderSize) +
                       int64_t(kMaxFragmentPayload) *
                           (int64_t(pages_per_segment_) - int64_t(full_pages_) - 1);
  if (int64_t(stored.size()) > left) NextSegment();

  Placement p{segment_, full_pages_ * kPageSize + page_used_, 0};
  std::string_view rest = stored;
  bool first = true;
  do {
    const size_t n = std::min(rest.size(), kPageSize - page_used_ - kFragmentHeaderSize);
    const bool last = n == rest.size();
    const FragmentType type = first ? (last ? FragmentType::kFull : FragmentType::kFirst)
                                    : (last ? FragmentType::kLast : FragmentType::kMiddle);
    const std::string_view payload = rest.substr(0, n);
    const uint32_t crc = ModelCrc32c(payload);
    std::string& f = files_[segment_];
    f.push_back(static_cast<char>(static_cast<uint8_t>(type) | bit));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
    for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(crc >> shift));
    f.append(payload);
    page_used_ += kFragmentHeaderSize + n;
    p.end = full_pages_ * kPageSize + page_used_;
    if (kPageSize - page_used_ < kFragmentHeaderSize) PadPage();
    rest.remove_prefix(n);
    first = false;
  } while (!rest.empty());
  placements_.push_back(p);
}

void LayoutModel::Close() {
  if (page_used_ > 0) PadPage();
}

void LayoutModel::NextSegment() {
  Close();
  ++segment_;
  files_[segment_];
  page_used_ = 0;
  full_pages_ = 0;
}

void LayoutModel::Reopen() { NextSegment(); }

}  // namespace walproof::prop
