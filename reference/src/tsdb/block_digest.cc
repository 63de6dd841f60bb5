#include "walproof/tsdb/block_digest.h"

#include <cstring>


namespace walproof::tsdb {

void BlockDigest::MixBytes(std::string_view s) {
  Mix(s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    Mix(w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  Mix(tail);
}

template <typename L>
void BlockDigest::MixLabels(const std::vector<L>& labels) {
  Mix(0x5e51e5);  // separates series, so that chunks cannot shift between them
  Mix(labels.size());
  for (const L& l : labels) {
    MixBytes(l.name);
    MixBytes(l.value);
  }
}

void BlockDigest::BeginSeries(const Labels& labels) { MixLabels(labels); }
void BlockDigest::BeginSeries(const std::vector<LabelView>& labels) { MixLabels(labels); }

}  // namespace walproof::tsdb
