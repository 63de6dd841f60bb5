#include "wal_mutator.h"

#include <algorithm>
#include <cstring>

#include "entropy.h"
#include "format/compression.h"  // reference/src
#include "gen/records.h"
#include "wal_image.h"
#include "walproof/format/fragment.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/wal_dir.h"

// libFuzzer's own mutator, when the target is linked with libFuzzer. Weak, so
// that the plain driver (which never mutates) and engines without it link.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size) __attribute__((weak));

namespace walproof::fuzz {
namespace {

// Byte-level mutation of `s`, by libFuzzer when present.
void MutateBytes(Entropy& e, std::string* s, size_t max_size) {
  if (LLVMFuzzerMutate != nullptr) {
    size_t old = s->size();
    s->resize(std::max(max_size, old));
    size_t n = LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(s->data()), old, s->size());
    s->resize(n);
    return;
  }
  switch (e.Below(4)) {
    case 0:
      if (!s->empty()) (*s)[e.Below(s->size())] ^= static_cast<char>(1u << e.Below(8));
      break;
    case 1:
      if (s->size() < max_size) s->insert(s->begin() + static_cast<long>(e.Below(s->size() + 1)), static_cast<char>(e.Byte()));
      break;
    case 2:
      if (!s->empty()) s->erase(s->begin() + static_cast<long>(e.Below(s->size())));
      break;
    default:
      if (!s->empty()) (*s)[e.Below(s->size())] = static_cast<char>(e.Byte());
  }
}

Compression CompressionOf(uint8_t type_byte) {
  if (type_byte & kSnappyBit) return Compression::kSnappy;
  if (type_byte & kZstdBit) return Compression::kZstd;
  return Compression::kNone;
}

// A logical record: a run of fragment units [begin, end) that the reader would
// assemble (FULL, or FIRST ... LAST), pad units in between included.
struct RecordSpan {
  size_t begin = 0;
  size_t end = 0;
};

std::vector<RecordSpan> FindRecords(const SegmentImage& img) {
  std::vector<RecordSpan> out;
  size_t i = 0;
  while (i < img.units.size()) {
    const Unit& u = img.units[i];
    uint8_t t = u.type_byte & kFragmentTypeMask;
    if (u.kind == Unit::Kind::kFragment && t == 1) {
      out.push_back({i, i + 1});
    } else if (u.kind == Unit::Kind::kFragment && t == 2) {
      size_t j = i + 1;
      while (j < img.units.size() &&
             (img.units[j].kind == Unit::Kind::kPagePad ||
              (img.units[j].kind == Unit::Kind::kFragment && (img.units[j].type_byte & 7) == 3))) {
        ++j;
      }
      if (j < img.units.size() && img.units[j].kind == Unit::Kind::kFragment &&
          (img.units[j].type_byte & 7) == 4) {
        out.push_back({i, j + 1});
        i = j + 1;
        continue;
      }
    }
    ++i;
  }
  return out;
}

// Where the unit at `index` would start in its page once laid out.
size_t PageOffsetBefore(const SegmentImage& img, size_t index) {
  SegmentImage prefix;
  prefix.units.assign(img.units.begin(), img.units.begin() + static_cast<long>(index));
  return SerializeSegment(prefix).size() % kPageSize;
}

// Replaces the record in `span` with `record`, fragmented afresh.
void ReplaceRecord(SegmentImage* img, RecordSpan span, std::string_view record, Compression c) {
  size_t page_offset = PageOffsetBefore(*img, span.begin);
  std::vector<Unit> units;
  AppendRecordUnits(record, c, &page_offset, &units);
  img->units.erase(img->units.begin() + static_cast<long>(span.begin),
                   img->units.begin() + static_cast<long>(span.end));
  img->units.insert(img->units.begin() + static_cast<long>(span.begin), units.begin(), units.end());
}

// The record bytes a span holds, as the reader would return them; false when
// they do not assemble (a payload that does not decompress).
bool AssembleRecord(const SegmentImage& img, RecordSpan span, std::string* out, Compression* c) {
  std::string packed;
  out->clear();
  *c = Compression::kNone;
  for (size_t i = span.begin; i < span.end; ++i) {
    const Unit& u = img.units[i];
    if (u.kind != Unit::Kind::kFragment) continue;
    if (CompressionOf(u.type_byte) != Compression::kNone) {
      packed += u.bytes;
      *c = CompressionOf(u.type_byte);
    } else {
      *out += u.bytes;
    }
  }
  if (*c != Compression::kNone) return DecompressRecord(*c, packed, out).ok();
  return true;
}

std::string NewRecordBytes(Entropy& e) {
  gen::Limits lim;
  lim.max_entries = 6;
  return EncodeRecord(gen::AnyRecord(e, lim));
}

Compression AnyCompression(Entropy& e) {
  switch (e.Below(4)) {
    case 0: return Compression::kSnappy;
    case 1: return Compression::kZstd;
    default: return Compression::kNone;
  }
}

// One structure-aware change. Returns false when it found nothing to change.
bool MutateImage(Entropy& e, SegmentImage* img, size_t max_size) {
  std::vector<RecordSpan> records = FindRecords(*img);
  switch (e.Below(12)) {
    case 0:
    case 1:
    case 2: {  // a record's fields, through the codec
      if (records.empty()) return false;
      RecordSpan span = records[e.Below(records.size())];
      std::string bytes;
      Compression c;
      if (!AssembleRecord(*img, span, &bytes, &c)) return false;
      Record r;
      if (DecodeRecord(bytes, &r).ok() && !e.OneIn(4)) {
        gen::MutateRecord(e, &r);
        bytes = EncodeRecord(r);
      } else {
        MutateBytes(e, &bytes, std::min<size_t>(max_size, bytes.size() + 64));
      }
      if (e.OneIn(8)) c = AnyCompression(e);
      ReplaceRecord(img, span, bytes, c);
      return true;
    }
    case 3:
    case 4: {  // one fragment's payload, CRC fixed
      std::vector<size_t> frags;
      for (size_t i = 0; i < img->units.size(); ++i) {
        if (img->units[i].kind == Unit::Kind::kFragment) frags.push_back(i);
      }
      if (frags.empty()) return false;
      Unit& u = img->units[frags[e.Below(frags.size())]];
      MutateBytes(e, &u.bytes, std::min<size_t>(kMaxFragmentPayload, u.bytes.size() + 64));
      if (e.OneIn(4)) u.bad_crc = false;
      return true;
    }
    case 5: {  // a new record
      std::vector<Unit> units;
      size_t at = records.empty() ? img->units.size() : (e.Bool() ? records[e.Below(records.size())].begin : img->units.size());
      size_t page_offset = PageOffsetBefore(*img, at);
      AppendRecordUnits(NewRecordBytes(e), AnyCompression(e), &page_offset, &units);
      img->units.insert(img->units.begin() + static_cast<long>(at), units.begin(), units.end());
      return true;
    }
    case 6: {  // a fragment's type and flag bits
      if (img->units.empty()) return false;
      Unit& u = img->units[e.Below(img->units.size())];
      if (u.kind != Unit::Kind::kFragment) return false;
      switch (e.Below(4)) {
        case 0: u.type_byte = static_cast<uint8_t>((u.type_byte & ~7) | e.InRange(1, 7)); break;
        case 1: u.type_byte ^= kSnappyBit; break;
        case 2: u.type_byte ^= kZstdBit; break;
        default: u.type_byte ^= static_cast<uint8_t>(0x20u << e.Below(3)); break;  // reserved bits
      }
      return true;
    }
    case 7: {  // drop, duplicate or swap units (whole fragments, records or pads)
      if (img->units.empty()) return false;
      size_t i = e.Below(img->units.size());
      switch (e.Below(3)) {
        case 0: img->units.erase(img->units.begin() + static_cast<long>(i)); break;
        case 1: img->units.insert(img->units.begin() + static_cast<long>(i), img->units[i]); break;
        default: std::swap(img->units[i], img->units[e.Below(img->units.size())]);
      }
      return true;
    }
    case 8: {  // page layout: a terminator, garbage after one (#7506), a torn tail
      switch (e.Below(4)) {
        case 0:
          img->units.insert(img->units.begin() + static_cast<long>(e.Below(img->units.size() + 1)),
                            Unit{Unit::Kind::kPagePad, 0, {}, false});
          break;
        case 1: {
          std::string garbage(1 + e.Below(16), '\0');
          for (size_t k = 1; k < garbage.size(); ++k) garbage[k] = static_cast<char>(e.Byte());
          if (garbage.size() > 1 && garbage.back() == 0) garbage.back() = 1;
          img->units.insert(img->units.begin() + static_cast<long>(e.Below(img->units.size() + 1)),
                            Unit{Unit::Kind::kRaw, 0, garbage, false});
          break;
        }
        case 2:
          img->pad_tail = !img->pad_tail;
          break;
        default:
          if (img->units.empty()) return false;
          img->units.resize(e.Below(img->units.size()));
      }
      return true;
    }
    case 9: {  // a record re-fragmented with other compression
      if (records.empty()) return false;
      RecordSpan span = records[e.Below(records.size())];
      std::string bytes;
      Compression c;
      if (!AssembleRecord(*img, span, &bytes, &c)) return false;
      ReplaceRecord(img, span, bytes, AnyCompression(e));
      return true;
    }
    case 10: {  // a checksum made wrong or right
      if (img->units.empty()) return false;
      Unit& u = img->units[e.Below(img->units.size())];
      if (u.kind != Unit::Kind::kFragment) return false;
      u.bad_crc = !u.bad_crc;
      return true;
    }
    default: {  // a big record, to get FIRST/MIDDLE/LAST across pages
      std::string big;
      size_t n = e.InRange(kMaxFragmentPayload - 64, 2 * kPageSize + 100);
      std::string seed = NewRecordBytes(e);
      while (big.size() < n) big += seed.empty() ? std::string("x") : seed;
      big.resize(n);
      if (big.size() > max_size) return false;
      size_t page_offset = PageOffsetBefore(*img, img->units.size());
      AppendRecordUnits(big, AnyCompression(e), &page_offset, &img->units);
      return true;
    }
  }
}

std::string MutateSegmentBytes(Entropy& e, std::string_view in, size_t max_size) {
  std::string out;
  if (e.OneIn(8) || in.empty()) {
    // Plain bytes, no CRC fix: header, length and checksum errors.
    out.assign(in);
    if (in.empty() && e.Bool()) {
      SegmentImage img;
      size_t off = 0;
      AppendRecordUnits(NewRecordBytes(e), AnyCompression(e), &off, &img.units);
      out = SerializeSegment(img);
    } else {
      MutateBytes(e, &out, max_size);
    }
  } else {
    SegmentImage img = ParseSegment(in);
    bool changed = false;
    for (int tries = 0; tries < 4 && !changed; ++tries) changed = MutateImage(e, &img, max_size);
    out = SerializeSegment(img);
    if (!changed || out == in) MutateBytes(e, &out, max_size);
  }
  if (out.size() > max_size) out.resize(max_size);
  return out;
}

}  // namespace

