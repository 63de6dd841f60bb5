// BlockReader: reads a TSDB block back from disk and trusts none of it.
//
// Open() reads meta.json, tombstones and the whole index, checking the index
// header, the TOC's CRC and every offset in it, the symbol table (CRC, sorted
// and unique), the postings offset table and every postings list (CRC,
// strictly increasing ids that each name a series entry), and every series
// entry (CRC, symbol numbers in range, labels sorted, chunks in time order
// inside the block's range). ReadChunk() checks a chunk's bounds in its
// segment file, the file's header and the chunk's CRC.
//
// Every failure is a Corruption whose message starts with the file and the
// offset: "BLOCK/index at offset 1234: series entry: checksum mismatch". The
// index file is held in memory (a few percent of the block); chunks are
// read through a window of the segment file, so reading a block's chunks in
// index order reads each file once, front to back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/io/fs.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/index_writer.h"
#include "walproof/tsdb/tombstones_file.h"

namespace walproof::tsdb {

struct IndexSeries {
  uint32_t id = 0;  // offset / 16
  Labels labels;
  std::vector<ChunkMeta> chunks;
};

class BlockReader {
 public:
  static Result<std::unique_ptr<BlockReader>> Open(Fs& fs, const std::string& dir);
  ~BlockReader();

  const std::string& dir() const { return dir_; }
  const BlockMeta& meta() const { return meta_; }
  const std::vector<Tombstone>& tombstones() const { return tombstones_; }
  const std::vector<std::string>& symbols() const { return symbols_; }
  size_t num_series() const { return series_ids_.size(); }
  // Every series in index order, which is label order. The entries were
  // checked by Open(); they are decoded again here rather than kept, so that
  // a reader holds the index bytes and not a copy of every label set.
  Status ForEachSeries(const std::function<Status(const IndexSeries&)>& fn) const;
  // Label pairs of the postings offset table (the empty pair first).
  size_t postings_lists() const { return postings_lists_; }

  // The chunk at `ref`: its encoding and bytes (valid until the next call),
  // and its CRC-32C, checked against them.
  Status ReadChunk(uint64_t ref, uint8_t* encoding, std::string_view* data, uint32_t* crc = nullptr);

 private:
  struct Segment;
  BlockReader(Fs& fs, std::string dir);
  Status ParseIndex();
  Status ParseSeries(uint32_t id, IndexSeries* out) const;
  Status OpenSegments();

  Fs& fs_;
  std::string dir_;
  BlockMeta meta_;
  std::vector<Tombstone> tombstones_;
  std::vector<std::string> symbols_;
  std::string index_;
  std::string index_path_;
  std::vector<uint32_t> series_ids_;
  size_t postings_lists_ = 0;
  std::vector<std::unique_ptr<Segment>> segments_;
};

}  // namespace walproof::tsdb
