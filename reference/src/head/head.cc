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
//   parallel appenders need no lock) behind a 10-byte header linking it to
//   the series' previous chunk. No per-chunk allocation, no vector of chunks.
// - Everything rarer (histograms, tombstones, exemplars, metadata) hangs off
//   a pointer that is null for most series.
#include "walproof/head/head.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <utility>

#include "walproof/head/xor_chunk.h"

namespace walproof {
namespace {

constexpr unsigned kBlockBits = 12;
constexpr size_t kBlockSize = size_t{1} << kBlockBits;
constexpr size_t kNumBlocks = (size_t{1} << 32) >> kBlockBits;

// ---- Label set encoding (as in WAL records) ----

void PutUvarint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  out->push_back(static_cast<char>(v));
}

// Reads what PutUvarint wrote; the head only parses its own encodings.
uint64_t GetUvarint(const char** p) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*(*p)++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
}

std::string_view GetString(const char** p) {
  const size_t n = GetUvarint(p);
  std::string_view s(*p, n);
  *p += n;
  return s;
}

// A 64-bit hash of bytes (symbols, label sets as symbols), for the head's own
// tables: well spread, not adversary-proof.
uint64_t HashBytes(std::string_view s) {
  constexpr uint64_t kMul = 0x9fb21c651e98df25ULL;
  uint64_t h = 0x2d358dccaa6c78a5ULL ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

// Closed integer intervals that overlap or touch (a.maxt + 1 == b.mint),
// computed without overflow at the ends of int64.
bool AtMostOneAbove(int64_t x, int64_t y) { return x <= y || x - 1 <= y; }  // x <= y + 1
bool Touch(const TimeInterval& a, const TimeInterval& b) {
  return AtMostOneAbove(b.mint, a.maxt) && AtMostOneAbove(a.mint, b.maxt);
}

template <typename T>
const std::vector<T>& EmptyVector() {
  static const std::vector<T> kEmpty;
  return kEmpty;
}

}  // namespace

// ---- Counters ----

HeadCounters& HeadCounters::operator+=(const HeadCounters& o) {
  series_created += o.series_created;
  series_aliased += o.series_aliased;
  series_repeated += o.series_repeated;
  series_rebound += o.series_rebound;
  samples_appended += o.samples_appended;
  samples_too_old += o.samples_too_old;
  samples_unknown_ref += o.samples_unknown_ref;
  samples_out_of_order += o.samples_out_of_order;
  samples_duplicate += o.samples_duplicate;
  histograms_appended += o.histograms_appended;
  histograms_too_old += o.histograms_too_old;
  histograms_unknown_ref += o.histograms_unknown_ref;
  histograms_out_of_order += o.histograms_out_of_order;
  histograms_duplicate += o.histograms_duplicate;
  tombstones_added += o.tombstones_added;
  tombstones_too_old += o.tombstones_too_old;
  tombstones_empty += o.tombstones_empty;
  tombstones_unknown_ref += o.tombstones_unknown_ref;
  exemplars_added += o.exemplars_added;
  exemplars_too_old += o.exemplars_too_old;
  exemplars_out_of_order += o.exemplars_out_of_order;
  exemplars_unknown_ref += o.exemplars_unknown_ref;
  metadata_set += o.metadata_set;
  metadata_unknown_ref += o.metadata_unknown_ref;
  return *this;
}

void CountFloatOutcome(AppendOutcome outcome, HeadCounters* c) {
  switch (outcome) {
    case AppendOutcome::kAppended: ++c->samples_appended; break;
    case AppendOutcome::kOutOfOrder: ++c->samples_out_of_order; break;
    case AppendOutcome::kDuplicate: ++c->samples_duplicate; break;
  }
}

void CountHistogramOutcome(AppendOutcome outcome, HeadCounters* c) {
  switch (outcome) {
    case AppendOutcome::kAppended: ++c->histograms_appended; break;
    case AppendOutcome::kOutOfOrder: ++c->histograms_out_of_order; break;
    case AppendOutcome::kDuplicate: ++c->histograms_duplicate; break;
  }
}

// ---- Label sets ----