size_t MutateSegment(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  SeededEntropy e(seed);
  std::string out = MutateSegmentBytes(e, std::string_view(reinterpret_cast<char*>(data), size), max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

// ---- Directory images ----

std::vector<DirEntryImage> ParseDirImage(std::string_view in) {
  std::vector<DirEntryImage> out;
  size_t pos = 0;
  while (pos < in.size()) {
    DirEntryImage e;
    auto byte = [&](size_t i) { return pos + i < in.size() ? static_cast<uint8_t>(in[pos + i]) : uint8_t{0}; };
    e.kind = byte(0);
    e.a = byte(1);
    e.b = byte(2);
    size_t len = size_t{byte(3)} << 16 | size_t{byte(4)} << 8 | byte(5);
    pos = std::min(in.size(), pos + 6);
    len = std::min(len, in.size() - pos);
    e.data.assign(in.substr(pos, len));
    pos += len;
    out.push_back(std::move(e));
  }
  return out;
}

std::string SerializeDirImage(const std::vector<DirEntryImage>& entries) {
  std::string out;
  for (const DirEntryImage& e : entries) {
    size_t len = std::min<size_t>(e.data.size(), 0xffffff);
    out.push_back(static_cast<char>(e.kind));
    out.push_back(static_cast<char>(e.a));
    out.push_back(static_cast<char>(e.b));
    out.push_back(static_cast<char>(len >> 16));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len));
    out.append(e.data, 0, len);
  }
  return out;
}

