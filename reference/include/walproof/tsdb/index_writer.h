// IndexWriter: a block's index file, format v2 (tsdb/index, 2.42), written
// front to back in one pass:
//
//   magic 0xBAAAD700, version 2
//   symbols        every label name and value, sorted, each once
//   series         16-byte aligned entries: labels as symbol numbers, then
//                  the chunks (mint, maxt, ref; later ones as deltas)
//   label indices  per label name its values (unused by v2 readers, written
//                  as upstream does), then their offset table
//   postings       per label pair the ids (offset / 16) of its series, the
//                  all-series list (name and value empty) first
//   postings offset table, then the TOC: six section offsets and a CRC
//
// Every section but the series is `len BE32 | body | CRC-32C(body)`; a series
// entry is `len uvarint | body | CRC-32C(body)`.
//
// The caller gives the symbols first, then the series in Prometheus's label
// order (labels.Compare), each with its chunks in time order. Only postings
// stay in memory (4 bytes per label pair of every series); series entries go
// to the file as they come.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/io/fs.h"

namespace walproof::tsdb {

class FileSink;

struct ChunkMeta {
  int64_t mint = 0;
  int64_t maxt = 0;
  uint64_t ref = 0;
};

class IndexWriter {
 public:
  static Result<std::unique_ptr<IndexWriter>> Create(Fs& fs, const std::string& path);
  ~IndexWriter();

  // Sorted, without duplicates; every name and value AddSeries will use.
  Status AddSymbols(std::vector<std::string> symbols);
  // Labels sorted by name; series in label order; chunks in time order and
  // not overlapping.
  // The labels as symbol numbers, name then value (SymbolRefs, or positions
  // in the sorted symbols): several indexes with the same symbols look a
  // series' strings up once.
  Status AddSeries(const std::vector<uint32_t>& label_refs, const std::vector<ChunkMeta>& chunks);
  // The symbol numbers of the labels' names and values, name then value.
  Status SymbolRefs(const Labels& labels, std::vector<uint32_t>* refs) const;
  // The remaining sections and the TOC; fsyncs and closes the file.
  Status Finish();

  uint64_t series() const { return all_.size(); }

 private:
  explicit IndexWriter(std::unique_ptr<FileSink> file);
  Status Symbol(const std::string& s, uint32_t* id) const;
  Status WritePadded(std::string& bytes, uint64_t align);
  Status WriteLabelIndices(uint64_t* indices_start, uint64_t* offset_table);
  Status WritePostings(uint64_t* postings_start, uint64_t* offset_table);

  std::unique_ptr<FileSink> file_;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string_view, uint32_t> symbol_ids_;
  uint64_t symbols_offset_ = 0;
  uint64_t series_offset_ = 0;
  std::vector<uint32_t> all_;
  // Key: name symbol << 32 | value symbol. Symbols are sorted, so key order
  // is label pair order.
  std::unordered_map<uint64_t, std::vector<uint32_t>> postings_;
  std::string scratch_;
};

}  // namespace walproof::tsdb
