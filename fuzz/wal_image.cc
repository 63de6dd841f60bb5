#include "wal_image.h"

#include <algorithm>
#include <cstdio>

#include "format/compression.h"  // reference/src: DecompressRecord, CompressRecord
#include "walproof/format/crc32c.h"

namespace walproof::fuzz {
namespace {

uint32_t Crc(std::string_view s) { return crc32c::Value(s); }

void PutHeader(std::string* out, uint8_t type, size_t len, uint32_t crc) {
  out->push_back(static_cast<char>(type));
  out->push_back(static_cast<char>(len >> 8));
  out->push_back(static_cast<char>(len));
  out->push_back(static_cast<char>(crc >> 24));
  out->push_back(static_cast<char>(crc >> 16));
  out->push_back(static_cast<char>(crc >> 8));
  out->push_back(static_cast<char>(crc));
}

void PadToPage(std::string* out) {
  if (out->size() % kPageSize != 0) out->append(kPageSize - out->size() % kPageSize, '\0');
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

}  // namespace

SegmentImage ParseSegment(std::string_view in) {
  SegmentImage img;
  img.pad_tail = !in.empty() && in.size() % kPageSize == 0;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t page_left = kPageSize - pos % kPageSize;
    uint8_t type = static_cast<uint8_t>(in[pos]);
    if ((type & kFragmentTypeMask) == 0) {
      std::string_view rest = in.substr(pos, page_left);
      if (AllZero(rest)) {
        // A terminator; a zero run that reaches the end of the data is the
        // padding of a short last page, kept by pad_tail / its absence.
        if (pos + rest.size() < in.size() || rest.size() == page_left) {
          img.units.push_back({Unit::Kind::kPagePad, 0, {}, false});
        }
      } else {
        img.units.push_back({Unit::Kind::kRaw, 0, std::string(rest), false});
      }
      pos += rest.size();
      continue;
    }
    if (in.size() - pos < kFragmentHeaderSize) {
      img.units.push_back({Unit::Kind::kRaw, 0, std::string(in.substr(pos)), false});
      break;
    }
    const auto* h = reinterpret_cast<const uint8_t*>(in.data() + pos);
    size_t len = size_t{h[1]} << 8 | h[2];
    uint32_t crc = uint32_t{h[3]} << 24 | uint32_t{h[4]} << 16 | uint32_t{h[5]} << 8 | h[6];
    if (len > kMaxFragmentPayload || pos + kFragmentHeaderSize + len > in.size()) {
      // Cannot be a fragment the reader would accept; keep the rest as it is.
      img.units.push_back({Unit::Kind::kRaw, 0, std::string(in.substr(pos)), false});
      break;
    }
    std::string payload(in.substr(pos + kFragmentHeaderSize, len));
    bool bad = Crc(payload) != crc;
    img.units.push_back({Unit::Kind::kFragment, type, std::move(payload), bad});
    pos += kFragmentHeaderSize + len;
  }
  return img;
}

std::string SerializeSegment(const SegmentImage& img) {
  std::string out;
  for (const Unit& u : img.units) {
    switch (u.kind) {
      case Unit::Kind::kPagePad:
        if (out.size() % kPageSize == 0) {
          out.append(kPageSize, '\0');  // a whole empty page, as parsed
        } else {
          PadToPage(&out);
        }
        break;
      case Unit::Kind::kRaw:
        out.append(u.bytes);
        break;
      case Unit::Kind::kFragment: {
        size_t len = std::min(u.bytes.size(), kMaxFragmentPayload);
        size_t page_left = kPageSize - out.size() % kPageSize;
        if (page_left < kFragmentHeaderSize + len) PadToPage(&out);
        std::string_view payload(u.bytes.data(), len);
        uint32_t crc = Crc(payload);
        if (u.bad_crc) crc ^= 0x1;
        PutHeader(&out, u.type_byte, len, crc);
        out.append(payload);
        break;
      }
    }
  }
  if (img.pad_tail) PadToPage(&out);
  return out;
}

void AppendRecordUnits(std::string_view record, Compression c, size_t* page_offset,
                       std::vector<Unit>* out) {
  std::string compressed;
  uint8_t bit = 0;
  if (CompressRecord(c, record, &compressed)) {
    record = compressed;
    bit = c == Compression::kSnappy ? kSnappyBit : kZstdBit;
  }
  if (kPageSize - *page_offset < kFragmentHeaderSize) {
    out->push_back({Unit::Kind::kPagePad, 0, {}, false});
    *page_offset = 0;
  }
  bool first = true;
  do {
    size_t room = kPageSize - *page_offset - kFragmentHeaderSize;
    size_t n = std::min(record.size(), room);
    bool last = n == record.size();
    FragmentType t = first ? (last ? FragmentType::kFull : FragmentType::kFirst)
                           : (last ? FragmentType::kLast : FragmentType::kMiddle);
    out->push_back({Unit::Kind::kFragment, static_cast<uint8_t>(static_cast<uint8_t>(t) | bit),
                    std::string(record.substr(0, n)), false});
    *page_offset += kFragmentHeaderSize + n;
    if (kPageSize - *page_offset < kFragmentHeaderSize) {
      if (*page_offset < kPageSize) out->push_back({Unit::Kind::kPagePad, 0, {}, false});
      *page_offset = 0;
    }
    record.remove_prefix(n);
    first = false;
  } while (!record.empty());
}

std::string BuildSegment(const std::vector<std::string>& records, Compression c, bool pad_tail) {
  SegmentImage img;
  img.pad_tail = pad_tail;
  size_t page_offset = 0;
  for (const std::string& r : records) AppendRecordUnits(r, c, &page_offset, &img.units);
  return SerializeSegment(img);
}

// ---- The model reader ----

namespace {

// The padded stream of segments, walked lazily the way upstream's
// segmentBufReader does: the next segment is entered only when more bytes
// are wanted than the current one (padded) holds.
class ModelStream {
 public:
  explicit ModelStream(const std::vector<ModelSegment>& segs) {
    for (const ModelSegment& s : segs) {
      std::string d = s.data;
      real_.push_back(d.size());
      PadToPage(&d);
      padded_.push_back(std::move(d));
      index_.push_back(s.index);
    }
  }
  enum Got { kOk, kEof, kShort };
  // Like io.ReadFull: kEof when nothing at all was left, kShort when some.
  // Without `padding`, the padding of a short segment is not there to read
  // (a fragment header or payload may not run into it): kShort at its start.
  Got Read(size_t n, std::string* out, bool padding = true) {
    out->clear();
    while (out->size() < n) {
      if (cur_ >= padded_.size()) return out->empty() ? kEof : kShort;
      const std::string& seg = padded_[cur_];
      const size_t end = padding ? seg.size() : real_[cur_];
      if (off_ >= end && off_ < seg.size()) return kShort;
      if (off_ < end) {
        size_t take = std::min(n - out->size(), end - off_);
        out->append(seg, off_, take);
        off_ += take;
      } else if (cur_ + 1 < padded_.size()) {
        ++cur_;
        off_ = 0;
      } else {
        return out->empty() ? kEof : kShort;
      }
    }
    return kOk;
  }
  int segment() const { return padded_.empty() ? 0 : index_[std::min(cur_, padded_.size() - 1)]; }
  uint64_t offset() const { return off_; }

