#!/usr/bin/env python3
# interop_walproof_to_prometheus: a WAL written by `walproof demo` (once
# uncompressed, once snappy) must be replayed by a real Prometheus 2.42 into
# exactly the data the demo contract describes, tombstone included.
#
# Demo contract (see the walproof CLI): N series, ref i+1 for series i, labels
# __name__="walproof_demo", instance="demo", series="<i>"; scrape k at
# t = T + k*I with value i*1000 + k for series i, one Samples record per
# scrape; then one Tombstones record deleting ref 1 (series 0) over
# [T, T + 9*I].
#
# Keeping the data queryable: T is one hour ago (rounded down to I), the data
# span 25 minutes. The head is compacted into a block only once it spans more
# than 1.5 x the 2h block range, so all of it stays in the head; retention
# (15d by default) applies to blocks only, and we pass 30d anyway. The server
# has no scrape targets, so nothing but the replayed WAL is in the head.

import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

SERIES = 50
SCRAPES = 100
INTERVAL_MS = 15000
TOMBSTONED = 10           # series 0 loses its first 10 samples
PROBE_SERIES = (0, 1, 17, 49)


def expected_samples(i, start_ms):
    first = TOMBSTONED if i == 0 else 0
    return [(start_ms + k * INTERVAL_MS, float(i * 1000 + k)) for k in range(first, SCRAPES)]


def run_once(args, checks, compression):
    label = f"demo WAL ({compression})"
    tmp = h.make_tempdir(f"demo-{compression}", args.keep)
    data = os.path.join(tmp, "data")
    waldir = os.path.join(data, "wal")
    now_ms = int(time.time() * 1000)
    start = (now_ms - 3600 * 1000) // INTERVAL_MS * INTERVAL_MS
    last = start + (SCRAPES - 1) * INTERVAL_MS

    h.section(f"walproof demo, compression {compression}")
    p = h.run([args.walproof, "demo", waldir, "--series", str(SERIES), "--scrapes", str(SCRAPES),
               "--start-ms", str(start), "--interval-ms", str(INTERVAL_MS),
               "--compression", compression])
    checks.require(p.returncode == 0, f"walproof demo --compression {compression} succeeded",
                   f"exit {p.returncode}")
    h.describe_dir(data)
    segs_before = h.segment_files(waldir)
    checks.require(len(segs_before) >= 1, f"{label}: demo wrote segments", f"{segs_before}")

    h.section(f"walproof verify and stats of the {label}")
    h.walproof_verify(args, checks, waldir, label)
    st = h.walproof_stats(args, checks, waldir, label)
    checks.eq(f"{label}: series", st["series"], SERIES)
    checks.eq(f"{label}: samples", st["samples"], SERIES * SCRAPES)
    checks.eq(f"{label}: tombstones", st["tombstones"], 1)
    checks.eq(f"{label}: records_by_type",
              {k: v for k, v in st["records_by_type"].items() if v},
              {"1": 1, "2": SCRAPES, "3": 1})
    checks.eq(f"{label}: min_time", st["min_time"], start)
    checks.eq(f"{label}: max_time", st["max_time"], last)
    for key in ("exemplars", "histogram_samples", "metadata", "float_histogram_samples"):
        if key in st:  # float_histogram_samples is beyond the contract
            checks.eq(f"{label}: {key}", st[key], 0)
    if compression == "none":
        checks.eq(f"{label}: compressed_records", st["compressed_records"], 0)
    else:
        # The Series and Samples records are repetitive; snappy must win on them.
        checks.gt(f"{label}: compressed_records", st["compressed_records"], 0)

    h.section(f"prometheus replays the {label}")
    prom = h.Prometheus(args, tmp, data,
                        "global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
                        "scrape_configs: []\n",
                        flags=["--storage.tsdb.retention.time=30d"],
                        name=f"prometheus-{compression}")
    prom.start()
    try:
        check_server(checks, prom, label, start, last)
    finally:
        h.section(f"stop prometheus ({label})")
        rc = prom.stop()
        checks.eq(f"{label}: prometheus exit code after SIGTERM", rc, 0)

    # Prometheus opened the WAL for writing, which always starts a new segment,
    # and wrote nothing into it (no scrapes, no compaction). walproof must
    # read the result and count exactly the same records.
    h.section(f"walproof after prometheus ran on the {label}")
    h.describe_dir(waldir)
    segs_after = h.segment_files(waldir)
    checks.eq(f"{label}: segments on disk after prometheus", len(segs_after),
              len(segs_before) + 1)
    h.walproof_verify(args, checks, waldir, f"{label} after prometheus")
    st2 = h.walproof_stats(args, checks, waldir, f"{label} after prometheus")
    for key in ("series", "samples", "tombstones", "records_by_type", "min_time", "max_time"):
        checks.eq(f"{label} after prometheus: {key} unchanged", st2[key], st[key])


