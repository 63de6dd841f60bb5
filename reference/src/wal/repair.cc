// Repair: plan (read in replay order, find the first corruption, count what
// goes), then execute in the order repair.h argues is crash-safe.
#include "walproof/wal/repair.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "format/compression.h"
#include "walproof/format/crc32c.h"
#include "walproof/format/fragment.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/wal_dir.h"

namespace walproof {
namespace {

constexpr std::string_view kRepairTmpSuffix = ".repair.tmp";
constexpr std::string_view kUpstreamRepairSuffix = ".repair";
constexpr size_t kCopyChunk = 1 << 20;

bool Walproof(DurabilityProtocol p) { return p == DurabilityProtocol::kWalproof; }

std::string SegPath(const std::string& dir, int s) { return JoinPath(dir, SegmentFileName(s)); }

Result<uint64_t> FileSize(Fs& fs, const std::string& path) {
  auto f = fs.OpenForRead(path);
  if (!f.ok()) return f.status();
  return (*f)->Size();
}

// Reads `files` as one stream, decoding every record as replay does, until
// the end or the first corruption (a decode error included; the body of a
// record replay skips, such as mmap markers, is never judged). Calls
// on_record for each good one. I/O errors are returned; corruption is
// reported in *corruption.
struct GoodRead {
  uint64_t records = 0;
  uint64_t end_offset = 0;  // just past the last good record, in its segment
  std::optional<CorruptionInfo> corruption;
};

template <typename OnRecord>
Result<GoodRead> ReadGood(Fs& fs, std::vector<SegmentFile> files, OnRecord on_record) {
  GoodRead out;
  SegmentReader reader(fs, std::move(files));
  std::string_view rec;
  Record decoded;
  while (reader.Next(&rec)) {
    Status st = DecodeRecordAsReplayed(rec, &decoded);
    if (!st.ok()) {
      out.corruption = CorruptionInfo{reader.segment_path(), reader.segment(), reader.offset(),
                                      std::string("decode ") + RecordTypeName(PeekRecordType(rec)) +
                                          ": " + st.message()};
      return out;
    }
    ++out.records;
    out.end_offset = reader.offset();
    on_record(rec);
  }
  if (!reader.status().ok()) {
    if (!reader.corruption()) return reader.status();
    out.corruption = reader.corruption();
  }
  return out;
}

Result<GoodRead> ReadGood(Fs& fs, std::vector<SegmentFile> files) {
  return ReadGood(fs, std::move(files), [](std::string_view) {});
}

// How the good records of segment N compare with those of N.repair.
enum class Relation { kEqual, kStrictPrefix, kOther };

Result<Relation> CompareGoodRecords(Fs& fs, const SegmentFile& seg, const SegmentFile& original) {
  std::vector<std::string> mine;
  auto a = ReadGood(fs, {seg}, [&](std::string_view r) { mine.emplace_back(r); });
  if (!a.ok()) return a.status();
  size_t i = 0;
  bool diverged = false;
  auto b = ReadGood(fs, {original}, [&](std::string_view r) {
    if (i < mine.size() && mine[i] != r) diverged = true;
    ++i;
  });
  if (!b.ok()) return b.status();
  if (diverged || mine.size() > i) return Relation::kOther;
  return mine.size() == i ? Relation::kEqual : Relation::kStrictPrefix;
}

// ---- Counting what is dropped, leniently ----

void SeeTime(RepairLoss* loss, int64_t t) {
  loss->min_time = loss->min_time ? std::min(*loss->min_time, t) : t;
  loss->max_time = loss->max_time ? std::max(*loss->max_time, t) : t;
}

struct LossCounter {
  RepairLoss* loss;
  void operator()(const SeriesRecord& r) { loss->series += r.series.size(); }
  void operator()(const SamplesRecord& r) {
    loss->samples += r.samples.size();
    for (const auto& s : r.samples) SeeTime(loss, s.t);
  }
  void operator()(const TombstonesRecord& r) { loss->tombstones += r.tombstones.size(); }
  void operator()(const ExemplarsRecord& r) { loss->exemplars += r.exemplars.size(); }
  void operator()(const MmapMarkersRecord&) {}
  void operator()(const MetadataRecord& r) { loss->metadata += r.metadata.size(); }
  void operator()(const HistogramsRecord& r) {
    loss->histogram_samples += r.histograms.size();
    for (const auto& h : r.histograms) SeeTime(loss, h.t);
  }
  void operator()(const FloatHistogramsRecord& r) {
    loss->histogram_samples += r.histograms.size();
    for (const auto& h : r.histograms) SeeTime(loss, h.t);
  }
  void operator()(const UnknownRecord&) {}
};

// Walks the fragments of `path` from `start` without trusting the strict
// reader's rules: a fragment with a bad CRC is skipped, a header that makes
// no sense skips the rest of its page. Counts every complete record found.
void ScanLoss(Fs& fs, const std::string& path, uint64_t start, RepairLoss* loss) {
  auto file = fs.OpenForRead(path);
  if (!file.ok()) {
    loss->unreadable.push_back(path + ": " + file.status().ToString());
    return;
  }
  const uint64_t size = (*file)->Size();
  if (size > start) loss->bytes += size - start;

  uint64_t damaged = 0, torn = 0, first_damage = 0;
  auto damage = [&](uint64_t offset) {
    if (damaged++ == 0) first_damage = offset;
  };
  bool open = false;
  uint8_t open_bits = 0;
  std::string record, plain;
  Record decoded;
  auto emit = [&](std::string_view bytes, uint8_t type_byte) {
    ++loss->records;
    if (type_byte & (kSnappyBit | kZstdBit)) {
      Compression c = (type_byte & kSnappyBit) ? Compression::kSnappy : Compression::kZstd;
      if (!DecompressRecord(c, bytes, &plain).ok()) {
        ++loss->undecodable_records;
        return;
      }
      bytes = plain;
    }
    // Undecodable as replay judges it: a skipped type is counted, not read.
    if (!DecodeRecordAsReplayed(bytes, &decoded).ok()) {
      ++loss->undecodable_records;
      return;
    }
    std::visit(LossCounter{loss}, decoded);
  };

  std::string page(kPageSize, '\0');
  for (uint64_t page_start = start - start % kPageSize; page_start < size; page_start += kPageSize) {
    size_t got = 0;
    Status st = (*file)->Read(page_start, std::min<uint64_t>(kPageSize, size - page_start), page.data(), &got);
    if (!st.ok()) {
      loss->unreadable.push_back(path + ": " + st.ToString());
      return;
    }
    size_t pos = page_start < start ? start - page_start : 0;
    while (pos + kFragmentHeaderSize <= got) {
      const auto* p = reinterpret_cast<const uint8_t*>(page.data() + pos);
      const uint8_t type = p[0] & kFragmentTypeMask;
      if (p[0] == 0) {
        // Page terminator: the rest of the page must be zeros.
        if (std::any_of(page.begin() + static_cast<long>(pos), page.begin() + static_cast<long>(got),
                        [](char c) { return c != 0; })) {
          damage(page_start + pos);
        }
        break;
      }
      const bool bad_bits = (p[0] & ~(kFragmentTypeMask | kSnappyBit | kZstdBit)) != 0 ||
                            ((p[0] & kSnappyBit) && (p[0] & kZstdBit));
      const size_t length = size_t{p[1]} << 8 | p[2];
      if (type == 0 || type > 4 || bad_bits || pos + kFragmentHeaderSize + length > got) {
        damage(page_start + pos);
        if (open) ++torn;
        open = false;
        break;
      }
      const uint32_t crc = uint32_t{p[3]} << 24 | uint32_t{p[4]} << 16 | uint32_t{p[5]} << 8 | p[6];
      std::string_view payload(page.data() + pos + kFragmentHeaderSize, length);
      if (crc32c::Value(payload) != crc) {
        damage(page_start + pos);
        if (open) ++torn;
        open = false;
        pos += kFragmentHeaderSize + length;
        continue;
      }
      switch (static_cast<FragmentType>(type)) {
        case FragmentType::kFull:
          if (open) ++torn;
          open = false;
          emit(payload, p[0]);
          break;
        case FragmentType::kFirst:
          if (open) ++torn;
          open = true;
          open_bits = p[0];
          record.assign(payload);
          break;
        case FragmentType::kMiddle:
        case FragmentType::kLast:
          if (!open) {
            ++torn;  // the rest of a record whose start is gone
            break;
          }
          record.append(payload);
          if (static_cast<FragmentType>(type) == FragmentType::kLast) {
            open = false;
            emit(record, static_cast<uint8_t>(p[0] | (open_bits & (kSnappyBit | kZstdBit))));
          }
          break;
        default:
          break;
      }
      pos += kFragmentHeaderSize + length;
    }
  }
  if (open) ++torn;
  if (damaged > 0 || torn > 0) {
    std::string what = path + " from offset " + std::to_string(start) + ":";
    if (damaged > 0) {
      what += " " + std::to_string(damaged) + " damaged fragment(s) or page(s), the first at offset " +
              std::to_string(first_damage);
    }
    if (torn > 0) {
      what += std::string(damaged > 0 ? "," : "") + " " + std::to_string(torn) +
              " incomplete record(s) (torn, or parts of records whose other parts are damaged)";
    }
    loss->unreadable.push_back(std::move(what));
  }
}

// ---- Planning ----

Status RefuseCheckpoint(const std::string& what) {
  return Status::Corruption(what +
                            "; a checkpoint cannot be repaired by truncating the WAL, so repair "
                            "touches nothing (restore the data directory from a backup, or remove "
                            "the checkpoint and accept losing what only it holds)");
}

std::string FormatSegments(std::vector<int> s) {
  std::sort(s.begin(), s.end());
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j + 1 < s.size() && int64_t{s[j + 1]} == int64_t{s[j]} + 1) ++j;
    if (!out.empty()) out += ", ";
    out += SegmentFileName(s[i]);
    if (j > i) out += ".." + SegmentFileName(s[j]);
    i = j + 1;
  }
  return out;
}

