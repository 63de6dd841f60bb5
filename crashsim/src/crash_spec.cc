#include "crashsim/crash_spec.h"

#include <cstdlib>
#include <vector>

namespace crashsim {

const char* FaultClassName(FaultClass c) {
  switch (c) {
    case FaultClass::kCut: return "cut";
    case FaultClass::kLostData: return "lost-unsynced";
    case FaultClass::kTorn: return "torn";
    case FaultClass::kDirOps: return "dir-ops";
    case FaultClass::kIoError: return "io-error";
    case FaultClass::kAtRest: return "at-rest";
    case FaultClass::kCompound: return "compound";
  }
  return "?";
}

bool ParseFaultClass(const std::string& name, FaultClass* out) {
  for (int i = 1; i <= kNumFaultClasses; ++i) {
    auto c = static_cast<FaultClass>(i);
    if (name == FaultClassName(c) || name == std::to_string(i)) {
      *out = c;
      return true;
    }
  }
  return false;
}

const char* FillName(Fill f) {
  switch (f) {
    case Fill::kZeros: return "zeros";
    case Fill::kRandom: return "random";
    case Fill::kStale: return "stale";
  }
  return "?";
}

std::string StateId::ToString() const {
  if (cls == FaultClass::kCompound) {
    return "7." + std::to_string(static_cast<int>(parent_cls)) + "." + std::to_string(parent_index) + "." +
           std::to_string(index);
  }
  return std::to_string(static_cast<int>(cls)) + "." + std::to_string(index);
}

bool StateId::Parse(const std::string& s, StateId* out) {
  std::vector<unsigned long> parts;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == std::string::npos) j = s.size();
    std::string part = s.substr(i, j - i);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return false;
    parts.push_back(std::strtoul(part.c_str(), nullptr, 10));
    i = j + 1;
  }
  if (parts.empty() || parts[0] < 1 || parts[0] > static_cast<unsigned long>(kNumFaultClasses)) return false;
  StateId id;
  id.cls = static_cast<FaultClass>(parts[0]);
  if (id.cls == FaultClass::kCompound) {
    if (parts.size() != 4 || parts[1] < 1 || parts[1] > 6) return false;
    id.parent_cls = static_cast<FaultClass>(parts[1]);
    id.parent_index = static_cast<uint32_t>(parts[2]);
    id.index = static_cast<uint32_t>(parts[3]);
  } else {
    if (parts.size() != 2) return false;
    id.index = static_cast<uint32_t>(parts[1]);
  }
  *out = id;
  return true;
}

}  // namespace crashsim
