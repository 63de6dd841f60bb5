#include "walproof/tsdb/block_writer.h"

#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/chunk_writer.h"
#include "walproof/tsdb/tombstones_file.h"

namespace walproof::tsdb {

Status WriteFileViaRename(Fs& fs, const std::string& dir, const std::string& name, std::string_view data) {
  const std::string path = JoinPath(dir, name);
  WALPROOF_RETURN_IF_ERROR(WriteWholeFile(fs, path + ".tmp", data));
  return fs.Rename(path + ".tmp", path);
}

BlockWriter::BlockWriter(Fs& fs, std::string parent, BlockMeta meta)
    : fs_(fs), parent_(std::move(parent)), meta_(std::move(meta)) {}
BlockWriter::~BlockWriter() = default;

std::string BlockWriter::final_dir() const { return JoinPath(parent_, meta_.ulid); }
std::string BlockWriter::tmp_dir() const { return final_dir() + kTmpForCreationSuffix; }

Result<std::unique_ptr<BlockWriter>> BlockWriter::Begin(Fs& fs, const std::string& parent, const BlockMeta& meta,
                                                        std::vector<std::string> symbols,
                                                        BlockWriterOptions options) {
  if (!IsUlid(meta.ulid)) return Status::InvalidArgument("not a ULID: " + meta.ulid);
  std::unique_ptr<BlockWriter> w(new BlockWriter(fs, parent, meta));
  w->meta_.stats = {};
  const std::string tmp = w->tmp_dir();
  auto there = fs.Stat(tmp);
  if (!there.ok()) return there.status();
  if (*there != FileKind::kMissing) WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, tmp));
  WALPROOF_RETURN_IF_ERROR(fs.MakeDir(tmp));
  WALPROOF_RETURN_IF_ERROR(fs.MakeDir(JoinPath(tmp, kChunksDirname)));
  w->chunks_ = std::make_unique<ChunkWriter>(fs, JoinPath(tmp, kChunksDirname), options.max_chunk_segment_size);
  auto index = IndexWriter::Create(fs, JoinPath(tmp, kIndexFilename));
  if (!index.ok()) return index.status();
  w->index_ = std::move(*index);
  WALPROOF_RETURN_IF_ERROR(w->index_->AddSymbols(std::move(symbols)));
  return w;
}

Status BlockWriter::AddSeries(const Labels& labels, const std::vector<EncodedChunk>& chunks) {
  std::vector<uint32_t> refs;
  WALPROOF_RETURN_IF_ERROR(index_->SymbolRefs(labels, &refs));
  std::vector<LabelView> views;
  for (const Label& l : labels) views.push_back({l.name, l.value});
  return AddSeries(views, refs, chunks);
}

Status BlockWriter::AddSeries(const std::vector<LabelView>& labels, const std::vector<uint32_t>& label_refs,
                              const std::vector<EncodedChunk>& chunks) {
  scratch_.clear();
  digest_.BeginSeries(labels);
  for (const EncodedChunk& c : chunks) {
    if (c.mint < meta_.min_time || c.maxt >= meta_.max_time) {
      return Status::InvalidArgument("chunk [" + std::to_string(c.mint) + ", " + std::to_string(c.maxt) +
                                     "] outside the block's range");
    }
    ChunkMeta m{c.mint, c.maxt, 0};
    uint32_t crc = 0;
    WALPROOF_RETURN_IF_ERROR(chunks_->Add(c.encoding, c.bytes, &m.ref, &crc));
    scratch_.push_back(m);
    digest_.AddChunk(c.encoding, c.mint, c.maxt, c.samples, crc);
    meta_.stats.samples += c.samples;
  }
  WALPROOF_RETURN_IF_ERROR(index_->AddSeries(label_refs, scratch_));
  ++meta_.stats.series;
  meta_.stats.chunks += chunks.size();
  return Status::Ok();
}

Status BlockWriter::Finish() {
  const std::string tmp = tmp_dir();
  WALPROOF_RETURN_IF_ERROR(chunks_->Finish());
  WALPROOF_RETURN_IF_ERROR(fs_.SyncDir(JoinPath(tmp, kChunksDirname)));
  WALPROOF_RETURN_IF_ERROR(index_->Finish());
  WALPROOF_RETURN_IF_ERROR(WriteFileViaRename(fs_, tmp, kMetaFilename, EncodeBlockMeta(meta_)));
  WALPROOF_RETURN_IF_ERROR(WriteFileViaRename(fs_, tmp, kTombstonesFilename, EncodeTombstones({})));
  WALPROOF_RETURN_IF_ERROR(fs_.SyncDir(tmp));
  auto there = fs_.Stat(final_dir());
  if (!there.ok()) return there.status();
  if (*there != FileKind::kMissing) return Status::AlreadyExists("block " + final_dir() + " already exists");
  WALPROOF_RETURN_IF_ERROR(fs_.Rename(tmp, final_dir()));
  return fs_.SyncDir(parent_);
}

}  // namespace walproof::tsdb
