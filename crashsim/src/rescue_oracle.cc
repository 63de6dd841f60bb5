#include "crashsim/rescue_oracle.h"

#include <algorithm>
#include <bit>

#include "crashsim/sim_fs.h"
#include "walproof/head/head.h"
#include "walproof/head/replay.h"
#include "walproof/head/xor_chunk.h"
#include "walproof/tsdb/block_check.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/block_reader.h"
#include "walproof/tsdb/histogram_chunk.h"
#include "walproof/tsdb/rescue.h"
#include "walproof/tsdb/rescue_journal.h"

namespace crashsim {

namespace {

using walproof::FileKind;
using walproof::Status;

// A histogram sample as one word, for comparing contents. A stale marker is
// its sum alone: a chunk keeps nothing else of it.
uint64_t HistogramKey(int64_t t, const walproof::Histogram& h) {
  uint64_t k = 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(t);
  auto mix = [&k](uint64_t x) {
    k ^= x + 0x9e3779b97f4a7c15ull + (k << 6) + (k >> 2);
    k *= 0xff51afd7ed558ccdull;
  };
  if (walproof::tsdb::IsStaleHistogram(h)) {
    mix(std::bit_cast<uint64_t>(h.sum) ^ 0x57a1e);
    return k;
  }
  mix(static_cast<uint64_t>(h.schema));
  mix(std::bit_cast<uint64_t>(h.zero_threshold));
  mix(h.zero_count);
  mix(h.count);
  mix(std::bit_cast<uint64_t>(h.sum));
  for (const auto* spans : {&h.positive_spans, &h.negative_spans}) {
    mix(spans->size());
    for (const walproof::HistogramSpan& s : *spans) mix(uint64_t{static_cast<uint32_t>(s.offset)} << 32 | s.length);
  }
  for (const auto* buckets : {&h.positive_buckets, &h.negative_buckets}) {
    mix(buckets->size());
    for (int64_t b : *buckets) mix(static_cast<uint64_t>(b));
  }
  return k;
}

std::string Describe(const SeriesContent& c) {
  size_t samples = 0;
  for (const auto& [k, v] : c) samples += v.size();
  return std::to_string(c.size()) + " series, " + std::to_string(samples) + " samples";
}

// The first difference between two contents, for the verdict's detail.
std::string Diff(const SeriesContent& got, const SeriesContent& want) {
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) return "series " + k + " missing";
    if (it->second != v) {
      return "series " + k + ": " + std::to_string(it->second.size()) + " samples, want " + std::to_string(v.size());
    }
  }
  for (const auto& [k, v] : got) {
    if (!want.count(k)) return "series " + k + " never in the WAL";
  }
  return "";
}

}  // namespace

WalContent ContentOfWal(walproof::Fs& fs, const std::string& wal_dir) {
  WalContent out;
  auto kind = fs.Stat(wal_dir);
  if (!kind.ok() || *kind == FileKind::kMissing) return out;
  auto entries = fs.ListDir(wal_dir);
  if (entries.ok() && entries->empty()) return out;
  walproof::Head head;
  walproof::ReplayReport report;
  walproof::ReplayOptions options;
  options.timing = false;
  Status st = walproof::ReplaySequential(fs, wal_dir, &head, options, &report);
  if (!st.ok()) {
    out.ok = false;
    out.error = "the WAL does not replay: " + st.ToString();
    return out;
  }
  for (walproof::SeriesId id : head.SortedSeries()) {
    std::vector<std::pair<int64_t, uint64_t>> samples;
    for (walproof::Head::FloatIterator it(head, id); it.Next();) {
      if (!head.IsDeleted(id, it.t())) samples.emplace_back(it.t(), it.v_bits());
    }
    for (const walproof::HistogramPoint& p : head.histograms(id)) {
      if (!head.IsDeleted(id, p.t)) samples.emplace_back(p.t, HistogramKey(p.t, p.h));
    }
    if (samples.empty()) continue;
    std::sort(samples.begin(), samples.end());
    out.content[walproof::tsdb::FormatLabels(head.labels(id))] = std::move(samples);
  }
  return out;
}