std::string EncodeLabelSet(const Labels& labels) {
  std::string out;
  size_t n = 1;
  for (const Label& l : labels) n += l.name.size() + l.value.size() + 2;
  out.reserve(n);
  PutUvarint(labels.size(), &out);
  for (const Label& l : labels) {
    PutUvarint(l.name.size(), &out);
    out.append(l.name);
    PutUvarint(l.value.size(), &out);
    out.append(l.value);
  }
  return out;
}

Labels DecodeLabelSet(std::string_view encoded) {
  Labels labels;
  if (encoded.empty()) return labels;
  const char* p = encoded.data();
  const size_t n = GetUvarint(&p);
  labels.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Label l;
    l.name = GetString(&p);
    l.value = GetString(&p);
    labels.push_back(std::move(l));
  }
  return labels;
}

int CompareEncodedLabels(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
  const char* pa = a.data();
  const char* pb = b.data();
  const uint64_t na = GetUvarint(&pa);
  const uint64_t nb = GetUvarint(&pb);
  for (uint64_t i = 0; i < na && i < nb; ++i) {
    for (int field = 0; field < 2; ++field) {  // name, then value
      const std::string_view sa = GetString(&pa);
      const std::string_view sb = GetString(&pb);
      if (int c = sa.compare(sb); c != 0) return c < 0 ? -1 : 1;
    }
  }
  return na == nb ? 0 : (na < nb ? -1 : 1);
}

// ---- Arena ----

// Bump allocation in slabs; nothing is freed before the head is.
class Head::Arena {
 public:
  char* Allocate(size_t n) {
    if (n > left_) NewSlab(n);
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    used_ += n;
    return p;
  }
  uint64_t used() const { return used_; }
  uint64_t allocated() const { return allocated_; }

 private:
  static constexpr size_t kSlab = size_t{1} << 20;

  void NewSlab(size_t n) {
    const size_t size = std::max(kSlab, n);
    slabs_.push_back(std::make_unique_for_overwrite<char[]>(size));
    cur_ = slabs_.back().get();
    left_ = size;
    allocated_ += size;
  }

  std::vector<std::unique_ptr<char[]>> slabs_;
  char* cur_ = nullptr;
  size_t left_ = 0;
  uint64_t used_ = 0;
  uint64_t allocated_ = 0;
};

// A sample bound for a known series.
struct Head::Pending {
  Series* target;
  int64_t t;
  uint64_t v_bits;
};

// What one appending thread owns: where its closed chunks go, its scratch
// list of samples to append, and what it has learnt of chunk sizes.
struct Head::Lane {
  static constexpr size_t kPadding = 48;  // AppendRun's prefetch distance

  Arena arena;
  std::vector<Pending> pending;
  uint64_t mean16 = 0;  // chunk size, in 1/16 bytes
  uint64_t dev16 = 0;   // its mean deviation

  // Room for n samples to append (and the padding).
  Pending* Reserve(size_t n) {
    if (pending.size() < n + kPadding) pending.resize(n + kPadding);
    return pending.data();
  }
  // The first n entries, followed by copies of the last for AppendRun to
  // prefetch past the end.
  const Pending* Padded(size_t n) {
    if (n > 0) {
      std::fill(pending.begin() + static_cast<ptrdiff_t>(n),
                pending.begin() + static_cast<ptrdiff_t>(n + kPadding), pending[n - 1]);
    }
    return pending.data();
  }

  // A series' open-chunk buffer is allocated once, at the size a chunk will
  // likely need, and then kept: growing it later leaves a hole in the heap
  // that no other series' buffer fits. So the guess aims high: the mean plus
  // four mean deviations of recent chunks (decaying over ~16 chunks).
  void Learn(size_t size) {
    const uint64_t x = static_cast<uint64_t>(size) << 4;
    if (mean16 == 0) mean16 = x;
    const uint64_t d = x > mean16 ? x - mean16 : mean16 - x;
    mean16 = mean16 - mean16 / 16 + x / 16;
    dev16 = dev16 - dev16 / 16 + d / 16;
  }
  // 0 until a chunk was seen: XorAppender's default then.
  size_t Hint() const { return mean16 == 0 ? 0 : static_cast<size_t>((mean16 + 4 * dev16) >> 4) + 12; }
};

// ---- Symbols ----

// Interned strings, numbered densely: each is stored once in the label arena
// (uvarint length, bytes), found through an open-addressing table of ids.
class Head::SymbolTable {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  explicit SymbolTable(Arena* arena) : arena_(arena) {}

