// ByteCursor: bounds-checked reading of the primitives WAL records are made
// of (big-endian fixed-width integers, Go-compatible varints, uvarint-prefixed
// strings). Private to the record codec.
//
// Like Prometheus' encoding.Decbuf, the first failure sticks: the cursor then
// looks exhausted, so a decoder can read a whole entry and check once at the
// end instead of after every field. Unlike Decbuf it remembers what failed and
// at which offset, so the corruption message can say so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace walproof {

class ByteCursor {
 public:
  explicit ByteCursor(std::string_view data)
      : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()) {}

  bool ok() const { return !failed_; }
  bool empty() const { return pos_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  // What failed, where and why; empty while ok().
  const std::string& error() const { return error_; }

  // Each reader names the field it reads (`what`), for the error message, and
  // returns 0 (or an empty view) once the cursor has failed.
  uint8_t U8(const char* what) {
    if (pos_ == end_) return static_cast<uint8_t>(Truncated(what));
    return static_cast<uint8_t>(*pos_++);
  }

  uint64_t BE64(const char* what) {
    if (remaining() < 8) return Truncated(what);
    // Spelled out so that compilers see a single byte-swapping load.
    const auto* p = reinterpret_cast<const uint8_t*>(pos_);
    pos_ += 8;
    return uint64_t{p[0]} << 56 | uint64_t{p[1]} << 48 | uint64_t{p[2]} << 40 |
           uint64_t{p[3]} << 32 | uint64_t{p[4]} << 24 | uint64_t{p[5]} << 16 |
           uint64_t{p[6]} << 8 | uint64_t{p[7]};
  }

  uint64_t Uvarint(const char* what) {
    // Most deltas and lengths fit in one byte; keep that path tiny.
    if (pos_ != end_ && static_cast<uint8_t>(*pos_) < 0x80) return static_cast<uint8_t>(*pos_++);
    return UvarintSlow(what);
  }

  // Zigzag: the low bit carries the sign, as Go's binary.Varint.
  int64_t Varint(const char* what) {
    const uint64_t u = Uvarint(what);
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }

  // A uvarint byte length, then that many bytes. The view points into the
  // cursor's data.
  std::string_view String(const char* what) {
    const size_t at = offset();
    const uint64_t n = Uvarint(what);
    if (n > remaining()) {
      TooLarge(what, at, "length ", n, " exceeds the ");
      return {};
    }
    std::string_view s(pos_, static_cast<size_t>(n));
    pos_ += n;
    return s;
  }

  // A uvarint count of items that each take at least `min_item_size` bytes.
  // A count that cannot fit in what is left is corruption, caught here so that
  // no caller ever sizes a container from an unchecked number.
  size_t Count(const char* what, size_t min_item_size) {
    const size_t at = offset();
    const uint64_t n = Uvarint(what);
    if (n > remaining() / min_item_size) {
      TooLarge(what, at, "", n, " items cannot fit in the ");
      return 0;
    }
    return static_cast<size_t>(n);
  }

 private:
  static constexpr size_t kMaxVarintLen = 10;

  size_t offset() const { return static_cast<size_t>(pos_ - begin_); }

  // Go's binary.Uvarint, outcome for outcome: running out of bytes is
  // "truncated"; an 11th byte, or a 10th byte above 1 (bits past 64), is
  // overflow. Non-minimal encodings are accepted, as Go accepts them.
  // Out of line, so that the one-byte case stays small enough to inline.
  [[gnu::noinline]] uint64_t UvarintSlow(const char* what) {
    uint64_t x = 0;
    unsigned shift = 0;
    for (size_t i = 0;; ++i) {
      if (pos_ + i == end_) return Truncated(what);
      if (i == kMaxVarintLen) return Overflow(what);
      const uint8_t b = static_cast<uint8_t>(pos_[i]);
      if (b < 0x80) {
        if (i == kMaxVarintLen - 1 && b > 1) return Overflow(what);
        pos_ += i + 1;
        return x | static_cast<uint64_t>(b) << shift;
      }
      x |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
    }
  }

  // The failure paths are cold and kept out of line, away from the readers
  // that the decoders' loops inline.
  [[gnu::noinline, gnu::cold]] uint64_t Truncated(const char* what) {
    Fail(what, offset(), "truncated");
    return 0;
  }
  [[gnu::noinline, gnu::cold]] uint64_t Overflow(const char* what) {
    Fail(what, offset(), "varint overflow");
    return 0;
  }
  [[gnu::noinline, gnu::cold]] void TooLarge(const char* what, size_t at, const char* prefix,
                                             uint64_t n, const char* middle) {
    Fail(what, at, prefix + std::to_string(n) + middle + std::to_string(remaining()) +
                       " bytes left");
  }

  // Keeps the first failure only: later ones are its consequences.
  void Fail(const char* what, size_t at, std::string_view why) {
    if (!failed_) {
      failed_ = true;
      error_ = std::string(what) + " at offset " + std::to_string(at) + ": ";
      error_ += why;
    }
    pos_ = end_;
  }

  const char* begin_;
  const char* pos_;
  const char* end_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace walproof
