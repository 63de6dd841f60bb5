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
        st = DecodeSamples(rec, &samples);
        if (!st.ok()) break;
        KeepOnly(keep, &samples);
        head->AppendSamples(samples.data(), samples.size());
        report->samples += samples.size();
        break;
      case RecordType::kTombstones:
        st = DecodeTombstones(rec, &stones);
        if (!st.ok()) break;
        KeepOnly(keep, &stones);
        for (const RefTombstone& t : stones) head->AddTombstone(t);
        break;
      case RecordType::kExemplars:
        st = DecodeExemplars(rec, &exemplars);
        if (!st.ok()) break;
        KeepOnly(keep, &exemplars);
        for (const RefExemplar& e : exemplars) head->AddExemplar(e);
        break;
      case RecordType::kMetadata:
        st = DecodeMetadata(rec, &metadata);
        if (!st.ok()) break;
        KeepOnly(keep, &metadata);
        for (const RefMetadata& m : metadata) head->SetMetadata(m);
        break;
      case RecordType::kHistogramSamples:
        st = DecodeHistogramSamples(rec, &histograms);
        if (!st.ok()) break;
        KeepOnly(keep, &histograms);
        for (const RefHistogramSample& h : histograms) head->AppendHistogram(h);
        report->histogram_samples += histograms.size();
        break;
      case RecordType::kFloatHistogramSamples:
        st = DecodeFloatHistogramSamples(rec, &float_histograms);
        if (!st.ok()) break;
        KeepOnly(keep, &float_histograms);
        for (const RefFloatHistogramSample& h : float_histograms) head->AppendFloatHistogram(h);
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
