// WAL generators: see wal_gen.h.
#include "wal_gen.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <type_traits>

#include "gen/rc_choices.h"
#include "gen/records.h"
#include "gen/workload.h"
#include "show.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/wal_writer.h"

namespace walproof::prop {
namespace {

namespace gen = rc::gen;
using walproof::gen::Limits;
using walproof::gen::RcChoices;

// Label sets, values and histograms come from the shared generator, drawn
// through RapidCheck (these functions run inside gen::exec).
const Limits kLimits = Limits::Wide();

// The one series the stale segment holds (see WriteWal).
constexpr uint64_t kStaleRef = 987654321;

}  // namespace

rc::Gen<WalContext> genContext() {
  return gen::exec([] {
    WalContext ctx;
    RcChoices c;
    const size_t sets = *gen::inRange<size_t>(1, 9);
    for (size_t i = 0; i < sets; ++i) ctx.sets.push_back(AnyLabels(c, kLimits, false));
    // Dense refs as Prometheus hands them out, sparse ones, or a mix.
    const int style = *gen::element(0, 1, 2);
    const size_t refs = *gen::inRange<size_t>(1, 14);
    for (size_t i = 0; i < refs; ++i) {
      ctx.refs.push_back(style == 0 ? i + 1 : style == 1 ? *gen::arbitrary<uint64_t>() : AnyRef(c, kLimits));
    }
    return ctx;
  });
}

namespace {

// Records are drawn with times relative to their own position in the WAL
// and placed afterwards (Place), so that shrinking can drop any record and
// the rest keep their order in time: record i lives around i * kWindow.
constexpr int64_t kWindow = 1'000'000;

int64_t Wrap(int64_t t, int64_t d) {
  return static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(d));
}

// Draws one record's entries in time order, with repeats, steps back (into
// earlier records too) and, rarely, the int64 extremes, which stay as drawn.
class RecordDraw {
 public:
  explicit RecordDraw(const WalContext& ctx) : ctx_(ctx) {}

  Record Next() {
    switch (*gen::weightedElement<int>({{3, 0}, {8, 1}, {2, 2}, {2, 3}, {2, 4}, {2, 5}, {2, 6}, {1, 7}})) {
      case 0: return Series();
      case 1: return Samples();
      case 2: return Histograms<HistogramsRecord>(walproof::gen::AnyHistogram);
      case 3: return Histograms<FloatHistogramsRecord>(walproof::gen::AnyFloatHistogram);
      case 4: return Tombstones();
      case 5: return Exemplars();
      case 6: return Metadata();
      default:
        // Types replay skips: mmap markers, and 3.x or unknown types.
        if (*gen::arbitrary<bool>()) {
          return UnknownRecord{static_cast<uint8_t>(*gen::inRange(9, 256))};
        }
        return MmapMarkersRecord{{{Ref(), *gen::arbitrary<uint64_t>()}}};
    }
  }

 private:
  // A ref the context declares, mostly; sometimes one no Series record names.
  uint64_t Ref() {
    if (*gen::weightedElement<int>({{12, 0}, {1, 1}}) == 1) return *gen::arbitrary<uint64_t>();
    return *gen::elementOf(ctx_.refs);
  }

  int64_t Time() {
    switch (*gen::weightedElement<int>({{16, 0}, {2, 1}, {2, 2}, {1, 3}, {1, 4}})) {
      case 0: cursor_ += *gen::inRange<int64_t>(1, 100); break;
      case 1: break;  // the same time again
      case 2: cursor_ -= *gen::inRange<int64_t>(1, 3000); break;
      case 3: return cursor_ - *gen::inRange<int64_t>(1, 3) * kWindow;  // back into an earlier record
      default:
        return *gen::element(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    }
    return cursor_;
  }

  Record Series() {
    SeriesRecord r;
    const size_t n = *gen::inRange<size_t>(1, 6);
    for (size_t i = 0; i < n; ++i) {
      // Any ref with any set: a set already bound makes an alias, a ref
      // already bound is rebound.
      r.series.push_back({*gen::elementOf(ctx_.refs), *gen::elementOf(ctx_.sets)});
    }
    return r;
  }

  Record Samples() {
    SamplesRecord r;
    const size_t n = *gen::inRange<size_t>(0, 40);
    for (size_t i = 0; i < n; ++i) r.samples.push_back({Ref(), Time(), c_.Double()});
    return r;
  }

  // Integer or float histograms, by the record type and its payload's generator.
  template <typename R, typename H>
  Record Histograms(H (*histogram)(walproof::gen::Choices&, const Limits&)) {
    R r;
    const size_t n = *gen::inRange<size_t>(0, 6);
    for (size_t i = 0; i < n; ++i) r.histograms.push_back({Ref(), Time(), histogram(c_, kLimits)});
    return r;
  }

  Record Tombstones() {
    TombstonesRecord r;
    const size_t n = *gen::inRange<size_t>(0, 4);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t ref = Ref();
      const int64_t a = Time(), b = Time();
      // Mostly well formed, sometimes empty (mint > maxt).
      if (*gen::weightedElement<int>({{4, 0}, {1, 1}}) == 0) {
        r.tombstones.push_back({ref, std::min(a, b), std::max(a, b)});
      } else {
        r.tombstones.push_back({ref, a, b});
      }
    }
    return r;
  }

