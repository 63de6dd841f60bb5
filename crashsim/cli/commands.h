// The crashsim subcommands, one file each, and the small flag parser they share.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace crashsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // a scenario failed its expectation, or a variant was not caught
inline constexpr int kExitUsage = 2;

extern const char kUsage[];

// "--flag value", "--flag=value" and boolean "--flag"; anything else is an error.
class Flags {
 public:
  bool Parse(const std::vector<std::string>& args, const std::set<std::string>& with_value,
             const std::set<std::string>& boolean, std::string* error);
  bool Has(const std::string& f) const { return values_.count(f) || bools_.count(f); }
  std::string Get(const std::string& f, const std::string& fallback = "") const;
  // Numbers; false with *error set when present but malformed.
  bool GetU64(const std::string& f, uint64_t fallback, uint64_t* out, std::string* error) const;
  bool GetDouble(const std::string& f, double fallback, double* out, std::string* error) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> bools_;
};

int RunCommand(const std::vector<std::string>& args);
int ListCommand(const std::vector<std::string>& args);
int ReplayCommand(const std::vector<std::string>& args);
int SelftestCommand(const std::vector<std::string>& args);
int ExportCommand(const std::vector<std::string>& args);
int TraceCommand(const std::vector<std::string>& args);

// Prints the state being checked when crashsim itself dies (a crash or an
// abort inside the reference during recovery is a finding too).
void InstallCrashHandler();
// Aborts the process, naming the state, when no state finishes for `seconds`.
void StartWatchdog(int seconds);

}  // namespace crashsim::cli
