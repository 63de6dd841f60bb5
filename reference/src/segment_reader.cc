#include "walproof/segment_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "compression.h"
#include "walproof/crc32c.h"

namespace walproof {
namespace {

constexpr size_t kChunkSize = 1 << 20;  // a multiple of the page size

class PhaseTimer {
 public:
  PhaseTimer(bool on, double* total) : total_(on ? total : nullptr) {
    if (total_) start_ = std::chrono::steady_clock::now();
  }
  ~PhaseTimer() {
    if (total_) {
      *total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }
  }

 private:
  double* total_;
  std::chrono::steady_clock::time_point start_;
};

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

}  // namespace

std::string CorruptionInfo::ToString() const {
  return "corruption in segment " + path + " at " + std::to_string(offset) + ": " + reason;
}

SegmentReader::SegmentReader(Fs& fs, std::vector<SegmentFile> segments)
    : fs_(fs), segments_(std::move(segments)) {}

SegmentReader::~SegmentReader() = default;

int SegmentReader::segment() const {
  return segments_.empty() ? -1 : segments_[std::min(cur_, segments_.size() - 1)].index;
}

const std::string& SegmentReader::segment_path() const {
  static const std::string kNone;
  return segments_.empty() ? kNone : segments_[std::min(cur_, segments_.size() - 1)].path;
}

bool SegmentReader::Fail(std::string reason) {
  const SegmentFile& seg = segments_[std::min(cur_, segments_.size() - 1)];
  corruption_ = CorruptionInfo{seg.path, seg.index, offset_, std::move(reason)};
  status_ = Status::Corruption(corruption_->ToString());
  return false;
}

bool SegmentReader::LoadChunk() {
  PhaseTimer timer(timing_, &times_.read);
  chunk_start_ = offset_;
  chunk_.resize(static_cast<size_t>(std::min<uint64_t>(kChunkSize, file_size_ - offset_)));
  size_t got = 0;
  status_ = file_->Read(offset_, chunk_.size(), chunk_.data(), &got);
  if (!status_.ok()) return false;
  if (got < chunk_.size()) {
    // The file shrank under us: treat what we got as the end.
    chunk_.resize(got);
    file_size_ = offset_ + got;
  }
  return true;
}

SegmentReader::ReadResult SegmentReader::ReadFull(size_t n, std::string_view* out) {
  // Fast path: all of it in the current chunk.
  if (file_ && offset_ >= chunk_start_ && offset_ + n <= chunk_start_ + chunk_.size()) {
    *out = std::string_view(chunk_).substr(offset_ - chunk_start_, n);
    offset_ += n;
    return ReadResult::kOk;
  }
  scratch_.clear();
  while (scratch_.size() < n) {
    size_t want = n - scratch_.size();
    if (!file_) {
      if (cur_ >= segments_.size()) return ReadResult::kEof;
      auto file = fs_.OpenForRead(segments_[cur_].path);
      if (!file.ok()) {
        status_ = file.status();
        return ReadResult::kError;
      }
      file_ = std::move(*file);
      file_size_ = file_->Size();
      offset_ = 0;
      chunk_.clear();
      chunk_start_ = 0;
      continue;
    }
    if (offset_ < file_size_) {
      if (offset_ < chunk_start_ || offset_ >= chunk_start_ + chunk_.size()) {
        if (!LoadChunk()) return ReadResult::kError;
        if (chunk_.empty()) continue;
      }
      size_t take = std::min<uint64_t>(want, chunk_start_ + chunk_.size() - offset_);
      scratch_.append(chunk_, offset_ - chunk_start_, take);
      offset_ += take;
    } else if (offset_ % kPageSize != 0) {
      // A short last page reads as if zero-padded, as upstream's reader does.
      size_t pad = std::min<uint64_t>(want, kPageSize - offset_ % kPageSize);
      scratch_.append(pad, '\0');
      offset_ += pad;
    } else if (cur_ + 1 < segments_.size()) {
      ++cur_;
      file_.reset();
    } else {
      return scratch_.empty() ? ReadResult::kEof : ReadResult::kUnexpectedEof;
    }
  }
  *out = scratch_;
  return ReadResult::kOk;
}

bool SegmentReader::Next(std::string_view* record) {
  if (!status_.ok()) return false;
  plain_.clear();
  compressed_.clear();
  int fragments = 0;
  auto type = FragmentType::kPageTerm;
  // The stream may end only between records. Upstream looks at the type of
  // the last header byte it read, so a FIRST fragment followed by the zero
  // padding of a short segment ends quietly there and the torn record goes
  // unreported; we report it, as FORMAT.md's rule says. A header cut at a
  // page boundary counts by its own type, as upstream.
  auto end_of_stream = [&]() {
    if (fragments > 0 || type == FragmentType::kFirst || type == FragmentType::kMiddle) {
      return Fail("last record is torn");
    }
    return false;
  };
  while (true) {
    std::string_view bytes;
    ReadResult r = ReadFull(1, &bytes);
    if (r == ReadResult::kEof) return end_of_stream();
    if (r != ReadResult::kOk) return false;
    const uint8_t header0 = static_cast<uint8_t>(bytes[0]);
    type = static_cast<FragmentType>(header0 & kFragmentTypeMask);
    const bool snappy = header0 & kSnappyBit;
    const bool zstd = header0 & kZstdBit;

    if (type == FragmentType::kPageTerm) {
      size_t rest = kPageSize - offset_ % kPageSize;
      if (rest == kPageSize) continue;  // the zero was the page's last byte
      r = ReadFull(rest, &bytes);
      if (r == ReadResult::kError) return false;
      if (r != ReadResult::kOk) return Fail("read remaining zeros: unexpected EOF");
      if (!AllZero(bytes)) return Fail("unexpected non-zero byte in padded page");
      continue;
    }

    r = ReadFull(kFragmentHeaderSize - 1, &bytes);
    if (r == ReadResult::kEof) return end_of_stream();
    if (r == ReadResult::kUnexpectedEof) return Fail("read remaining header: unexpected EOF");
    if (r != ReadResult::kOk) return false;
    const auto* h = reinterpret_cast<const uint8_t*>(bytes.data());
    const size_t length = size_t{h[0]} << 8 | h[1];
    const uint32_t crc = uint32_t{h[2]} << 24 | uint32_t{h[3]} << 16 | uint32_t{h[4]} << 8 | h[5];
    if (length > kMaxFragmentPayload) return Fail("invalid record size " + std::to_string(length));

    std::string_view payload;
    r = ReadFull(length, &payload);
    if (r == ReadResult::kEof) return end_of_stream();
    if (r == ReadResult::kUnexpectedEof) return Fail("unexpected EOF");
    if (r != ReadResult::kOk) return false;
    uint32_t actual;
    {
      PhaseTimer timer(timing_, &times_.checksum);
      actual = crc32c::Value(payload);
    }
    if (actual != crc) return Fail("unexpected checksum " + Hex(actual) + ", expected " + Hex(crc));

    switch (type) {
      case FragmentType::kFull:
        if (fragments != 0) return Fail("unexpected full record");
        break;
      case FragmentType::kFirst:
        if (fragments != 0) return Fail("unexpected first record, dropping buffer");
        break;
      case FragmentType::kMiddle:
        if (fragments == 0) return Fail("unexpected middle record, dropping buffer");
        break;
      case FragmentType::kLast:
        if (fragments == 0) return Fail("unexpected last record, dropping buffer");
        break;
      default:
        return Fail("unexpected record type " + std::to_string(static_cast<int>(type)));
    }

    const bool compressed = snappy || zstd;
    if (type == FragmentType::kFull && !compressed) {
      // The common case needs no copy: the payload view is valid until the next call.
      *record = payload;
      last_compressed_ = false;
      last_stored_size_ = payload.size();
      return true;
    }
    (compressed ? compressed_ : plain_).append(payload);
    if (type == FragmentType::kFull || type == FragmentType::kLast) {
      last_stored_size_ = plain_.size() + compressed_.size();
      last_compressed_ = false;
      // As upstream: the last fragment's bits say how to read the record.
      if ((snappy || zstd) && !compressed_.empty()) {
        PhaseTimer timer(timing_, &times_.decompress);
        Status st = DecompressRecord(snappy ? Compression::kSnappy : Compression::kZstd,
                                     compressed_, &decompressed_);
        if (!st.ok()) return Fail(st.message());
        last_compressed_ = true;
        *record = decompressed_;
        return true;
      }
      *record = plain_;
      return true;
    }
    ++fragments;
  }
}

}  // namespace walproof