  uint32_t Find(std::string_view s) const { return Lookup(s, HashBytes(s)); }

  uint32_t Intern(std::string_view s) {
    const uint64_t hash = HashBytes(s);
    if (const uint32_t id = Lookup(s, hash); id != kNone) return id;
    if ((strings_.size() + 1) * 4 > slots_.size() * 3) Rehash(slots_.empty() ? 256 : slots_.size() * 2);
    std::string size;
    PutUvarint(s.size(), &size);
    char* p = arena_->Allocate(size.size() + s.size());
    std::memcpy(p, size.data(), size.size());
    std::memcpy(p + size.size(), s.data(), s.size());
    const auto id = static_cast<uint32_t>(strings_.size());
    strings_.push_back(p);
    Place(id, hash);
    return id;
  }

  std::string_view Get(uint32_t id) const {
    const char* p = strings_[id];
    return GetString(&p);
  }

  uint64_t table_bytes() const {
    return strings_.capacity() * sizeof(const char*) + slots_.capacity() * sizeof(uint32_t);
  }

 private:
  uint32_t Lookup(std::string_view s, uint64_t hash) const {
    if (slots_.empty()) return kNone;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const uint32_t slot = slots_[i];
      if (slot == 0) return kNone;
      if (Get(slot - 1) == s) return slot - 1;
    }
  }
  void Place(uint32_t id, uint64_t hash) {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == 0) {
        slots_[i] = id + 1;
        return;
      }
    }
  }
  void Rehash(size_t capacity) {
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (uint32_t id = 0; id < strings_.size(); ++id) Place(id, HashBytes(Get(id)));
  }

  Arena* arena_;
  std::vector<const char*> strings_;
  std::vector<uint32_t> slots_;  // id + 1, 0 when empty
  size_t mask_ = 0;
};

// ---- Series ----

// A closed chunk in an arena: the previous (older) chunk's address, the
// chunk's size (2 bytes, native order), then its bytes. Unaligned, so no
// padding: fields are read and written with memcpy.
constexpr size_t kChunkHeader = sizeof(const char*) + sizeof(uint16_t);
static_assert(size_t{kSamplesPerChunk} * 19 + 2 < 65536, "a closed chunk's size must fit 16 bits");

struct ClosedChunk {
  const char* prev;
  std::string_view bytes;
};

ClosedChunk ReadChunk(const char* c) {
  const char* prev;
  uint16_t size;
  std::memcpy(&prev, c, sizeof prev);
  std::memcpy(&size, c + sizeof prev, sizeof size);
  return {prev, std::string_view(c + kChunkHeader, size)};
}

struct Head::Series {
  struct Histograms {
    std::vector<HistogramPoint> ints;
    std::vector<FloatHistogramPoint> floats;
    int64_t last_t = 0;
  };
  struct Extras {
    std::vector<TimeInterval> tombstones;
    std::vector<Exemplar> exemplars;
    std::optional<SeriesMetadata> metadata;
  };

  Series(uint64_t r, const char* l) : ref(r), labels(l) {}

  // Set at creation by the control thread, read-only afterwards.
  uint64_t ref;
  // In the label arena: uvarint size, then the label set as symbols: uvarint
  // count, then (name, value) symbol ids as uvarints.
  const char* labels;
  // Samples: written by the one thread appending to this series. The open
  // chunk is never empty once a float was appended (a chunk is cut just
  // before the next append), so its max time is the last float's time.
  XorAppender open;
  const char* newest_chunk = nullptr;  // closed chunks, newest first
  std::unique_ptr<Histograms> histograms;
  // Written by the control thread only.
  std::unique_ptr<Extras> extras;

