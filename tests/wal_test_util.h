// Helpers shared by the WAL unit tests: a self-removing temp directory,
// hand-made fragments (header + payload + CRC) for crafting segments byte by
// byte, a parser that walks what the writer produced, and readers that
// collect every record of a stream or a WAL directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/crc32c.h"
#include "walproof/format/fragment.h"
#include "walproof/io/fs.h"
#include "walproof/io/posix_fs.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"
#include "walproof/wal/wal_writer.h"

#ifndef ASSERT_OK
#define ASSERT_OK(expr)                                 \
  do {                                                  \
    const ::walproof::Status _assert_ok_st = (expr);    \
    ASSERT_TRUE(_assert_ok_st.ok()) << _assert_ok_st.ToString(); \
  } while (0)
#endif
#ifndef EXPECT_OK
#define EXPECT_OK(expr)                                 \
  do {                                                  \
    const ::walproof::Status _expect_ok_st = (expr);    \
    EXPECT_TRUE(_expect_ok_st.ok()) << _expect_ok_st.ToString(); \
  } while (0)
#endif

namespace walproof::testutil {

// A fresh directory under testing::TempDir(), removed with all its contents
// when the object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string base = testing::TempDir();
    if (base.empty() || base.back() != '/') base.push_back('/');
    std::string tmpl = base + "walproof_test_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    }
    path_ = tmpl;
  }
  ~TempDir() {
    Status st = RemoveTree(PosixFs(), path_);
    if (!st.ok()) ADD_FAILURE() << "could not remove " << path_ << ": " << st.ToString();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const { return JoinPath(path_, name); }

 private:
  std::string path_;
};

// ---- Crafting raw segment bytes ----

inline constexpr uint8_t kFull = static_cast<uint8_t>(FragmentType::kFull);
inline constexpr uint8_t kFirst = static_cast<uint8_t>(FragmentType::kFirst);
inline constexpr uint8_t kMiddle = static_cast<uint8_t>(FragmentType::kMiddle);
inline constexpr uint8_t kLast = static_cast<uint8_t>(FragmentType::kLast);

// A fragment header with an explicit length and CRC (for lying headers).
inline std::string RawHeader(uint8_t type_byte, uint16_t length, uint32_t crc) {
  std::string h;
  h.push_back(static_cast<char>(type_byte));
  h.push_back(static_cast<char>(length >> 8));
  h.push_back(static_cast<char>(length & 0xff));
  h.push_back(static_cast<char>(crc >> 24));
  h.push_back(static_cast<char>((crc >> 16) & 0xff));
  h.push_back(static_cast<char>((crc >> 8) & 0xff));
  h.push_back(static_cast<char>(crc & 0xff));
  return h;
}

// A well-formed fragment: header with the true length and CRC-32C, then payload.
inline std::string Frag(uint8_t type_byte, std::string_view payload) {
  return RawHeader(type_byte, static_cast<uint16_t>(payload.size()), crc32c::Value(payload)) +
         std::string(payload);
}

// A fragment whose header stores `crc` instead of the payload's CRC.
inline std::string FragWithCrc(uint8_t type_byte, std::string_view payload, uint32_t crc) {
  return RawHeader(type_byte, static_cast<uint16_t>(payload.size()), crc) + std::string(payload);
}

// Appends zeros up to the next page boundary (nothing when already on one).
inline void PadToPage(std::string* seg) {
  size_t rest = seg->size() % kPageSize;
  if (rest != 0) seg->append(kPageSize - rest, '\0');
}

// Deterministic bytes that compress well (a short repeating pattern).
inline std::string Pattern(size_t n, char seed = 'a') {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 23));
  return s;
}

// Deterministic bytes that do not compress.
inline std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// Bytes that compress to about half: random 32-byte runs, each said twice.
inline std::string HalfCompressible(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    std::string run(32, '\0');
    for (char& c : run) c = static_cast<char>(rng() & 0xff);
    s += run;
    s += run;
  }
  s.resize(n);
  return s;
}

// ---- Files ----

// Segments of four pages: small enough that a test's records span several.
inline constexpr uint64_t kSmallSegment = 4 * kPageSize;

// Writes one WAL segment per inner vector with the writer, starting at
// segment 0 (or after the last existing one).
inline void WriteSegments(const std::string& dir, const std::vector<std::vector<std::string>>& segments,
                          Compression c = Compression::kNone) {
  WalWriterOptions o;
  o.segment_size = kSmallSegment;
  o.compression = c;
  auto w = WalWriter::Open(PosixFs(), dir, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) {
      ASSERT_TRUE((*w)->NextSegment().ok());
    }
    for (const std::string& r : segments[i]) {
      ASSERT_OK((*w)->Log(r));
    }
  }
  ASSERT_OK((*w)->Close());
}

