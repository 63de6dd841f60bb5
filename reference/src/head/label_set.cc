// Label sets as the WAL encodes them, for whoever needs them outside the
// head's symbol tables (digests, tests, tools).
#include "walproof/head/label_set.h"

#include <cstdint>

#include "head/label_bytes.h"

namespace walproof {
using head_internal::GetString;
using head_internal::GetUvarint;
using head_internal::PutUvarint;

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

}  // namespace walproof