// Milliseconds since the epoch as "2024-05-01T12:00:00.000Z" (proleptic
// Gregorian, no time zone database needed).
std::string FormatTime(int64_t ms) {
  int64_t days = ms / 86400000, rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%lld (%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ)",
                static_cast<long long>(ms), static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d), static_cast<long long>(rem / 3600000),
                static_cast<long long>(rem / 60000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

bool SamePlan(const RepairPlan& a, const RepairPlan& b) {
  auto leftovers = [](const RepairPlan& p) {
    std::vector<std::pair<std::string, UpstreamRepairAction>> v;
    for (const auto& l : p.upstream_leftovers) v.emplace_back(l.name, l.action);
    return v;
  };
  return a.corruption.has_value() == b.corruption.has_value() && a.segment == b.segment &&
         a.cut_offset == b.cut_offset && a.segment_size == b.segment_size &&
         a.rewrite_segment == b.rewrite_segment && a.segment_exists == b.segment_exists &&
         a.kept_records_in_segment == b.kept_records_in_segment && a.kept_records == b.kept_records &&
         a.checkpoint == b.checkpoint && a.delete_segments == b.delete_segments &&
         a.obsolete_segments == b.obsolete_segments && a.remove_leftovers == b.remove_leftovers &&
         leftovers(a) == leftovers(b);
}

}  // namespace