  std::string_view symbol_bytes() const {
    const char* p = labels;
    const size_t n = GetUvarint(&p);
    return {p, n};
  }
  // Floats and histograms share the last time, as they share upstream's head
  // chunk: only a sample newer than both is taken.
  AppendOutcome Admit(int64_t t) const {
    int64_t last;
    if (!open.empty()) {
      last = open.max_time();
      if (histograms && histograms->last_t > last) last = histograms->last_t;
    } else if (histograms) {
      last = histograms->last_t;
    } else {
      return AppendOutcome::kAppended;
    }
    if (t > last) return AppendOutcome::kAppended;
    return t == last ? AppendOutcome::kDuplicate : AppendOutcome::kOutOfOrder;
  }
  Extras& extra() {
    if (!extras) extras = std::make_unique<Extras>();
    return *extras;
  }
  Histograms& hist() {
    if (!histograms) histograms = std::make_unique<Histograms>();
    return *histograms;
  }
  // Closed chunks, oldest first, then the open one.
  std::vector<std::string_view> Chunks() const {
    std::vector<std::string_view> out;
    for (const char* c = newest_chunk; c != nullptr;) {
      const ClosedChunk cc = ReadChunk(c);
      out.push_back(cc.bytes);
      c = cc.prev;
    }
    std::reverse(out.begin(), out.end());
    if (!open.empty()) out.push_back(open.bytes());
    return out;
  }
};

// ---- RefIndex: ref -> series ----

class Head::RefIndex {
 public:
  SeriesId Find(uint64_t ref) const {
    if (ref < dense_.size()) return dense_[ref];
    if (slots_.empty()) return kNoSeries;
    for (size_t i = Home(ref);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNoSeries) return kNoSeries;
      if (s.ref == ref) return s.id;
    }
  }

  // Binds ref to id; returns the previous binding or kNoSeries.
  SeriesId Set(uint64_t ref, SeriesId id) {
    if (ref >= dense_.size() && ref < DenseLimit()) GrowDense(ref);
    if (ref < dense_.size()) {
      const SeriesId old = std::exchange(dense_[ref], id);
      if (old == kNoSeries) ++bound_;
      return old;
    }
    if ((used_ + 1) * 2 > slots_.size()) Rehash(slots_.empty() ? 64 : slots_.size() * 2);
    for (size_t i = Home(ref);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id == kNoSeries) {
        s = {ref, id};
        ++used_;
        ++bound_;
        return kNoSeries;
      }
      if (s.ref == ref) return std::exchange(s.id, id);
    }
  }

 private:
  struct Slot {
    uint64_t ref = 0;
    SeriesId id = kNoSeries;  // kNoSeries: empty
  };

  // A dense array costs 4 bytes per possible ref: worth it while refs are at
  // most a few times more than the bindings.
  uint64_t DenseLimit() const { return 4 * (bound_ + 1) + 65536; }

  size_t Home(uint64_t ref) const {
    return static_cast<size_t>((ref * 0x9e3779b97f4a7c15ULL) >> shift_);
  }

  void GrowDense(uint64_t ref) {
    uint64_t size = std::max<uint64_t>({ref + 1, dense_.size() * 2, 1024});
    size = std::min(size, DenseLimit());
    dense_.resize(static_cast<size_t>(size), kNoSeries);
    if (used_ == 0) return;
    // Move table entries the array now covers.
    std::vector<Slot> old;
    old.swap(slots_);
    used_ = 0;
    Rehash(old.size());
    for (const Slot& s : old) {
      if (s.id == kNoSeries) continue;
      if (s.ref < dense_.size()) {
        dense_[s.ref] = s.id;
      } else {
        Place(s);
      }
    }
  }

  void Rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    used_ = 0;
    for (const Slot& s : old) {
      if (s.id != kNoSeries) Place(s);
    }
  }

  void Place(const Slot& slot) {
    for (size_t i = Home(slot.ref);; i = (i + 1) & mask_) {
      if (slots_[i].id == kNoSeries) {
        slots_[i] = slot;
        ++used_;
        return;
      }
    }
  }

  std::vector<SeriesId> dense_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t used_ = 0;
  uint64_t bound_ = 0;
};

// ---- LabelIndex: label set -> series, by hash ----

// A multimap on the hash (linear probing, no deletion): every entry with the
// wanted hash is checked against the labels, so collisions cost a compare.
class Head::LabelIndex {
 public:
  template <typename LabelsOf>
  SeriesId Find(uint64_t hash, std::string_view encoded, const LabelsOf& labels_of) const {
    if (slots_.empty()) return kNoSeries;
    const auto tag = static_cast<uint32_t>(hash);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNoSeries) return kNoSeries;
      if (s.tag == tag && labels_of(s.id) == encoded) return s.id;
    }
  }

  void Insert(uint64_t hash, SeriesId id) {
    // At most 3/4 full: with 8-byte slots that is 11 to 21 bytes a series.
    if ((used_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.empty() ? 64 : slots_.size() * 2);
    Place({static_cast<uint32_t>(hash), id});
    ++used_;
  }

 private:
  // 32 bits of the hash: they pick the home slot and filter compares (a
  // table of more than 2^32 slots would only cluster, never fail).
  struct Slot {
    uint32_t tag = 0;
    SeriesId id = kNoSeries;
  };

  void Rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.id != kNoSeries) Place(s);
    }
  }

  void Place(const Slot& slot) {
    for (size_t i = slot.tag & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].id == kNoSeries) {
        slots_[i] = slot;
        return;
      }
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
};

