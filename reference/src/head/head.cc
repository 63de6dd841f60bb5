// The head replay rebuilds (head.h has the semantics). Layout choices, all for
// replay speed and memory:
// - Series sit in fixed blocks that never move, numbered densely; refs map to
//   them through RefIndex, a plain array while refs are dense (Prometheus
//   hands them out 1, 2, 3, ...) and an open-addressing table beyond.
// - Label names and values are interned: each distinct string is stored once
//   (Prometheus's label sets repeat job, instance, __name__ ... across
//   thousands of series), and a series keeps its label set as uvarint symbol
//   ids, packed in an arena. The label index is an open-addressing multimap
//   from a hash of those ids to series.
// - Float samples are XOR chunks. The open chunk of a series has its own
//   buffer; a full chunk is copied into an arena (one per append lane, so
//   parallel appenders need no lock) behind an 18-byte header linking it to
//   the series' previous chunk and giving its last time. No per-chunk allocation, no vector of chunks.
// - Everything rarer (histograms, tombstones, exemplars, metadata) hangs off
//   a pointer that is null for most series.
//
// This file: the head's life (blocks, indexes, lanes) and its series:
// creating them, finding them by ref or by labels, reading their labels.
// Appends, histograms, tombstones, exemplars, metadata and reading floats
// back each have their own file next to it.
#include "walproof/head/head.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "head/append_lane.h"
#include "head/arena.h"
#include "head/label_bytes.h"
#include "head/label_index.h"
#include "head/ref_index.h"
#include "head/series.h"
#include "head/symbol_table.h"