std::string RepairTempFileName(int segment) {
  return SegmentFileName(segment) + std::string(kRepairTmpSuffix);
}

bool RepairPlan::needed() const {
  if (corruption || (segment && rewrite_segment) || !delete_segments.empty() ||
      !obsolete_segments.empty() || !remove_leftovers.empty()) {
    return true;
  }
  return std::any_of(upstream_leftovers.begin(), upstream_leftovers.end(),
                     [](const UpstreamRepairLeftover& l) { return l.action != UpstreamRepairAction::kLeave; });
}

std::string RepairPlan::Summary() const {
  std::string out;
  auto u = [](uint64_t v) { return std::to_string(v); };
  if (corruption) out += corruption->ToString() + "\n";
  if (!needed()) {
    out += "nothing to repair in " + dir + ": " + u(kept_records) + " records replay cleanly\n";
  } else {
    std::vector<std::string> parts;
    for (const auto& name : remove_leftovers) parts.push_back("remove leftover " + name);
    for (const auto& l : upstream_leftovers) {
      if (l.action == UpstreamRepairAction::kRestore) {
        parts.push_back("put " + l.name + " back as " + SegmentFileName(l.segment) + " (" + l.why + ")");
      } else if (l.action == UpstreamRepairAction::kRemove) {
        parts.push_back("remove " + l.name + " (" + l.why + ")");
      }
    }
    if (segment && rewrite_segment) {
      if (segment_exists) {
        parts.push_back("cut segment " + SegmentFileName(*segment) + " at offset " + u(cut_offset) +
                        " of " + u(segment_size) + " (keeping its first " + u(kept_records_in_segment) +
                        " records)");
      } else {
        parts.push_back("create an empty segment " + SegmentFileName(*segment));
      }
    }
    if (!delete_segments.empty()) parts.push_back("delete segments " + FormatSegments(delete_segments));
    if (!obsolete_segments.empty()) {
      parts.push_back("delete segments " + FormatSegments(obsolete_segments) +
                      " (already covered by the checkpoint)");
    }
    if (corruption) {
      std::string drop = "drop " + u(loss.records) + " records (" + u(loss.samples + loss.histogram_samples) +
                         " samples";
      if (loss.histogram_samples) drop += ", of which " + u(loss.histogram_samples) + " histograms";
      drop += ")";
      if (loss.min_time) drop += " from " + FormatTime(*loss.min_time) + " to " + FormatTime(*loss.max_time);
      parts.push_back(drop);
    }
    parts.push_back("keep " + u(kept_records) + " records");
    out += "would ";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
    out += "\n";
    if (loss.undecodable_records) {
      out += "of the dropped records, " + u(loss.undecodable_records) + " do not decode\n";
    }
    if (!loss.complete()) {
      out += "not everything that is dropped could be read, so the counts above are a lower bound:\n";
      for (const auto& s : loss.unreadable) out += "  " + s + "\n";
    }
  }
  for (const auto& l : upstream_leftovers) {
    if (l.action == UpstreamRepairAction::kLeave) out += "leaving " + l.name + " alone: " + l.why + "\n";
  }
  return out;
}

