#include "walproof/tsdb/rescue.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <set>
#include <optional>
#include <span>

#include "tsdb/parallel_for.h"
#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/partial_replay.h"
#include "walproof/tsdb/rescue_journal.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::tsdb {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The newest maxTime of the blocks already in DATA (Prometheus's head
// refuses samples older than that at replay), and how many there are.
Status ExistingBlocks(Fs& fs, const std::string& data_dir, int64_t* newest, size_t* count) {
  *newest = std::numeric_limits<int64_t>::min();
  *count = 0;
  auto entries = fs.ListDir(data_dir);
  if (!entries.ok()) return entries.status();
  for (const DirEntry& e : *entries) {
    if (!e.is_dir || !IsUlid(e.name)) continue;
    std::string json;
    const std::string path = JoinPath(JoinPath(data_dir, e.name), kMetaFilename);
    if (!ReadWholeFile(fs, path, &json).ok()) continue;  // upstream skips it too, as not a block
    auto meta = ParseBlockMeta(json, path);
    if (!meta.ok()) return meta.status();
    *newest = std::max(*newest, meta->max_time);
    ++*count;
  }
  return Status::Ok();
}

void Rank(std::unordered_map<std::string, RankedName>& by, std::vector<RankedName>* out) {
  for (auto& [k, v] : by) out->push_back(std::move(v));
  std::sort(out->begin(), out->end(), [](const RankedName& a, const RankedName& b) {
    if (a.series != b.series) return a.series > b.series;
    if (a.samples != b.samples) return a.samples > b.samples;
    return a.name < b.name;
  });
  if (out->size() > 10) out->resize(10);
}

std::string_view LabelValue(const std::vector<LabelView>& labels, std::string_view name) {
  for (const LabelView& l : labels) {
    if (l.name == name) return l.value;
  }
  return "";
}

void Count(std::unordered_map<std::string, RankedName>& by, std::string&& name, uint64_t samples) {
  auto [it, fresh] = by.try_emplace(std::move(name));
  if (fresh) it->second.name = it->first;
  ++it->second.series;
  it->second.samples += samples;
}

}  // namespace

std::string FormatLabels(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ", ";
    out += labels[i].name + "=\"" + labels[i].value + "\"";
  }
  return out + "}";
}

Rescue::~Rescue() = default;

// What one head (the whole WAL, or one part of its series) adds to the survey.
struct Rescue::Tally {
  std::unordered_map<std::string, RankedName> metrics, targets;
  std::set<int64_t> starts;
};

// What Analyze adds up, merged from a piece of the series into the whole.
void Rescue::Merge(Tally&& from, Tally* into) {
  for (auto by : {&Tally::metrics, &Tally::targets}) {
    for (auto& [name, ranked] : from.*by) {
      auto [it, fresh] = (into->*by).try_emplace(name, ranked);
      if (!fresh) {
        it->second.series += ranked.series;
        it->second.samples += ranked.samples;
      }
    }
  }
  into->starts.merge(from.starts);
}

void Rescue::Merge(RescueSurvey&& from, RescueSurvey* into) {
  into->exemplars += from.exemplars;
  into->metadata += from.metadata;
  for (DroppedSeries& d : from.dropped) into->dropped.push_back(std::move(d));
  into->dropped_samples += from.dropped_samples;
  into->float_histogram_samples += from.float_histogram_samples;
  into->series_without_samples += from.series_without_samples;
  into->series_count += from.series_count;
  HeadTimeSpan& a = into->span;
  const HeadTimeSpan& b = from.span;
  a.float_samples += b.float_samples;
  a.histogram_samples += b.histogram_samples;
  a.deleted_samples += b.deleted_samples;
  if (b.any) {
    if (!a.any || b.mint < a.mint) a.mint = b.mint;
    if (!a.any || b.maxt > a.maxt) a.maxt = b.maxt;
    a.any = true;
  }
}

std::vector<SeriesId> Rescue::Analyze(const Head& head, Tally* tally, RescueSurvey* into) const {
  // In label order, cut into one piece per thread; the pieces' findings are
  // merged in order, so that the result does not depend on the threads.
  const std::vector<SeriesId> sorted = head.SortedSeries();
  const size_t pieces = std::clamp<size_t>(sorted.size() / 4096, 1, static_cast<size_t>(std::max(1, options_.threads)));
  struct Piece {
    Tally tally;
    RescueSurvey survey;
    std::vector<SeriesId> kept;
  };
  std::vector<Piece> found(pieces);
  ParallelFor(pieces, options_.threads, [&](size_t p) {
    const size_t begin = sorted.size() * p / pieces;
    const size_t end = sorted.size() * (p + 1) / pieces;
    found[p].kept = AnalyzeSeries(head, {sorted.data() + begin, end - begin}, &found[p].tally, &found[p].survey);
  });
  std::vector<SeriesId> kept;
  for (Piece& p : found) {
    kept.insert(kept.end(), p.kept.begin(), p.kept.end());
    Merge(std::move(p.tally), tally);
    Merge(std::move(p.survey), into);
  }
  return kept;
}

