// EncBuf: the primitives block files are written with (big-endian fixed
// widths, Go-compatible varints, uvarint-prefixed strings), appended to a
// string. The mirror of format/byte_cursor.h; private to src/tsdb.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walproof::tsdb {

class EncBuf {
 public:
  void BE32(uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) buf_.push_back(static_cast<char>(v >> s));
  }
  void BE64(uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) buf_.push_back(static_cast<char>(v >> s));
  }
  void U8(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void Uvarint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  void Varint(int64_t v) { Uvarint(static_cast<uint64_t>(v) << 1 ^ static_cast<uint64_t>(v >> 63)); }
  void String(std::string_view s) {
    Uvarint(s.size());
    buf_.append(s);
  }
  void Bytes(std::string_view s) { buf_.append(s); }
  // Zero bytes up to the next multiple of `align`, counting from `base`
  // (the file offset of this buffer's first byte).
  void PadTo(uint64_t base, uint64_t align) {
    while ((base + buf_.size()) % align != 0) buf_.push_back('\0');
  }

  size_t size() const { return buf_.size(); }
  const std::string& str() const { return buf_; }
  std::string& str() { return buf_; }
  void clear() { buf_.clear(); }

 private:
  std::string buf_;
};

// Length of v as a uvarint.
inline size_t UvarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// The big-endian integers at p (which must have the bytes).
inline uint32_t LoadBE32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | u[3];
}
inline uint64_t LoadBE64(const char* p) { return uint64_t{LoadBE32(p)} << 32 | LoadBE32(p + 4); }

}  // namespace walproof::tsdb
