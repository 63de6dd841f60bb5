#!/usr/bin/env python3
"""Replay speed and memory: walproof against Debian's Prometheus, on one WAL, in one run.

1. `promtool tsdb bench write` makes the WAL (default 300,000 series x 600
   scrapes, about 2 GB: the 2-hour head of a 1000-target server).
2. `walproof replay` replays it, sequential and parallel (read-only).
3. Prometheus replays it with `chunks_head` emptied, so that every sample
   comes from the WAL; its log's total_replay_duration is the time, and
   /usr/bin/time -v gives the peak RSS. It is stopped as soon as replay ends.
4. The ratios are printed. Nothing is asserted: this is a measurement.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_wal(work, series, scrapes):
    labels = os.path.join(work, "labels.txt")
    with open(labels, "w") as f:
        for i in range(series):
            f.write('{"__name__":"bench_metric_%d","instance":"host-%d","job":"bench"}\n' % (i % 500, i))
    out = os.path.join(work, "bench")
    log(f"== making the WAL: promtool tsdb bench write, {series} series x {scrapes} scrapes")
    t0 = time.time()
    subprocess.run(["promtool", "tsdb", "bench", "write", f"--out={out}", f"--metrics={series}",
                    f"--scrapes={scrapes}", labels], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    data = os.path.join(out, "storage")
    # Prometheus replays m-mapped head chunks first and only the WAL samples
    # after them; emptying chunks_head makes it replay every sample from the WAL.
    shutil.rmtree(os.path.join(data, "chunks_head"), ignore_errors=True)
    for name in ("cpu.prof", "mem.prof", "block.prof", "mutex.prof"):
        try:
            os.remove(os.path.join(out, name))
        except FileNotFoundError:
            pass
    size = sum(os.path.getsize(os.path.join(data, "wal", n)) for n in os.listdir(os.path.join(data, "wal")))
    log(f"   {size / 1e9:.2f} GB in {data}/wal, made in {time.time() - t0:.0f} s")
    return data, size


def walproof_replay(walproof, wal, threads):
    args = [walproof, "replay", wal, "--json"]
    args += ["--sequential"] if threads == 1 else ["--threads", str(threads)]
    res = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def prometheus_replay(data, timeout):
    port = free_port()
    conf = os.path.join(os.path.dirname(data), "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    logf = os.path.join(os.path.dirname(data), "prometheus.log")
    cmd = ["/usr/bin/time", "-v", "prometheus", f"--config.file={conf}",
           f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
           "--storage.tsdb.retention.time=100y"]
    with open(logf, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    replay = None
    try:
        deadline = time.time() + timeout
        while time.time() < deadline and proc.poll() is None:
            with open(logf) as f:
                text = f.read()
            m = re.search(r'msg="WAL replay completed".*total_replay_duration=(\S+)', text)
            if m:
                replay = parse_go_duration(m.group(1))
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            # SIGTERM to prometheus itself (time -v waits for it and then reports).
            subprocess.run(["pkill", "-TERM", "-s", str(proc.pid), "prometheus"], check=False)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    with open(logf) as f:
        text = f.read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    rss = int(m.group(1)) * 1024 if m else None
    if replay is None:
        raise SystemExit(f"prometheus did not finish replay within {timeout} s; see {logf}")
    return replay, rss


def prometheus_counts(data, timeout):
    """Series and samples Prometheus holds after replay (a second start, so the
    queries do not inflate the measured run)."""
    import urllib.parse
    import urllib.request
    port = free_port()
    conf = os.path.join(os.path.dirname(data), "prometheus.yml")
    logf = os.path.join(os.path.dirname(data), "prometheus-count.log")
    cmd = ["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={data}",
           f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"]
    with open(logf, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def query(q):
        url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": "1e7"})
        with urllib.request.urlopen(url, timeout=600) as r:
            res = json.load(r)["data"]["result"]
        return int(float(res[0]["value"][1])) if res else 0

    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"prometheus did not become ready; see {logf}")
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        return query('count(count_over_time({job="bench"}[10y]))'), query('sum(count_over_time({job="bench"}[10y]))')
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def parse_go_duration(s):
    total = 0.0
    for num, unit in re.findall(r"([\d.]+)(h|ms|µs|us|ns|m|s)", s):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[unit]
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=300000)
    ap.add_argument("--scrapes", type=int, default=600)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--walproof", default=os.path.join(ROOT, "build/dev/reference/walproof"))
    ap.add_argument("--workdir", help="where to make the WAL (default: a temp dir, removed after)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds to wait for Prometheus' replay")
    args = ap.parse_args()
    for tool in ("promtool", "prometheus", "/usr/bin/time"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: run scripts/setup.sh")
    if not os.path.exists(args.walproof):
        raise SystemExit(f"{args.walproof} not found: run scripts/build.sh dev")

    work = args.workdir or tempfile.mkdtemp(prefix="walproof-bench.")
    os.makedirs(work, exist_ok=True)
    try:
        data, size = make_wal(work, args.series, args.scrapes)
        wal = os.path.join(data, "wal")
        log("== walproof replay, sequential")
        seq = walproof_replay(args.walproof, wal, 1)
        log(f"   {seq['seconds']:.2f} s, peak RSS {seq['peak_rss_bytes'] / 1e6:.0f} MB, "
            f"{seq['series']} series, {seq['samples']} samples, digest {seq['digest']}")
        log(f"== walproof replay, {args.threads} threads")
        par = walproof_replay(args.walproof, wal, args.threads)
        log(f"   {par['seconds']:.2f} s, peak RSS {par['peak_rss_bytes'] / 1e6:.0f} MB, "
            f"{par['series']} series, {par['samples']} samples, digest {par['digest']}")
        log("== Prometheus replay (last: it adds a segment and writes chunks_head)")
        prom_s, prom_rss = prometheus_replay(data, args.timeout)
        log(f"   {prom_s:.2f} s (total_replay_duration), peak RSS {prom_rss / 1e6:.0f} MB")
        prom_series, prom_samples = prometheus_counts(data, args.timeout)
        log(f"   Prometheus holds {prom_series} series, {prom_samples} samples")

        expected = args.series * args.scrapes
        log("")
        log(f"WAL: {args.series} series x {args.scrapes} scrapes = {expected} samples, {size / 1e9:.2f} GB, "
            f"{os.cpu_count()} cores")
        log(f"{'':24}{'seconds':>10}{'peak RSS MB':>14}{'speed-up':>10}{'RSS ratio':>11}")
        log(f"{'Prometheus 2.42':24}{prom_s:>10.2f}{prom_rss / 1e6:>14.0f}{1:>10.2f}{1:>11.2f}")
        for name, r in ((f"walproof sequential", seq), (f"walproof {args.threads} threads", par)):
            log(f"{name:24}{r['seconds']:>10.2f}{r['peak_rss_bytes'] / 1e6:>14.0f}"
                f"{prom_s / r['seconds']:>10.2f}{r['peak_rss_bytes'] / prom_rss:>11.2f}")
        same = seq["digest"] == par["digest"] and seq["samples"] == par["samples"] == expected \
            == prom_samples and seq["series"] == par["series"] == args.series == prom_series
        log(f"counts: series {par['series']} (Prometheus {prom_series}, expected {args.series}), "
            f"samples {par['samples']} (Prometheus {prom_samples}, expected {expected}); sequential and parallel digests {'equal' if seq['digest'] == par['digest'] else 'DIFFER'}")
        return 0 if same else 1
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
