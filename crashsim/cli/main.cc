// crashsim: the crash simulator's command line (run, list, replay, selftest, export, trace).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace crashsim::cli;
  InstallCrashHandler();
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  std::string cmd = argv[1];
  // A traced program may run for minutes between two states; the watchdog
  // guards the simulator's own recoveries.
  if (cmd != "trace") StartWatchdog(120);
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "run") return RunCommand(args);
  if (cmd == "list") return ListCommand(args);
  if (cmd == "replay") return ReplayCommand(args);
  if (cmd == "selftest") return SelftestCommand(args);
  if (cmd == "export") return ExportCommand(args);
  if (cmd == "trace") return TraceCommand(args);
  std::fprintf(stderr, "crashsim: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return kExitUsage;
}