// ---- Head ----

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

inline Head::Series& Head::at(SeriesId id) {
  return blocks_[id >> kBlockBits][id & (kBlockSize - 1)];
}
inline const Head::Series& Head::at(SeriesId id) const {
  return blocks_[id >> kBlockBits][id & (kBlockSize - 1)];
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

[[gnu::always_inline]] inline AppendOutcome Head::AppendTo(Series& s, int64_t t, uint64_t v_bits, Lane& lane) {
  const AppendOutcome outcome = s.Admit(t);
  if (outcome != AppendOutcome::kAppended) return outcome;
  if (s.open.empty()) {
    s.open.Reserve(lane.Hint());
  } else if (s.open.num_samples() >= kSamplesPerChunk) {
    const std::string_view bytes = s.open.bytes();
    lane.Learn(bytes.size());
    char* c = lane.arena.Allocate(kChunkHeader + bytes.size());
    const auto size = static_cast<uint16_t>(bytes.size());
    std::memcpy(c, &s.newest_chunk, sizeof s.newest_chunk);
    std::memcpy(c + sizeof s.newest_chunk, &size, sizeof size);
    std::memcpy(c + kChunkHeader, bytes.data(), bytes.size());
    s.newest_chunk = c;
    s.open.Reset();
  }
  s.open.Append(t, v_bits);
  return outcome;
}

AppendOutcome Head::AppendFloatTo(SeriesId id, int64_t t, double v, size_t lane) {
  return AppendTo(at(id), t, std::bit_cast<uint64_t>(v), *lanes_[lane]);
}

// Appends to series spread over memory. The series a few samples ahead and
// its chunk buffer a little later are prefetched, so that cache misses
// overlap instead of stalling one sample at a time. items[n ..
// n + kPrefetchSeries) must be valid entries too (see Lane::Padded).
constexpr size_t kPrefetchSeries = 48;
constexpr size_t kPrefetchBuffer = 24;

void Head::AppendRun(const Pending* items, size_t n, Lane& lane, HeadCounters* counters) {
  static_assert(Lane::kPadding >= kPrefetchSeries && kPrefetchSeries >= kPrefetchBuffer);
  uint64_t outcomes[3] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    __builtin_prefetch(items[i + kPrefetchSeries].target, 1);
    __builtin_prefetch(items[i + kPrefetchBuffer].target->open.write_hint(), 1);
    const Pending& p = items[i];
    ++outcomes[static_cast<size_t>(AppendTo(*p.target, p.t, p.v_bits, lane))];
  }
  counters->samples_appended += outcomes[static_cast<size_t>(AppendOutcome::kAppended)];
  counters->samples_out_of_order += outcomes[static_cast<size_t>(AppendOutcome::kOutOfOrder)];
  counters->samples_duplicate += outcomes[static_cast<size_t>(AppendOutcome::kDuplicate)];
}

void Head::AppendFloatsTo(const IdSample* samples, size_t n, size_t lane_index,
                          HeadCounters* counters) {
  Lane& lane = *lanes_[lane_index];
  Pending* items = lane.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    items[i] = {&at(samples[i].id), samples[i].t, std::bit_cast<uint64_t>(samples[i].v)};
  }
  AppendRun(lane.Padded(n), n, lane, counters);
}

void Head::AppendResolvedPart(const RefSample* samples, const SeriesId* ids, size_t n, size_t part,
                              size_t parts, size_t lane_index, HeadCounters* counters) {
  Lane& lane = *lanes_[lane_index];
  Pending* items = lane.Reserve(n);
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    const SeriesId id = ids[i];
    if (id == kNoSeries || PartOf(id, parts) != part) continue;
    items[kept++] = {&at(id), samples[i].t, std::bit_cast<uint64_t>(samples[i].v)};
  }
  AppendRun(lane.Padded(kept), kept, lane, counters);
}

