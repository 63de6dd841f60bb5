// The constants of a Prometheus TSDB block directory (2.42, index format v2),
// shared by the writer and the reader so that the two cannot drift apart:
//
//   ULID/meta.json     ulid, time range [minTime, maxTime), stats, compaction
//   ULID/index         symbols, series, label indices, postings, TOC
//   ULID/chunks/000001 chunk segment files, 512 MiB at most each
//   ULID/tombstones    deletions still to apply (walproof writes none)
//
// A chunk is referenced from the index by (segment sequence << 32 | offset),
// the sequence counting from 0 for the file named 000001.
#pragma once

#include <cstdint>

namespace walproof::tsdb {

inline constexpr uint32_t kIndexMagic = 0xBAAAD700;
inline constexpr uint8_t kIndexVersion2 = 2;
inline constexpr uint32_t kChunksMagic = 0x85BD40DD;
inline constexpr uint8_t kChunksVersion1 = 1;
inline constexpr uint32_t kTombstonesMagic = 0x0130BA30;
inline constexpr uint8_t kTombstonesVersion1 = 1;

inline constexpr uint64_t kChunksHeaderSize = 8;  // magic, version, 3 bytes of padding
inline constexpr uint64_t kIndexHeaderSize = 5;   // magic, version
inline constexpr uint64_t kIndexTocSize = 6 * 8 + 4;
// Upstream cuts a new chunk segment file before it would pass this size.
inline constexpr uint64_t kMaxChunkSegmentSize = 512ull << 20;

// Chunk encodings (chunkenc.Encoding). 2.42 knows no float histogram chunk.
inline constexpr uint8_t kEncXor = 1;
inline constexpr uint8_t kEncHistogram = 2;

// Series entries start on 16-byte boundaries: a series' id is offset / 16.
inline constexpr uint64_t kSeriesAlignment = 16;

// The default block range of a head compaction: 2 hours in milliseconds.
inline constexpr int64_t kDefaultBlockDuration = 2 * 60 * 60 * 1000;

// Names inside a block directory, and the suffix upstream gives a block
// being written (tsdb.tmpForCreationBlockDirSuffix): a directory with it is
// an unfinished block that start-up deletes.
inline constexpr const char* kMetaFilename = "meta.json";
inline constexpr const char* kIndexFilename = "index";
inline constexpr const char* kChunksDirname = "chunks";
inline constexpr const char* kTombstonesFilename = "tombstones";
inline constexpr const char* kTmpForCreationSuffix = ".tmp-for-creation";

inline uint64_t ChunkRef(uint32_t segment_seq, uint32_t offset) {
  return uint64_t{segment_seq} << 32 | offset;
}
inline uint32_t ChunkRefSegment(uint64_t ref) { return static_cast<uint32_t>(ref >> 32); }
inline uint32_t ChunkRefOffset(uint64_t ref) { return static_cast<uint32_t>(ref); }

}  // namespace walproof::tsdb