BlocksContent ContentOfBlocks(walproof::Fs& fs, const std::string& data_dir) {
  BlocksContent out;
  auto entries = fs.ListDir(data_dir);
  if (!entries.ok()) {
    out.ok = false;
    out.error = entries.status().ToString();
    return out;
  }
  for (const walproof::DirEntry& e : *entries) {
    if (!e.is_dir || !walproof::tsdb::IsUlid(e.name)) continue;
    const std::string dir = walproof::JoinPath(data_dir, e.name);
    auto sum = walproof::tsdb::CheckBlock(fs, dir);
    auto reader = sum.ok() ? walproof::tsdb::BlockReader::Open(fs, dir) : sum.status();
    if (!reader.ok()) {
      out.ok = false;
      out.error = "block " + e.name + " does not check: " + reader.status().ToString();
      return out;
    }
    ++out.blocks;
    walproof::tsdb::BlockReader& r = **reader;
    Status st = r.ForEachSeries([&](const walproof::tsdb::IndexSeries& s) -> Status {
      auto& samples = out.content[walproof::tsdb::FormatLabels(s.labels)];
      for (const walproof::tsdb::ChunkMeta& m : s.chunks) {
        uint8_t enc = 0;
        std::string_view bytes;
        WALPROOF_RETURN_IF_ERROR(r.ReadChunk(m.ref, &enc, &bytes));
        if (enc == walproof::tsdb::kEncXor) {
          for (walproof::XorIterator it(bytes); it.Next();) samples.emplace_back(it.t(), it.v_bits());
        } else {
          for (walproof::tsdb::HistogramChunkIterator it(bytes); it.Next();) {
            samples.emplace_back(it.t(), HistogramKey(it.t(), it.histogram()));
          }
        }
      }
      return Status::Ok();
    });
    if (!st.ok()) {
      out.ok = false;
      out.error = "block " + e.name + ": " + st.ToString();
      return out;
    }
  }
  for (auto& [k, v] : out.content) {
    std::sort(v.begin(), v.end());
    if (std::adjacent_find(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first == b.first; }) !=
        v.end()) {
      out.ok = false;
      out.error = "two blocks hold the same sample of " + k;
      return out;
    }
  }
  return out;
}

Status RunRescue(walproof::Fs& fs, const std::string& data_dir) {
  using namespace walproof::tsdb;
  SettleOutcome outcome;
  std::string what;
  WALPROOF_RETURN_IF_ERROR(SettleInterruptedRescue(fs, data_dir, &outcome, &what));
  if (outcome == SettleOutcome::kFinished) return Status::Ok();
  const std::string wal = walproof::JoinPath(data_dir, "wal");
  auto rescue = Rescue::Survey(fs, data_dir, wal, RescueOptions{});
  if (!rescue.ok()) return rescue.status();
  if ((*rescue)->survey().block_starts.empty()) return Status::Ok();
  std::vector<BlockSummary> blocks;
  // Fixed ULIDs, one per range: a run is reproducible from its seed.
  auto ulid = [](size_t i) {
    return "01H000000000000000000000" + std::string(1, static_cast<char>('0' + i / 10 % 10)) +
           std::string(1, static_cast<char>('0' + i % 10));
  };
  WALPROOF_RETURN_IF_ERROR((*rescue)->WriteBlocks(fs, ulid, nullptr, &blocks));
  return SwapInEmptyWal(fs, data_dir, (*rescue)->survey().last_segment);
}

Verdict JudgeRescue(const CrashImage& image, const std::string& data_dir, const SeriesContent& expected) {
  Verdict v;
  SimFs fs(image);
  fs.set_recording(false);
  const WalContent wal = ContentOfWal(fs, walproof::JoinPath(data_dir, "wal"));
  const BlocksContent blocks = ContentOfBlocks(fs, data_dir);
  if (!blocks.ok) {
    v.violation = Violation::kRescueNeither;
    v.detail = blocks.error;
    return v;
  }
  const bool wal_intact = wal.ok && wal.content == expected;
  const bool blocks_whole = blocks.content == expected && wal.ok && wal.content.empty();
  const bool both = wal_intact && blocks.content == expected;
  if (!wal_intact && !blocks_whole && !both) {
    v.violation = Violation::kRescueNeither;
    v.detail = "the WAL holds " + (wal.ok ? Describe(wal.content) : wal.error) + " and " +
               std::to_string(blocks.blocks) + " block(s) hold " + Describe(blocks.content) + "; the WAL held " +
               Describe(expected) + " (WAL: " + Diff(wal.content, expected) + "; blocks: " +
               Diff(blocks.content, expected) + ")";
    return v;
  }
  // The operator runs rescue again: it must end with everything in blocks once.
  Status st = RunRescue(fs, data_dir);
  const WalContent wal_after = ContentOfWal(fs, walproof::JoinPath(data_dir, "wal"));
  const BlocksContent blocks_after = ContentOfBlocks(fs, data_dir);
  if (!st.ok() || !blocks_after.ok || !wal_after.ok || !wal_after.content.empty() ||
      blocks_after.content != expected) {
    v.violation = Violation::kRescueRedo;
    v.detail = !st.ok() ? "the second rescue failed: " + st.ToString()
               : !blocks_after.ok ? blocks_after.error
               : !wal_after.ok    ? wal_after.error
                                  : "after a second rescue the WAL holds " + Describe(wal_after.content) +
                                     " and the blocks " + Describe(blocks_after.content) + "; want " +
                                     Describe(expected) + " in blocks (" + Diff(blocks_after.content, expected) + ")";
  }
  v.recovered = static_cast<uint32_t>(blocks_after.content.size());
  return v;
}

}  // namespace crashsim
