#include "walproof/tsdb/chunk_writer.h"

#include <cstdio>

#include "tsdb/enc_buf.h"
#include "tsdb/file_sink.h"
#include "walproof/format/crc32c.h"
#include "walproof/tsdb/block_format.h"

namespace walproof::tsdb {

std::string ChunkSegmentName(uint32_t seq) {
  char name[16];
  std::snprintf(name, sizeof name, "%06u", seq + 1);
  return name;
}

ChunkWriter::ChunkWriter(Fs& fs, std::string dir, uint64_t max_segment_size)
    : fs_(fs), dir_(std::move(dir)), max_segment_size_(max_segment_size) {}

ChunkWriter::~ChunkWriter() = default;

Status ChunkWriter::Cut() {
  if (file_) WALPROOF_RETURN_IF_ERROR(file_->Finish());
  auto file = FileSink::Create(fs_, JoinPath(dir_, ChunkSegmentName(seq_)));
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  ++seq_;
  EncBuf header;
  header.BE32(kChunksMagic);
  header.U8(kChunksVersion1);
  header.Bytes(std::string_view("\0\0\0", 3));
  bytes_ += header.size();
  return file_->Write(header.str());
}

Status ChunkWriter::Add(uint8_t encoding, std::string_view data, uint64_t* ref, uint32_t* crc_out) {
  const uint64_t size = UvarintSize(data.size()) + 1 + data.size() + 4;
  // A fresh file takes any chunk, however large, so that one never loops.
  if (!file_ || (file_->offset() > kChunksHeaderSize && file_->offset() + size > max_segment_size_)) {
    WALPROOF_RETURN_IF_ERROR(Cut());
  }
  *ref = ChunkRef(seq_ - 1, static_cast<uint32_t>(file_->offset()));
  EncBuf head;
  head.Uvarint(data.size());
  head.U8(encoding);
  const char enc = static_cast<char>(encoding);
  const uint32_t crc = crc32c::Extend(crc32c::Extend(0, &enc, 1), data.data(), data.size());
  if (crc_out) *crc_out = crc;
  EncBuf tail;
  tail.BE32(crc);
  WALPROOF_RETURN_IF_ERROR(file_->Write(head.str()));
  WALPROOF_RETURN_IF_ERROR(file_->Write(data));
  WALPROOF_RETURN_IF_ERROR(file_->Write(tail.str()));
  ++chunks_;
  bytes_ += size;
  return Status::Ok();
}

Status ChunkWriter::Finish() {
  if (!file_) return Status::Ok();  // no chunk, no file
  Status st = file_->Finish();
  file_.reset();
  return st;
}

}  // namespace walproof::tsdb