 private:
  std::vector<std::string> padded_;
  std::vector<size_t> real_;  // unpadded sizes
  std::vector<int> index_;
  size_t cur_ = 0;
  uint64_t off_ = 0;
};

}  // namespace

ModelResult ModelRead(const std::vector<ModelSegment>& segments) {
  ModelResult res;
  if (segments.empty()) return res;
  ModelStream s(segments);
  auto fail = [&](std::string reason) {
    res.corrupt = true;
    res.segment = s.segment();
    res.offset = s.offset();
    res.reason = std::move(reason);
    return res;
  };
  std::string buf;
  // The stream may end only between records (docs/format.md, "Reader rules": the end of all
  // segments while a record is open is "last record is torn"). Upstream
  // checks only the type of the last header byte read, so a FIRST followed
  // by the padding of a short segment ends quietly there; walproof reports
  // that too, and so does the model. A header cut short counts by its type.
  while (true) {
    // One record.
    std::string plain, packed;
    int open = 0;  // fragments of the record read so far
    uint8_t last_type = 0;
    while (true) {
      ModelStream::Got g = s.Read(1, &buf);
      if (g != ModelStream::kOk) {
        if (open > 0 || last_type == 2 || last_type == 3) return fail("last record is torn");
        return res;
      }
      uint8_t h0 = static_cast<uint8_t>(buf[0]);
      last_type = h0 & kFragmentTypeMask;
      if (last_type == 0) {
        size_t k = kPageSize - s.offset() % kPageSize;
        if (k == kPageSize) continue;
        g = s.Read(k, &buf);
        if (g != ModelStream::kOk) return fail("read remaining zeros: unexpected EOF");
        if (!AllZero(buf)) return fail("unexpected non-zero byte in padded page");
        continue;
      }
      g = s.Read(kFragmentHeaderSize - 1, &buf, false);
      if (g == ModelStream::kEof) {
        if (open > 0 || last_type == 2 || last_type == 3) return fail("last record is torn");
        return res;
      }
      if (g == ModelStream::kShort) return fail("read remaining header: unexpected EOF");
      const auto* h = reinterpret_cast<const uint8_t*>(buf.data());
      size_t len = size_t{h[0]} << 8 | h[1];
      uint32_t crc = uint32_t{h[2]} << 24 | uint32_t{h[3]} << 16 | uint32_t{h[4]} << 8 | h[5];
      if (len > kMaxFragmentPayload) return fail("invalid record size " + std::to_string(len));
      g = s.Read(len, &buf, false);
      if (g == ModelStream::kEof) {
        if (open > 0 || last_type == 2 || last_type == 3) return fail("last record is torn");
        return res;
      }
      if (g == ModelStream::kShort) return fail("unexpected EOF");
      if (uint32_t actual = Crc(buf); actual != crc) {
        char msg[64];
        std::snprintf(msg, sizeof msg, "unexpected checksum %x, expected %x", actual, crc);
        return fail(msg);
      }
      switch (last_type) {
        case 1: if (open != 0) return fail("unexpected full record"); break;
        case 2: if (open != 0) return fail("unexpected first record, dropping buffer"); break;
        case 3: if (open == 0) return fail("unexpected middle record, dropping buffer"); break;
        case 4: if (open == 0) return fail("unexpected last record, dropping buffer"); break;
        default: return fail("unexpected record type " + std::to_string(last_type));
      }
      const bool snappy = h0 & kSnappyBit, zstd = h0 & kZstdBit;
      ((snappy || zstd) ? packed : plain).append(buf);
      if (last_type == 1 || last_type == 4) {
        // As upstream: the last fragment's bits decide how the record reads;
        // fragments stored the other way are dropped.
        if ((snappy || zstd) && !packed.empty()) {
          std::string out;
          Status st = DecompressRecord(snappy ? Compression::kSnappy : Compression::kZstd, packed, &out);
          if (!st.ok()) return fail("decompress: " + st.message());
          res.records.push_back(std::move(out));
          res.compressed.push_back(true);
        } else {
          res.records.push_back(std::move(plain));
          res.compressed.push_back(false);
        }
        break;
      }
      ++open;
    }
  }
}

}  // namespace walproof::fuzz