  Record Exemplars() {
    ExemplarsRecord r;
    const size_t n = *gen::inRange<size_t>(0, 5);
    for (size_t i = 0; i < n; ++i) r.exemplars.push_back({Ref(), Time(), c_.Double(), AnyLabels(c_, kLimits, false)});
    return r;
  }

  Record Metadata() {
    MetadataRecord r;
    const size_t n = *gen::inRange<size_t>(1, 4);
    for (size_t i = 0; i < n; ++i) {
      r.metadata.push_back({Ref(), *gen::inRange<uint8_t>(0, 8), LabelString(c_, kLimits, false),
                            LabelString(c_, kLimits, false)});
    }
    return r;
  }

  const WalContext& ctx_;
  RcChoices c_;
  int64_t cursor_ = 0;
};

Status LogAll(WalWriter& w, const WalSpec& spec, size_t from, size_t to) {
  size_t b = 0;
  while (b < spec.segment_breaks.size() && spec.segment_breaks[b] <= from) ++b;
  for (size_t i = from; i < to; ++i) {
    if (b < spec.segment_breaks.size() && spec.segment_breaks[b] == i) {
      ++b;
      if (i > from) {
        auto next = w.NextSegment();
        if (!next.ok()) return next.status();
      }
    }
    if (spec.undecodable == i) {
      // A samples type byte and half a base ref.
      WALPROOF_RETURN_IF_ERROR(w.Log(std::string_view("\x02\x00\x00\x01", 4)));
    } else {
      WALPROOF_RETURN_IF_ERROR(w.Log(EncodeRecord(spec.records[i])));
    }
  }
  return Status::Ok();
}

}  // namespace

void PlaceRecord(int64_t base, size_t index, Record* record) {
  const int64_t offset = Wrap(base, static_cast<int64_t>(index) * kWindow);
  auto place = [offset](int64_t& t) {
    if (t != std::numeric_limits<int64_t>::min() && t != std::numeric_limits<int64_t>::max()) {
      t = Wrap(t, offset);
    }
  };
  std::visit(
      [&place](auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, SamplesRecord>) {
          for (auto& s : r.samples) place(s.t);
        } else if constexpr (std::is_same_v<R, HistogramsRecord> ||
                             std::is_same_v<R, FloatHistogramsRecord>) {
          for (auto& h : r.histograms) place(h.t);
        } else if constexpr (std::is_same_v<R, ExemplarsRecord>) {
          for (auto& e : r.exemplars) place(e.t);
        } else if constexpr (std::is_same_v<R, TombstonesRecord>) {
          for (auto& t : r.tombstones) {
            place(t.mint);
            place(t.maxt);
          }
        }
      },
      *record);
}

rc::Gen<Record> genDraftRecord(const WalContext& ctx) {
  return gen::exec([ctx] { return RecordDraw(ctx).Next(); });
}

rc::Gen<int64_t> genBaseTime() {
  return gen::weightedElement<int64_t>(
      {{6, 1'700'000'000'000}, {2, 0}, {1, std::numeric_limits<int64_t>::min() + 10'000},
       {1, std::numeric_limits<int64_t>::max() - 50 * kWindow}});
}

std::string CheckpointName(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "checkpoint.%08d", index);
  return buf;
}

rc::Gen<std::vector<Record>> genWalRecords() {
  return gen::mapcat(genContext(), [](const WalContext& ctx) {
    // Up to 40 records (the scales cancel out for the records themselves);
    // a plain container, so that shrinking can drop any record.
    auto drafts = gen::scale(0.4, gen::container<std::vector<Record>>(gen::scale(2.5, genDraftRecord(ctx))));
    return gen::apply(
        [](std::vector<Record> records, int64_t base) {
          for (size_t i = 0; i < records.size(); ++i) PlaceRecord(base, i, &records[i]);
          return records;
        },
        drafts, genBaseTime());
  });
}

rc::Gen<WalSpec> genWalSpec() {
  return gen::exec([] {
    WalSpec spec;
    spec.compression = *walproof::gen::Rc(walproof::gen::AnyCompression);
    spec.segment_size = *gen::weightedElement<uint64_t>(
        {{4, kPageSize}, {3, 2 * kPageSize}, {2, 4 * kPageSize}, {1, 64 * kPageSize}});
    spec.records = *genWalRecords();
    if (*gen::weightedElement<int>({{2, 0}, {1, 1}}) == 1) {
      spec.checkpoint = *gen::inRange(0, 4);
      spec.checkpoint_records = *gen::inRange<size_t>(0, spec.records.size() + 1);
      spec.stale_segment = *gen::arbitrary<bool>();
    }
    for (size_t i = 0; i < spec.records.size(); ++i) {
      if (*gen::weightedElement<int>({{7, 0}, {1, 1}}) == 1) spec.segment_breaks.push_back(i);
    }
    return spec;
  });
}

