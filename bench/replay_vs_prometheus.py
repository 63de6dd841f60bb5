#!/usr/bin/env python3
"""Replay speed and memory: walproof against Debian's Prometheus, on the same
WAL, in one run, for each WAL shape asked for.

For each shape (wal_shapes.py: `short` and `fleet` from `promtool tsdb bench
write`, default 300,000 series x 600 scrapes, about 2 GB, the 2-hour head of
a 1000-target server; `churn` and `scraped` from the real Prometheus; or any
promtool label file with --labels):
1. The floor: `walproof stats` (read, CRC, decompress and decode every
   record, one thread, nothing applied).
2. `walproof replay`, sequential and parallel (read-only), three times each:
   the median is reported.
3. Prometheus replays a copy with `chunks_head` emptied, so that every sample
   comes from the WAL; its log's total_replay_duration is the time, and its
   peak RSS (VmHWM) at the end of replay the memory. It is stopped as soon as
   replay ends. Where the WAL holds exemplars, its exemplar storage is on.
4. One table per shape: time against the floor and against Prometheus, and
   peak RSS against the head's own bytes (chunks + labels + index, as
   `walproof replay` reports them) and Prometheus's.
Nothing is asserted: this is a measurement.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import wal_shapes  # noqa: E402
from prom_server import Server  # noqa: E402

ROOT = os.path.dirname(HERE)


def log(msg):
    print(msg, flush=True)


def walproof_json(walproof, *args):
    wal_shapes.warm(args[1])
    t0 = time.monotonic()
    res = subprocess.run([walproof, *args, "--json"], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"walproof {args[0]} exited {res.returncode}: {res.stderr.strip()}")
    out = json.loads(res.stdout)
    out.setdefault("seconds", time.monotonic() - t0)
    return out


def walproof_replay(walproof, wal, threads, repeat):
    """The run of median time among `repeat`: a 2-vCPU machine shared with
    other guests varies by a fifth from one run to the next."""
    args = ["--sequential"] if threads == 1 else ["--threads", str(threads)]
    runs = sorted((walproof_json(walproof, "replay", wal, *args) for _ in range(repeat)), key=lambda r: r["seconds"])
    median = runs[len(runs) // 2]
    median["all_seconds"] = [r["seconds"] for r in runs]
    return median


def prometheus_replay(data, work, timeout, flags=()):
    """Replay time and peak RSS; then the series and samples it holds, on a
    second start so that the queries do not inflate the measured run."""
    copy = os.path.join(work, "prom-copy")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data, copy)
    # Written back before Prometheus starts: a copy's writeback running
    # under the replay slowed it down by up to half (measured).
    os.sync()
    wal_shapes.warm(copy)
    with Server(copy, flags=flags, log_name="prometheus-replay.log") as srv:
        r = srv.replay(timeout)
    with Server(copy, flags=flags, log_name="prometheus-count.log") as srv:
        srv.wait_ready(timeout)

        def query(q):
            url = f"{srv.base}/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": "3e9"})
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    res = json.load(resp)["data"]["result"]
            except urllib.error.HTTPError as e:
                raise SystemExit(f"prometheus: query {q} failed: HTTP {e.code} {e.read()[:300]!r}")
            return int(float(res[0]["value"][1])) if res else 0

        # Per metric name: the _over_time functions drop the name, and series
        # that differ only by it would collide in one vector.
        with urllib.request.urlopen(f"{srv.base}/api/v1/label/__name__/values", timeout=timeout) as resp:
            names = json.load(resp)["data"]
        r["series"] = r["samples"] = 0
        for name in names:
            sel = '{__name__="%s"}[100y]' % name
            r["series"] += query(f"count(count_over_time({sel}))")
            r["samples"] += query(f"sum(count_over_time({sel}))")
    shutil.rmtree(copy, ignore_errors=True)
    return r


def measure(shape, work, args):
    data = wal_shapes.make(shape, work, args)
    wal = os.path.join(data, "wal")
    size = wal_shapes.wal_bytes(data)
    log("== floor: walproof stats (read, CRC, decode; one thread)")
    t0 = time.monotonic()
    stats = walproof_json(args.walproof, "stats", wal)
    floor = time.monotonic() - t0
    log(f"   {floor:.2f} s, {stats['records']} records, {stats['samples']} samples")
    log(f"== walproof replay, sequential (median of {args.repeat})")
    seq = walproof_replay(args.walproof, wal, 1, args.repeat)
    log(f"   {seq['seconds']:.2f} s (runs: {', '.join(f'{x:.2f}' for x in seq['all_seconds'])}), "
        f"peak RSS {seq['peak_rss_bytes'] / 1e6:.0f} MB, digest {seq['digest']}")
    log(f"== walproof replay, {args.threads} threads (median of {args.repeat})")
    par = walproof_replay(args.walproof, wal, args.threads, args.repeat)
    log(f"   {par['seconds']:.2f} s (runs: {', '.join(f'{x:.2f}' for x in par['all_seconds'])}), "
        f"peak RSS {par['peak_rss_bytes'] / 1e6:.0f} MB, digest {par['digest']}, "
        "phases " + ", ".join(f"{k} {v:.2f}" for k, v in par["phases"].items()))
    log("== Prometheus replay")
    # Exemplars are replayed only with exemplar storage on (off by default);
    # walproof always replays them, so Prometheus does too where there are any.
    flags = ["--enable-feature=exemplar-storage"] if stats["exemplars"] else []
    prom = prometheus_replay(data, work, args.timeout, flags)
    log(f"   {prom['seconds']:.2f} s (total_replay_duration), peak RSS {prom['peak_rss_bytes'] / 1e6:.0f} MB, "
        f"{prom['series']} series, {prom['samples']} samples")
    head = par["chunk_capacity_bytes"] + par["label_bytes"] + par.get("index_bytes", 0)
    rows = [("Prometheus 2.42", prom["seconds"], prom["peak_rss_bytes"]),
            ("floor (stats, 1 thread)", floor, None),
            ("walproof sequential", seq["seconds"], seq["peak_rss_bytes"]),
            (f"walproof {args.threads} threads", par["seconds"], par["peak_rss_bytes"])]
    lines = [f"shape {shape}: {par['series']} series, {par['samples']} samples"
             f" (+{par['histogram_samples']} histograms), {stats['exemplars']} exemplars, "
             f"WAL {size / 1e9:.2f} GB, checkpoint {'yes' if par.get('checkpoint') else 'no'}; "
             f"head bytes (chunks + labels + index) {head / 1e6:.0f} MB"
             f"{'; Prometheus with exemplar storage on' if flags else ''}",
             f"{'':26}{'seconds':>9}{'vs floor':>9}{'speed-up':>9}{'peak RSS MB':>12}{'RSS/head':>9}{'RSS/Prom':>9}"]
    for name, secs, rss in rows:
        rss_cols = (f"{rss / 1e6:>12.0f}{rss / head:>9.2f}{rss / prom['peak_rss_bytes']:>9.2f}" if rss
                    else f"{'':>12}{'':>9}{'':>9}")
        lines.append(f"{name:26}{secs:>9.2f}{secs / floor:>9.2f}{prom['seconds'] / secs:>9.2f}{rss_cols}")
    lines.append(f"2 threads vs 1: {seq['seconds'] / par['seconds']:.2f}x; digests "
                 f"{'equal' if seq['digest'] == par['digest'] else 'DIFFER'}; samples: walproof {par['samples']}, "
                 f"Prometheus {prom['samples']}; series: walproof {par['series']}, Prometheus {prom['series']}")
    same = seq["digest"] == par["digest"] and seq["samples"] == par["samples"]
    return lines, same


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="short", help="comma-separated: short, fleet, churn, scraped")
    ap.add_argument("--labels", action="append", default=[], help="a promtool label file: one more shape")
    ap.add_argument("--series", type=int, default=300000)
    ap.add_argument("--scrapes", type=int, default=600)
    ap.add_argument("--scrape-seconds", type=int, default=120, help="how long the `scraped` shape scrapes")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3, help="walproof replays per mode; the median is reported")
    ap.add_argument("--walproof", default=os.path.join(ROOT, "build/dev/reference/walproof"))
    ap.add_argument("--workdir", help="where to make the WALs (default: a temp dir, removed after)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds to wait for Prometheus' replay")
    args = ap.parse_args()
    wal_shapes.require_tools(args.walproof)
    shapes = [s for s in args.shapes.split(",") if s] + [os.path.abspath(p) for p in args.labels]
    work = args.workdir or tempfile.mkdtemp(prefix="walproof-bench.")
    tables, ok = [], True
    try:
        for shape in shapes:
            shape_work = os.path.join(work, os.path.basename(shape))
            lines, same = measure(shape, shape_work, args)
            tables.append(lines)
            ok &= same
            if not args.workdir:
                shutil.rmtree(shape_work, ignore_errors=True)
        log(f"\n{os.cpu_count()} cores; speed-up = Prometheus seconds / these seconds")
        for lines in tables:
            log("")
            for line in lines:
                log(line)
        return 0 if ok else 1
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