def check_server(checks, prom, label, start, last):
    m = prom.metrics()
    checks.eq(f"{label}: prometheus_tsdb_wal_corruptions_total",
              prom.metric_sum("prometheus_tsdb_wal_corruptions_total", m), 0)
    checks.eq(f"{label}: prometheus_tsdb_head_series",
              prom.metric_sum("prometheus_tsdb_head_series", m), SERIES)
    checks.eq(f"{label}: prometheus_tsdb_head_min_time",
              prom.metric_sum("prometheus_tsdb_head_min_time", m), start)
    checks.eq(f"{label}: prometheus_tsdb_head_max_time",
              prom.metric_sum("prometheus_tsdb_head_max_time", m), last)

    def count_at(t):
        r = prom.query("count(walproof_demo)", at_ms=t)["result"]
        return int(r[0]["value"][1]) if r else 0

    mid = start + 50 * INTERVAL_MS
    checks.eq(f"{label}: count(walproof_demo) at scrape 50", count_at(mid), SERIES)
    # At scrape 5 series 0 has only deleted samples within the 5m lookback.
    checks.eq(f"{label}: count(walproof_demo) at scrape 5 (series 0 tombstoned)",
              count_at(start + 5 * INTERVAL_MS), SERIES - 1)
    checks.eq(f"{label}: count(walproof_demo) at the last scrape", count_at(last), SERIES)
    checks.eq(f"{label}: count(walproof_demo) before the first scrape",
              count_at(start - INTERVAL_MS), 0)

    # A range wider than the whole span, evaluated at the last scrape, returns
    # every raw sample of the series with its exact timestamp.
    window_s = (SCRAPES * INTERVAL_MS) // 1000 + 60
    for i in PROBE_SERIES:
        r = prom.query(f'walproof_demo{{series="{i}"}}[{window_s}s]', at_ms=last)["result"]
        if not checks.eq(f"{label}: series {i}: one series returned", len(r), 1):
            continue
        checks.eq(f"{label}: series {i}: labels", r[0]["metric"],
                  {"__name__": "walproof_demo", "instance": "demo", "series": str(i)})
        got = [(h.param_to_ms(t), float(v)) for t, v in r[0]["values"]]
        want = expected_samples(i, start)
        summary = (f"got {len(got)} samples, first {got[:1]}, last {got[-1:]}; "
                   f"want first {want[:1]}, last {want[-1:]}")
        if not checks.check(got == want,
                            f"{label}: series {i}: exactly {len(want)} (t, value) pairs "
                            f"k={want[0][1] - i * 1000:.0f}..{SCRAPES - 1}", summary):
            diff = [(a, b) for a, b in zip(got, want) if a != b][:5]
            h.log(f"  first differences (got, want): {diff}")

    # Series 0 at a deleted and at a kept instant (no lookback: exact times).
    r = prom.query('walproof_demo{series="0"}[1ms]', at_ms=start + 9 * INTERVAL_MS)["result"]
    checks.eq(f"{label}: series 0 at scrape 9 (last deleted) is gone", r, [])
    r = prom.query('walproof_demo{series="0"}', at_ms=start + 10 * INTERVAL_MS)["result"]
    checks.eq(f"{label}: series 0 at scrape 10 (first kept)",
              [(h.param_to_ms(x["value"][0]), x["value"][1]) for x in r],
              [(start + 10 * INTERVAL_MS, "10")])


def body(args, checks):
    for compression in ("none", "snappy"):
        run_once(args, checks, compression)


if __name__ == "__main__":
    h.main("interop_walproof_to_prometheus",
           "Prometheus replays WALs written by walproof demo (none, snappy) exactly",
           body)
