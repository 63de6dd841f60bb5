// BitWriter / BitReader: bit streams written most significant bit first, as
// Prometheus's chunkenc bstream, for the histogram chunk. The reader never
// reads past its bytes: running out sets a sticky failure. Private to src/tsdb.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walproof::tsdb {

class BitWriter {
 public:
  // *free_bits: the unused low bits of out's last byte, kept by the owner
  // of the stream between writers.
  BitWriter(std::string* out, unsigned* free_bits) : out_(out), free_(*free_bits) {}
  // The low n bits of v (n <= 64), high bit first.
  void Bits(uint64_t v, unsigned n) {
    for (unsigned i = n; i > 0; --i) Bit((v >> (i - 1)) & 1);
  }
  void Bit(uint64_t b) {
    if (free_ == 0) {
      out_->push_back('\0');
      free_ = 8;
    }
    --free_;
    if (b) out_->back() = static_cast<char>(static_cast<uint8_t>(out_->back()) | 1u << free_);
  }

 private:
  std::string* out_;
  unsigned& free_;
};

class BitReader {
 public:
  BitReader(std::string_view bytes, size_t bit_offset) : bytes_(bytes), pos_(bit_offset) {}
  uint64_t Bits(unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) v = v << 1 | Bit();
    return v;
  }
  uint64_t Bit() {
    if (pos_ >= bytes_.size() * 8) {
      failed_ = true;
      return 0;
    }
    const uint64_t b = (static_cast<uint8_t>(bytes_[pos_ / 8]) >> (7 - pos_ % 8)) & 1;
    ++pos_;
    return b;
  }
  bool ok() const { return !failed_; }
  size_t bit_offset() const { return pos_; }

 private:
  std::string_view bytes_;
  size_t pos_;
  bool failed_ = false;
};

}  // namespace walproof::tsdb
