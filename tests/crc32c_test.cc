// CRC-32C: the published test vectors (RFC 3720 appendix B.4 and the classic
// "123456789" check value), agreement of the hardware and portable paths on
// every length and alignment, and that Extend composes over any split.
#include "walproof/format/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace walproof {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST(Crc32cTest, CheckValueOfDigits) {
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);
}

TEST(Crc32cTest, EmptyInputIsZero) {
  EXPECT_EQ(crc32c::Value(""), 0u);
  EXPECT_EQ(crc32c::Extend(0, nullptr, 0), 0u);
}

TEST(Crc32cTest, ShortStrings) {
  EXPECT_EQ(crc32c::Value("a"), 0xC1D04330u);
  EXPECT_EQ(crc32c::Value("abc"), 0x364B3FB7u);
}

TEST(Crc32cTest, ThirtyTwoZeroBytes) {
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8A9136AAu);
}

TEST(Crc32cTest, ThirtyTwoFfBytes) {
  EXPECT_EQ(crc32c::Value(std::string(32, '\xff')), 0x62A8AB43u);
}

TEST(Crc32cTest, AscendingBytes) {
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::Value(s), 0x46DD794Eu);
}

TEST(Crc32cTest, DescendingBytes) {
  std::string s;
  for (int i = 31; i >= 0; --i) s.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::Value(s), 0x113FDB5Cu);
}

TEST(Crc32cTest, IscsiReadCommandPdu) {
  std::string pdu = Bytes({0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                           0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  ASSERT_EQ(pdu.size(), 48u);
  EXPECT_EQ(crc32c::Value(pdu), 0xD9963A56u);
}

// Every vector above through both implementations explicitly, so that the
// path not chosen on this machine is checked too.
TEST(Crc32cTest, VectorsOnBothImplementations) {
  struct Case {
    std::string data;
    uint32_t crc;
  };
  std::string asc, desc;
  for (int i = 0; i < 32; ++i) asc.push_back(static_cast<char>(i));
  for (int i = 31; i >= 0; --i) desc.push_back(static_cast<char>(i));
  const std::vector<Case> cases = {
      {"123456789", 0xE3069283u},        {std::string(32, '\0'), 0x8A9136AAu},
      {std::string(32, '\xff'), 0x62A8AB43u}, {asc, 0x46DD794Eu},
      {desc, 0x113FDB5Cu},               {"", 0u},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(crc32c::ExtendPortable(0, c.data.data(), c.data.size()), c.crc) << c.data.size();
    EXPECT_EQ(crc32c::ExtendHardware(0, c.data.data(), c.data.size()), c.crc) << c.data.size();
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomLengthsAndAlignments) {
  RecordProperty("hardware_available", crc32c::HardwareAvailable() ? "yes" : "no");
  const std::string buf = Random(5000, 1);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    size_t align = rng() % 16;
    size_t len = rng() % (buf.size() - 16);
    uint32_t seed_crc = (i % 3 == 0) ? 0 : static_cast<uint32_t>(rng());
    const char* p = buf.data() + align;
    ASSERT_EQ(crc32c::ExtendPortable(seed_crc, p, len), crc32c::ExtendHardware(seed_crc, p, len))
        << "align " << align << " len " << len;
    ASSERT_EQ(crc32c::Extend(seed_crc, p, len), crc32c::ExtendPortable(seed_crc, p, len))
        << "align " << align << " len " << len;
  }
}

// Long inputs are checksummed in parallel stripes that are joined
// afterwards: every length around the stripe sizes must agree too.
TEST(Crc32cTest, HardwareAndPortableAgreeAroundStripeSizes) {
  const std::string buf = Random(3 * 4096 * 3 + 64, 3);
  std::mt19937 rng(11);
  for (size_t base : {3 * 256, 2 * 3 * 256, 3 * 4096, 2 * 3 * 4096, 3 * 4096 + 3 * 256}) {
    for (size_t len = base - 9; len <= base + 9; ++len) {
      const size_t align = len % 8;
      const uint32_t seed_crc = static_cast<uint32_t>(rng());
      ASSERT_EQ(crc32c::ExtendPortable(seed_crc, buf.data() + align, len),
                crc32c::ExtendHardware(seed_crc, buf.data() + align, len))
          << "align " << align << " len " << len;
    }
  }
  for (int i = 0; i < 300; ++i) {
    const size_t align = rng() % 16;
    const size_t len = rng() % (buf.size() - 16);
    ASSERT_EQ(crc32c::ExtendPortable(0, buf.data() + align, len), crc32c::ExtendHardware(0, buf.data() + align, len))
        << "align " << align << " len " << len;
  }
}

TEST(Crc32cTest, EveryShortLengthAndAlignmentAgrees) {
  const std::string buf = Random(128, 2);
  for (size_t align = 0; align < 16; ++align) {
    for (size_t len = 0; len + align <= 80; ++len) {
      const char* p = buf.data() + align;
      ASSERT_EQ(crc32c::ExtendPortable(0, p, len), crc32c::ExtendHardware(0, p, len))
          << "align " << align << " len " << len;
    }
  }
}

TEST(Crc32cTest, ExtendComposesOverEverySplit) {
  const std::string data = Random(300, 3);
  const uint32_t whole = crc32c::Value(data);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    uint32_t a = crc32c::Extend(0, data.data(), cut);
    ASSERT_EQ(crc32c::Extend(a, data.data() + cut, data.size() - cut), whole) << cut;
    uint32_t pa = crc32c::ExtendPortable(0, data.data(), cut);
    ASSERT_EQ(crc32c::ExtendPortable(pa, data.data() + cut, data.size() - cut), whole) << cut;
    uint32_t ha = crc32c::ExtendHardware(0, data.data(), cut);
    ASSERT_EQ(crc32c::ExtendHardware(ha, data.data() + cut, data.size() - cut), whole) << cut;
  }
}

TEST(Crc32cTest, ExtendComposesOverManyPieces) {
  const std::string data = Random(10000, 4);
  std::mt19937 rng(11);
  uint32_t crc = 0;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = std::min<size_t>(rng() % 97, data.size() - pos);
    crc = crc32c::Extend(crc, data.data() + pos, n);
    pos += n;
  }
  EXPECT_EQ(crc, crc32c::Value(data));
}

TEST(Crc32cTest, ExtendingByNothingKeepsTheValue) {
  uint32_t crc = crc32c::Value("hello");
  EXPECT_EQ(crc32c::Extend(crc, "", 0), crc);
  EXPECT_EQ(crc32c::ExtendPortable(crc, "", 0), crc);
  EXPECT_EQ(crc32c::ExtendHardware(crc, "", 0), crc);
}

TEST(Crc32cTest, DetectsSingleBitFlips) {
  std::string data = Random(64, 5);
  const uint32_t orig = crc32c::Value(data);
  for (size_t bit = 0; bit < data.size() * 8; ++bit) {
    data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_NE(crc32c::Value(data), orig) << bit;
    data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
  }
}

}  // namespace
}  // namespace walproof
