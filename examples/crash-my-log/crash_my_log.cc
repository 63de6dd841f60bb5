// Crash-tests MyLog with walproof::crashsim: every crash state of a short
// run (cut writes, lost unsynced data, torn sectors, lost directory entries,
// failed calls) is rebuilt and MyLog's own recovery is judged by the oracle
// below. Exit 0: every state passed; 1: at least one failed (the broken
// build, which forgets a directory fsync, must end here).
#include <cstdio>
#include <string>
#include <vector>

#include "crashsim/check_run.h"
#include "my_log.h"

namespace {

class MyLogCrashTest : public crashsim::CrashTest {
 public:
  // The workload: 12 records, an fsync after every 3. After each fsync that
  // returns OK, note how many file-system ops had run: a crash at or after
  // that point must keep those records.
  void Run(crashsim::SimFs& fs) override {
    logged_.clear();
    acks_.clear();
    auto log = MyLog::Open(fs, "db");
    if (!log.ok()) return;  // a failed call (class 5) before anything was acknowledged
    for (int i = 0; i < 12; ++i) {
      logged_.push_back("record " + std::to_string(i));
      if (!(*log)->Append(logged_.back()).ok()) return;
      if (i % 3 == 2) {
        if (!(*log)->Sync().ok()) return;
        acks_.push_back({fs.log().size(), logged_.size()});
      }
    }
  }

  // The oracle: recovery reads a prefix of what was logged, in order, and
  // at least everything acknowledged before the crash.
  std::string Check(walproof::Fs& disk, const crashsim::CrashState& state) override {
    auto records = ReadMyLog(disk, "db");
    if (!records.ok()) return "recovery failed: " + records.status().ToString();
    if (records->size() > logged_.size()) return "more records than were logged";
    for (size_t i = 0; i < records->size(); ++i)
      if ((*records)[i] != logged_[i]) return "record " + std::to_string(i) + " is not the one logged";
    size_t acked = 0;
    for (const Ack& a : acks_)
      if (a.ops <= state.point) acked = a.records;
    if (records->size() < acked)
      return std::to_string(acked) + " records acknowledged, " + std::to_string(records->size()) + " recovered";
    return "";
  }

 private:
  struct Ack {
    size_t ops;
    size_t records;
  };
  std::vector<std::string> logged_;
  std::vector<Ack> acks_;
};

}  // namespace

int main() {
  MyLogCrashTest test;
  auto result = crashsim::CheckCrashStates(test);
  if (!result.ok()) return std::fprintf(stderr, "crash-my-log: %s\n", result.status().ToString().c_str()), 2;
  for (int c = 1; c <= crashsim::kNumFaultClasses; ++c) {
    if (result->checked_by_class[c] == 0) continue;
    std::printf("class %d %-14s %6llu states, %llu failed\n", c,
                crashsim::FaultClassName(static_cast<crashsim::FaultClass>(c)),
                (unsigned long long)result->checked_by_class[c], (unsigned long long)result->failed_by_class[c]);
  }
  for (const crashsim::FailedState& f : result->failures)
    std::printf("FAILED %s (%s): %s\n", f.state.id.ToString().c_str(), f.state.description.c_str(), f.why.c_str());
  std::printf("%llu crash states checked, %llu failed\n", (unsigned long long)result->checked,
              (unsigned long long)result->failed);
  return result->failed == 0 ? 0 : 1;
}
