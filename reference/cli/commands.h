// The walproof subcommands, one file each. Every Run* takes the arguments after
// the subcommand name and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace walproof::cli {

struct Command {
  const char* name;
  const char* summary;
  const char* help;  // full --help text
  int (*run)(const std::vector<std::string>& argv);
};

extern const Command kVerifyCommand;
extern const Command kStatsCommand;
extern const Command kDumpCommand;
extern const Command kDemoCommand;
extern const Command kDiagnoseCommand;
extern const Command kReplayCommand;
extern const Command kRepairCommand;
extern const Command kCheckpointCommand;
extern const Command kRescueCommand;

// Parses argv for `command`; on --help prints the help and sets *exit_code 0,
// on a usage error prints it and sets *exit_code 2; returns false in both cases.
struct ArgSpec;
class Args;
bool ParseOrExit(const Command& command, const std::vector<std::string>& argv, ArgSpec spec,
                 size_t positionals, Args* out, int* exit_code);

}  // namespace walproof::cli
