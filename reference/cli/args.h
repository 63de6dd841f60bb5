// A small command-line parser: positionals, "--flag value", "--flag=value"
// and boolean "--flag". Each subcommand declares what it accepts, so an
// unknown flag is a usage error (exit 2) instead of being ignored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "walproof/io/status.h"

namespace walproof::cli {

// The exit codes, the same for every command (main.cc's usage text and the
// README's CLI section state them):
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;  // corruption found, or a write refused or failed
inline constexpr int kExitUsage = 2;
// Could not check: not found, not a directory, permission denied, I/O error,
// or not a WAL (no segment and no checkpoint). Never "clean", never "corrupt".
inline constexpr int kExitCannotCheck = 3;

// The exit code for a Status that stopped a command: a Corruption status
// (a gap in the segments, an unusable checkpoint) is corruption found (1);
// everything else (not found, permission denied, I/O) is could not check (3).
int ExitCodeFor(const Status& st);

// What an exit code means, for JSON outputs: "clean", "corruption",
// "usage" or "cannot_check".
const char* ExitCodeName(int code);

// A read command that could not do its work: the reason on stderr and, with
// --json, one object on stdout, so a JSON reader gets a document whatever
// happens. Returns exit_code.
int ReportStop(const char* command, const std::string& dir, bool json, const std::string& error, int exit_code);

struct ArgSpec {
  std::set<std::string> value_flags;  // take a value
  std::set<std::string> bool_flags;   // take none
};

class Args {
 public:
  // Parses argv (without the program and subcommand names) into *out. On
  // failure returns false and sets *error.
  static bool Parse(const std::vector<std::string>& argv, const ArgSpec& spec, Args* out,
                    std::string* error);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& flag) const;
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  // Every value a repeatable flag was given, in order (Get returns the last).
  std::vector<std::string> GetAll(const std::string& flag) const;
  // Integer flag; false (and *error set) when present but not a number.
  bool GetInt(const std::string& flag, long long fallback, long long* out, std::string* error) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::set<std::string> bools_;
};

}  // namespace walproof::cli
