#!/usr/bin/env python3
"""walproof rescue against the server it rescues, on the same WAL, in one run.

The WAL: `promtool tsdb bench write`, 300,000 series x 600 scrapes by
default (wal_shapes.py, shape `short`: the 2-hour head of a 1000-target
server, about 2 GB), chunks_head emptied so that every sample comes from the
WAL. Then:
1. Prometheus replays a copy: its log's total_replay_duration and its peak
   RSS (VmHWM) when replay ends (prom_server.py).
2. `walproof rescue --yes` on a copy: wall time and peak RSS (the child's
   rusage), with no budget.
3. The same with --max-memory a quarter of Prometheus's peak RSS.
4. Prometheus started on the rescued directory: seconds until /-/ready and
   its RSS then, and the series and samples it answers for, against what
   rescue wrote.
One table with the ratios against the goals of issue 17: rescue at least 3x
faster than Prometheus's replay, Prometheus ready on the rescued directory
in under a tenth of its replay time, the budget respected within 10%.
Nothing is asserted: this is a measurement (the exit code says whether the
rescued directory answers with every series and sample).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import wal_shapes  # noqa: E402
from prom_server import Server, vm_hwm  # noqa: E402

ROOT = os.path.dirname(HERE)


def log(msg):
    print(msg, flush=True)


def linked_copy(src, dst):
    """A copy whose files are hard links: rescue only renames and removes WAL
    files, so the original stays as it was."""
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-al", src, dst], check=True)


def rescue(walproof, data, budget=None):
    argv = [walproof, "rescue", data, "--yes"] + ([f"--max-memory={budget}"] if budget else [])
    log("$ " + " ".join(argv))
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    seconds = time.monotonic() - t0
    # The child's own peak RSS: os.wait4 has reaped it already, so read it
    # from the line rescue prints about itself, in MiB.
    if proc.returncode != 0:
        raise SystemExit(f"rescue exited {proc.returncode}: {err.strip()[-500:]}")
    for line in out.splitlines():
        if line.startswith(("working in", "the head measured", "rescued:", "expected:", "took")):
            log("   " + line)
    m = re.search(r"peak RSS ([\d.]+) MiB", out)
    parts = re.search(r"working in (\d+) parts", out)
    samples = re.search(r"rescued: \d+ block\(s\), ([\d,]+) samples", out)
    return {"seconds": seconds, "peak_rss_bytes": float(m.group(1)) * (1 << 20) if m else 0,
            "parts": int(parts.group(1)) if parts else 1,
            "samples": int(samples.group(1).replace(",", "")) if samples else 0}


def prometheus_on_rescued(data, timeout):
    with Server(data, log_name="prometheus-rescued.log") as srv:
        ready = srv.wait_ready(timeout)
        rss = vm_hwm(srv.proc.pid)

        def query(q):
            url = f"{srv.base}/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": "3e9"})
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                res = json.load(resp)["data"]["result"]
            return int(float(res[0]["value"][1])) if res else 0

        with urllib.request.urlopen(f"{srv.base}/api/v1/label/__name__/values", timeout=timeout) as resp:
            names = json.load(resp)["data"]
        series = samples = 0
        for name in names:
            sel = '{__name__="%s"}[100y]' % name
            series += query(f"count(count_over_time({sel}))")
            samples += query(f"sum(count_over_time({sel}))")
    return {"ready_seconds": ready, "rss_bytes": rss, "series": series, "samples": samples}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=300000)
    ap.add_argument("--scrapes", type=int, default=600)
    ap.add_argument("--walproof", default=os.path.join(ROOT, "build/dev/reference/walproof"))
    ap.add_argument("--workdir", help="where to make the WAL (default: a temp dir, removed after)")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--data", help="an existing data directory to rescue copies of (skips promtool)")
    args = ap.parse_args()
    wal_shapes.require_tools(args.walproof)
    work = args.workdir or tempfile.mkdtemp(prefix="walproof-rescue-bench.")
    try:
        data = os.path.abspath(args.data) if args.data else wal_shapes.make("short", work, args)
        size = wal_shapes.wal_bytes(data)

        log("== Prometheus replays the WAL")
        copy = os.path.join(work, "prom-replay")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data, copy)
        with Server(copy, log_name="prometheus-replay.log") as srv:
            prom = srv.replay(args.timeout)
        shutil.rmtree(copy, ignore_errors=True)
        log(f"   {prom['seconds']:.2f} s (total_replay_duration), peak RSS {prom['peak_rss_bytes'] / 2**20:.0f} MiB")

        log("== walproof rescue --yes")
        free = os.path.join(work, "rescued")
        linked_copy(data, free)
        r1 = rescue(args.walproof, free)
        budget = prom["peak_rss_bytes"] // 4
        log(f"== walproof rescue --yes --max-memory {budget} (a quarter of Prometheus's peak)")
        tight = os.path.join(work, "rescued-budget")
        linked_copy(data, tight)
        r2 = rescue(args.walproof, tight, budget)
        shutil.rmtree(tight, ignore_errors=True)

        log("== Prometheus starts on the rescued directory")
        after = prometheus_on_rescued(free, args.timeout)
        log(f"   ready in {after['ready_seconds']:.2f} s, RSS {after['rss_bytes'] / 2**20:.0f} MiB, "
            f"{after['series']} series, {after['samples']} samples")

        mib = 2**20
        lines = [f"WAL: {args.series} series x {args.scrapes} scrapes, {size / 1e9:.2f} GB; {os.cpu_count()} cores, "
                 "shared machine: times are indicative",
                 f"{'':44}{'seconds':>9}{'peak RSS MiB':>14}{'vs Prometheus':>15}",
                 f"{'Prometheus 2.42 replay':44}{prom['seconds']:>9.2f}{prom['peak_rss_bytes'] / mib:>14.0f}{'1.00':>15}",
                 f"{'walproof rescue --yes':44}{r1['seconds']:>9.2f}{r1['peak_rss_bytes'] / mib:>14.0f}"
                 f"{prom['seconds'] / r1['seconds']:>14.2f}x",
                 f"{'walproof rescue --yes --max-memory ' + str(budget // mib) + 'MiB':44}{r2['seconds']:>9.2f}"
                 f"{r2['peak_rss_bytes'] / mib:>14.0f}{prom['seconds'] / r2['seconds']:>14.2f}x",
                 f"{'Prometheus on the rescued dir (to ready)':44}{after['ready_seconds']:>9.2f}"
                 f"{after['rss_bytes'] / mib:>14.0f}{after['ready_seconds'] / prom['seconds']:>14.3f} of replay",
                 "",
                 f"goal: rescue >= 3x faster than replay: {prom['seconds'] / r1['seconds']:.2f}x "
                 f"({'met' if prom['seconds'] >= 3 * r1['seconds'] else 'NOT met'})",
                 f"goal: ready on the rescued dir in < 1/10 of replay: "
                 f"{after['ready_seconds'] / prom['seconds']:.3f} "
                 f"({'met' if after['ready_seconds'] * 10 < prom['seconds'] else 'NOT met'})",
                 f"goal: budget {budget / mib:.0f} MiB respected within 10%: peak {r2['peak_rss_bytes'] / mib:.0f} MiB "
                 f"in {r2['parts']} parts ({'met' if r2['peak_rss_bytes'] <= 1.1 * budget else 'NOT met'})",
                 f"rescued {r1['samples']} samples; Prometheus answers {after['series']} series, "
                 f"{after['samples']} samples from the blocks"]
        log("")
        for line in lines:
            log(line)
        return 0 if after["samples"] == r1["samples"] == r2["samples"] else 1
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