void showValue(const WalContext& ctx, std::ostream& os) {
  os << "refs {";
  for (size_t i = 0; i < ctx.refs.size(); ++i) os << (i ? ", " : "") << ctx.refs[i];
  os << "}, label sets {";
  for (size_t i = 0; i < ctx.sets.size(); ++i) {
    os << (i ? ", " : "") << "{";
    for (size_t j = 0; j < ctx.sets[i].size(); ++j) {
      os << (j ? ", " : "") << Abbrev(ctx.sets[i][j].name) << "=" << Abbrev(ctx.sets[i][j].value);
    }
    os << "}";
  }
  os << "}";
}

void showValue(const WalSpec& spec, std::ostream& os) {
  os << "WAL{" << CompressionName(spec.compression) << ", segments of "
     << spec.segment_size / kPageSize << " pages";
  if (spec.checkpoint) {
    os << ", " << CheckpointName(*spec.checkpoint) << " holding the first "
       << spec.checkpoint_records << " records" << (spec.stale_segment ? ", a stale segment" : "");
  }
  os << ", " << spec.records.size() << " records:\n";
  size_t b = 0;
  for (size_t i = 0; i < spec.records.size(); ++i) {
    if (b < spec.segment_breaks.size() && spec.segment_breaks[b] == i) {
      os << "  -- next segment --\n";
      ++b;
    }
    os << "  [" << i << "] "
       << (spec.undecodable == i ? "(logged as an undecodable Samples record) " : "")
       << Describe(spec.records[i]) << "\n";
  }
  os << "}";
}

std::vector<uint64_t> RefsOf(const WalSpec& spec) {
  std::set<uint64_t> refs;
  if (spec.stale_segment) refs.insert(kStaleRef);
  for (const Record& record : spec.records) {
    std::visit(
        [&refs](const auto& r) {
          using R = std::decay_t<decltype(r)>;
          auto add = [&refs](const auto& entries) {
            for (const auto& e : entries) refs.insert(e.ref);
          };
          if constexpr (std::is_same_v<R, SeriesRecord>) add(r.series);
          if constexpr (std::is_same_v<R, SamplesRecord>) add(r.samples);
          if constexpr (std::is_same_v<R, TombstonesRecord>) add(r.tombstones);
          if constexpr (std::is_same_v<R, ExemplarsRecord>) add(r.exemplars);
          if constexpr (std::is_same_v<R, MmapMarkersRecord>) add(r.markers);
          if constexpr (std::is_same_v<R, MetadataRecord>) add(r.metadata);
          if constexpr (std::is_same_v<R, HistogramsRecord> ||
                        std::is_same_v<R, FloatHistogramsRecord>) {
            add(r.histograms);
          }
        },
        record);
  }
  return {refs.begin(), refs.end()};
}

Status WriteWal(Fs& fs, const std::string& dir, const WalSpec& spec) {
  WalWriterOptions options;
  options.compression = spec.compression;
  options.segment_size = spec.segment_size;
  size_t first = 0;
  int first_segment = 0;
  if (spec.checkpoint) {
    WALPROOF_RETURN_IF_ERROR(EnsureDir(fs, dir));
    auto cp = WalWriter::Open(fs, JoinPath(dir, CheckpointName(*spec.checkpoint)), options);
    if (!cp.ok()) return cp.status();
    WALPROOF_RETURN_IF_ERROR(LogAll(**cp, spec, 0, spec.checkpoint_records));
    WALPROOF_RETURN_IF_ERROR((*cp)->Close());
    if (spec.stale_segment) {
      // Records replay would notice if it read them: a series of its own.
      auto stale = WalWriter::OpenAt(fs, dir, options, *spec.checkpoint);
      if (!stale.ok()) return stale.status();
      std::string rec;
      EncodeSeries({{kStaleRef, {{"stale", "segment"}}}}, &rec);
      WALPROOF_RETURN_IF_ERROR((*stale)->Log(rec));
      rec.clear();
      EncodeSamples({{kStaleRef, 1, 1.0}}, &rec);
      WALPROOF_RETURN_IF_ERROR((*stale)->Log(rec));
      WALPROOF_RETURN_IF_ERROR((*stale)->Close());
    }
    first = spec.checkpoint_records;
    first_segment = *spec.checkpoint + 1;
  }
  auto w = spec.checkpoint ? WalWriter::OpenAt(fs, dir, options, first_segment)
                           : WalWriter::Open(fs, dir, options);
  if (!w.ok()) return w.status();
  WALPROOF_RETURN_IF_ERROR(LogAll(**w, spec, first, spec.records.size()));
  return (*w)->Close();
}

}  // namespace walproof::prop
