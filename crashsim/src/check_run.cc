#include "crashsim/check_run.h"

#include <cstdint>
#include <string>
#include <vector>

#include "crashsim/crash_builder.h"
#include "crashsim/crash_image.h"

namespace crashsim {
namespace {

bool InShard(uint32_t index, const CheckOptions& o) {
  return static_cast<int>(index % static_cast<uint32_t>(o.shards)) == o.shard;
}

// Rebuilds one state of the run `builder` was made from and asks the test.
void CheckOne(CrashTest& test, const CrashBuilder& builder, const CrashSpec& spec, const StateId& id,
              const CheckOptions& options, CheckResult* result) {
  CrashState state{id, builder.ResolvePoint(spec), builder.Describe(spec)};
  SimFs disk(builder.Build(spec));
  std::string why = test.Check(disk, state);
  const int cls = static_cast<int>(id.cls);
  ++result->checked;
  ++result->checked_by_class[cls];
  if (why.empty()) return;
  ++result->failed;
  ++result->failed_by_class[cls];
  if (result->failures.size() < options.keep_failures) result->failures.push_back({std::move(state), std::move(why)});
}

}  // namespace

walproof::Result<CheckResult> CheckCrashStates(CrashTest& test, const CheckOptions& options) {
  if (options.classes.Has(FaultClass::kCompound))
    return walproof::Status::InvalidArgument("class 7 (compound) needs recovery inside crashsim: not offered");
  if (options.shards < 1 || options.shard < 0 || options.shard >= options.shards)
    return walproof::Status::InvalidArgument("shard " + std::to_string(options.shard) + "/" +
                                             std::to_string(options.shards) + " is not I/N with 0 <= I < N");
  CheckResult result;
  SimFs base;
  test.Run(base);
  const CrashBuilder builder(base);
  for (FaultClass cls : {FaultClass::kCut, FaultClass::kLostData, FaultClass::kTorn, FaultClass::kDirOps,
                         FaultClass::kAtRest}) {
    if (!options.classes.Has(cls)) continue;
    const std::vector<CrashSpec> specs = EnumerateClass(base, cls, options.limits, options.seed);
    for (uint32_t i = 0; i < specs.size(); ++i)
      if (InShard(i, options)) CheckOne(test, builder, specs[i], StateId{cls, i}, options, &result);
  }
  if (!options.classes.Has(FaultClass::kIoError)) return result;
  // Class 5: the workload again with one call failing, then the states of
  // that run. Ids are numbered as `crashsim run` numbers them.
  const std::vector<IoRun> runs = EnumerateIoRuns(base);
  for (uint32_t r = 0; r < runs.size(); ++r) {
    bool any = false;
    for (uint32_t local = 0; local < kStatesPerIoRun; ++local) any |= InShard(r * kStatesPerIoRun + local, options);
    if (!any) continue;
    SimFs faulty;
    faulty.InjectFault(static_cast<uint64_t>(runs[r].call), runs[r].fault);
    test.Run(faulty);
    const CrashBuilder faulty_builder(faulty);
    for (uint32_t local = 0; local < kStatesPerIoRun; ++local) {
      const StateId id{FaultClass::kIoError, r * kStatesPerIoRun + local};
      if (InShard(id.index, options)) CheckOne(test, faulty_builder, IoRunState(runs[r], local), id, options, &result);
    }
  }
  return result;
}

}  // namespace crashsim