namespace {

// What one planning pass learnt about upstream N.repair leftovers, for the
// checks PlanRepair makes against the directory as the plan leaves it.
struct LeftoverContext {
  std::map<int, std::string> paths;      // segment -> the file its bytes are read from
  std::vector<int> held_by_later_data;   // N.repair left only because later segments hold data
};

// One planning pass. An N.repair whose N is in `restore_anyway` is put back
// even though later segments hold data (the plan drops all of it).
Result<RepairPlan> PlanOnce(Fs& fs, const std::string& dir, const std::set<int>& restore_anyway,
                            LeftoverContext* ctx) {
  RepairPlan plan;
  plan.dir = dir;
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();

  for (const std::string& name : listing->other) {
    if (name.ends_with(kRepairTmpSuffix)) plan.remove_leftovers.push_back(name);
  }
  for (const std::string& name : listing->tmp_checkpoints) plan.remove_leftovers.push_back(name);
  std::sort(plan.remove_leftovers.begin(), plan.remove_leftovers.end());

  // Where each segment's bytes are read from: its own file, or an upstream
  // N.repair that will be put back in its place.
  std::map<int, std::string> paths;
  for (size_t i = 1; i < listing->segments.size(); ++i) {
    if (listing->segments[i] == listing->segments[i - 1]) {
      // "5" and "00000005": which one Prometheus reads is an accident.
      return Status::InvalidArgument("two files in " + dir + " name segment " +
                                     std::to_string(listing->segments[i]) +
                                     "; keep one by hand before repairing");
    }
  }
  for (int s : listing->segments) paths[s] = SegPath(dir, s);
  for (const std::string& name : listing->repair_files) {
    UpstreamRepairLeftover l;
    l.name = name;
    auto n = ParseSegmentIndex(std::string_view(name).substr(0, name.size() - kUpstreamRepairSuffix.size()));
    if (!n) {
      l.why = "not named after a segment";
      plan.upstream_leftovers.push_back(std::move(l));
      continue;
    }
    l.segment = *n;
    const SegmentFile original{*n, JoinPath(dir, name)};
    if (!paths.count(*n)) {
      l.action = UpstreamRepairAction::kRestore;
      l.why = "an interrupted Prometheus repair renamed it aside; " + SegmentFileName(*n) + " is missing";
      paths[*n] = original.path;
    } else {
      auto rel = CompareGoodRecords(fs, {*n, paths[*n]}, original);
      if (!rel.ok()) return rel.status();
      bool later_data = false;
      for (auto it = paths.upper_bound(*n); it != paths.end(); ++it) {
        auto size = FileSize(fs, it->second);
        if (!size.ok()) return size.status();
        if (*size > 0) later_data = true;
      }
      if (*rel == Relation::kEqual) {
        l.action = UpstreamRepairAction::kRemove;
        l.why = SegmentFileName(*n) + " already holds every record it keeps: a finished Prometheus repair";
      } else if (*rel == Relation::kStrictPrefix && (!later_data || restore_anyway.count(*n))) {
        l.action = UpstreamRepairAction::kRestore;
        l.why = "an interrupted Prometheus repair had re-written only part of " + SegmentFileName(*n);
        if (later_data) l.why += "; the later segments holding data are dropped by this repair";
        paths[*n] = original.path;
      } else {
        if (*rel == Relation::kStrictPrefix) ctx->held_by_later_data.push_back(*n);
        l.why = "the WAL was written after it (" + SegmentFileName(*n) +
                " or a later segment holds records it lacks); delete it by hand once sure";
      }
    }
    plan.upstream_leftovers.push_back(std::move(l));
  }
  ctx->paths = paths;
  std::vector<int> segs;
  for (const auto& [s, p] : paths) segs.push_back(s);

  // 64 bits: checkpoint.2147483647 has no int index after it.
  int64_t first_replayed = segs.empty() ? 0 : segs.front();
  if (const CheckpointEntry* cp = listing->LastCheckpoint()) {
    plan.checkpoint = cp->index;
    const std::string cp_path = JoinPath(dir, cp->name);
    if (cp->index == std::numeric_limits<int>::max()) {
      return Status::InvalidArgument("checkpoint " + cp_path + ": no segment index can follow it");
    }
    if (!cp->is_dir) return RefuseCheckpoint("checkpoint " + cp_path + " is not a directory");
    auto cp_segs = ListSequentialSegments(fs, cp_path);
    if (!cp_segs.ok()) return RefuseCheckpoint("checkpoint " + cp_path + ": " + cp_segs.status().message());
    if (cp_segs->empty()) {
      return RefuseCheckpoint("checkpoint " + cp_path +
                              " holds no segment (an interrupted or damaged checkpoint)");
    }
    std::vector<SegmentFile> files;
    for (int s : *cp_segs) files.push_back({s, SegPath(cp_path, s)});
    auto read = ReadGood(fs, std::move(files));
    if (!read.ok()) return read.status();
    if (read->corruption) return RefuseCheckpoint(read->corruption->ToString());
    plan.kept_records += read->records;
    first_replayed = int64_t{cp->index} + 1;
  }

  std::vector<int> obsolete, live;
  for (int s : segs) (s < first_replayed ? obsolete : live).push_back(s);
  for (size_t i = 1; i < segs.size(); ++i) {
    // A gap at or below the checkpoint: the segments there are not replayed,
    // so they can all go, which closes it.
    if (int64_t{segs[i]} != int64_t{segs[i - 1]} + 1 && segs[i - 1] < first_replayed) {
      plan.obsolete_segments = obsolete;
    }
  }

  auto drop_from = [&](size_t i) {
    for (size_t j = live.size(); j-- > i;) {
      plan.delete_segments.push_back(live[j]);
      ScanLoss(fs, paths[live[j]], 0, &plan.loss);
    }
  };
  if (plan.checkpoint && !live.empty() && live.front() > first_replayed) {
    // Segments missing right after the checkpoint: nothing after it can be
    // replayed. An empty first segment takes their place, so the WAL goes on
    // above the checkpoint.
    const int s = static_cast<int>(first_replayed);
    const int missing_last = live.front() - 1;
    plan.corruption = CorruptionInfo{SegPath(dir, s), s, 0,
                                     "missing segment(s) " + SegmentFileName(s) +
                                         (missing_last > s ? ".." + SegmentFileName(missing_last) : "") +
                                         " after " + CheckpointDirName(*plan.checkpoint) + ", before " +
                                         SegmentFileName(live.front())};
    plan.segment = s;
    plan.segment_exists = false;
    plan.rewrite_segment = true;
    // Covered segments that do not reach up to the new one would leave a gap.
    if (!obsolete.empty() && int64_t{obsolete.back()} + 1 != s) plan.obsolete_segments = obsolete;
    drop_from(0);
    return plan;
  }

  if (plan.checkpoint && live.empty()) {
    // Nothing after the checkpoint (an interrupted repair or truncation): a
    // writer would start at a segment at or below the checkpoint, which
    // replay skips. An empty first segment after it prevents that.
    plan.segment = static_cast<int>(first_replayed);
    plan.segment_exists = false;
    plan.rewrite_segment = true;
    // Covered segments that do not reach up to the new one would leave a gap.
    if (!obsolete.empty() && int64_t{obsolete.back()} + 1 != first_replayed) {
      plan.obsolete_segments = obsolete;
    }
    return plan;
  }

  for (size_t i = 0; i < live.size(); ++i) {
    const int s = live[i];
    if (i > 0 && int64_t{s} != int64_t{live[i - 1]} + 1) {
      const int prev = live[i - 1];
      auto size = FileSize(fs, paths[prev]);
      if (!size.ok()) return size.status();
      plan.corruption = CorruptionInfo{paths[prev], prev, *size,
                                       "segments are not sequential: " + SegmentFileName(prev) +
                                           " is followed by " + SegmentFileName(s)};
      plan.segment = prev;
      plan.cut_offset = plan.segment_size = *size;
      drop_from(i);
      return plan;
    }
    auto read = ReadGood(fs, {{s, paths[s]}});
    if (!read.ok()) return read.status();
    plan.kept_records += read->records;
    if (read->corruption) {
      auto size = FileSize(fs, paths[s]);
      if (!size.ok()) return size.status();
      plan.corruption = read->corruption;
      plan.segment = s;
      plan.segment_size = *size;
      plan.cut_offset = read->end_offset;
      plan.kept_records_in_segment = read->records;
      plan.rewrite_segment = true;
      ScanLoss(fs, paths[s], plan.cut_offset, &plan.loss);
      drop_from(i + 1);
      return plan;
    }
  }
  return plan;
}

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Whether a segment after `n` still holds bytes once `plan` is carried out.
Result<bool> LaterDataSurvives(Fs& fs, const RepairPlan& plan, const LeftoverContext& ctx, int n) {
  for (auto it = ctx.paths.upper_bound(n); it != ctx.paths.end(); ++it) {
    const int s = it->first;
    if (Contains(plan.delete_segments, s) || Contains(plan.obsolete_segments, s)) continue;
    if (plan.segment == s && plan.rewrite_segment) {
      if (plan.segment_exists && plan.cut_offset > 0) return true;
      continue;  // cut to nothing, or created empty
    }
    auto size = FileSize(fs, it->second);
    if (!size.ok()) return size.status();
    if (*size > 0) return true;
  }
  return false;
}

}  // namespace

