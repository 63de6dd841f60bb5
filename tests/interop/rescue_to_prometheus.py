#!/usr/bin/env python3
# interop_rescue_to_prometheus: Prometheus 2.42 answers the same queries on a
# data directory before and after `walproof rescue --yes`, and promtool
# accepts the blocks rescue wrote.
#
# The data directory: `walproof demo` (20 float series and 2 native histogram
# series, 420 scrapes 15 s apart starting an hour before a 2-hour block
# boundary, so the samples straddle it; a tombstone deleting series 0's
# first ten samples; 64 KiB segments), then `walproof checkpoint --mint` over
# all but the newest segment, so the WAL Prometheus replays is a checkpoint
# and segments. The WAL is walproof-written here, so that its contents are
# known exactly; interop_rescue_server_wal rescues a WAL the server wrote.
#
# Before: Prometheus replays the WAL into its head. After: rescue has turned
# it into blocks and left an empty WAL (checkpoint.N and segment N+1, both
# empty), and Prometheus loads the blocks. Both answer, for every series, the
# raw samples of a range selector covering everything: the same label sets,
# the same number of samples per series and the same last value (floats and
# histograms). The head after rescue holds no series.

import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

SERIES = 20
HISTOGRAMS = 2
SCRAPES = 420
INTERVAL_MS = 15000
CONFIG = ("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
          "scrape_configs: []\n")
FLAGS = ["--storage.tsdb.retention.time=30d", "--enable-feature=native-histograms"]


def run_prometheus(args, checks, tmp, data, label, at_ms, span_ms):
    prom = h.Prometheus(args, tmp, data, CONFIG, flags=FLAGS, name=f"prometheus-{label}")
    prom.start()
    try:
        m = prom.metrics()
        checks.eq(f"{label}: prometheus_tsdb_wal_corruptions_total",
                  prom.metric_sum("prometheus_tsdb_wal_corruptions_total", m), 0)
        snap = h.sample_counts(prom, '{instance="demo"}', at_ms, span_ms)
        series = prom.api("/api/v1/series", {"match[]": '{instance="demo"}', "start": "0",
                                             "end": h.ms_to_param(at_ms)})
        head_series = prom.metric_sum("prometheus_tsdb_head_series", m)
        blocks = prom.metric_sum("prometheus_tsdb_blocks_loaded", m)
    finally:
        prom.stop()
    return snap, len(series), head_series, blocks


def body(args, checks):
    tmp = h.make_tempdir("rescue", keep=args.keep)
    data = os.path.join(tmp, "data")
    wal = os.path.join(data, "wal")
    # One hour before the newest 2 h boundary at least an hour old: the
    # 105 minutes of samples then always cross that boundary and end in the
    # past, whatever the time of day (a fixed offset from now missed every
    # boundary for a quarter of an hour in each two).
    boundary = (int(time.time()) - 3600) // 7200 * 7200
    start = (boundary - 3600) * 1000
    last = start + (SCRAPES - 1) * INTERVAL_MS
    at = last + 1
    span = last - start + INTERVAL_MS
    h.section("a WAL with a checkpoint, floats, native histograms and a deletion")
    p = h.run([args.walproof, "demo", wal, "--series", str(SERIES), "--scrapes", str(SCRAPES),
               "--histograms", str(HISTOGRAMS), "--start-ms", str(start), "--segment-size", "65536"])
    checks.require(p.returncode == 0, "walproof demo wrote the WAL")
    p = h.run([args.walproof, "checkpoint", wal, "--mint", str(start + 100 * INTERVAL_MS)])
    checks.require(p.returncode == 0, "walproof checkpoint made a checkpoint")
    checks.require(any(n.startswith("checkpoint.") for n in os.listdir(wal)), "the WAL has a checkpoint",
                   str(sorted(os.listdir(wal))))

    h.section("Prometheus replays the WAL")
    before, n_before, head_before, blocks_before = run_prometheus(args, checks, tmp, data, "before", at, span)
    checks.eq("before: demo series", len(before), SERIES + HISTOGRAMS)
    checks.eq("before: /api/v1/series", n_before, SERIES + HISTOGRAMS)
    checks.eq("before: blocks loaded", blocks_before, 0)
    checks.check(any(k[0] == ("__name__", "walproof_demo_histogram") or
                     ("__name__", "walproof_demo_histogram") in k for k in before),
                 "before: the histogram series answer")

    parts_data = os.path.join(tmp, "data-in-parts")
    shutil.copytree(data, parts_data)  # as Prometheus left it, for the rescue in parts below

    h.section("walproof rescue")
    p = h.run([args.walproof, "rescue", data])
    checks.check(p.returncode == 0 and "dry run: nothing was changed" in p.stdout, "rescue dry run")
    ulids = h.rescue_blocks(args, checks, data)
    checks.eq("blocks written (the data straddle a 2 h boundary)", len(ulids), 2)

    h.section("Prometheus loads the blocks")
    after, n_after, head_after, blocks_after = run_prometheus(args, checks, tmp, data, "after", at, span)
    checks.eq("after: blocks loaded", blocks_after, 2)
    checks.eq("after: head series (the WAL was empty)", head_after, 0)
    checks.eq("after: /api/v1/series", n_after, n_before)
    checks.check(sorted(after) == sorted(before), "after: the same label sets",
                 f"{len(after)} after, {len(before)} before")
    diffs = [k for k in before if before[k] != after.get(k)]
    checks.check(not diffs, "after: every series has the same sample count and last value",
                 f"{len(diffs)} differ, e.g. {diffs[:1]}: {before.get(diffs[0]) if diffs else ''} vs "
                 f"{after.get(diffs[0]) if diffs else ''}")

    h.section("walproof rescue in 3 parts: three blocks per range, which Prometheus merges")
    ulids = h.rescue_blocks(args, checks, parts_data, ["--parts", "3"])
    checks.eq("blocks written in parts", len(ulids), 6)
    in_parts, n_parts, head_parts, blocks_parts = run_prometheus(args, checks, tmp, parts_data, "parts", at, span)
    checks.check(sorted(in_parts) == sorted(before), "parts: the same label sets", f"{len(in_parts)} series")
    diffs = [k for k in before if before[k] != in_parts.get(k)]
    checks.check(not diffs, "parts: every series has the same sample count and last value",
                 f"{len(diffs)} differ, e.g. {diffs[:1]}: {before.get(diffs[0]) if diffs else ''} vs "
                 f"{in_parts.get(diffs[0]) if diffs else ''}")
    checks.eq("parts: head series", head_parts, 0)
    checks.ge("parts: blocks loaded (merged or not)", blocks_parts, 2)

    total = sum(n for n, _ in before.values())
    checks.gt("samples compared", total, 0)
    h.log(f"compared {total} samples over {len(before)} series (head before rescue: {head_before} series)")


if __name__ == "__main__":
    h.main("interop_rescue_to_prometheus",
           "Prometheus 2.42 answers the same before and after walproof rescue; promtool accepts the blocks",
           body)
