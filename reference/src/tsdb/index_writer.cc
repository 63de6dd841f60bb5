#include "walproof/tsdb/index_writer.h"

#include <algorithm>
#include <limits>
#include <map>

#include "tsdb/enc_buf.h"
#include "tsdb/file_sink.h"
#include "walproof/format/crc32c.h"
#include "walproof/tsdb/block_format.h"

namespace walproof::tsdb {

namespace {

// `len BE32 | body | CRC-32C(body)`.
std::string Section(const std::string& body) {
  EncBuf out;
  out.BE32(static_cast<uint32_t>(body.size()));
  out.Bytes(body);
  out.BE32(crc32c::Value(body));
  return std::move(out.str());
}

}  // namespace

IndexWriter::IndexWriter(std::unique_ptr<FileSink> file) : file_(std::move(file)) {}
IndexWriter::~IndexWriter() = default;

Result<std::unique_ptr<IndexWriter>> IndexWriter::Create(Fs& fs, const std::string& path) {
  auto file = FileSink::Create(fs, path);
  if (!file.ok()) return file.status();
  std::unique_ptr<IndexWriter> w(new IndexWriter(std::move(*file)));
  EncBuf header;
  header.BE32(kIndexMagic);
  header.U8(kIndexVersion2);
  WALPROOF_RETURN_IF_ERROR(w->file_->Write(header.str()));
  return w;
}

Status IndexWriter::WritePadded(std::string& bytes, uint64_t align) {
  const uint64_t pad = (align - file_->offset() % align) % align;
  WALPROOF_RETURN_IF_ERROR(file_->Write(std::string(pad, '\0')));
  return file_->Write(bytes);
}

Status IndexWriter::AddSymbols(std::vector<std::string> symbols) {
  if (!std::is_sorted(symbols.begin(), symbols.end()) ||
      std::adjacent_find(symbols.begin(), symbols.end()) != symbols.end()) {
    return Status::InvalidArgument("index symbols must be sorted and unique");
  }
  if (symbols.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("too many symbols for one index");
  }
  symbols_ = std::move(symbols);
  symbol_ids_.reserve(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) symbol_ids_.emplace(symbols_[i], static_cast<uint32_t>(i));
  EncBuf body;
  body.BE32(static_cast<uint32_t>(symbols_.size()));
  for (const std::string& s : symbols_) body.String(s);
  symbols_offset_ = file_->offset();
  WALPROOF_RETURN_IF_ERROR(file_->Write(Section(body.str())));
  // The series section starts on its first entry's boundary.
  const uint64_t pad = (kSeriesAlignment - file_->offset() % kSeriesAlignment) % kSeriesAlignment;
  WALPROOF_RETURN_IF_ERROR(file_->Write(std::string(pad, '\0')));
  series_offset_ = file_->offset();
  return Status::Ok();
}

Status IndexWriter::Symbol(const std::string& s, uint32_t* id) const {
  auto it = symbol_ids_.find(s);
  if (it == symbol_ids_.end()) return Status::InvalidArgument("label string missing from the symbols: " + s);
  *id = it->second;
  return Status::Ok();
}

Status IndexWriter::SymbolRefs(const Labels& labels, std::vector<uint32_t>* refs) const {
  refs->resize(2 * labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    WALPROOF_RETURN_IF_ERROR(Symbol(labels[i].name, &(*refs)[2 * i]));
    WALPROOF_RETURN_IF_ERROR(Symbol(labels[i].value, &(*refs)[2 * i + 1]));
  }
  return Status::Ok();
}

Status IndexWriter::AddSeries(const std::vector<uint32_t>& label_refs, const std::vector<ChunkMeta>& chunks) {
  if (label_refs.size() % 2 != 0) return Status::InvalidArgument("label symbol refs come in name, value pairs");
  EncBuf body;
  body.Uvarint(label_refs.size() / 2);
  for (uint32_t ref : label_refs) {
    if (ref >= symbols_.size()) return Status::InvalidArgument("label symbol ref " + std::to_string(ref) + " is no symbol");
    body.Uvarint(ref);
  }
  body.Uvarint(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkMeta& c = chunks[i];
    if (c.maxt < c.mint || (i > 0 && c.mint <= chunks[i - 1].maxt)) {
      return Status::InvalidArgument("index chunks must be in time order and not overlap");
    }
    if (i == 0) {
      body.Varint(c.mint);
      body.Uvarint(static_cast<uint64_t>(c.maxt - c.mint));
      body.Uvarint(c.ref);
    } else {
      body.Uvarint(static_cast<uint64_t>(c.mint - chunks[i - 1].maxt));
      body.Uvarint(static_cast<uint64_t>(c.maxt - c.mint));
      body.Varint(static_cast<int64_t>(c.ref - chunks[i - 1].ref));
    }
  }
  EncBuf entry;
  entry.Uvarint(body.size());
  entry.Bytes(body.str());
  entry.BE32(crc32c::Value(body.str()));
  const uint64_t pad = (kSeriesAlignment - file_->offset() % kSeriesAlignment) % kSeriesAlignment;
  const uint64_t id = (file_->offset() + pad) / kSeriesAlignment;
  if (id > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("series section exceeds what 32-bit series ids address");
  }
  WALPROOF_RETURN_IF_ERROR(WritePadded(entry.str(), kSeriesAlignment));
  all_.push_back(static_cast<uint32_t>(id));
  for (size_t i = 0; i < label_refs.size(); i += 2) {
    postings_[uint64_t{label_refs[i]} << 32 | label_refs[i + 1]].push_back(static_cast<uint32_t>(id));
  }
  return Status::Ok();
}

Status IndexWriter::WriteLabelIndices(uint64_t* indices_start, uint64_t* offset_table) {
  // Values per name, both as symbol numbers, in order.
  std::map<uint32_t, std::vector<uint32_t>> values;
  for (const auto& [key, ids] : postings_) values[static_cast<uint32_t>(key >> 32)].push_back(static_cast<uint32_t>(key));
  *indices_start = file_->offset();
  EncBuf table;
  table.BE32(static_cast<uint32_t>(values.size()));
  for (auto& [name, vals] : values) {
    std::sort(vals.begin(), vals.end());
    EncBuf body;
    body.BE32(1);  // one label name per index
    body.BE32(static_cast<uint32_t>(vals.size()));
    for (uint32_t v : vals) body.BE32(v);
    const uint64_t pad = (4 - file_->offset() % 4) % 4;
    table.U8(1);
    table.String(symbols_[name]);
    table.Uvarint(file_->offset() + pad);
    std::string section = Section(body.str());
    WALPROOF_RETURN_IF_ERROR(WritePadded(section, 4));
  }
  *offset_table = file_->offset();
  return file_->Write(Section(table.str()));
}

Status IndexWriter::WritePostings(uint64_t* postings_start, uint64_t* offset_table) {
  std::vector<uint64_t> keys;
  keys.reserve(postings_.size());
  for (const auto& entry : postings_) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  *postings_start = file_->offset();
  EncBuf table;
  table.BE32(static_cast<uint32_t>(keys.size() + 1));
  auto write_list = [&](const std::string& name, const std::string& value,
                        const std::vector<uint32_t>& ids) -> Status {
    EncBuf body;
    body.BE32(static_cast<uint32_t>(ids.size()));
    for (uint32_t id : ids) body.BE32(id);
    const uint64_t pad = (4 - file_->offset() % 4) % 4;
    table.U8(2);
    table.String(name);
    table.String(value);
    table.Uvarint(file_->offset() + pad);
    std::string section = Section(body.str());
    return WritePadded(section, 4);
  };
  // The list of every series, under the empty label pair, comes first.
  WALPROOF_RETURN_IF_ERROR(write_list("", "", all_));
  for (uint64_t key : keys) {
    WALPROOF_RETURN_IF_ERROR(write_list(symbols_[key >> 32], symbols_[static_cast<uint32_t>(key)], postings_[key]));
  }
  *offset_table = file_->offset();
  return file_->Write(Section(table.str()));
}

Status IndexWriter::Finish() {
  uint64_t label_indices = 0;
  uint64_t label_table = 0;
  uint64_t postings = 0;
  uint64_t postings_table = 0;
  WALPROOF_RETURN_IF_ERROR(WriteLabelIndices(&label_indices, &label_table));
  WALPROOF_RETURN_IF_ERROR(WritePostings(&postings, &postings_table));
  EncBuf toc;
  toc.BE64(symbols_offset_);
  toc.BE64(series_offset_);
  toc.BE64(label_indices);
  toc.BE64(label_table);
  toc.BE64(postings);
  toc.BE64(postings_table);
  toc.BE32(crc32c::Value(toc.str()));
  WALPROOF_RETURN_IF_ERROR(file_->Write(toc.str()));
  return file_->Finish();
}

}  // namespace walproof::tsdb