// Leftovers are classified against the directory as it is, but a second
// repair sees it as this one leaves it, so PlanRepair checks each N.repair it
// would leave against that state (finding 5 in fuzz/FINDINGS.md):
// - an N.repair held back only by later data that this plan drops would be
//   put back by the next repair: it is put back now, and planning starts
//   over (each pass puts back one more, so this ends);
// - an N.repair whose segment N this plan deletes (after the cut, or covered
//   by the checkpoint) would look like an interrupted repair of a missing N
//   next time: it is an older copy of what the repair drops, so it goes with
//   it, said in the plan and counted in the loss when after the cut.
Result<RepairPlan> PlanRepair(Fs& fs, const std::string& dir) {
  std::set<int> restore_anyway;
  for (;;) {
    LeftoverContext ctx;
    auto plan = PlanOnce(fs, dir, restore_anyway, &ctx);
    if (!plan.ok()) return plan.status();
    bool again = false;
    for (int n : ctx.held_by_later_data) {
      if (Contains(plan->delete_segments, n) || Contains(plan->obsolete_segments, n)) continue;
      auto survives = LaterDataSurvives(fs, *plan, ctx, n);
      if (!survives.ok()) return survives.status();
      if (!*survives) again |= restore_anyway.insert(n).second;
    }
    if (again) continue;
    for (UpstreamRepairLeftover& l : plan->upstream_leftovers) {
      if (l.action != UpstreamRepairAction::kLeave) continue;
      const std::string_view stem(l.name.data(), l.name.size() - kUpstreamRepairSuffix.size());
      if (!ParseSegmentIndex(stem)) continue;  // not named after a segment: never acted on
      const std::string seg = SegmentFileName(l.segment);
      if (Contains(plan->delete_segments, l.segment)) {
        l.action = UpstreamRepairAction::kRemove;
        l.why = seg + " is after the cut and deleted by this repair; " + l.name + " is an older copy of it";
        ScanLoss(fs, JoinPath(dir, l.name), 0, &plan->loss);
      } else if (Contains(plan->obsolete_segments, l.segment)) {
        l.action = UpstreamRepairAction::kRemove;
        l.why = seg + " is covered by the checkpoint and deleted by this repair; " + l.name +
                " is an older copy of it";
      }
    }
    return plan;
  }
}

