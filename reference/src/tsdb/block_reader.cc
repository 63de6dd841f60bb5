#include "walproof/tsdb/block_reader.h"

#include <algorithm>
#include <unordered_set>

#include "format/byte_cursor.h"
#include "tsdb/enc_buf.h"
#include "walproof/format/crc32c.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/chunk_writer.h"

namespace walproof::tsdb {

namespace {

Status CorruptAt(const std::string& path, uint64_t offset, const std::string& why) {
  return Status::Corruption(path + " at offset " + std::to_string(offset) + ": " + why);
}

// The body of a `len BE32 | body | CRC32` section at `offset` of an index
// whose sections must end by `limit` (the TOC).
Status SectionAt(std::string_view file, uint64_t offset, uint64_t limit, const std::string& path,
                 const char* what, std::string_view* body) {
  if (offset < kIndexHeaderSize || offset > limit || limit - offset < 8) {
    return CorruptAt(path, offset, std::string(what) + ": section outside the file");
  }
  const uint64_t len = LoadBE32(file.data() + offset);
  if (len > limit - offset - 8) {
    return CorruptAt(path, offset, std::string(what) + ": length " + std::to_string(len) + " runs past the end");
  }
  *body = file.substr(offset + 4, len);
  if (crc32c::Value(*body) != LoadBE32(file.data() + offset + 4 + len)) {
    return CorruptAt(path, offset, std::string(what) + ": checksum mismatch");
  }
  return Status::Ok();
}

}  // namespace

// A chunk segment file and a window of its bytes.
struct BlockReader::Segment {
  std::string path;
  std::unique_ptr<ReadableFile> file;
  uint64_t size = 0;
  std::string window;
  uint64_t window_offset = 0;

  // Bytes [offset, offset + n) of the file; n must fit in it.
  Status Bytes(uint64_t offset, size_t n, std::string_view* out) {
    if (offset < window_offset || offset + n > window_offset + window.size()) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max<size_t>(n, 1 << 20), size - offset));
      window.resize(want);
      size_t got = 0;
      WALPROOF_RETURN_IF_ERROR(file->Read(offset, want, window.data(), &got));
      window.resize(got);
      window_offset = offset;
      if (got < n) return CorruptAt(path, offset, "short read");
    }
    *out = std::string_view(window).substr(offset - window_offset, n);
    return Status::Ok();
  }
};

