// crashsim: the crash simulator's command line (run, list, replay, selftest, export).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace crashsim::cli;
  InstallCrashHandler();
  StartWatchdog(120);
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "run") return RunCommand(args);
  if (cmd == "list") return ListCommand(args);
  if (cmd == "replay") return ReplayCommand(args);
  if (cmd == "selftest") return SelftestCommand(args);
  if (cmd == "export") return ExportCommand(args);
  std::fprintf(stderr, "crashsim: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return kExitUsage;
}
