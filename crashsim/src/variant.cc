#include "crashsim/variant.h"

#include "walproof/head/replay.h"
#include "walproof/wal/repair.h"

namespace crashsim {

std::unique_ptr<walproof::Fs> Variant::WrapWorkloadFs(walproof::Fs&) { return nullptr; }
std::unique_ptr<walproof::Fs> Variant::WrapRecoveryFs(walproof::Fs&) { return nullptr; }

walproof::Status Variant::Repair(walproof::Fs& fs, const std::string& dir, walproof::DurabilityProtocol protocol,
                                 bool* wrote) {
  *wrote = false;
  auto plan = walproof::PlanRepair(fs, dir);
  if (!plan.ok()) return plan.status();
  if (!plan->needed()) return walproof::Status::Ok();
  *wrote = true;
  walproof::RepairOptions options;
  options.protocol = protocol;
  return walproof::ExecuteRepair(fs, dir, *plan, options);
}

walproof::Status Variant::Replay(walproof::Fs& fs, const std::string& dir, walproof::Head* head) {
  walproof::ReplayOptions options;
  options.timing = false;
  walproof::ReplayReport report;
  return walproof::ReplaySequential(fs, dir, head, options, &report);
}

namespace {
class Reference final : public Variant {
 public:
  std::string name() const override { return "reference"; }
  std::string description() const override { return "the reference, unchanged"; }
};
}  // namespace

Variant& ReferenceVariant() {
  static Reference v;
  return v;
}

}  // namespace crashsim
