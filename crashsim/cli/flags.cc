#include <cstdlib>

#include "commands.h"

namespace crashsim::cli {

const char kUsage[] =
    "crashsim: an exhaustive, deterministic crash simulator for the walproof reference WAL\n"
    "\n"
    "usage:\n"
    "  crashsim run [--scenario NAME[,NAME...]|all] [--budget SECONDS] [--seed S] [--shard I/N]\n"
    "               [--classes LIST] [--json] [--json-out FILE] [--report FILE.html] [--quiet]\n"
    "      Runs scenarios; the budget is wall-clock seconds for the whole run, shared by the\n"
    "      scenarios (0 = no limit: exhaustive). --shard I/N checks only states with\n"
    "      index %% N == I. --classes picks fault classes (1-7 or names: cut, lost-unsynced,\n"
    "      torn, dir-ops, io-error, at-rest, compound). Exit 1 if a scenario fails its\n"
    "      expectation.\n"
    "  crashsim list [--json]\n"
    "      The scenarios, their protocol and what is expected of them.\n"
    "  crashsim replay --scenario NAME --seed S --state ID [--out DIR] [--variant NAME] [--ops]\n"
    "      Rebuilds one crash state, recovers it and prints the verdict; --out writes the\n"
    "      crash image as a directory (DIR/wal is the WAL) for `walproof` or a fuzz corpus;\n"
    "      --ops lists the file-system operations of the run up to the crash.\n"
    "  crashsim selftest [--budget SECONDS] [--seed S] [--variant NAME]\n"
    "      Runs the scenarios against deliberately broken variants of the reference; each\n"
    "      must be caught. Exit 1 if one is not.\n"
    "  crashsim export --scenario NAME [--seed S] [--states N] --out DIR\n"
    "      Writes N distinct crash images covering every fault class as Prometheus data\n"
    "      directories (DIR/ID/wal) with a manifest each, for scripts/differential-prometheus.sh.\n"
    "  crashsim trace record|faults|run|replay ...\n"
    "      Crash-tests a real program (Prometheus, walproof, your own) from a recording of its\n"
    "      system calls: `crashsim trace --help`.\n"
    "\n"
    "State ids are CLASS.INDEX (\"2.417\"), or 7.PARENTCLASS.PARENTINDEX.CHILD for a second\n"
    "crash during the recovery of another state.\n";

bool Flags::Parse(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                  const std::set<std::string>& boolean, std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + a + "'";
      return false;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (boolean.count(name)) {
      if (has_value) {
        *error = "--" + name + " takes no value";
        return false;
      }
      bools_.insert(name);
    } else if (with_value.count(name)) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          *error = "--" + name + " needs a value";
          return false;
        }
        value = args[++i];
      }
      values_[name] = value;
    } else {
      *error = "unknown flag --" + name;
      return false;
    }
  }
  return true;
}

std::string Flags::Get(const std::string& f, const std::string& fallback) const {
  auto it = values_.find(f);
  return it == values_.end() ? fallback : it->second;
}

bool Flags::GetU64(const std::string& f, uint64_t fallback, uint64_t* out, std::string* error) const {
  auto it = values_.find(f);
  if (it == values_.end()) {
    *out = fallback;
    return true;
  }
  char* end = nullptr;
  *out = std::strtoull(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0') {
    *error = "--" + f + ": not a number: '" + it->second + "'";
    return false;
  }
  return true;
}

bool Flags::GetDouble(const std::string& f, double fallback, double* out, std::string* error) const {
  auto it = values_.find(f);
  if (it == values_.end()) {
    *out = fallback;
    return true;
  }
  char* end = nullptr;
  *out = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || *out < 0) {
    *error = "--" + f + ": not a non-negative number: '" + it->second + "'";
    return false;
  }
  return true;
}

}  // namespace crashsim::cli