BlockReader::BlockReader(Fs& fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
BlockReader::~BlockReader() = default;

Result<std::unique_ptr<BlockReader>> BlockReader::Open(Fs& fs, const std::string& dir) {
  std::unique_ptr<BlockReader> r(new BlockReader(fs, dir));
  std::string bytes;
  const std::string meta_path = JoinPath(dir, kMetaFilename);
  WALPROOF_RETURN_IF_ERROR(ReadWholeFile(fs, meta_path, &bytes));
  auto meta = ParseBlockMeta(bytes, meta_path);
  if (!meta.ok()) return meta.status();
  r->meta_ = std::move(*meta);
  const std::string stones_path = JoinPath(dir, kTombstonesFilename);
  WALPROOF_RETURN_IF_ERROR(ReadWholeFile(fs, stones_path, &bytes));
  auto stones = DecodeTombstones(bytes, stones_path);
  if (!stones.ok()) return stones.status();
  r->tombstones_ = std::move(*stones);
  r->index_path_ = JoinPath(dir, kIndexFilename);
  WALPROOF_RETURN_IF_ERROR(ReadWholeFile(fs, r->index_path_, &r->index_));
  WALPROOF_RETURN_IF_ERROR(r->ParseIndex());
  WALPROOF_RETURN_IF_ERROR(r->OpenSegments());
  return r;
}

Status BlockReader::ParseIndex() {
  const std::string_view f = index_;
  const std::string& path = index_path_;
  if (f.size() < kIndexHeaderSize + kIndexTocSize) {
    return CorruptAt(path, 0, std::to_string(f.size()) + " bytes, too short for header and TOC");
  }
  if (LoadBE32(f.data()) != kIndexMagic) return CorruptAt(path, 0, "bad magic");
  if (static_cast<uint8_t>(f[4]) != kIndexVersion2) {
    return CorruptAt(path, 4, "unsupported index version " + std::to_string(static_cast<uint8_t>(f[4])));
  }
  const uint64_t toc_at = f.size() - kIndexTocSize;
  const std::string_view toc = f.substr(toc_at, 48);
  if (crc32c::Value(toc) != LoadBE32(f.data() + toc_at + 48)) return CorruptAt(path, toc_at, "TOC: checksum mismatch");
  uint64_t offs[6];
  for (int i = 0; i < 6; ++i) {
    offs[i] = LoadBE64(toc.data() + 8 * i);
    if (offs[i] > toc_at) return CorruptAt(path, toc_at + 8 * i, "TOC: offset " + std::to_string(offs[i]) + " past the TOC");
  }
  const uint64_t symbols_at = offs[0];
  const uint64_t label_table_at = offs[3];
  const uint64_t postings_table_at = offs[5];

  // Symbols.
  std::string_view body;
  WALPROOF_RETURN_IF_ERROR(SectionAt(f, symbols_at, toc_at, path, "symbol table", &body));
  if (body.size() < 4) return CorruptAt(path, symbols_at, "symbol table: no count");
  const uint32_t nsym = LoadBE32(body.data());
  ByteCursor c(body.substr(4));
  if (nsym > body.size()) return CorruptAt(path, symbols_at, "symbol table: count " + std::to_string(nsym) + " cannot fit");
  symbols_.reserve(nsym);
  for (uint32_t i = 0; i < nsym; ++i) {
    std::string_view s = c.String("symbol");
    if (!c.ok()) return CorruptAt(path, symbols_at + 8, "symbol table: " + c.error());
    if (!symbols_.empty() && !(symbols_.back() < s)) {
      return CorruptAt(path, symbols_at, "symbol table: symbol " + std::to_string(i) + " is not after the one before");
    }
    symbols_.emplace_back(s);
  }
  if (!c.empty()) return CorruptAt(path, symbols_at, "symbol table: bytes after the last symbol");

  // The label offset table: only checked, v2 readers do not use it.
  if (label_table_at != 0) WALPROOF_RETURN_IF_ERROR(SectionAt(f, label_table_at, toc_at, path, "label offset table", &body));

  // Postings offset table and every postings list.
  WALPROOF_RETURN_IF_ERROR(SectionAt(f, postings_table_at, toc_at, path, "postings offset table", &body));
  if (body.size() < 4) return CorruptAt(path, postings_table_at, "postings offset table: no count");
  const uint32_t nlists = LoadBE32(body.data());
  ByteCursor t(body.substr(4));
  std::unordered_set<uint32_t> in_lists;
  std::string prev_name, prev_value;
  for (uint32_t i = 0; i < nlists; ++i) {
    const uint64_t n = t.Uvarint("key count");
    std::string_view name = t.String("label name");
    std::string_view value = t.String("label value");
    const uint64_t at = t.Uvarint("postings offset");
    if (!t.ok()) return CorruptAt(path, postings_table_at + 8, "postings offset table: " + t.error());
    if (n != 2) return CorruptAt(path, postings_table_at, "postings offset table: entry " + std::to_string(i) + " has " + std::to_string(n) + " keys, not 2");
    if (i > 0 && !(std::pair(prev_name, prev_value) < std::pair(std::string(name), std::string(value)))) {
      return CorruptAt(path, postings_table_at, "postings offset table: entry " + std::to_string(i) + " out of order");
    }
    prev_name = name;
    prev_value = value;
    std::string_view list;
    WALPROOF_RETURN_IF_ERROR(SectionAt(f, at, toc_at, path, "postings list", &list));
    if (list.size() < 4 || (list.size() - 4) % 4 != 0 || LoadBE32(list.data()) != (list.size() - 4) / 4) {
      return CorruptAt(path, at, "postings list: entry count does not match its length");
    }
    const uint32_t entries = LoadBE32(list.data());
    const bool all = i == 0;
    if (all && (!name.empty() || !value.empty())) {
      return CorruptAt(path, postings_table_at, "postings offset table: the first list is not the all-series list");
    }
    for (uint32_t k = 0; k < entries; ++k) {
      const uint32_t id = LoadBE32(list.data() + 4 + 4 * k);
      if (k > 0 && id <= LoadBE32(list.data() + 4 * k)) {
        return CorruptAt(path, at + 8 + 4 * k, "postings list: series ids not increasing");
      }
      if (all) {
        series_ids_.push_back(id);
      } else if (!std::binary_search(series_ids_.begin(), series_ids_.end(), id)) {
        return CorruptAt(path, at + 8 + 4 * k, "postings list: series " + std::to_string(id) + " is not in the all-series list");
      }
      if (!all) in_lists.insert(id);
    }
  }
  if (!t.empty()) return CorruptAt(path, postings_table_at, "postings offset table: bytes after the last entry");
  postings_lists_ = nlists;
  if (nlists == 0 && symbols_.size() > 0) return CorruptAt(path, postings_table_at, "postings offset table: no all-series list");

  // Every series entry, decoded once to check it.
  IndexSeries s;
  for (uint32_t id : series_ids_) {
    WALPROOF_RETURN_IF_ERROR(ParseSeries(id, &s));
    if (!s.labels.empty() && !in_lists.count(id)) {
      return CorruptAt(path, uint64_t{id} * kSeriesAlignment, "series entry: in no postings list of its labels");
    }
  }
  return Status::Ok();
}

Status BlockReader::ParseSeries(uint32_t id, IndexSeries* out) const {
  const std::string_view f = index_;
  const std::string& path = index_path_;
  const uint64_t at = uint64_t{id} * kSeriesAlignment;
  const uint64_t limit = f.size() - kIndexTocSize;
  if (at < kIndexHeaderSize || at >= limit) return CorruptAt(path, at, "series entry: outside the file");
  ByteCursor len_cursor(f.substr(at, std::min<uint64_t>(10, limit - at)));
  const uint64_t len = len_cursor.Uvarint("series entry length");
  if (!len_cursor.ok()) return CorruptAt(path, at, "series entry: " + len_cursor.error());
  const uint64_t body_at = at + (std::min<uint64_t>(10, limit - at) - len_cursor.remaining());
  if (len > limit - body_at || limit - body_at - len < 4) return CorruptAt(path, at, "series entry: length " + std::to_string(len) + " runs past the end");
  const std::string_view body = f.substr(body_at, len);
  if (crc32c::Value(body) != LoadBE32(f.data() + body_at + len)) return CorruptAt(path, at, "series entry: checksum mismatch");
  ByteCursor c(body);
  out->id = id;
  out->labels.clear();
  out->chunks.clear();
  const size_t nlabels = c.Count("label count", 2);
  for (size_t i = 0; i < nlabels && c.ok(); ++i) {
    const uint64_t name = c.Uvarint("label name ref");
    const uint64_t value = c.Uvarint("label value ref");
    if (!c.ok()) break;
    if (name >= symbols_.size() || value >= symbols_.size()) {
      return CorruptAt(path, at, "series entry: symbol reference " + std::to_string(std::max(name, value)) + " of " +
                                     std::to_string(symbols_.size()) + " symbols");
    }
    if (!out->labels.empty() && !(out->labels.back().name < symbols_[name])) {
      return CorruptAt(path, at, "series entry: label names not sorted");
    }
    out->labels.push_back({symbols_[name], symbols_[value]});
  }
  const size_t nchunks = c.Count("chunk count", 3);
  for (size_t i = 0; i < nchunks && c.ok(); ++i) {
    ChunkMeta m;
    if (i == 0) {
      m.mint = c.Varint("chunk mint");
      m.maxt = m.mint + static_cast<int64_t>(c.Uvarint("chunk maxt delta"));
      m.ref = c.Uvarint("chunk ref");
    } else {
      const ChunkMeta& p = out->chunks.back();
      m.mint = p.maxt + static_cast<int64_t>(c.Uvarint("chunk mint delta"));
      m.maxt = m.mint + static_cast<int64_t>(c.Uvarint("chunk maxt delta"));
      m.ref = p.ref + static_cast<uint64_t>(c.Varint("chunk ref delta"));
    }
    if (!c.ok()) break;
    if (i > 0 && m.mint <= out->chunks.back().maxt) return CorruptAt(path, at, "series entry: chunks overlap");
    if (m.mint < meta_.min_time || m.maxt >= meta_.max_time || m.maxt < m.mint) {
      return CorruptAt(path, at, "series entry: chunk [" + std::to_string(m.mint) + ", " + std::to_string(m.maxt) +
                                     "] outside the block's range");
    }
    out->chunks.push_back(m);
  }
  if (!c.ok()) return CorruptAt(path, at, "series entry: " + c.error());
  if (!c.empty()) return CorruptAt(path, at, "series entry: bytes after the last chunk");
  return Status::Ok();
}

Status BlockReader::ForEachSeries(const std::function<Status(const IndexSeries&)>& fn) const {
  IndexSeries s;
  for (uint32_t id : series_ids_) {
    WALPROOF_RETURN_IF_ERROR(ParseSeries(id, &s));
    WALPROOF_RETURN_IF_ERROR(fn(s));
  }
  return Status::Ok();
}

Status BlockReader::OpenSegments() {
  const std::string chunks_dir = JoinPath(dir_, kChunksDirname);
  auto listing = fs_.ListDir(chunks_dir);
  if (!listing.ok()) return listing.status();
  std::vector<std::string> names;
  for (const DirEntry& e : *listing) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != ChunkSegmentName(static_cast<uint32_t>(i))) {
      return Status::Corruption(chunks_dir + ": expected chunk file " + ChunkSegmentName(static_cast<uint32_t>(i)) +
                                ", found " + names[i]);
    }
    auto seg = std::make_unique<Segment>();
    seg->path = JoinPath(chunks_dir, names[i]);
    auto file = fs_.OpenForRead(seg->path);
    if (!file.ok()) return file.status();
    seg->file = std::move(*file);
    seg->size = seg->file->Size();
    std::string_view header;
    if (seg->size < kChunksHeaderSize) return CorruptAt(seg->path, 0, "shorter than the 8-byte header");
    WALPROOF_RETURN_IF_ERROR(seg->Bytes(0, kChunksHeaderSize, &header));
    if (LoadBE32(header.data()) != kChunksMagic) return CorruptAt(seg->path, 0, "bad magic");
    if (static_cast<uint8_t>(header[4]) != kChunksVersion1) {
      return CorruptAt(seg->path, 4, "unsupported version " + std::to_string(static_cast<uint8_t>(header[4])));
    }
    segments_.push_back(std::move(seg));
  }
  return Status::Ok();
}

