// Recovery must never hang. A state that takes longer than any state should
// (minutes, where states take microseconds) is reported by name and the run
// aborted, so that the hang has a reproducer.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "commands.h"
#include "crashsim/runner.h"

namespace crashsim::cli {

void StartWatchdog(int seconds) {
  std::thread([seconds] {
    uint64_t last = StatesStarted();
    int still = 0;
    while (true) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      uint64_t now = StatesStarted();
      still = now == last ? still + 1 : 0;
      last = now;
      if (now > 0 && still >= seconds) {
        std::fprintf(stderr, "\ncrashsim: no progress for %d s while checking %s\n"
                             "  (recovery must never hang: this state is a finding; rebuild it with crashsim replay)\n",
                     seconds, CurrentStateLabel());
        std::_Exit(3);
      }
    }
  }).detach();
}

}  // namespace crashsim::cli
