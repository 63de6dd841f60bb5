#include "walproof/tsdb/partial_replay.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_set>
#include <utility>

#include "head/channel.h"
#include "walproof/format/record_codec.h"
#include "walproof/tsdb/block_digest.h"
#include "walproof/wal/wal_reader.h"

namespace walproof::tsdb {

uint32_t PartOfLabels(const Labels& labels, uint32_t parts) {
  if (parts <= 1) return 0;
  BlockDigest d;
  d.BeginSeries(labels);
  return static_cast<uint32_t>(d.value() % parts);
}

namespace {

// The refs of the kept series. Refs are small dense numbers in practice
// (upstream counts them up from 1): a byte per ref below 2^24 is checked in
// a load, the rare larger one in a hash set.
class RefSet {
 public:
  void Set(uint64_t ref, bool on) {
    if (ref < kDense) {
      if (ref >= dense_.size()) dense_.resize(std::max<size_t>(ref + 1, dense_.size() * 2), 0);
      dense_[ref] = on;
    } else if (on) {
      sparse_.insert(ref);
    } else {
      sparse_.erase(ref);
    }
  }
  bool count(uint64_t ref) const {
    if (ref < kDense) return ref < dense_.size() && dense_[ref];
    return sparse_.count(ref) != 0;
  }

 private:
  static constexpr uint64_t kDense = 1 << 24;
  std::vector<uint8_t> dense_;
  std::unordered_set<uint64_t> sparse_;
};

template <typename T>
void KeepOnly(const RefSet& keep, std::vector<T>* items) {
  size_t n = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    if (!keep.count((*items)[i].ref)) continue;
    // Never onto itself: a vector moved onto itself comes out empty.
    if (n != i) (*items)[n] = std::move((*items)[i]);
    ++n;
  }
  items->resize(n);
}

// Keeps the entries of kept series and hands each to `apply`.
template <typename T, typename Apply>
void ApplyKept(const RefSet& keep, std::vector<T>* items, Apply apply) {
  KeepOnly(keep, items);
  for (T& item : *items) apply(item);
}

// One record, decoded: the vector of its type holds its entries.
struct DecodedRecord {
  RecordType type = RecordType::kSeries;
  std::vector<RefSeries> series;
  std::vector<RefSample> samples;
  std::vector<RefTombstone> stones;
  std::vector<RefExemplar> exemplars;
  std::vector<RefMetadata> metadata;
  std::vector<RefHistogramSample> histograms;
  std::vector<RefFloatHistogramSample> float_histograms;
};

// Decodes `rec` into *d. Types replay skips (mmap markers, 3.x and unknown
// ones) decode to nothing.
Status Decode(std::string_view rec, DecodedRecord* d) {
  d->type = static_cast<RecordType>(static_cast<uint8_t>(rec[0]));
  switch (d->type) {
    case RecordType::kSeries: return DecodeSeries(rec, &d->series);
    case RecordType::kSamples: return DecodeSamples(rec, &d->samples);
    case RecordType::kTombstones: return DecodeTombstones(rec, &d->stones);
    case RecordType::kExemplars: return DecodeExemplars(rec, &d->exemplars);
    case RecordType::kMetadata: return DecodeMetadata(rec, &d->metadata);
    case RecordType::kHistogramSamples: return DecodeHistogramSamples(rec, &d->histograms);
    case RecordType::kFloatHistogramSamples: return DecodeFloatHistogramSamples(rec, &d->float_histograms);
    default: return Status::Ok();
  }
}

// Applies a decoded record's entries of the kept series to the head.
class PartApplier {
 public:
  PartApplier(uint32_t part, uint32_t parts, Head* head, ReplayReport* report)
      : part_(part), parts_(parts), head_(head), report_(report) {}

