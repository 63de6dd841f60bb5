// Property 6, the whole WAL against a plain model (rc::state). Commands:
// Log, Sync, NextSegment, Checkpoint, Truncate, Kill (kill -9: handles die,
// written data stays in the page cache), PowerLoss (through crashsim's SimFs:
// unsynced data is lost, except for a chosen number of whole records, and
// optionally the next one torn), Reopen and Repair. The model is the list of
// records that must be there and how many of them were acknowledged durable.
//
// After every command the WAL must read back as the model says: the records
// in the segments after the newest checkpoint are exactly the model's, in
// order (no loss, no duplicate, no invented record); it reads clean, unless
// the model expects a torn record (then it stops right after the model's
// records); and replay builds the head that applying the model's records
// directly builds, with the newest checkpoint's mint as min valid time.
//
// Durability is the oracle's rule (docs/design.md, "The oracle"): what was
// logged before a completed Sync (or NextSegment, Close, Truncate) survives a
// power loss, and what survives is a prefix of what was logged. Opening a writer after a kill
// makes what the killed one wrote durable (wal_writer.h); without that, a
// later Sync would leave a hole: old records lost behind durable new ones.
// The WAL directory itself starts missing, so its creation must be durable.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <limits>
#include <memory>

#include "crashsim/sim_fs.h"
#include "gen/rc_choices.h"
#include "gen/workload.h"
#include "head_compare.h"
#include "layout_model.h"
#include "read_back.h"
#include "show.h"
#include "wal_gen.h"
#include "walproof/format/record_codec.h"
#include "walproof/head/replay.h"
#include "walproof/wal/checkpoint.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_writer.h"

