#include "crashsim/model_head.h"

#include <algorithm>

#include "crashsim/hash.h"
#include "walproof/format/record_codec.h"

namespace crashsim {

walproof::Status ApplyRecord(std::string_view bytes, walproof::Head* head) {
  walproof::Record rec;
  WALPROOF_RETURN_IF_ERROR(walproof::DecodeRecord(bytes, &rec));
  std::visit(
      [head](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, walproof::SeriesRecord>) {
          for (const auto& s : r.series) head->AddSeries(s.ref, s.labels);
        } else if constexpr (std::is_same_v<T, walproof::SamplesRecord>) {
          for (const auto& s : r.samples) head->AppendSample(s);
        } else if constexpr (std::is_same_v<T, walproof::TombstonesRecord>) {
          for (const auto& t : r.tombstones) head->AddTombstone(t);
        } else if constexpr (std::is_same_v<T, walproof::ExemplarsRecord>) {
          for (const auto& e : r.exemplars) head->AddExemplar(e);
        } else if constexpr (std::is_same_v<T, walproof::MetadataRecord>) {
          for (const auto& m : r.metadata) head->SetMetadata(m);
        } else if constexpr (std::is_same_v<T, walproof::HistogramsRecord>) {
          for (const auto& h : r.histograms) head->AppendHistogram(h);
        } else if constexpr (std::is_same_v<T, walproof::FloatHistogramsRecord>) {
          for (const auto& h : r.histograms) head->AppendFloatHistogram(h);
        }
      },
      rec);
  return walproof::Status::Ok();
}

walproof::HeadDigest ModelHeads::Digest(uint32_t end, const std::vector<uint32_t>& skipped) {
  uint64_t key = 0;
  for (uint32_t s : skipped) key = HashCombine(key, s + 1);
  auto it = cache_.find({end, key});
  if (it != cache_.end()) return it->second;
  walproof::HeadOptions options;
  options.min_valid_time = model_.min_valid_time();
  walproof::Head head(options);
  for (uint32_t i = 0; i < end && i < model_.size(); ++i) {
    if (std::binary_search(skipped.begin(), skipped.end(), i)) continue;
    ApplyRecord(model_.at(i).bytes, &head);
  }
  walproof::HeadDigest d = walproof::DigestHead(head);
  cache_.emplace(std::make_pair(end, key), d);
  return d;
}

}  // namespace crashsim
