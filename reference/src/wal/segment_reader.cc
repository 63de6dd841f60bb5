#include "walproof/wal/segment_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "format/compression.h"
#include "walproof/format/crc32c.h"

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

// Compared with memcmp rather than byte by byte: padding is most of what a
// reader of a freshly cut segment walks over.
bool AllZero(std::string_view s) {
  static const char kZeros[kPageSize] = {};
  while (!s.empty()) {
    const size_t n = std::min(s.size(), sizeof kZeros);
    if (std::memcmp(s.data(), kZeros, n) != 0) return false;
    s.remove_prefix(n);
  }
  return true;
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
  const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkSize, file_size_ - offset_));
  if (file_->View(offset_, want, &chunk_)) {
    if (chunk_.size() < want) file_size_ = offset_ + chunk_.size();  // shrank under us
    return true;
  }
  if (chunk_capacity_ < want) {
    // Not zero-filled first: Read overwrites what it returns.
    chunk_buffer_ = std::make_unique_for_overwrite<char[]>(want);
    chunk_capacity_ = want;
  }
  chunk_ = {};
  size_t got = 0;
  status_ = file_->Read(offset_, want, chunk_buffer_.get(), &got);
  if (!status_.ok()) return false;
  // The file shrank under us (got < want): treat what we got as the end.
  if (got < want) file_size_ = offset_ + got;
  chunk_ = std::string_view(chunk_buffer_.get(), got);
  return true;
}

SegmentReader::ReadResult SegmentReader::ReadFull(size_t n, std::string_view* out, PastEnd past_end) {
  // Fast path: all of it in the current chunk.
  if (file_ && offset_ >= chunk_start_ && offset_ + n <= chunk_start_ + chunk_.size()) {
    *out = chunk_.substr(offset_ - chunk_start_, n);
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
      chunk_ = {};
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
      // The real end of a file shorter than its page. A fragment may not run
      // past it: what the padding would supply is not what was written.
      if (past_end == PastEnd::kUnexpectedEof) return ReadResult::kUnexpectedEof;
      // Otherwise the short page reads as if zero-padded, as upstream's does.
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

SegmentReader::ReadResult SegmentReader::SkipPadding(size_t n, bool* all_zero) {
  // The bytes that remain in the page after a terminator (never past it),
  // checked where they lie instead of being copied: those in the file must
  // be zero, those past the end of a short file are padding.
  *all_zero = true;
  const uint64_t end = offset_ + n;
  while (offset_ < end) {
    if (!file_ || offset_ >= file_size_) {
      offset_ = end;
      break;
    }
    if (offset_ < chunk_start_ || offset_ >= chunk_start_ + chunk_.size()) {
      if (!LoadChunk()) return ReadResult::kError;
      continue;  // the file may have shrunk: look again
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(end, chunk_start_ + chunk_.size()) - offset_);
    if (*all_zero && !AllZero(chunk_.substr(offset_ - chunk_start_, take))) *all_zero = false;
    offset_ += take;
  }
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
  // unreported; we report it, as docs/format.md ("Reader rules") says. A
  // header cut at a page boundary counts by its own type, as upstream.
  auto end_of_stream = [&]() {
    if (fragments > 0 || type == FragmentType::kFirst || type == FragmentType::kMiddle) {
      return Fail("last record is torn");
    }
    return false;
  };
  while (true) {
    std::string_view bytes;
    ReadResult r = ReadFull(1, &bytes, PastEnd::kZeros);
    if (r == ReadResult::kEof) return end_of_stream();
    if (r != ReadResult::kOk) return false;
    const uint8_t header0 = static_cast<uint8_t>(bytes[0]);
    type = static_cast<FragmentType>(header0 & kFragmentTypeMask);
    const bool snappy = header0 & kSnappyBit;
    const bool zstd = header0 & kZstdBit;

    if (type == FragmentType::kPageTerm) {
      size_t rest = kPageSize - offset_ % kPageSize;
      if (rest == kPageSize) continue;  // the zero was the page's last byte
      bool zeros = true;
      r = SkipPadding(rest, &zeros);
      if (r == ReadResult::kError) return false;
      if (!zeros) return Fail("unexpected non-zero byte in padded page");
      continue;
    }

    r = ReadFull(kFragmentHeaderSize - 1, &bytes, PastEnd::kUnexpectedEof);
    if (r == ReadResult::kEof) return end_of_stream();
    if (r == ReadResult::kUnexpectedEof) return Fail("read remaining header: unexpected EOF");
    if (r != ReadResult::kOk) return false;
    const auto* h = reinterpret_cast<const uint8_t*>(bytes.data());
    const size_t length = size_t{h[0]} << 8 | h[1];
    const uint32_t crc = uint32_t{h[2]} << 24 | uint32_t{h[3]} << 16 | uint32_t{h[4]} << 8 | h[5];
    if (length > kMaxFragmentPayload) return Fail("invalid record size " + std::to_string(length));

    std::string_view payload;
    r = ReadFull(length, &payload, PastEnd::kUnexpectedEof);
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