namespace walproof::prop {
namespace {

namespace gen = rc::gen;

struct WalModel {
  std::shared_ptr<const WalContext> ctx;
  int64_t base_time = 0;
  size_t logged = 0;               // records ever logged: places new records' times
  std::vector<Record> records;     // what must be replayed, in order
  size_t durable = 0;              // records[0, durable) were acknowledged durable
  bool open = true;                // a writer is open
  bool torn = false;               // a torn record follows `records` until Repair
  bool checkpointed = false;       // a checkpoint may exist
  int64_t mint = std::numeric_limits<int64_t>::min();
};

struct WalSut {
  std::unique_ptr<crashsim::SimFs> fs;
  std::unique_ptr<WalWriter> writer;
  WalWriterOptions options;
  // Per model record: the segment it was written to and where it ends there.
  std::vector<int> segment_of;
  std::vector<uint64_t> end_of;
  // What actually happened, to classify test cases.
  int checkpoints = 0, truncations = 0, kills = 0, power_losses = 0, tears = 0, repairs = 0;
};

using Command = rc::state::Command<WalModel, WalSut>;

void Fail(const std::string& what, const Status& st) {
  if (!st.ok()) RC_FAIL(what + ": " + st.ToString());
}

// The check that follows every command; s1 is the model after it.
void CheckWal(const WalModel& s1, WalSut& sut) {
  // No directory is an empty WAL: it is what recovery finds after a power
  // loss lost the directory's entry, and the record count check below says
  // whether that lost anything.
  auto kind = sut.fs->Stat("wal");
  Fail("Stat", kind.status());
  if (*kind == FileKind::kMissing) {
    if (!s1.records.empty()) {
      RC_FAIL("the WAL directory is gone; the model holds " + std::to_string(s1.records.size()) +
              " records (" + std::to_string(s1.durable) + " acknowledged durable)");
    }
    return;
  }
  auto plan = PlanWalRead(*sut.fs, "wal");
  Fail("PlanWalRead", plan.status());
  auto back = ReadBackWal(*sut.fs, "wal");
  Fail("ReadBackWal", back.status());
  if (s1.torn) {
    if (back->status.ok()) RC_FAIL("a torn record was expected to stop the reader");
  } else if (!back->status.ok()) {
    RC_FAIL("WAL does not read clean: " + back->status.ToString());
  }
  std::vector<std::string> want;
  for (size_t i = 0; i < s1.records.size(); ++i) {
    if (!plan->checkpoint || sut.segment_of[i] > *plan->checkpoint) {
      want.push_back(EncodeRecord(s1.records[i]));
    }
  }
  const std::string diff_records = DiffRecords(back->SegmentRecords(), want);
  if (!diff_records.empty()) {
    RC_FAIL("after the checkpoint, WAL vs model (" + std::to_string(s1.durable) + " of " +
            std::to_string(s1.records.size()) + " acknowledged durable): " + diff_records);
  }

  HeadOptions options;
  options.min_valid_time = s1.mint;
  Head expected(options), actual(options);
  for (const Record& r : s1.records) ApplyRecord(r, &expected);
  ReplayOptions replay_options;
  replay_options.timing = false;
  ReplayReport report;
  const Status st = ReplaySequential(*sut.fs, "wal", &actual, replay_options, &report);
  if (!s1.torn) Fail("replay", st);
  // Checkpoints move metadata (see CheckpointProperty.*MetadataIncluded).
  const std::string diff = DiffHeads(expected, actual, {nullptr, !s1.checkpointed});
  if (!diff.empty()) RC_FAIL("replay differs from the model (model vs WAL): " + diff);
}

void Open(WalSut& sut) {
  auto w = WalWriter::Open(*sut.fs, "wal", sut.options);
  Fail("WalWriter::Open", w.status());
  sut.writer = std::move(*w);
}

struct Log : Command {
  Record record;
  explicit Log(const WalModel& s0) {
    RC_PRE(s0.open);
    record = *genDraftRecord(*s0.ctx);
    PlaceRecord(s0.base_time, s0.logged, &record);
  }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(s0.open); }
  void apply(WalModel& s0) const override {
    s0.records.push_back(record);
    ++s0.logged;
  }
  void run(const WalModel& s0, WalSut& sut) const override {
    Fail("Log", sut.writer->Log(EncodeRecord(record)));
    sut.segment_of.push_back(sut.writer->active_segment());
    sut.end_of.push_back(sut.writer->active_segment_size());
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Log " << Describe(record); }
};

// Sync, NextSegment, Close-and-reopen: each acknowledges everything logged.
struct Sync : Command {
  explicit Sync(const WalModel& s0) { RC_PRE(s0.open); }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(s0.open); }
  void apply(WalModel& s0) const override { s0.durable = s0.records.size(); }
  void run(const WalModel& s0, WalSut& sut) const override {
    Fail("Sync", sut.writer->Sync());
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Sync"; }
};

struct NextSegment : Command {
  explicit NextSegment(const WalModel& s0) { RC_PRE(s0.open); }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(s0.open); }
  void apply(WalModel& s0) const override { s0.durable = s0.records.size(); }
  void run(const WalModel& s0, WalSut& sut) const override {
    Fail("NextSegment", sut.writer->NextSegment().status());
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "NextSegment"; }
};

// A mint: below everything, or the time of a sample the model holds.
int64_t DrawMint(const WalModel& s0) {
  std::vector<int64_t> times = {std::numeric_limits<int64_t>::min()};
  for (const Record& r : s0.records) {
    if (auto* s = std::get_if<SamplesRecord>(&r)) {
      for (const RefSample& x : s->samples) times.push_back(x.t);
    }
  }
  return *gen::elementOf(times);
}

const KeepSeriesFn kKeepAll = [](uint64_t) { return true; };

// Checkpoint of finished segments only (below the active one), as Prometheus
// does.
struct Checkpoint : Command {
  int64_t mint = 0;
  uint32_t pick = 0;  // which finished segment becomes `to`
  explicit Checkpoint(const WalModel& s0) {
    RC_PRE(s0.open);
    mint = DrawMint(s0);
    pick = *gen::arbitrary<uint32_t>();
  }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(s0.open); }
  // Replay drops what is older than the newest mint whether or not a
  // checkpoint could be written (the head's min valid time does it), so the
  // model need not know whether one was.
  void apply(WalModel& s0) const override {
    s0.mint = std::max(s0.mint, mint);
    s0.checkpointed = true;
  }
  void run(const WalModel& s0, WalSut& sut) const override {
    auto plan = PlanWalRead(*sut.fs, "wal");
    Fail("PlanWalRead", plan.status());
    std::vector<int> finished;
    for (const SegmentFile& s : plan->segments) {
      if (s.index < sut.writer->active_segment()) finished.push_back(s.index);
    }
    if (!finished.empty()) {
      CheckpointOptions options;
      options.compression = sut.options.compression;
      options.segment_size = sut.options.segment_size;
      const int to = finished[pick % finished.size()];
      Fail("Checkpoint", walproof::Checkpoint(*sut.fs, "wal", finished.front(), to, kKeepAll, mint,
                                              options).status());
      ++sut.checkpoints;
    }
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Checkpoint(mint " << mint << ", pick " << pick << ")"; }
};

// Head truncation: new segment, checkpoint, delete what it covers.
struct Truncate : Command {
  int64_t mint = 0;
  explicit Truncate(const WalModel& s0) {
    RC_PRE(s0.open);
    mint = DrawMint(s0);
  }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(s0.open); }
  void apply(WalModel& s0) const override {
    s0.durable = s0.records.size();
    s0.mint = std::max(s0.mint, mint);
    s0.checkpointed = true;
  }
  void run(const WalModel& s0, WalSut& sut) const override {
    CheckpointOptions options;
    options.compression = sut.options.compression;
    options.segment_size = sut.options.segment_size;
    auto r = TruncateWal(*sut.fs, *sut.writer, mint, kKeepAll, options);
    Fail("TruncateWal", r.status());
    Fail("TruncateWal cleanup", r->cleanup);
    if (r->range) ++sut.truncations;
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Truncate(mint " << mint << ")"; }
};

// kill -9: the writer's handles die; what it wrote stays in the page cache.
struct Kill : Command {
  explicit Kill(const WalModel& s0) { RC_PRE(s0.open); }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(s0.open); }
  void apply(WalModel& s0) const override { s0.open = false; }
  void run(const WalModel& s0, WalSut& sut) const override {
    sut.fs->KillProcess();
    sut.writer.reset();
    ++sut.kills;
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Kill"; }
};

// Power loss: the disk keeps what was synced, plus `keep` more whole records
// of those not acknowledged, and with `tear` part of the one after them (a
// cut inside a fragment payload that removes a non-zero byte, so the format
// can tell).
struct PowerLoss : Command {
  size_t keep = 0;
  bool tear = false;
  uint32_t where = 0;
  explicit PowerLoss(const WalModel&) {
    keep = *gen::inRange<size_t>(0, 4);
    tear = *gen::arbitrary<bool>();
    where = *gen::arbitrary<uint32_t>();
  }
  size_t Kept(const WalModel& s0) const { return std::min(keep, s0.records.size() - s0.durable); }
  bool Torn(const WalModel& s0) const { return tear && s0.durable + Kept(s0) < s0.records.size(); }
  void apply(WalModel& s0) const override {
    s0.torn = s0.torn || Torn(s0);  // a torn record stays until Repair
    s0.records.resize(s0.durable + Kept(s0));
    s0.durable = s0.records.size();
    s0.open = false;
  }
  void run(const WalModel& s0, WalSut& sut) const override {
    sut.fs->KillProcess();
    sut.writer.reset();
    crashsim::CrashImage image = sut.fs->DurableImage();
    const crashsim::CrashImage volatile_image = sut.fs->VolatileImage();
    auto find = [](crashsim::CrashImage& img, const std::string& path) -> crashsim::CrashImage::Entry* {
      for (auto& e : img.entries) {
        if (e.path == path) return &e;
      }
      return nullptr;
    };
    auto volatile_data = [&](const std::string& path) -> const std::string& {
      for (const auto& e : volatile_image.entries) {
        if (e.path == path) return *e.data;
      }
      RC_FAIL("no volatile " + path);
    };
    // Grows a file of the image to `size` bytes of what the process wrote.
    auto keep_to = [&](int segment, uint64_t size) {
      const std::string path = "wal/" + SegmentFileName(segment);
      crashsim::CrashImage::Entry* e = find(image, path);
      // A file whose name is not durable is gone, records and all; the
      // check below reports what that lost.
      if (e != nullptr && e->data->size() < size) e->data = crashsim::MakeBytes(volatile_data(path).substr(0, size));
    };
    const size_t kept = Kept(s0);
    for (size_t i = s0.durable; i < s0.durable + kept; ++i) keep_to(sut.segment_of[i], sut.end_of[i]);
    if (Torn(s0)) {
      const size_t t = s0.durable + kept;
      const std::string path = "wal/" + SegmentFileName(sut.segment_of[t]);
      const std::string& data = volatile_data(path);
      // The torn record's fragments: those ending after the previous record.
      const uint64_t start = t > 0 && sut.segment_of[t - 1] == sut.segment_of[t] ? sut.end_of[t - 1] : 0;
      std::vector<uint64_t> cuts;  // offsets whose cut removes a non-zero payload byte
      for (const FragmentAt& f : ParseFragments(data)) {
        if (f.offset < start || f.offset >= sut.end_of[t]) continue;
        for (uint64_t b = f.offset + kFragmentHeaderSize; b < f.end(); ++b) {
          if (data[b] != 0) cuts.push_back(b);
        }
      }
      if (cuts.empty()) RC_FAIL("no place to tear record " + std::to_string(t));
      // Cut before a non-zero byte: every byte from there on is lost.
      const uint64_t at = cuts[where % cuts.size()];
      if (crashsim::CrashImage::Entry* e = find(image, path)) {
        RC_ASSERT(e->data->size() <= at);
        e->data = crashsim::MakeBytes(data.substr(0, at));
      }
    }
    ++sut.power_losses;
    if (Torn(s0)) ++sut.tears;
    sut.fs = std::make_unique<crashsim::SimFs>(image);
    sut.fs->set_recording(false);
    const WalModel s1 = nextState(s0);
    sut.segment_of.resize(s1.records.size());
    sut.end_of.resize(s1.records.size());
    CheckWal(s1, sut);
  }
  void show(std::ostream& os) const override {
    os << "PowerLoss(keep " << keep << " unsynced records" << (tear ? ", tear the next" : "") << ")";
  }
};

// Open again; an open writer is closed first (which syncs), and what a
// killed one left is synced by the open.
struct Reopen : Command {
  explicit Reopen(const WalModel& s0) { RC_PRE(!s0.torn); }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(!s0.torn); }
  void apply(WalModel& s0) const override {
    s0.durable = s0.records.size();
    s0.open = true;
  }
  void run(const WalModel& s0, WalSut& sut) const override {
    if (sut.writer) {
      Fail("Close", sut.writer->Close());
      sut.writer.reset();
    }
    Open(sut);
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Reopen"; }
};

// Start-up repair, with no writer open: needed exactly when a record is torn.
struct Repair : Command {
  explicit Repair(const WalModel& s0) { RC_PRE(!s0.open); }
  void checkPreconditions(const WalModel& s0) const override { RC_PRE(!s0.open); }
  void apply(WalModel& s0) const override { s0.torn = false; }
  void run(const WalModel& s0, WalSut& sut) const override {
    // A WAL directory lost to a power loss needs no repair (CheckWal says
    // whether losing it lost records).
    auto kind = sut.fs->Stat("wal");
    Fail("Stat", kind.status());
    if (*kind == FileKind::kMissing) return CheckWal(nextState(s0), sut);
    auto plan = PlanRepair(*sut.fs, "wal");
    Fail("PlanRepair", plan.status());
    if (plan->needed() != s0.torn) {
      RC_FAIL(std::string("repair ") + (plan->needed() ? "wants to change" : "would not change") +
              " the WAL: " + plan->Summary());
    }
    if (plan->needed()) {
      Fail("ExecuteRepair", ExecuteRepair(*sut.fs, "wal", *plan));
      ++sut.repairs;
    }
    CheckWal(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "Repair"; }
};

RC_GTEST_PROP(WalModelProperty, WalMatchesTheModelAfterEveryCommand, ()) {
  WalModel s0;
  s0.ctx = std::make_shared<const WalContext>(*genContext());
  s0.base_time = *genBaseTime();
  WalSut sut;
  sut.options.compression = *walproof::gen::Rc(walproof::gen::AnyCompression);
  sut.options.segment_size = *gen::element(uint64_t{kPageSize}, uint64_t{2 * kPageSize}, uint64_t{4 * kPageSize});
  // No WAL directory yet: the first Open makes it, durably.
  sut.fs = std::make_unique<crashsim::SimFs>();
  sut.fs->set_recording(false);
  Open(sut);
  // Up to 40 commands; Log is listed thrice to make it as common as the
  // rest together-ish.
  const auto commands = *gen::scale(
      0.4, rc::state::gen::commands(s0, rc::state::gen::execOneOfWithArgs<
                                            Log, Log, Log, Sync, NextSegment, Checkpoint, Truncate,
                                            Kill, PowerLoss, Reopen, Repair>()));
  rc::state::runAll(commands, s0, sut);
  RC_CLASSIFY(sut.checkpoints > 0, "checkpoint");
  RC_CLASSIFY(sut.truncations > 0, "truncation");
  RC_CLASSIFY(sut.kills > 0, "kill");
  RC_CLASSIFY(sut.power_losses > 0, "power loss");
  RC_CLASSIFY(sut.repairs > 0, "repair of a torn record");
}

}  // namespace
}  // namespace walproof::prop