inline void WriteFileOrDie(const std::string& path, std::string_view data) {
  Status st = WriteWholeFile(PosixFs(), path, data);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::string out;
  Status st = ReadWholeFile(PosixFs(), path, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

inline uint64_t FileSize(const std::string& path) { return ReadFileOrDie(path).size(); }

inline std::string SegPath(const std::string& dir, int index) {
  return JoinPath(dir, SegmentFileName(index));
}

// ---- Walking what the writer wrote ----

struct ParsedFragment {
  uint64_t offset = 0;  // of the header in the segment
  uint8_t type_byte = 0;
  uint16_t length = 0;
  uint32_t crc = 0;
  std::string payload;

  uint8_t type() const { return type_byte & kFragmentTypeMask; }
};

// Splits a segment into its fragments the way the writer lays them out
// (page terminators and page tails under 7 bytes skipped). Checks that
// padding is all zeros and every CRC matches; fails the test otherwise.
inline std::vector<ParsedFragment> ParseSegment(std::string_view seg) {
  std::vector<ParsedFragment> out;
  size_t pos = 0;
  while (pos < seg.size()) {
    size_t in_page = pos % kPageSize;
    if (kPageSize - in_page < kFragmentHeaderSize || seg[pos] == 0) {
      size_t end = std::min(seg.size(), pos + (kPageSize - in_page));
      for (size_t i = pos; i < end; ++i) {
        if (seg[i] != 0) {
          ADD_FAILURE() << "non-zero padding byte at " << i;
          return out;
        }
      }
      pos = end;
      continue;
    }
    if (pos + kFragmentHeaderSize > seg.size()) {
      ADD_FAILURE() << "header cut at " << pos;
      return out;
    }
    ParsedFragment f;
    f.offset = pos;
    auto u = [&](size_t i) { return static_cast<uint8_t>(seg[pos + i]); };
    f.type_byte = u(0);
    f.length = static_cast<uint16_t>(u(1) << 8 | u(2));
    f.crc = uint32_t{u(3)} << 24 | uint32_t{u(4)} << 16 | uint32_t{u(5)} << 8 | u(6);
    if (pos + kFragmentHeaderSize + f.length > seg.size()) {
      ADD_FAILURE() << "payload cut at " << pos;
      return out;
    }
    f.payload = std::string(seg.substr(pos + kFragmentHeaderSize, f.length));
    EXPECT_EQ(crc32c::Value(f.payload), f.crc) << "fragment at " << pos;
    pos += kFragmentHeaderSize + f.length;
    out.push_back(std::move(f));
  }
  return out;
}

inline std::vector<ParsedFragment> ParseSegmentFile(const std::string& path) {
  return ParseSegment(ReadFileOrDie(path));
}

// ---- Reading records back ----

struct ReadOutcome {
  std::vector<std::string> records;
  Status status;
  std::optional<CorruptionInfo> corruption;
  // segment() / offset() after each record.
  std::vector<std::pair<int, uint64_t>> positions;
};

inline ReadOutcome ReadStream(const std::vector<SegmentFile>& files) {
  ReadOutcome out;
  SegmentReader reader(PosixFs(), files);
  std::string_view rec;
  while (reader.Next(&rec)) {
    out.records.emplace_back(rec);
    out.positions.emplace_back(reader.segment(), reader.offset());
  }
  out.status = reader.status();
  out.corruption = reader.corruption();
  return out;
}

// One segment file read on its own, as index `index`.
inline ReadOutcome ReadSegmentFile(const std::string& path, int index = 0) {
  return ReadStream({SegmentFile{index, path}});
}

// Segments `first`..`last` of `dir` read as one stream.
inline ReadOutcome ReadSegments(const std::string& dir, int first, int last) {
  std::vector<SegmentFile> files;
  for (int i = first; i <= last; ++i) files.push_back({i, SegPath(dir, i)});
  return ReadStream(files);
}

// Every record of a WAL directory in replay order.
inline ReadOutcome ReadWal(const std::string& dir) {
  ReadOutcome out;
  auto plan = PlanWalRead(PosixFs(), dir);
  if (!plan.ok()) {
    out.status = plan.status();
    return out;
  }
  WalReader reader(PosixFs(), std::move(*plan));
  std::string_view rec;
  while (reader.Next(&rec)) {
    out.records.emplace_back(rec);
    out.positions.emplace_back(reader.segment(), reader.offset());
  }
  out.status = reader.status();
  out.corruption = reader.corruption();
  return out;
}

}  // namespace walproof::testutil
