#include "walproof/tsdb/rescue.h"

#include <algorithm>
#include <limits>
#include <map>

#include "walproof/tsdb/block_format.h"
#include "walproof/tsdb/block_meta.h"
#include "walproof/tsdb/rescue_journal.h"
#include "walproof/wal/wal_dir.h"

namespace walproof::tsdb {

namespace {

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

void Rank(std::map<std::string, RankedName>& by, std::vector<RankedName>* out) {
  for (auto& [k, v] : by) out->push_back(std::move(v));
  std::sort(out->begin(), out->end(), [](const RankedName& a, const RankedName& b) {
    if (a.series != b.series) return a.series > b.series;
    if (a.samples != b.samples) return a.samples > b.samples;
    return a.name < b.name;
  });
  if (out->size() > 10) out->resize(10);
}

std::string LabelValue(const Labels& labels, const char* name) {
  for (const Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return "";
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

Result<std::unique_ptr<Rescue>> Rescue::Survey(Fs& fs, const std::string& data_dir, const std::string& wal_dir,
                                               const RescueOptions& options) {
  std::unique_ptr<Rescue> r(new Rescue());
  r->options_ = options;
  RescueSurvey& s = r->survey_;
  s.data_dir = data_dir;
  s.wal_dir = wal_dir;
  WALPROOF_RETURN_IF_ERROR(ExistingBlocks(fs, data_dir, &s.min_valid_time, &s.existing_blocks));
  auto listing = ListWalDir(fs, wal_dir);
  if (!listing.ok()) return listing.status();
  if (!listing->segments.empty()) s.last_segment = listing->segments.back();
  for (int seg : listing->segments) {
    auto f = fs.OpenForRead(JoinPath(wal_dir, SegmentFileName(seg)));
    if (f.ok()) s.wal_bytes += (*f)->Size();
  }
  if (const CheckpointEntry* cp = listing->LastCheckpoint()) s.last_segment = std::max(s.last_segment, cp->index);

  HeadOptions head_options;
  head_options.min_valid_time = s.min_valid_time;
  r->head_ = std::make_unique<Head>(head_options);
  ReplayOptions replay_options;
  replay_options.timing = false;
  WALPROOF_RETURN_IF_ERROR(ReplaySequential(fs, wal_dir, r->head_.get(), replay_options, &s.replay));
  const Head& head = *r->head_;
  s.head_memory = head.Memory();

  std::map<std::string, RankedName> metrics, targets;
  std::vector<SeriesId> one(1);
  for (SeriesId id : head.SortedSeries()) {
    const Labels labels = head.labels(id);
    s.exemplars += head.exemplars(id).size();
    s.metadata += head.metadata(id) != nullptr;
    one[0] = id;
    const HeadTimeSpan span = SpanOf(head, one);
    const uint64_t samples = span.float_samples + span.histogram_samples;
    bool drop = false;
    for (const SeriesSelector& sel : options.drop) drop = drop || sel.Matches(labels);
    if (drop) {
      s.dropped.push_back({FormatLabels(labels), samples});
      s.dropped_samples += samples;
      continue;
    }
    if (samples == 0) {
      ++s.series_without_samples;
      s.float_histogram_samples += span.float_histogram_samples;
      continue;
    }
    s.series.push_back(id);
    RankedName& m = metrics[LabelValue(labels, "__name__")];
    m.name = LabelValue(labels, "__name__");
    ++m.series;
    m.samples += samples;
    const std::string target = LabelValue(labels, "job") + "/" + LabelValue(labels, "instance");
    RankedName& t = targets[target];
    t.name = target;
    ++t.series;
    t.samples += samples;
  }
  s.span = SpanOf(head, s.series);
  s.float_histogram_samples += s.span.float_histogram_samples;
  s.block_starts = BlockStartsOf(head, s.series, options.block_duration);
  Rank(metrics, &s.top_metrics);
  Rank(targets, &s.top_targets);
  return r;
}

Status Rescue::WriteBlocks(Fs& fs, const std::function<std::string(size_t)>& ulid_for, const BlockDone& done,
                           std::vector<BlockSummary>* blocks) {
  const RescueSurvey& s = survey_;
  RescueJournal journal;
  journal.last_segment = s.last_segment;
  for (size_t i = 0; i < s.block_starts.size(); ++i) journal.ulids.push_back(ulid_for(i));
  WALPROOF_RETURN_IF_ERROR(WriteRescueJournal(fs, s.data_dir, journal));
  auto fail = [&](const Status& st) {
    SettleOutcome outcome;
    std::string what;
    (void)SettleInterruptedRescue(fs, s.data_dir, &outcome, &what);  // the WAL is untouched: removes the blocks
    return st;
  };
  for (size_t i = 0; i < s.block_starts.size(); ++i) {
    const int64_t mint = s.block_starts[i];
    auto written = WriteHeadBlock(fs, *head_, s.series, s.data_dir, mint, mint + options_.block_duration,
                                  journal.ulids[i]);
    if (!written.ok()) return fail(written.status());
    if (written->series == 0) continue;
    auto back = CheckBlock(fs, JoinPath(s.data_dir, journal.ulids[i]));
    if (!back.ok()) return fail(back.status());
    if (back->series != written->series || back->float_samples != written->float_samples ||
        back->histogram_samples != written->histogram_samples || back->chunks != written->chunks ||
        back->digest != written->digest) {
      return fail(Status::Corruption("block " + journal.ulids[i] + " read back differs from what was written: " +
                                     std::to_string(back->series) + " series, " +
                                     std::to_string(back->float_samples + back->histogram_samples) +
                                     " samples read; " + std::to_string(written->series) + " series, " +
                                     std::to_string(written->float_samples + written->histogram_samples) +
                                     " samples written"));
    }
    if (done) done(*written, *back);
    blocks->push_back(*back);
  }
  return Status::Ok();
}

}  // namespace walproof::tsdb