void Head::AppendSamples(const RefSample* samples, size_t n) {
  Lane& lane = *lanes_[0];
  Pending* items = lane.Reserve(n);
  size_t kept = 0;
  const RefIndex& refs = *refs_;
  const int64_t min_valid = options_.min_valid_time;
  for (size_t i = 0; i < n; ++i) {
    // The order of checks is upstream's: too old first, then unknown.
    if (samples[i].t < min_valid) {
      ++counters_.samples_too_old;
      continue;
    }
    const SeriesId id = refs.Find(samples[i].ref);
    if (id == kNoSeries) {
      ++counters_.samples_unknown_ref;
      continue;
    }
    items[kept++] = {&at(id), samples[i].t, std::bit_cast<uint64_t>(samples[i].v)};
  }
  AppendRun(lane.Padded(kept), kept, lane, &counters_);
}

AppendOutcome Head::AppendHistogramTo(SeriesId id, int64_t t, Histogram&& h) {
  Series& s = at(id);
  const AppendOutcome outcome = s.Admit(t);
  if (outcome == AppendOutcome::kAppended) {
    s.hist().ints.push_back({t, std::move(h)});
    s.histograms->last_t = t;
  }
  return outcome;
}

AppendOutcome Head::AppendFloatHistogramTo(SeriesId id, int64_t t, FloatHistogram&& h) {
  Series& s = at(id);
  const AppendOutcome outcome = s.Admit(t);
  if (outcome == AppendOutcome::kAppended) {
    s.hist().floats.push_back({t, std::move(h)});
    s.histograms->last_t = t;
  }
  return outcome;
}

void Head::AppendSample(const RefSample& s) { AppendSamples(&s, 1); }

// The checks both histogram kinds share, in upstream's order (too old, then
// unknown ref); `append(id)` stores a copy of the sample.
template <typename Sample, typename Append>
void Head::AdmitHistogram(const Sample& s, Append append) {
  if (s.t < options_.min_valid_time) {
    ++counters_.histograms_too_old;
    return;
  }
  const SeriesId id = Resolve(s.ref);
  if (id == kNoSeries) {
    ++counters_.histograms_unknown_ref;
    return;
  }
  CountHistogramOutcome(append(id), &counters_);
}

void Head::AppendHistogram(const RefHistogramSample& s) {
  AdmitHistogram(s, [&](SeriesId id) { return AppendHistogramTo(id, s.t, Histogram(s.h)); });
}

void Head::AppendFloatHistogram(const RefFloatHistogramSample& s) {
  AdmitHistogram(s, [&](SeriesId id) { return AppendFloatHistogramTo(id, s.t, FloatHistogram(s.h)); });
}

void Head::AddTombstone(const RefTombstone& t) {
  if (t.maxt < options_.min_valid_time) {
    ++counters_.tombstones_too_old;
    return;
  }
  const SeriesId id = Resolve(t.ref);
  if (id == kNoSeries) {
    ++counters_.tombstones_unknown_ref;
    return;
  }
  if (t.mint > t.maxt) {
    ++counters_.tombstones_empty;
    return;
  }
  // Keep the intervals sorted, disjoint and not touching: fold every
  // interval the new one meets into it.
  std::vector<TimeInterval>& list = at(id).extra().tombstones;
  TimeInterval merged{t.mint, t.maxt};
  size_t kept = 0;
  for (const TimeInterval& iv : list) {
    if (Touch(iv, merged)) {
      merged.mint = std::min(merged.mint, iv.mint);
      merged.maxt = std::max(merged.maxt, iv.maxt);
    } else {
      list[kept++] = iv;
    }
  }
  list.resize(kept);
  auto pos = std::lower_bound(list.begin(), list.end(), merged,
                              [](const TimeInterval& a, const TimeInterval& b) { return a.mint < b.mint; });
  list.insert(pos, merged);
  ++counters_.tombstones_added;
}

void Head::AddExemplar(const RefExemplar& e) {
  if (e.t < options_.min_valid_time) {
    ++counters_.exemplars_too_old;
    return;
  }
  const SeriesId id = Resolve(e.ref);
  if (id == kNoSeries) {
    ++counters_.exemplars_unknown_ref;
    return;
  }
  std::vector<Exemplar>& list = at(id).extra().exemplars;
  if (!list.empty() && e.t <= list.back().t) {
    ++counters_.exemplars_out_of_order;
    return;
  }
  list.push_back({e.t, e.v, e.labels});
  ++counters_.exemplars_added;
}