std::vector<SeriesId> Rescue::AnalyzeSeries(const Head& head, std::span<const SeriesId> series, Tally* tally,
                                            RescueSurvey* into) const {
  RescueSurvey& s = *into;
  std::vector<SeriesId> kept;
  std::set<int64_t> starts;
  std::vector<LabelView> labels;
  for (SeriesId id : series) {
    head.label_views(id, &labels);
    s.exemplars += head.exemplars(id).size();
    s.metadata += head.metadata(id) != nullptr;
    starts.clear();
    const HeadTimeSpan span = SurveySeries(head, id, options_.block_duration, &starts);
    const uint64_t samples = span.float_samples + span.histogram_samples;
    bool drop = false;
    if (!options_.drop.empty()) {
      const Labels copy = head.labels(id);
      for (const SeriesSelector& sel : options_.drop) drop = drop || sel.Matches(copy);
      if (drop) s.dropped.push_back({FormatLabels(copy), samples});
    }
    if (drop) {
      s.dropped_samples += samples;
      continue;
    }
    s.float_histogram_samples += span.float_histogram_samples;
    if (samples == 0) {
      ++s.series_without_samples;
      continue;
    }
    kept.push_back(id);
    tally->starts.insert(starts.begin(), starts.end());
    ++s.series_count;
    s.span.float_samples += span.float_samples;
    s.span.histogram_samples += span.histogram_samples;
    s.span.deleted_samples += span.deleted_samples;
    if (!s.span.any || span.mint < s.span.mint) s.span.mint = span.mint;
    if (!s.span.any || span.maxt > s.span.maxt) s.span.maxt = span.maxt;
    s.span.any = true;
    Count(tally->metrics, std::string(LabelValue(labels, "__name__")), samples);
    std::string target(LabelValue(labels, "job"));
    target += '/';
    target += LabelValue(labels, "instance");
    Count(tally->targets, std::move(target), samples);
  }
  return kept;
}

HeadOptions Rescue::HeadOptionsForRescue() const {
  HeadOptions o;
  o.min_valid_time = survey_.min_valid_time;
  // Chunks cut where blocks are, so that they are copied, not re-encoded.
  o.chunk_range = options_.block_duration;
  return o;
}

Status Rescue::ReplayInto(Fs& fs, uint32_t part, Head* head, ReplayReport* report) const {
  if (options_.parts <= 1) {
    ReplayOptions replay_options;
    replay_options.timing = false;
    if (options_.threads <= 1) return ReplaySequential(fs, survey_.wal_dir, head, replay_options, report);
    return ReplayParallel(fs, survey_.wal_dir, head, replay_options, options_.threads, report);
  }
  return ReplayPart(fs, survey_.wal_dir, part, options_.parts, head, report, options_.threads);
}

Result<std::unique_ptr<Rescue>> Rescue::Survey(Fs& fs, const std::string& data_dir, const std::string& wal_dir,
                                               const RescueOptions& options) {
  std::unique_ptr<Rescue> r(new Rescue());
  r->options_ = options;
  r->options_.parts = std::max<uint32_t>(1, options.parts);
  RescueSurvey& s = r->survey_;
  s.data_dir = data_dir;
  s.wal_dir = wal_dir;
  s.parts = r->options_.parts;
  WALPROOF_RETURN_IF_ERROR(ExistingBlocks(fs, data_dir, &s.min_valid_time, &s.existing_blocks));
  auto listing = ListWalDir(fs, wal_dir);
  if (!listing.ok()) return listing.status();
  if (!listing->segments.empty()) s.last_segment = listing->segments.back();
  for (int seg : listing->segments) {
    auto f = fs.OpenForRead(JoinPath(wal_dir, SegmentFileName(seg)));
    if (f.ok()) s.wal_bytes += (*f)->Size();
  }
  if (const CheckpointEntry* cp = listing->LastCheckpoint()) s.last_segment = std::max(s.last_segment, cp->index);

  Tally tally;
  for (uint32_t part = 0; part < s.parts; ++part) {
    auto head = std::make_unique<Head>(r->HeadOptionsForRescue());
    ReplayReport report;
    Status st = r->ReplayInto(fs, part, head.get(), &report);
    s.replay.records = report.records;  // every part reads every record
    s.replay.plan = report.plan;
    s.replay.seconds += report.seconds;
    s.replay.series += report.series;
    s.replay.samples += report.samples;
    s.replay.histogram_samples += report.histogram_samples;
    if (report.corruption) s.replay.corruption = report.corruption;
    if (!st.ok() || report.corruption) {
      if (!st.ok() && !report.corruption) return st;
      break;
    }
    const HeadMemory mem = head->Memory();
    s.head_memory.chunks += mem.chunks;
    s.head_memory.chunk_bytes += mem.chunk_bytes;
    s.head_memory.chunk_capacity += mem.chunk_capacity;
    s.head_memory.label_bytes += mem.label_bytes;
    const auto survey_started = Clock::now();
    std::vector<SeriesId> kept = r->Analyze(*head, &tally, &s);
    s.survey_seconds += SecondsSince(survey_started);
    if (s.parts == 1) {
      r->head_ = std::move(head);
      s.series = std::move(kept);
    }
  }
  s.block_starts.assign(tally.starts.begin(), tally.starts.end());
  Rank(tally.metrics, &s.top_metrics);
  Rank(tally.targets, &s.top_targets);
  return r;
}

