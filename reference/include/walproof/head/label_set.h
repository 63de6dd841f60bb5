// Label sets in the WAL's encoding (uvarint count, then uvarint-length
// prefixed names and values), as Head::encoded_labels() returns them: equal
// sets give equal strings, so they serve as keys. Included by head.h.
#pragma once

#include <string>
#include <string_view>

#include "walproof/format/record.h"

namespace walproof {

// Prometheus's label order (labels.Compare) over encoded label sets.
int CompareEncodedLabels(std::string_view a, std::string_view b);
// Encodes / decodes a label set as Head::encoded_labels() returns it.
std::string EncodeLabelSet(const Labels& labels);
Labels DecodeLabelSet(std::string_view encoded);

}  // namespace walproof