Status BlockReader::ReadChunk(uint64_t ref, uint8_t* encoding, std::string_view* data, uint32_t* crc) {
  const uint32_t seq = ChunkRefSegment(ref);
  const uint64_t off = ChunkRefOffset(ref);
  if (seq >= segments_.size()) {
    return Status::Corruption(JoinPath(dir_, kChunksDirname) + ": chunk ref " + std::to_string(ref) + " names file " +
                              ChunkSegmentName(seq) + ", which does not exist");
  }
  Segment& seg = *segments_[seq];
  if (off < kChunksHeaderSize || off >= seg.size) return CorruptAt(seg.path, off, "chunk outside the file");
  std::string_view head;
  WALPROOF_RETURN_IF_ERROR(seg.Bytes(off, static_cast<size_t>(std::min<uint64_t>(11, seg.size - off)), &head));
  ByteCursor c(head);
  const uint64_t len = c.Uvarint("chunk length");
  if (!c.ok()) return CorruptAt(seg.path, off, c.error());
  const uint64_t len_size = head.size() - c.remaining();
  if (len > seg.size - off - len_size || seg.size - off - len_size - len < 5) {
    return CorruptAt(seg.path, off, "chunk length " + std::to_string(len) + " runs past the end");
  }
  std::string_view whole;
  WALPROOF_RETURN_IF_ERROR(seg.Bytes(off + len_size, static_cast<size_t>(len + 5), &whole));
  const uint32_t stored = LoadBE32(whole.data() + len + 1);
  if (crc32c::Value(whole.substr(0, len + 1)) != stored) return CorruptAt(seg.path, off, "chunk checksum mismatch");
  if (crc) *crc = stored;
  *encoding = static_cast<uint8_t>(whole[0]);
  *data = whole.substr(1, len);
  return Status::Ok();
}

}  // namespace walproof::tsdb