std::vector<std::string> FilesChangedByRepair(const RepairPlan& plan) {
  std::vector<std::string> out;
  for (const auto& name : plan.remove_leftovers) {
    if (!name.starts_with("checkpoint.")) out.push_back(JoinPath(plan.dir, name));
  }
  for (const auto& l : plan.upstream_leftovers) {
    if (l.action == UpstreamRepairAction::kLeave) continue;
    out.push_back(JoinPath(plan.dir, l.name));
    if (l.action == UpstreamRepairAction::kRestore) out.push_back(SegPath(plan.dir, l.segment));
  }
  if (plan.segment && plan.rewrite_segment && plan.segment_exists) out.push_back(SegPath(plan.dir, *plan.segment));
  for (int s : plan.delete_segments) out.push_back(SegPath(plan.dir, s));
  for (int s : plan.obsolete_segments) out.push_back(SegPath(plan.dir, s));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status RemoveRepairTempFiles(Fs& fs, const std::string& dir, int* removed) {
  if (removed) *removed = 0;
  auto listing = ListWalDir(fs, dir);
  if (!listing.ok()) return listing.status();
  bool any = false;
  for (const std::string& name : listing->other) {
    if (!name.ends_with(kRepairTmpSuffix)) continue;
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(dir, name)));
    any = true;
    if (removed) ++*removed;
  }
  if (any) WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  return Status::Ok();
}

