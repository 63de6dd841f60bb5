#include "walproof/tsdb/partial_replay.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

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

// Decodes a record into *items, keeps the entries of kept series and hands
// each to `apply`. On a decode error *items is empty.
template <typename T, typename Decode, typename Apply>
Status Take(std::string_view rec, Decode decode, const RefSet& keep, std::vector<T>* items, Apply apply) {
  Status st = decode(rec, items);
  if (!st.ok()) {
    items->clear();
    return st;
  }
  KeepOnly(keep, items);
  for (T& item : *items) apply(item);
  return Status::Ok();
}

}  // namespace

Status ReplayPart(Fs& fs, const std::string& wal_dir, uint32_t part, uint32_t parts, Head* head,
                  ReplayReport* report) {
  const auto started = std::chrono::steady_clock::now();
  auto plan = PlanWalRead(fs, wal_dir);
  if (!plan.ok()) return plan.status();
  report->plan = *plan;
  WalReader reader(fs, *plan);
  RefSet keep;
  std::vector<RefSeries> series;
  std::vector<RefSample> samples;
  std::vector<RefTombstone> stones;
  std::vector<RefExemplar> exemplars;
  std::vector<RefMetadata> metadata;
  std::vector<RefHistogramSample> histograms;
  std::vector<RefFloatHistogramSample> float_histograms;
  std::string_view rec;
  while (reader.Next(&rec)) {
    ++report->records;
    if (rec.empty()) {
      ++report->records_skipped;
      continue;
    }
    Status st;
    const auto type = static_cast<RecordType>(static_cast<uint8_t>(rec[0]));
    switch (type) {
      case RecordType::kSeries:
        st = DecodeSeries(rec, &series);
        if (!st.ok()) break;
        for (const RefSeries& s : series) {
          // A ref bound again to other labels moves with them.
          const bool mine = PartOfLabels(s.labels, parts) == part;
          keep.Set(s.ref, mine);
          if (mine) head->AddSeries(s.ref, s.labels);
        }
        break;
      case RecordType::kSamples:
        st = Take(rec, DecodeSamples, keep, &samples, [](auto&) {});
        head->AppendSamples(samples.data(), samples.size());
        report->samples += samples.size();
        break;
      case RecordType::kTombstones:
        st = Take(rec, DecodeTombstones, keep, &stones, [&](auto& t) { head->AddTombstone(t); });
        break;
      case RecordType::kExemplars:
        st = Take(rec, DecodeExemplars, keep, &exemplars, [&](auto& e) { head->AddExemplar(e); });
        break;
      case RecordType::kMetadata:
        st = Take(rec, DecodeMetadata, keep, &metadata, [&](auto& m) { head->SetMetadata(m); });
        break;
      case RecordType::kHistogramSamples:
        st = Take(rec, DecodeHistogramSamples, keep, &histograms, [&](auto& h) { head->AppendHistogram(h); });
        report->histogram_samples += histograms.size();
        break;
      case RecordType::kFloatHistogramSamples:
        st = Take(rec, DecodeFloatHistogramSamples, keep, &float_histograms,
                  [&](auto& h) { head->AppendFloatHistogram(h); });
        report->histogram_samples += float_histograms.size();
        break;
      default:
        ++report->records_skipped;  // mmap markers, 3.x and unknown types
        break;
    }
    if (!st.ok()) {
      reader.FailDecode(RecordTypeName(static_cast<uint8_t>(type)), st);  // as the sequential replay names it
      break;
    }
  }
  report->corruption = reader.corruption();
  report->series = head->num_series();
  report->counters = head->counters();
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return reader.status();
}

}  // namespace walproof::tsdb
