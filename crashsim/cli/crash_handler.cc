// If the reference crashes inside a recovery, crashsim dies with it; this
// prints which state it was checking first, so the crash is a reproducer.
#include <csignal>
#include <cstring>
#include <unistd.h>

#include "commands.h"
#include "crashsim/runner.h"

namespace crashsim::cli {
namespace {

void OnFatalSignal(int sig) {
  const char* label = CurrentStateLabel();
  const char head[] = "\ncrashsim: fatal signal while checking ";
  (void)!write(2, head, sizeof head - 1);
  (void)!write(2, label, std::strlen(label));
  const char tail[] = "\n  (recovery must never crash: this state is a finding; rebuild it with crashsim replay)\n";
  (void)!write(2, tail, sizeof tail - 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void InstallCrashHandler() {
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnFatalSignal);
}

}  // namespace crashsim::cli
