#!/usr/bin/env python3
"""Where WAL replay time goes, in Prometheus 2.42 and in walproof, on one WAL.

1. Prometheus replays a copy of the WAL (`chunks_head` emptied). While it
   does, its Go CPU profile is taken in one-second windows from
   /debug/pprof/profile, and the CPU of each of its threads is read from
   /proc every 100 ms. The profile's samples are sorted into the parts of
   replay by the functions on their stack (CATEGORIES below).
2. walproof replays the same WAL (`walproof replay --json`: its phases),
   its threads sampled the same way.
3. Printed: the share of each part, the idle share (cores not used while
   replaying), and a chart of cores busy over time for both (SVG).

Nothing is asserted: this is a measurement. The WAL is made by
`wal_shapes.py` (--shape) or given (--data, a Prometheus data directory,
copied and never modified).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pprof_profile  # noqa: E402
import svg_chart  # noqa: E402
import thread_cpu  # noqa: E402
import wal_shapes  # noqa: E402
from prom_server import Server  # noqa: E402

ROOT = os.path.dirname(HERE)

# A sample belongs to the first part whose pattern is a substring of any
# function on its stack; the order is the precedence. Names are Prometheus
# 2.42's (tsdb/head_wal.go, tsdb/head.go, tsdb/wlog, tsdb/record) and Go's
# runtime's. Allocation made while appending counts as allocation, and a
# mark assist as garbage collection: the profile cannot tell who caused it.
# loadWAL runs three kinds of goroutine: one reads and decodes records (a
# closure, "loadWAL.funcN"), the loop of loadWAL itself creates series and
# deals samples out by ref, and GOMAXPROCS workers run processWALSamples.
CATEGORIES = [
    ("garbage collection", ["runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.bgsweep",
                            "runtime.bgscavenge", "runtime.gcDrain", "runtime.sweepone",
                            "runtime.gcMarkDone", "runtime.gcStart"]),
    ("memory allocation", ["runtime.mallocgc", "runtime.newobject", "runtime.makeslice",
                           "runtime.growslice", "runtime.makemap", "runtime.(*mheap)", "runtime.memclrNoHeapPointers"]),
    ("series creation, label hashing", ["getOrCreateWithID", "(*stripeSeries).getOrSet",
                                        "(*stripeSeries).setUnlessAlreadySet", "labels.Labels.Hash",
                                        "(*MemPostings)", "newMemSeries", "(*Head).resetSeriesWithMMappedChunks",
                                        "xxhash"]),
    # Series lookups by ref (stripeSeries.getByID) happen inside it.
    ("processWALSamples (appends)", ["processWALSamples", "(*memSeries).append", "chunkenc."]),
    ("WAL reading and decoding", ["wlog.(*Reader)", "wal.(*Reader)", "record.(*Decoder)", "(*Head).loadWAL.func",
                                  "snappy", "encoding.(*Decbuf)", "crc32"]),
    ("loadWAL loop: dealing samples out", ["(*Head).loadWAL"]),
    ("scheduler, channels, locks", ["runtime.schedule", "runtime.findrunnable", "runtime.chan",
                                    "runtime.selectgo", "runtime.lock", "runtime.futex", "runtime.mcall",
                                    "runtime.park_m", "runtime.usleep", "sync.", "runtime.notesleep",
                                    "runtime.stopm", "runtime.runqgrab"]),
]
OTHER = "other"


def classify(stack):
    for name, patterns in CATEGORIES:
        for fn in stack:
            if any(p in fn for p in patterns):
                return name
    return OTHER


def profile_shares(paths):
    """CPU seconds per part, and the leaf functions of the unclassified ones."""
    parts = {name: 0.0 for name, _ in CATEGORIES}
    parts[OTHER] = 0.0
    leaves = {}
    for path in paths:
        prof = pprof_profile.load(path)
        for ns, stack in prof.samples:
            part = classify(stack)
            parts[part] += ns / 1e9
            if stack:
                key = (part, stack[0])
                leaves[key] = leaves.get(key, 0.0) + ns / 1e9
    return parts, leaves


def copy_data(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    os.sync()  # no writeback of the copy under the measured replay
    wal_shapes.warm(dst)
    return dst


def prometheus_run(data, work, timeout):
    copy = copy_data(data, os.path.join(work, "prom-data"))
    prof_dir = os.path.join(work, "pprof")
    shutil.rmtree(prof_dir, ignore_errors=True)
    os.makedirs(prof_dir)
    with Server(copy, log_name="profile-prometheus.log") as srv:
        r = srv.replay(timeout, profile_dir=prof_dir)
        srv.kill()
        samples = srv.sampler.window(0, r["ended_at"])
    cpu, by_thread = thread_cpu.cpu_seconds(samples)
    parts, leaves = profile_shares(r["profiles"])
    return {"seconds": r["seconds"], "wall_seconds": r["ended_at"], "peak_rss_bytes": r["peak_rss_bytes"],
            "cpu_seconds": cpu, "profiled_cpu_seconds": sum(parts.values()), "parts": parts,
            "profiles": len(r["profiles"]), "busy": thread_cpu.busy_series(samples),
            "names": thread_names(samples),
            "top_unclassified": sorted(((v, k[1]) for k, v in leaves.items() if k[0] == OTHER), reverse=True)[:12],
            "top_leaves": {name: sorted(((v, k[1]) for k, v in leaves.items() if k[0] == name), reverse=True)[:5]
                           for name in parts}}


def gogc_runs(data, work, timeout, values):
    """Replay time and peak RSS of Prometheus under other GOGC settings (the
    garbage collector's target: a higher one collects less often and lets
    the heap grow further)."""
    out = []
    for gogc in values:
        copy = copy_data(data, os.path.join(work, "prom-gogc"))
        with Server(copy, log_name=f"gogc-{gogc}.log", env={"GOGC": gogc}) as srv:
            r = srv.replay(timeout)
        out.append((gogc, r["seconds"], r["peak_rss_bytes"]))
        print(f"   GOGC={gogc}: replay {r['seconds']:.2f} s, peak RSS {r['peak_rss_bytes'] / 1e6:.0f} MB", flush=True)
    return out


def walproof_run(walproof, data, threads):
    args = [walproof, "replay", os.path.join(data, "wal"), "--json"]
    wal_shapes.warm(os.path.join(data, "wal"))
    args += ["--sequential"] if threads == 1 else ["--threads", str(threads)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    with thread_cpu.Sampler(proc.pid) as sampler:
        out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"walproof replay exited {proc.returncode}")
    report = json.loads(out)
    # The process's own count: the sampler misses its last 100 ms.
    # Only the replay: the CLI goes on to compute the head's digest.
    samples = sampler.window(0, report["seconds"] + 0.1)
    _, by_thread = thread_cpu.cpu_seconds(samples)
    return {"seconds": report["seconds"], "peak_rss_bytes": report["peak_rss_bytes"],
            "cpu_seconds": report["cpu_seconds"],
            "threads_cpu": by_thread, "phases": report["phases"], "digest": report["digest"],
            "samples": report["samples"], "series": report["series"], "busy": thread_cpu.busy_series(samples),
            "names": thread_names(samples)}


def busiest_lines(busy, names, top=4):
    """Chart lines: the total, then the busiest threads. Go names every thread
    "prometheus", so threads are told apart by rank when names repeat."""
    per_tid = {}
    for t, _, per in busy:
        for tid, cores in per.items():
            per_tid.setdefault(tid, []).append((t, cores))
    ranked = sorted(per_tid.items(), key=lambda kv: -sum(c for _, c in kv[1]))[:top]
    repeated = len(set(names.values())) < len(names)
    lines = [("all threads", [(t, total) for t, total, _ in busy])]
    for rank, (tid, pts) in enumerate(ranked, 1):
        lines.append((f"busiest thread {rank}" if repeated else names.get(tid, str(tid)), pts))
    return lines


def thread_names(samples):
    """Thread id -> name, as /proc last saw it."""
    names = {}
    for _, per_thread, _ in samples:
        for tid, (name, _) in per_thread.items():
            names[tid] = name
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="a Prometheus data directory holding wal/ (copied, never modified)")
    ap.add_argument("--shape", default="short", help="short, fleet, churn, scraped or a promtool label file")
    ap.add_argument("--series", type=int, default=300000)
    ap.add_argument("--scrapes", type=int, default=600)
    ap.add_argument("--scrape-seconds", type=int, default=120)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--walproof", default=os.path.join(ROOT, "build/dev/reference/walproof"))
    ap.add_argument("--workdir", help="where WALs and profiles go (default: a temp dir, removed after)")
    ap.add_argument("--out", default="replay-profile", help="prefix of the JSON and SVG written")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--gogc", default="", help="also replay with these GOGC values, e.g. 50,200,off")
    args = ap.parse_args()
    wal_shapes.require_tools(args.walproof)
    work = args.workdir or tempfile.mkdtemp(prefix="walproof-profile.")
    os.makedirs(work, exist_ok=True)
    try:
        data = args.data or wal_shapes.make(args.shape, work, args)
        print("== Prometheus replay, profiled", flush=True)
        prom = prometheus_run(data, work, args.timeout)
        print(f"   {prom['seconds']:.2f} s replay, {prom['cpu_seconds']:.1f} CPU s, "
              f"{prom['profiles']} profile windows", flush=True)
        gogc = []
        if args.gogc:
            print(f"== Prometheus replay with GOGC={args.gogc}", flush=True)
            gogc = gogc_runs(data, work, args.timeout, args.gogc.split(","))
        print(f"== walproof replay, {args.threads} threads", flush=True)
        wp = walproof_run(args.walproof, data, args.threads)
        cores = os.cpu_count() or 1
        print(f"\nPrometheus 2.42: replay {prom['seconds']:.2f} s ({prom['wall_seconds']:.2f} s from start), "
              f"{prom['cpu_seconds']:.2f} CPU s on {cores} cores, peak RSS {prom['peak_rss_bytes'] / 1e6:.0f} MB")
        total = prom["profiled_cpu_seconds"] or 1.0
        capacity = cores * prom["wall_seconds"]
        print(f"{'part':34}{'CPU s':>8}{'of CPU':>8}{'of cores':>10}")
        for name, secs in sorted(prom["parts"].items(), key=lambda kv: -kv[1]):
            print(f"{name:34}{secs:>8.2f}{secs / total:>8.1%}{secs / capacity:>10.1%}")
        idle = max(0.0, capacity - prom["cpu_seconds"])
        print(f"{'idle (cores not used)':34}{idle:>8.2f}{'':>8}{idle / capacity:>10.1%}")
        for name, leaves in prom["top_leaves"].items():
            if leaves:
                print(f"  {name}: " + ", ".join(f"{fn} {v:.2f}" for v, fn in leaves))
        if prom["top_unclassified"]:
            print("  other, by leaf: " + ", ".join(f"{fn} {v:.2f}" for v, fn in prom["top_unclassified"]))
        wcap = cores * wp["seconds"]
        print(f"\nwalproof: replay {wp['seconds']:.2f} s, {wp['cpu_seconds']:.2f} CPU s "
              f"({wp['cpu_seconds'] / wcap:.0%} of {cores} cores), peak RSS {wp['peak_rss_bytes'] / 1e6:.0f} MB; "
              "phases (thread-seconds): " + ", ".join(f"{k} {v:.2f}" for k, v in wp["phases"].items() if k != "wait"))
        print("  CPU by thread: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(wp["threads_cpu"].items())))

        panels = [(f"Prometheus 2.42: replay {prom['seconds']:.1f} s", busiest_lines(prom["busy"], prom["names"])),
                  (f"walproof, {args.threads} threads: replay {wp['seconds']:.1f} s",
                   busiest_lines(wp["busy"], wp["names"]))]
        svg = args.out + ".svg"
        svg_chart.chart(svg, f"CPU cores busy during WAL replay ({cores} cores)", panels, ymax=cores)
        if gogc:
            print(f"\nPrometheus under GOGC (default 100: {prom['seconds']:.2f} s, "
                  f"{prom['peak_rss_bytes'] / 1e6:.0f} MB, profiled): " +
                  "; ".join(f"GOGC={g} {t:.2f} s {m / 1e6:.0f} MB" for g, t, m in gogc))
        summary = {"prometheus": {k: v for k, v in prom.items() if k not in ("busy", "names")}, "gogc": gogc,
                   "walproof": {k: v for k, v in wp.items() if k not in ("busy", "names")}, "cores": cores}
        with open(args.out + ".json", "w") as f:
            json.dump(summary, f, indent=1)
        print(f"\nwrote {svg} and {args.out}.json")
        return 0
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