namespace {

// Writes bytes [0, cut) of `src` (none when src is empty), then zeros to the
// page boundary, into a new file `dst`. `full_page_when_aligned` pads a whole
// zero page when cut is on a boundary, as upstream's flushPage(true) does.
Status WriteKeptPrefix(Fs& fs, const std::string& src, uint64_t cut, const std::string& dst,
                       bool full_page_when_aligned, bool sync) {
  auto out = fs.Create(dst);
  if (!out.ok()) return out.status();
  std::string buf;
  size_t written = 0;
  if (cut > 0) {
    auto in = fs.OpenForRead(src);
    if (!in.ok()) return in.status();
    for (uint64_t off = 0; off < cut;) {
      buf.resize(static_cast<size_t>(std::min<uint64_t>(kCopyChunk, cut - off)));
      size_t got = 0;
      WALPROOF_RETURN_IF_ERROR((*in)->Read(off, buf.size(), buf.data(), &got));
      if (got != buf.size()) return Status::IOError(src + " shrank while being repaired");
      WALPROOF_RETURN_IF_ERROR((*out)->Append(buf, &written));
      off += got;
    }
  }
  uint64_t pad = kPageSize - cut % kPageSize;
  if (pad == kPageSize && !full_page_when_aligned) pad = 0;
  if (pad > 0) WALPROOF_RETURN_IF_ERROR((*out)->Append(std::string(pad, '\0'), &written));
  if (sync) WALPROOF_RETURN_IF_ERROR((*out)->Sync());
  return (*out)->Close();
}

Status SyncedRemove(Fs& fs, const std::string& dir, const std::string& path) {
  WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(path));
  return fs.SyncDir(dir);
}

// Upstream WL.Repair, step for step, for crashsim (see checkpoint.h).
Status ExecuteUpstream(Fs& fs, const std::string& dir, const RepairPlan& plan) {
  const bool restoring = std::any_of(plan.upstream_leftovers.begin(), plan.upstream_leftovers.end(),
                                     [](const auto& l) { return l.action != UpstreamRepairAction::kLeave; });
  if (!plan.segment || !plan.rewrite_segment || !plan.segment_exists || !plan.obsolete_segments.empty() ||
      restoring) {
    return Status::InvalidArgument("the Prometheus 2.42 repair order handles only a corruption inside a "
                                   "segment; this plan needs more: " + plan.Summary());
  }
  const int s = *plan.segment;
  if (s == std::numeric_limits<int>::max()) {
    return Status::InvalidArgument("segment " + SegmentFileName(s) + " has no index after it");
  }
  std::vector<int> later = plan.delete_segments;
  std::sort(later.begin(), later.end());  // listSegments order: lowest first
  for (int l : later) WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(SegPath(dir, l)));
  const std::string seg = SegPath(dir, s);
  const std::string aside = seg + std::string(kUpstreamRepairSuffix);
  WALPROOF_RETURN_IF_ERROR(fs.Rename(seg, aside));
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));  // fileutil.Rename fsyncs the parent
  WALPROOF_RETURN_IF_ERROR(WriteKeptPrefix(fs, aside, plan.cut_offset, seg, true, false));
  WALPROOF_RETURN_IF_ERROR(fs.RemoveFile(aside));
  auto next = fs.Create(SegPath(dir, s + 1));
  if (!next.ok()) return next.status();
  return (*next)->Close();
}

}  // namespace

