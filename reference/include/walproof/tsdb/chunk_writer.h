// ChunkWriter: the chunks/ directory of a block (tsdb/chunks, 2.42): segment
// files 000001, 000002, ... each an 8-byte header (magic, version 1, three
// zero bytes) then chunks, each
//
//   len(data) uvarint | encoding byte | data | CRC-32C(encoding, data) BE32
//
// A new file is started before a chunk would take the current one past
// 512 MiB. Add returns the chunk's reference for the index: the file's
// sequence (from 0 for 000001) in the high 32 bits, its offset in the low.
// Finish fsyncs and closes every file; the caller fsyncs the directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "walproof/io/fs.h"

namespace walproof::tsdb {

class FileSink;

class ChunkWriter {
 public:
  // `dir` is the block's chunks/ directory, which must exist.
  ChunkWriter(Fs& fs, std::string dir, uint64_t max_segment_size);
  ~ChunkWriter();

  // Where it went into *ref; its CRC-32C (of encoding and data) into *crc.
  Status Add(uint8_t encoding, std::string_view data, uint64_t* ref, uint32_t* crc = nullptr);
  Status Finish();

  uint64_t chunks() const { return chunks_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Status Cut();

  Fs& fs_;
  std::string dir_;
  uint64_t max_segment_size_;
  std::unique_ptr<FileSink> file_;
  uint32_t seq_ = 0;  // sequence of the open file + 1 (0: none yet)
  uint64_t chunks_ = 0;
  uint64_t bytes_ = 0;
};

// "000001" for sequence 0: the name of a chunk segment file.
std::string ChunkSegmentName(uint32_t seq);

}  // namespace walproof::tsdb