  void Apply(DecodedRecord& d) {
    switch (d.type) {
      case RecordType::kSeries:
        for (const RefSeries& s : d.series) {
          // A ref bound again to other labels moves with them.
          const bool mine = PartOfLabels(s.labels, parts_) == part_;
          keep_.Set(s.ref, mine);
          if (mine) head_->AddSeries(s.ref, s.labels);
        }
        break;
      case RecordType::kSamples:
        KeepOnly(keep_, &d.samples);
        head_->AppendSamples(d.samples.data(), d.samples.size());
        report_->samples += d.samples.size();
        break;
      case RecordType::kTombstones:
        ApplyKept(keep_, &d.stones, [&](auto& t) { head_->AddTombstone(t); });
        break;
      case RecordType::kExemplars:
        ApplyKept(keep_, &d.exemplars, [&](auto& e) { head_->AddExemplar(e); });
        break;
      case RecordType::kMetadata:
        ApplyKept(keep_, &d.metadata, [&](auto& m) { head_->SetMetadata(m); });
        break;
      case RecordType::kHistogramSamples:
        ApplyKept(keep_, &d.histograms, [&](auto& h) { head_->AppendHistogram(h); });
        report_->histogram_samples += d.histograms.size();
        break;
      case RecordType::kFloatHistogramSamples:
        ApplyKept(keep_, &d.float_histograms, [&](auto& h) { head_->AppendFloatHistogram(h); });
        report_->histogram_samples += d.float_histograms.size();
        break;
      default:
        ++report_->records_skipped;  // mmap markers, 3.x and unknown types
        break;
    }
  }

 private:
  const uint32_t part_;
  const uint32_t parts_;
  Head* head_;
  ReplayReport* report_;
  RefSet keep_;
};

// Reads and decodes the next non-empty record into *d, counting what it
// reads into *report; false at the end, or at a decode error (which the
// reader then reports as the corruption, as the sequential replay does).
bool NextDecoded(WalReader& reader, DecodedRecord* d, ReplayReport* report) {
  std::string_view rec;
  while (reader.Next(&rec)) {
    ++report->records;
    if (rec.empty()) {
      ++report->records_skipped;
      continue;
    }
    Status st = Decode(rec, d);
    if (!st.ok()) {
      reader.FailDecode(RecordTypeName(static_cast<uint8_t>(rec[0])), st);
      return false;
    }
    return true;
  }
  return false;
}

}  // namespace

Status ReplayPart(Fs& fs, const std::string& wal_dir, uint32_t part, uint32_t parts, Head* head,
                  ReplayReport* report, int threads) {
  const auto started = std::chrono::steady_clock::now();
  auto plan = PlanWalRead(fs, wal_dir);
  if (!plan.ok()) return plan.status();
  report->plan = *plan;
  WalReader reader(fs, *plan);
  PartApplier applier(part, parts, head, report);
  if (threads <= 1) {
    DecodedRecord d;
    while (NextDecoded(reader, &d, report)) applier.Apply(d);
  } else {
    // Reading and decoding, which every part pays for every record, on a
    // thread of its own; this one applies the part's share.
    using Batch = std::vector<DecodedRecord>;
    replay_internal::Channel<Batch> decoded(4);
    ReplayReport read_counts;
    std::thread decoder([&] {
      Batch batch;
      DecodedRecord d;
      while (NextDecoded(reader, &d, &read_counts)) {
        batch.push_back(std::move(d));
        d = DecodedRecord();
        if (batch.size() == 64) decoded.Push(std::exchange(batch, Batch()));
      }
      if (!batch.empty()) decoded.Push(std::move(batch));
      decoded.Close();
    });
    Batch batch;
    while (decoded.Pop(&batch)) {
      for (DecodedRecord& d : batch) applier.Apply(d);
    }
    decoder.join();
    report->records += read_counts.records;
    report->records_skipped += read_counts.records_skipped;
  }
  report->corruption = reader.corruption();
  report->series = head->num_series();
  report->counters = head->counters();
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return reader.status();
}

}  // namespace walproof::tsdb
