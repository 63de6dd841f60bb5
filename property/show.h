// How counterexamples print. RapidCheck shows every generated value of a
// failing case; these overloads (found by ADL) keep multi-page strings down to
// a prefix and a length, and show doubles as their bits, since the bits are
// what the WAL must keep.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "walproof/format/fragment.h"
#include "walproof/format/record.h"

namespace walproof {

void showValue(const Label& label, std::ostream& os);
void showValue(const Record& record, std::ostream& os);
void showValue(Compression c, std::ostream& os);

}  // namespace walproof

namespace walproof::prop {

// Printable, escaped, at most about 48 bytes then "...(N bytes)".
std::string Abbrev(std::string_view bytes);
// "0x7ff0000000000002" for the stale marker, and so on.
std::string Bits(double v);
// One line per record, for failure messages.
std::string Describe(const Record& record);

}  // namespace walproof::prop
