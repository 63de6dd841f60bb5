// BlockWriter: one TSDB block, written the way upstream's LeveledCompactor
// writes one (tsdb/compact.go, 2.42), so that a crash at any point leaves
// either no block or a whole one:
//
//   1. everything goes into PARENT/ULID.tmp-for-creation/ (chunks/, index,
//      meta.json, tombstones), each file fsynced when complete, chunks/
//      fsynced after its files;
//   2. the temporary directory is fsynced, renamed to PARENT/ULID, and
//      PARENT is fsynced.
// Prometheus deletes a *.tmp-for-creation directory at start-up, so a block
// cut short is never read. meta.json and tombstones are written through
// NAME.tmp and a rename, as upstream does, though inside a directory nobody
// reads yet that is a nicety rather than a need.
//
// Usage: Begin with the block's symbols, AddSeries in label order, Finish.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/io/fs.h"
#include "walproof/tsdb/block_digest.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/index_writer.h"

namespace walproof::tsdb {

class ChunkWriter;

// One encoded chunk of a series and the range it covers. The bytes are the
// caller's (a head's chunk, say), read during AddSeries only.
struct EncodedChunk {
  uint8_t encoding = 0;
  std::string_view bytes;
  int64_t mint = 0;
  int64_t maxt = 0;
  uint32_t samples = 0;
};

struct BlockWriterOptions {
  uint64_t max_chunk_segment_size = 512ull << 20;
};

class BlockWriter {
 public:
  // `meta` gives the ULID and time range; its stats are filled in here.
  static Result<std::unique_ptr<BlockWriter>> Begin(Fs& fs, const std::string& parent, const BlockMeta& meta,
                                                    std::vector<std::string> symbols,
                                                    BlockWriterOptions options = {});
  ~BlockWriter();

  Status AddSeries(const Labels& labels, const std::vector<EncodedChunk>& chunks);
  // The same with the labels also given as their symbols' positions in the
  // sorted symbols Begin took (name, value, ...): a caller writing a series
  // into several blocks with the same symbols looks its strings up once.
  Status AddSeries(const std::vector<LabelView>& labels, const std::vector<uint32_t>& label_refs,
                   const std::vector<EncodedChunk>& chunks);
  // Steps 1 and 2 above. The block is in place when this returns Ok.
  Status Finish();

  const BlockMeta& meta() const { return meta_; }
  // Of what AddSeries was given (block_digest.h): CheckBlock on the block
  // computes the same value from the disk.
  uint64_t digest() const { return digest_.value(); }
  std::string final_dir() const;
  std::string tmp_dir() const;

 private:
  BlockWriter(Fs& fs, std::string parent, BlockMeta meta);

  Fs& fs_;
  std::string parent_;
  BlockMeta meta_;
  std::unique_ptr<ChunkWriter> chunks_;
  std::unique_ptr<IndexWriter> index_;
  std::vector<ChunkMeta> scratch_;
  BlockDigest digest_;
};

// Writes `data` to DIR/NAME.tmp, fsyncs it, renames it to DIR/NAME.
Status WriteFileViaRename(Fs& fs, const std::string& dir, const std::string& name, std::string_view data);

}  // namespace walproof::tsdb
