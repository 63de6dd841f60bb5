#include "crashsim/model.h"

#include <algorithm>

#include "crashsim/hash.h"

namespace crashsim {

void Model::AddLogged(const std::vector<std::string>& records, bool ok, uint32_t begin_op, int segment) {
  if (required_end_.empty()) required_end_.push_back(0);
  for (const std::string& r : records) {
    LoggedRecord rec;
    rec.bytes = r;
    rec.hash = Hash64(r);
    rec.definite = ok;
    rec.begin_op = begin_op;
    rec.segment = segment;
    by_hash_.emplace(rec.hash, static_cast<uint32_t>(records_.size()));
    records_.push_back(std::move(rec));
    required_end_.push_back(ok ? static_cast<uint32_t>(records_.size()) : required_end_.back());
  }
}

void Model::AddAck(uint32_t op_count) {
  const auto n = static_cast<uint32_t>(records_.size());
  if (!acks_.empty() && acks_.back().second >= n) return;
  acks_.emplace_back(op_count, n);
}

uint32_t Model::AckedAt(uint32_t point) const {
  uint32_t n = 0;
  for (const auto& [op, count] : acks_) {
    if (op > point) break;
    n = count;
  }
  return n;
}

uint32_t Model::LoggedAt(uint32_t point) const {
  uint32_t n = 0;
  while (n < records_.size() && records_[n].begin_op < point) ++n;
  return n;
}

uint32_t Model::RequiredEnd(uint32_t n) const {
  if (required_end_.empty()) return 0;
  return required_end_[std::min<size_t>(n, required_end_.size() - 1)];
}

uint32_t Model::FirstAfterSegment(int segment) const {
  uint32_t i = 0;
  while (i < records_.size() && records_[i].segment <= segment) ++i;
  return i;
}

bool Model::AnyMaybeBefore(uint32_t n) const {
  for (uint32_t i = 0; i < n && i < records_.size(); ++i) {
    if (!records_[i].definite) return true;
  }
  return false;
}

int Model::Find(std::string_view bytes) const { return Find(bytes, Hash64(bytes)); }

int Model::Find(std::string_view bytes, uint64_t hash) const {
  auto [lo, hi] = by_hash_.equal_range(hash);
  int best = -1;
  for (auto it = lo; it != hi; ++it) {
    if (records_[it->second].bytes == bytes && (best < 0 || static_cast<int>(it->second) < best)) {
      best = static_cast<int>(it->second);
    }
  }
  return best;
}

}  // namespace crashsim
