// walproof: verify, inspect and exercise a Prometheus write-ahead log.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"

namespace walproof::cli {
namespace {

const Command* const kCommands[] = {&kVerifyCommand,  &kStatsCommand,  &kDumpCommand,
                                    &kDiagnoseCommand, &kReplayCommand, &kRepairCommand,
                                    &kCheckpointCommand, &kRescueCommand, &kDemoCommand};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "walproof: a reference implementation of the Prometheus WAL, and tools for operators\n\n"
               "usage: walproof <command> [options]   (walproof <command> --help for details)\n\n"
               "commands:\n");
  for (const Command* c : kCommands) std::fprintf(out, "  %-10s %s\n", c->name, c->summary);
  std::fprintf(out,
               "\nCommands take the WAL directory or the Prometheus data directory holding wal/.\n"
               "\nexit codes, the same for every command:\n"
               "  0  clean (or: done)\n"
               "  1  corruption found (or: a write refused or failed)\n"
               "  2  usage error\n"
               "  3  could not check: not found, not a directory, permission denied, I/O error,\n"
               "     or not a WAL (no segment and no checkpoint; what is there is listed)\n");
}

}  // namespace

bool ParseOrExit(const Command& command, const std::vector<std::string>& argv, ArgSpec spec,
                 size_t positionals, Args* out, int* exit_code) {
  spec.bool_flags.insert("help");
  std::string error;
  bool parsed = Args::Parse(argv, spec, out, &error);
  if (parsed && out->Has("help")) {
    std::fputs(command.help, stdout);
    *exit_code = kExitOk;
    return false;
  }
  if (parsed && out->positional().size() != positionals) {
    error = "expected " + std::to_string(positionals) + " argument(s), got " +
            std::to_string(out->positional().size());
    parsed = false;
  }
  if (!parsed) {
    std::fprintf(stderr, "walproof %s: %s\n\n%s", command.name, error.c_str(), command.help);
    *exit_code = kExitUsage;
    return false;
  }
  return true;
}

}  // namespace walproof::cli

int main(int argc, char** argv) {
  using namespace walproof::cli;
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return kExitOk;
  }
  std::vector<std::string> rest(argv + 2, argv + argc);
  for (const Command* c : kCommands) {
    if (name == c->name) return c->run(rest);
  }
  std::fprintf(stderr, "walproof: unknown command '%s'\n\n", name.c_str());
  PrintUsage(stderr);
  return kExitUsage;
}
