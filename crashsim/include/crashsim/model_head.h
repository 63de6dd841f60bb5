// ModelHeads: the head the model says a recovery should replay to: the
// logged records recovery returned, applied in order to a fresh Head with the
// model's min valid time, summarised as a HeadDigest. The recovered head must
// have the same digest, whether its records came from segments or from a
// checkpoint (which rewrites them, dropping what is older than mint).
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "crashsim/model.h"
#include "walproof/head/head.h"
#include "walproof/head/head_digest.h"
#include "walproof/io/status.h"

namespace crashsim {

// Decodes one record and applies it to `head` as replay does.
walproof::Status ApplyRecord(std::string_view record, walproof::Head* head);

class ModelHeads {
 public:
  explicit ModelHeads(const Model& model) : model_(model) {}
  // Records [0, end) except the listed ones. Cached.
  walproof::HeadDigest Digest(uint32_t end, const std::vector<uint32_t>& skipped);

 private:
  const Model& model_;
  std::map<std::pair<uint32_t, uint64_t>, walproof::HeadDigest> cache_;
};

}  // namespace crashsim