void Head::SetMetadata(const RefMetadata& m) {
  const SeriesId id = Resolve(m.ref);
  if (id == kNoSeries) {
    ++counters_.metadata_unknown_ref;
    return;
  }
  at(id).extra().metadata = SeriesMetadata{m.type, m.unit, m.help};
  ++counters_.metadata_set;
}

// ---- Reading back ----

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

std::vector<std::string_view> Head::ChunkBytes(SeriesId id) const { return at(id).Chunks(); }

uint64_t Head::num_float_samples(SeriesId id) const {
  const Series& s = at(id);
  uint64_t n = s.open.num_samples();
  for (const char* c = s.newest_chunk; c != nullptr;) {
    const ClosedChunk cc = ReadChunk(c);
    n += static_cast<uint8_t>(cc.bytes[0]) << 8 | static_cast<uint8_t>(cc.bytes[1]);
    c = cc.prev;
  }
  return n;
}

uint64_t Head::num_float_samples() const {
  uint64_t n = 0;
  for (size_t id = 0; id < num_series_; ++id) n += num_float_samples(static_cast<SeriesId>(id));
  return n;
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
  return m;
}

std::vector<FloatSample> Head::FloatSamples(SeriesId id) const {
  std::vector<FloatSample> out;
  out.reserve(num_float_samples(id));
  for (FloatIterator it(*this, id); it.Next();) out.push_back({it.t(), it.v()});
  return out;
}

std::vector<ChunkInfo> Head::Chunks(SeriesId id) const {
  const Series& s = at(id);
  std::vector<ChunkInfo> out;
  for (std::string_view bytes : s.Chunks()) {
    ChunkInfo info;
    XorIterator it(bytes);
    info.samples = it.num_samples();
    info.bytes = bytes.size();
    for (bool first = true; it.Next(); first = false) {
      if (first) info.mint = it.t();
      info.maxt = it.t();
    }
    out.push_back(info);
  }
  if (!s.open.empty()) out.back().open = true;
  return out;
}

const std::vector<HistogramPoint>& Head::histograms(SeriesId id) const {
  const Series& s = at(id);
  return s.histograms ? s.histograms->ints : EmptyVector<HistogramPoint>();
}

const std::vector<FloatHistogramPoint>& Head::float_histograms(SeriesId id) const {
  const Series& s = at(id);
  return s.histograms ? s.histograms->floats : EmptyVector<FloatHistogramPoint>();
}

const std::vector<TimeInterval>& Head::tombstones(SeriesId id) const {
  const Series& s = at(id);
  return s.extras ? s.extras->tombstones : EmptyVector<TimeInterval>();
}

const std::vector<Exemplar>& Head::exemplars(SeriesId id) const {
  const Series& s = at(id);
  return s.extras ? s.extras->exemplars : EmptyVector<Exemplar>();
}

const SeriesMetadata* Head::metadata(SeriesId id) const {
  const Series& s = at(id);
  return s.extras && s.extras->metadata ? &*s.extras->metadata : nullptr;
}

bool Head::IsDeleted(SeriesId id, int64_t t) const {
  for (const TimeInterval& iv : tombstones(id)) {
    if (iv.mint <= t && t <= iv.maxt) return true;
  }
  return false;
}

// ---- FloatIterator ----

struct Head::FloatIterator::State {
  std::vector<std::string_view> chunks;
  size_t next = 0;
  std::optional<XorIterator> it;
};

Head::FloatIterator::FloatIterator(const Head& head, SeriesId id)
    : state_(std::make_unique<State>(State{head.at(id).Chunks(), 0, std::nullopt})) {}

Head::FloatIterator::~FloatIterator() = default;

double Head::FloatIterator::v() const { return std::bit_cast<double>(v_); }

bool Head::FloatIterator::Next() {
  State& st = *state_;
  while (true) {
    if (st.it && st.it->Next()) {
      t_ = st.it->t();
      v_ = st.it->v_bits();
      return true;
    }
    if (st.next == st.chunks.size()) return false;
    st.it.emplace(st.chunks[st.next++]);
  }
}

}  // namespace walproof
