// Sequential replay, the reference the parallel one must equal: WalReader
// gives records in replay order, each is decoded and applied before the next
// is read.
#include "walproof/head/replay.h"

#include <chrono>

#include "head/decoded_batch.h"
#include "walproof/format/record_codec.h"

namespace walproof {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Status ReplaySequential(Fs& fs, const std::string& dir, Head* head, const ReplayOptions& options,
                        ReplayReport* report) {
  const Clock::time_point start = Clock::now();
  *report = ReplayReport{};
  report->threads = 1;
  const HeadCounters before = head->counters();
  auto plan = PlanWalRead(fs, dir);
  if (!plan.ok()) return plan.status();
  report->plan = *plan;

  WalReader reader(fs, *plan);
  reader.set_timing(options.timing);
  DecodedBatch batch;
  DecodeScratch scratch;
  std::vector<RefSample>& samples = scratch.samples;
  std::string_view rec;
  while (reader.Next(&rec)) {
    Clock::time_point t0;
    if (options.timing) t0 = Clock::now();
    // Samples are nearly all of a WAL: applied straight from the decode
    // buffer. Everything else goes through a one-record batch.
    if (PeekRecordType(rec) == static_cast<uint8_t>(RecordType::kSamples)) {
      samples.clear();
      Status st = AppendSampleRecord(rec, &samples, &scratch.float_scratch);
      if (!st.ok()) {
        reader.FailDecode("samples", st);
        break;
      }
      Clock::time_point t1;
      if (options.timing) {
        t1 = Clock::now();
        report->phases.decode += std::chrono::duration<double>(t1 - t0).count();
      }
      head->AppendSamples(samples.data(), samples.size());
      if (options.timing) report->phases.apply += Since(t1);
      ++report->records;
      continue;
    }
    batch.Clear();
    const char* what = "";
    Status st = AppendRecord(rec, &batch, &scratch, &what);
    if (!st.ok()) {
      reader.FailDecode(what, st);
      break;
    }
    Clock::time_point t1;
    if (options.timing) {
      t1 = Clock::now();
      report->phases.decode += std::chrono::duration<double>(t1 - t0).count();
    }
    ApplyBatch(batch, head);
    if (options.timing) report->phases.apply += Since(t1);
    report->records += batch.records;
    report->records_skipped += batch.skipped;
  }

  const ReadPhaseTimes io = reader.phase_times();
  report->phases.read = io.read;
  report->phases.checksum = io.checksum;
  report->phases.decompress = io.decompress;
  report->corruption = reader.corruption();
  report->counters = head->counters();
  report->series = head->num_series();
  report->samples = report->counters.samples_appended - before.samples_appended;
  report->histogram_samples = report->counters.histograms_appended - before.histograms_appended;
  report->seconds = Since(start);
  return reader.status();
}

}  // namespace walproof