Status Rescue::WriteBlocks(Fs& fs, const std::function<std::string(size_t)>& ulid_for, const BlockDone& done,
                           std::vector<BlockSummary>* blocks, RescueTimes* times_out) {
  RescueTimes unused_times;
  RescueTimes* times = times_out ? times_out : &unused_times;
  const RescueSurvey& s = survey_;
  const size_t ranges = s.block_starts.size();
  RescueJournal journal;
  journal.last_segment = s.last_segment;
  for (size_t i = 0; i < ranges * s.parts; ++i) journal.ulids.push_back(ulid_for(i));
  WALPROOF_RETURN_IF_ERROR(WriteRescueJournal(fs, s.data_dir, journal));
  auto fail = [&](const Status& st) {
    SettleOutcome outcome;
    std::string what;
    (void)SettleInterruptedRescue(fs, s.data_dir, &outcome, &what);  // the WAL is untouched: removes the blocks
    return st;
  };
  for (uint32_t part = 0; part < s.parts; ++part) {
    // One part at a time: its head, then its blocks, then the next.
    std::unique_ptr<Head> part_head;
    std::vector<SeriesId> series;
    const Head* head = head_.get();
    if (s.parts > 1) {
      part_head = std::make_unique<Head>(HeadOptionsForRescue());
      ReplayReport report;
      const auto replay_started = Clock::now();
      Status st = ReplayInto(fs, part, part_head.get(), &report);
      times->replay += SecondsSince(replay_started);
      if (!st.ok() || report.corruption) return fail(st.ok() ? Status::Corruption("the WAL changed since the survey") : st);
      Tally unused;
      RescueSurvey scratch;  // the survey counted this part already
      series = Analyze(*part_head, &unused, &scratch);
      head = part_head.get();
    }
    const std::vector<SeriesId>& chosen = s.parts > 1 ? series : s.series;
    const std::vector<std::string> ulids(journal.ulids.begin() + part * ranges,
                                         journal.ulids.begin() + (part + 1) * ranges);
    const auto write_started = Clock::now();
    auto all = WriteHeadBlocks(fs, *head, chosen, s.data_dir, s.block_starts, options_.block_duration, ulids,
                               options_.threads);
    times->write += SecondsSince(write_started);
    if (!all.ok()) return fail(all.status());
    const auto check_started = Clock::now();
    std::vector<std::optional<Result<BlockSummary>>> read_back(ranges);
    ParallelFor(ranges, options_.threads, [&](size_t i) {
      if ((*all)[i].series != 0) read_back[i].emplace(CheckBlock(fs, JoinPath(s.data_dir, ulids[i])));
    });
    for (size_t i = 0; i < ranges; ++i) {
      const BlockSummary* written = &(*all)[i];
      const std::string& ulid = ulids[i];
      if (written->series == 0) continue;
      const Result<BlockSummary>& back = *read_back[i];
      if (!back.ok()) return fail(back.status());
      if (back->series != written->series || back->float_samples != written->float_samples ||
          back->histogram_samples != written->histogram_samples || back->chunks != written->chunks ||
          back->digest != written->digest) {
        return fail(Status::Corruption("block " + ulid + " read back differs from what was written: " +
                                       std::to_string(back->series) + " series, " +
                                       std::to_string(back->float_samples + back->histogram_samples) +
                                       " samples read; " + std::to_string(written->series) + " series, " +
                                       std::to_string(written->float_samples + written->histogram_samples) +
                                       " samples written"));
      }
      if (done) done(*written, *back);
      blocks->push_back(*back);
    }
    times->read_back += SecondsSince(check_started);
  }
  return Status::Ok();
}

}  // namespace walproof::tsdb