std::string DirEntryPath(const DirEntryImage& e, bool* is_dir) {
  *is_dir = false;
  switch (e.kind % 4) {
    case 1:
      return CheckpointDirName(e.a) + "/" + SegmentFileName(e.b);
    case 2:
      switch (e.b % 4) {
        case 0: return SegmentFileName(e.a) + ".repair";
        case 1: return CheckpointDirName(e.a) + ".tmp/" + SegmentFileName(0);
        case 2: return "lock";
        default: *is_dir = true; return CheckpointDirName(e.a);
      }
    default:
      return SegmentFileName(e.a);
  }
}

size_t MutateDirImage(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  SeededEntropy e(seed);
  std::vector<DirEntryImage> entries =
      ParseDirImage(std::string_view(reinterpret_cast<char*>(data), size));
  std::string out;
  if (e.OneIn(16)) {
    out.assign(reinterpret_cast<char*>(data), size);
    MutateBytes(e, &out, max_size);
  } else {
    switch (e.Below(8)) {
      case 0: {  // add an entry: a new segment after the last, or a copy
        DirEntryImage n;
        if (!entries.empty() && e.Bool()) {
          n = entries[e.Below(entries.size())];
          n.a = static_cast<uint8_t>(n.a + 1);
        } else {
          n.kind = static_cast<uint8_t>(e.Below(3));
          n.a = static_cast<uint8_t>(e.Below(6));
          n.b = static_cast<uint8_t>(e.Below(4));
          SegmentImage img;
          size_t off = 0;
          gen::Limits lim;
          for (uint64_t k = 0, m = e.InRange(1, 4); k < m; ++k) {
            AppendRecordUnits(EncodeRecord(gen::AnyRecord(e, lim)), Compression::kNone, &off, &img.units);
          }
          n.data = SerializeSegment(img);
        }
        entries.insert(entries.begin() + static_cast<long>(e.Below(entries.size() + 1)), std::move(n));
        break;
      }
      case 1:  // drop an entry
        if (!entries.empty()) entries.erase(entries.begin() + static_cast<long>(e.Below(entries.size())));
        break;
      case 2: {  // rename: another index, kind or checkpoint
        if (entries.empty()) break;
        DirEntryImage& x = entries[e.Below(entries.size())];
        switch (e.Below(4)) {
          case 0: x.a = static_cast<uint8_t>(x.a + (e.Bool() ? 1 : -1)); break;
          case 1: x.b = static_cast<uint8_t>(x.b + (e.Bool() ? 1 : -1)); break;
          case 2: x.kind = static_cast<uint8_t>(e.Below(3)); break;
          default: x.a = e.Byte(); break;
        }
        break;
      }
      default: {  // the contents of one file, structure-aware
        if (entries.empty()) break;
        DirEntryImage& x = entries[e.Below(entries.size())];
        size_t others = SerializeDirImage(entries).size() - x.data.size();
        size_t room = max_size > others ? max_size - others : 0;
        x.data = MutateSegmentBytes(e, x.data, room);
      }
    }
    out = SerializeDirImage(entries);
  }
  if (out.size() > max_size) out.resize(max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

}  // namespace walproof::fuzz