namespace walproof {
using head_internal::GetUvarint;
using head_internal::HashBytes;
using head_internal::PutUvarint;

Head::Head(HeadOptions options)
    : options_(options),
      // calloc: untouched pages of the block table cost no memory.
      blocks_(static_cast<Series**>(std::calloc(kNumBlocks, sizeof(Series*))), std::free),
      refs_(std::make_unique<RefIndex>()),
      labels_(std::make_unique<LabelIndex>()),
      label_arena_(std::make_unique<Arena>()),
      symbols_(std::make_unique<SymbolTable>(label_arena_.get())) {
  if (!blocks_) throw std::bad_alloc();
  lanes_.push_back(std::make_unique<Lane>());
}

Head::~Head() {
  for (size_t id = 0; id < num_series_; ++id) at(static_cast<SeriesId>(id)).~Series();
  for (size_t b = 0; b < kNumBlocks && blocks_[b] != nullptr; ++b) {
    ::operator delete(blocks_[b], std::align_val_t{alignof(Series)});
  }
}

SeriesId Head::NewSeries(uint64_t ref, std::string_view encoded) {
  const size_t id = num_series_;
  Series*& block = blocks_[id >> kBlockBits];
  if (block == nullptr) {
    block = static_cast<Series*>(
        ::operator new(kBlockSize * sizeof(Series), std::align_val_t{alignof(Series)}));
  }
  std::string size;
  PutUvarint(encoded.size(), &size);
  char* labels = label_arena_->Allocate(size.size() + encoded.size());
  std::memcpy(labels, size.data(), size.size());
  std::memcpy(labels + size.size(), encoded.data(), encoded.size());
  new (&block[id & (kBlockSize - 1)]) Series(ref, labels);
  ++num_series_;
  return static_cast<SeriesId>(id);
}

void Head::SetAppendLanes(size_t n) {
  while (lanes_.size() < n) lanes_.push_back(std::make_unique<Lane>());
}

bool Head::SymbolizeLabels(const Labels& labels, bool intern, std::string* out) const {
  out->clear();
  PutUvarint(labels.size(), out);
  for (const Label& l : labels) {
    for (const std::string* str : {&l.name, &l.value}) {
      const uint32_t sym = intern ? symbols_->Intern(*str) : symbols_->Find(*str);
      if (sym == SymbolTable::kNone) return false;
      PutUvarint(sym, out);
    }
  }
  return true;
}

void Head::AddSeries(uint64_t ref, const Labels& labels) {
  std::string& encoded = scratch_labels_;
  SymbolizeLabels(labels, /*intern=*/true, &encoded);
  const uint64_t hash = HashBytes(encoded);
  auto labels_of = [this](SeriesId id) { return at(id).symbol_bytes(); };
  SeriesId id = labels_->Find(hash, encoded, labels_of);
  if (id == kNoSeries) {
    if (num_series_ >= kNoSeries) return;  // 2^32 - 1 series: the id space is full
    id = NewSeries(ref, encoded);
    labels_->Insert(hash, id);
    ++counters_.series_created;
  } else if (refs_->Find(ref) == id) {
    ++counters_.series_repeated;  // this ref already names this series
    return;
  } else if (at(id).ref != ref) {
    ++counters_.series_aliased;
  }
  if (refs_->Set(ref, id) != kNoSeries) ++counters_.series_rebound;
}

SeriesId Head::Resolve(uint64_t ref) const { return refs_->Find(ref); }

void Head::ResolveSamples(const RefSample* samples, size_t n, SeriesId* ids) const {
  const RefIndex& refs = *refs_;
  for (size_t i = 0; i < n; ++i) ids[i] = refs.Find(samples[i].ref);
}

SeriesId Head::FindByLabels(const Labels& labels) const {
  std::string encoded;
  // A string that is no symbol is in no series.
  if (!SymbolizeLabels(labels, /*intern=*/false, &encoded)) return kNoSeries;
  auto labels_of = [this](SeriesId id) { return at(id).symbol_bytes(); };
  return labels_->Find(HashBytes(encoded), encoded, labels_of);
}

std::vector<SeriesId> Head::SortedSeries() const {
  std::vector<SeriesId> ids(num_series_);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<SeriesId>(i);
  std::sort(ids.begin(), ids.end(), [this](SeriesId a, SeriesId b) {
    return CompareSymbolLabels(at(a).symbol_bytes(), at(b).symbol_bytes()) < 0;
  });
  return ids;
}

uint64_t Head::series_ref(SeriesId id) const { return at(id).ref; }
// Labels.Compare over symbol-encoded sets: the same ids are the same string.
int Head::CompareSymbolLabels(std::string_view a, std::string_view b) const {
  const char* pa = a.data();
  const char* pb = b.data();
  const uint64_t na = GetUvarint(&pa);
  const uint64_t nb = GetUvarint(&pb);
  for (uint64_t i = 0; i < 2 * na && i < 2 * nb; ++i) {
    const auto sa = static_cast<uint32_t>(GetUvarint(&pa));
    const auto sb = static_cast<uint32_t>(GetUvarint(&pb));
    if (sa == sb) continue;
    const int c = symbols_->Get(sa).compare(symbols_->Get(sb));
    if (c != 0) return c < 0 ? -1 : 1;
  }
  return na == nb ? 0 : (na < nb ? -1 : 1);
}

Labels Head::labels(SeriesId id) const {
  const std::string_view sym = at(id).symbol_bytes();
  const char* p = sym.data();
  const size_t n = GetUvarint(&p);
  Labels out(n);
  for (Label& l : out) {
    l.name = symbols_->Get(static_cast<uint32_t>(GetUvarint(&p)));
    l.value = symbols_->Get(static_cast<uint32_t>(GetUvarint(&p)));
  }
  return out;
}

void Head::label_views(SeriesId id, std::vector<LabelView>* out) const {
  const std::string_view sym = at(id).symbol_bytes();
  const char* p = sym.data();
  out->resize(GetUvarint(&p));
  for (LabelView& l : *out) {
    l.name = symbols_->Get(static_cast<uint32_t>(GetUvarint(&p)));
    l.value = symbols_->Get(static_cast<uint32_t>(GetUvarint(&p)));
  }
}

void Head::label_symbols(SeriesId id, std::vector<uint32_t>* out) const {
  const std::string_view sym = at(id).symbol_bytes();
  const char* p = sym.data();
  out->resize(2 * GetUvarint(&p));
  for (uint32_t& n : *out) n = static_cast<uint32_t>(GetUvarint(&p));
}

std::string_view Head::symbol(uint32_t number) const { return symbols_->Get(number); }
size_t Head::num_symbols() const { return symbols_->size(); }

std::string Head::encoded_labels(SeriesId id) const {
  const std::string_view sym = at(id).symbol_bytes();
  const char* p = sym.data();
  const size_t n = GetUvarint(&p);
  std::string out;
  PutUvarint(n, &out);
  for (size_t i = 0; i < 2 * n; ++i) {
    const std::string_view str = symbols_->Get(static_cast<uint32_t>(GetUvarint(&p)));
    PutUvarint(str.size(), &out);
    out.append(str);
  }
  return out;
}

HeadMemory Head::Memory() const {
  HeadMemory m;
  for (size_t id = 0; id < num_series_; ++id) {
    const Series& s = at(static_cast<SeriesId>(id));
    for (const char* c = s.newest_chunk; c != nullptr;) {
      const ClosedChunk cc = ReadChunk(c);
      ++m.chunks;
      m.chunk_bytes += cc.bytes.size();
      c = cc.prev;
    }
    if (!s.open.empty()) {
      ++m.chunks;
      m.chunk_bytes += s.open.bytes().size();
    }
    m.chunk_capacity += s.open.capacity();
  }
  for (const auto& lane : lanes_) m.chunk_capacity += lane->arena.allocated();
  m.label_bytes = label_arena_->used() + symbols_->table_bytes();
  const size_t blocks = (num_series_ + kBlockSize - 1) / kBlockSize;
  m.index_bytes = blocks * kBlockSize * sizeof(Series) + refs_->bytes() + labels_->bytes();
  return m;
}

}  // namespace walproof
