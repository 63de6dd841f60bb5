#include "args.h"

#include <charconv>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace walproof::cli {

int ExitCodeFor(const Status& st) {
  if (st.ok()) return kExitOk;
  return st.IsCorruption() ? kExitFound : kExitCannotCheck;
}

const char* ExitCodeName(int code) {
  switch (code) {
    case kExitOk: return "clean";
    case kExitFound: return "corruption";
    case kExitUsage: return "usage";
    default: return "cannot_check";
  }
}

int ReportStop(const char* command, const std::string& dir, bool json, const std::string& error, int exit_code) {
  std::fprintf(stderr, "walproof %s: %s\n", command, error.c_str());
  if (json) {
    std::cout << nlohmann::json{{"dir", dir}, {"status", ExitCodeName(exit_code)}, {"exit_code", exit_code},
                                {"error", error}}
                     .dump()
              << "\n";
  }
  return exit_code;
}

bool Args::Parse(const std::vector<std::string>& argv, const ArgSpec& spec, Args* out,
                 std::string* error) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      if (a.size() > 1 && a[0] == '-' && a != "-") {
        *error = "unknown option " + a;
        return false;
      }
      args.positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.bool_flags.count(name)) {
      if (value) {
        *error = "--" + name + " takes no value";
        return false;
      }
      args.bools_.insert(name);
    } else if (spec.value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= argv.size()) {
          *error = "--" + name + " needs a value";
          return false;
        }
        value = argv[++i];
      }
      args.values_[name] = *value;
      args.all_values_[name].push_back(*value);
    } else {
      *error = "unknown option --" + name;
      return false;
    }
  }
  *out = std::move(args);
  return true;
}

bool Args::Has(const std::string& flag) const { return bools_.count(flag) || values_.count(flag); }

std::string Args::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  auto it = all_values_.find(flag);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

bool Args::GetInt(const std::string& flag, long long fallback, long long* out,
                  std::string* error) const {
  auto it = values_.find(flag);
  if (it == values_.end()) {
    *out = fallback;
    return true;
  }
  const std::string& s = it->second;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    *error = "--" + flag + " wants an integer, got '" + s + "'";
    return false;
  }
  return true;
}

}  // namespace walproof::cli