Status ExecuteRepair(Fs& fs, const std::string& dir, const RepairPlan& plan, const RepairOptions& options) {
  auto fresh = PlanRepair(fs, dir);
  if (!fresh.ok()) return fresh.status();
  if (!SamePlan(plan, *fresh)) {
    return Status::InvalidArgument(dir + " changed since the repair was planned; plan again. Now: " +
                                   fresh->Summary());
  }
  if (!plan.needed()) return Status::Ok();
  if (!Walproof(options.protocol)) return ExecuteUpstream(fs, dir, plan);

  // 1. Names replay never reads.
  for (const std::string& name : plan.remove_leftovers) {
    WALPROOF_RETURN_IF_ERROR(RemoveTree(fs, JoinPath(dir, name)));
  }
  if (!plan.remove_leftovers.empty()) WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  for (const auto& l : plan.upstream_leftovers) {
    const std::string path = JoinPath(dir, l.name);
    if (l.action == UpstreamRepairAction::kRestore) {
      // Atomic: N is the partial re-write or the original, never missing.
      WALPROOF_RETURN_IF_ERROR(fs.Rename(path, SegPath(dir, l.segment)));
      WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
    } else if (l.action == UpstreamRepairAction::kRemove) {
      WALPROOF_RETURN_IF_ERROR(SyncedRemove(fs, dir, path));
    }
  }

  // 2. The kept part of S, durable under a name that is not a segment.
  const bool rewrite = plan.segment && plan.rewrite_segment;
  const std::string seg = plan.segment ? SegPath(dir, *plan.segment) : std::string();
  const std::string tmp = plan.segment ? JoinPath(dir, RepairTempFileName(*plan.segment)) : std::string();
  if (rewrite) {
    Status st = WriteKeptPrefix(fs, plan.segment_exists ? seg : std::string(), plan.cut_offset, tmp, false, true);
    if (st.ok()) {
      // Read it back before anything is deleted.
      auto check = ReadGood(fs, {{*plan.segment, tmp}});
      if (!check.ok()) {
        st = check.status();
      } else if (check->corruption || check->records != plan.kept_records_in_segment) {
        st = Status::Corruption("the repaired copy " + tmp + " does not read back as planned (" +
                                std::to_string(check->records) + " records of " +
                                std::to_string(plan.kept_records_in_segment) +
                                (check->corruption ? "; " + check->corruption->ToString() : "") + ")");
      }
    }
    if (st.ok()) st = fs.SyncDir(dir);
    if (!st.ok()) {
      fs.RemoveFile(tmp);  // best effort: it is removed on the next repair anyway
      return st;
    }
  }

  // 3. Later segments, highest first: no gap opens, and replay still stops
  // at the corruption in the old S. (Putting S in place first would be wrong
  // when S fills a gap: the segments after it would replay again.)
  for (int s : plan.delete_segments) WALPROOF_RETURN_IF_ERROR(SyncedRemove(fs, dir, SegPath(dir, s)));
  // 4. The atomic replacement (or creation) of S.
  if (rewrite) {
    WALPROOF_RETURN_IF_ERROR(fs.Rename(tmp, seg));
    WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
  }
  // 5. Segments the checkpoint covers, lowest first, only when they hold a
  // gap. Last, so that until S exists a writer would still start above them.
  for (int s : plan.obsolete_segments) WALPROOF_RETURN_IF_ERROR(SyncedRemove(fs, dir, SegPath(dir, s)));
  return Status::Ok();
}

}  // namespace walproof
