// SHA-256 of a byte string, as lowercase hex: how the trace self-check
// names file contents, so a person can compare them with sha256sum(1).
#pragma once

#include <string>
#include <string_view>

namespace crashsim {

std::string Sha256Hex(std::string_view data);

}  // namespace crashsim
