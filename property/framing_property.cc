// Property 2, framing: for any sequence of records, any compression and any
// segment size, what the writer puts on disk is byte for byte what the writer
// rules predict (LayoutModel: fragments, page padding, segment switches,
// compression only when shorter), after every call, not just at the end; and
// reading the directory back returns exactly the records written, in order.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>
#include <sstream>

#include "gen/rc_choices.h"
#include "gen/records.h"
#include "gen/workload.h"
#include "layout_model.h"
#include "memory_fs.h"
#include "read_back.h"
#include "show.h"
#include "walproof/wal/wal_writer.h"

namespace walproof::prop {
namespace {

struct FramingOp {
  enum Kind { kLogBatch, kLogOne, kSync, kNextSegment, kReopen, kFillPage } kind = kLogBatch;
  std::vector<std::string> records;  // one for kLogOne
  // kFillPage: log incompressible bytes sized to leave exactly `gap` bytes
  // free in the page. Random sizes almost never land within a header's
  // length of a page end, where the "fewer than 7 bytes free" rule lives.
  size_t gap = 0;
};

// The record that kFillPage logs when the active segment holds `size` bytes.
std::string FillPageRecord(uint64_t size, size_t gap) {
  const size_t free = kPageSize - size % kPageSize;
  size_t len = 0;
  if (free >= kFragmentHeaderSize + gap) {
    len = free - kFragmentHeaderSize - gap;
  } else {
    // Finish this page (if a header still fits) and end on the next one.
    len = (free >= kFragmentHeaderSize ? free - kFragmentHeaderSize : 0) + kPageSize -
          kFragmentHeaderSize - gap;
  }
  return walproof::gen::ExpandBytes(2, len, size * 31 + gap);
}

void showValue(const FramingOp& op, std::ostream& os) {
  static const char* const kNames[] = {"LogBatch", "LogOne",  "Sync",
                                       "NextSegment", "Reopen", "FillPage"};
  os << kNames[op.kind];
  if (op.kind == FramingOp::kFillPage) os << "(gap " << op.gap << ")";
  if (op.kind == FramingOp::kLogBatch || op.kind == FramingOp::kLogOne) {
    os << "[";
    for (size_t i = 0; i < op.records.size(); ++i) {
      os << (i ? ", " : "") << op.records[i].size() << "B " << Abbrev(op.records[i]);
    }
    os << "]";
  }
}

rc::Gen<FramingOp> genFramingOp() {
  const auto genRawRecord = [] { return walproof::gen::Rc(walproof::gen::RawRecord); };
  namespace gen = rc::gen;
  auto with = [](FramingOp::Kind kind, rc::Gen<std::vector<std::string>> records) {
    return gen::map(std::move(records), [kind](std::vector<std::string> r) {
      return FramingOp{kind, std::move(r)};
    });
  };
  return gen::weightedOneOf<FramingOp>({
      {6, with(FramingOp::kLogBatch,
               gen::resize(4, gen::container<std::vector<std::string>>(genRawRecord())))},
      {6, with(FramingOp::kLogOne, gen::container<std::vector<std::string>>(1, genRawRecord()))},
      {1, gen::just(FramingOp{FramingOp::kSync, {}})},
      {1, gen::just(FramingOp{FramingOp::kNextSegment, {}})},
      {1, gen::just(FramingOp{FramingOp::kReopen, {}})},
      {3, gen::map(gen::resize(rc::kNominalSize,
                               gen::weightedOneOf<size_t>({{4, gen::inRange<size_t>(0, 16)},
                                                           {1, gen::inRange<size_t>(16, 64)}})),
                   [](size_t gap) { return FramingOp{FramingOp::kFillPage, {}, gap}; })},
  });
}

std::string SegmentName(int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08d", index);
  return buf;
}

// Compares the directory with the model; on a difference, says where.
void CheckFiles(MemoryFs& fs, const LayoutModel& model, const std::string& when) {
  auto listing = fs.ListDir("wal");
  RC_ASSERT(listing.ok());
  RC_ASSERT(listing->size() == model.files().size());
  for (const auto& [index, want] : model.files()) {
    const std::string* got = fs.FileData("wal/" + SegmentName(index));
    if (got == nullptr) RC_FAIL(when + ": segment " + SegmentName(index) + " missing");
    if (*got == want) continue;
    size_t at = 0;
    while (at < got->size() && at < want.size() && (*got)[at] == want[at]) ++at;
    std::ostringstream msg;
    msg << when << ": segment " << index << " differs from the writer rules at byte " << at
        << " (page " << at / kPageSize << ", offset " << at % kPageSize << "); size "
        << got->size() << ", expected " << want.size();
    RC_FAIL(msg.str());
  }
}

RC_GTEST_PROP(FramingProperty, SegmentsHoldWhatTheWriterRulesSayAndReadBack, ()) {
  const Compression compression = *walproof::gen::Rc(walproof::gen::AnyCompression);
  const uint64_t segment_size = *walproof::gen::Rc(walproof::gen::SegmentSize);
  const auto ops = *rc::gen::scale(0.25, rc::gen::container<std::vector<FramingOp>>(genFramingOp()));
  RC_TAG(CompressionName(compression));

  MemoryFs fs;
  WalWriterOptions options;
  options.segment_size = segment_size;
  options.compression = compression;
  auto writer = WalWriter::Open(fs, "wal", options);
  if (!writer.ok()) RC_FAIL("WalWriter::Open: " + writer.status().ToString());
  LayoutModel model(compression, segment_size);
  std::vector<std::string> logged;

  for (size_t i = 0; i < ops.size(); ++i) {
    FramingOp op = ops[i];
    switch (op.kind) {
      case FramingOp::kFillPage:
        op.records = {FillPageRecord((*writer)->active_segment_size(), op.gap)};
        RC_ASSERT((*writer)->Log(std::string_view(op.records[0])).ok());
        model.Log(op.records[0]);
        break;
      case FramingOp::kLogBatch:
        RC_ASSERT((*writer)->Log(op.records).ok());
        for (const std::string& r : op.records) model.Log(r);
        break;
      case FramingOp::kLogOne:
        RC_ASSERT((*writer)->Log(std::string_view(op.records[0])).ok());
        model.Log(op.records[0]);
        break;
      case FramingOp::kSync:
        RC_ASSERT((*writer)->Sync().ok());
        break;
      case FramingOp::kNextSegment: {
        auto next = (*writer)->NextSegment();
        RC_ASSERT(next.ok());
        model.NextSegment();
        RC_ASSERT(*next == model.segment());
        break;
      }
      case FramingOp::kReopen:
        RC_ASSERT((*writer)->Close().ok());
        writer = WalWriter::Open(fs, "wal", options);
        RC_ASSERT(writer.ok());
        model.Reopen();
        break;
    }
    logged.insert(logged.end(), op.records.begin(), op.records.end());
    RC_ASSERT((*writer)->active_segment() == model.segment());
    CheckFiles(fs, model, "after op " + std::to_string(i));
  }
  RC_ASSERT((*writer)->Close().ok());
  model.Close();
  CheckFiles(fs, model, "after Close");
  // Evidence that the interesting layouts do come up.
  bool spans_pages = false, oversized = false;
  for (const Placement& p : model.placements()) {
    spans_pages |= p.begin / kPageSize != (p.end - 1) / kPageSize;
    oversized |= p.end > segment_size;
  }
  RC_CLASSIFY(model.files().size() > 1, "several segments");
  RC_CLASSIFY(spans_pages, "a record spans pages");
  RC_CLASSIFY(oversized, "an oversized segment");

  auto back = ReadBackWal(fs, "wal");
  RC_ASSERT(back.ok());
  if (!back->status.ok()) RC_FAIL("reading back: " + back->status.ToString());
  const std::string diff = DiffRecords(back->records, logged);
  if (!diff.empty()) RC_FAIL("read back vs logged: " + diff);
}

}  // namespace
}  // namespace walproof::prop
