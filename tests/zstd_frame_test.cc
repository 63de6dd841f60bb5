// zstd records the writer never produces but a reader must judge: frames
// without a content size (a streaming encoder), frames declaring a window far
// larger than their output, and frames claiming more than their input can
// hold (fuzz/FINDINGS.md, findings 1, 2 and 6). Read through the strict
// segment reader, as replay reads them.
#include <gtest/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "wal_test_util.h"
#include "walproof/format/fragment.h"

namespace walproof {
namespace {

using testutil::Frag;
using testutil::TempDir;

testutil::ReadOutcome ReadOneRecord(const std::string& zstd_frame) {
  TempDir tmp;
  std::string seg = Frag(testutil::kFull | kZstdBit, zstd_frame);
  testutil::PadToPage(&seg);
  const std::string path = testutil::SegPath(tmp.path(), 0);
  testutil::WriteFileOrDie(path, seg);
  return testutil::ReadSegmentFile(path);
}

// What a streaming encoder writes when the size is not known up front.
std::string FrameWithoutContentSize(const std::string& data) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  std::string out(ZSTD_compressBound(data.size()) + 64, '\0');
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  ZSTD_inBuffer i{data.data(), data.size(), 0};
  size_t rc = ZSTD_compressStream2(c, &o, &i, ZSTD_e_end);
  ZSTD_freeCCtx(c);
  EXPECT_EQ(rc, 0u);
  out.resize(o.pos);
  return out;
}

TEST(ZstdFrameTest, FrameWithoutContentSizeDecodes) {
  // 300 KB from a few hundred bytes: the output buffer grows several times.
  std::string data;
  for (int i = 0; data.size() < 300000; ++i) data += "sample " + std::to_string(i % 97) + "\n";
  const std::string frame = FrameWithoutContentSize(data);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  ASSERT_LT(frame.size(), 32768u - kFragmentHeaderSize);
  auto out = ReadOneRecord(frame);
  ASSERT_OK(out.status);
  EXPECT_EQ(out.records, (std::vector<std::string>{data}));
}

TEST(ZstdFrameTest, WindowLargerThanOutputStillDecodes) {
  // The snappy_record_fuzzer reproducer: no content size, a 208 KiB window,
  // one RLE block of 167 zero bytes. Decoded without a window buffer.
  const std::string frame("\x28\xb5\x2f\xfd\x00\x3d\x3b\x05\x00\x00", 10);
  auto out = ReadOneRecord(frame);
  ASSERT_OK(out.status);
  EXPECT_EQ(out.records, (std::vector<std::string>{std::string(167, '\0')}));
}

TEST(ZstdFrameTest, ClaimBeyondWhatTheInputCanHoldIsCorruption) {
  // Single segment, 4-byte content size of 200,000,000, one empty raw block.
  std::string frame("\x28\xb5\x2f\xfd\xa0", 5);
  const uint32_t claim = 200000000;
  for (int b = 0; b < 4; ++b) frame.push_back(static_cast<char>(claim >> (8 * b)));
  frame += std::string("\x01\x00\x00", 3);
  auto out = ReadOneRecord(frame);
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_NE(out.corruption->reason.find("claims"), std::string::npos) << out.corruption->reason;
}

TEST(ZstdFrameTest, TrailingBytesAfterTheFrameAreCorruption) {
  std::string frame = FrameWithoutContentSize("abc") + "x";
  auto out = ReadOneRecord(frame);
  ASSERT_TRUE(out.corruption.has_value()) << out.status.ToString();
  EXPECT_NE(out.corruption->reason.find("zstd"), std::string::npos) << out.corruption->reason;
}

}  // namespace
}  // namespace walproof
