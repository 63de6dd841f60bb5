"""The WALs the benches replay, one function per shape. Each returns the
Prometheus data directory that holds the WAL (`chunks_head` emptied, so that
every sample comes from the WAL) and a short description.

- promtool shapes (`short`, `fleet`, or any label file): `promtool tsdb bench
  write`, every series in the first Samples record's scrape, then the same
  series scrape after scrape. `short` is three labels per series; `fleet` is
  what a Kubernetes fleet scrapes: ten labels (cluster, namespace, pod,
  container, node, instance, job, ...), about 300 bytes a set.
- `churn`: the real Prometheus fed through its remote-write receiver, scrape
  by scrape, with a tenth of the series replaced by new ones (a pod
  restarted) every few scrapes, so Series records are spread through the WAL.
- `scraped`: the real Prometheus scraping loopback targets every second, with
  OpenMetrics exemplars and snappy WAL compression (2.42's default), killed,
  then given a checkpoint with `walproof checkpoint` (2.42 checkpoints only
  when it compacts the head, after hours).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import remote_write_load
from prom_server import Server, free_port


def require_tools(walproof):
    """Exits saying what to run when promtool, prometheus or the walproof
    binary a benchmark needs is missing."""
    for tool in ("promtool", "prometheus"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: run scripts/setup.sh")
    if not os.path.exists(walproof):
        raise SystemExit(f"{walproof} not found: run scripts/build.sh dev")


def log(msg):
    print(msg, flush=True)


def wal_bytes(data):
    total = 0
    for root, _, files in os.walk(os.path.join(data, "wal")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def warm(data):
    """Reads every file of a data directory once. This machine's kernel pages
    out memory unused for a few seconds (DAMON), page cache included, so a
    WAL written or copied a minute ago may come from disk; each replay the
    benches measure starts right after this, from a warm page cache."""
    for root, _, files in os.walk(data):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                while f.read(1 << 20):
                    pass


def short_labels(i):
    return {"__name__": f"bench_metric_{i % 500}", "instance": f"host-{i}", "job": "bench"}


METRICS = ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
           "container_network_receive_bytes_total", "container_network_transmit_bytes_total",
           "container_fs_reads_bytes_total", "container_fs_writes_bytes_total",
           "http_requests_total", "http_request_duration_seconds_count",
           "process_resident_memory_bytes", "process_cpu_seconds_total",
           "go_goroutines", "go_memstats_heap_alloc_bytes", "kube_pod_container_status_restarts_total",
           "node_filesystem_avail_bytes", "grpc_server_handled_total", "up"]


def fleet_labels(i, generation=0):
    """Series i of a fleet: 50 metrics per pod, 8 pods per node. A new
    generation is the same container restarted: a new pod name."""
    pod, metric = divmod(i, 50)
    node = pod // 8
    team = pod % 37
    rnd = random.Random(pod * 7919 + generation)
    suffix = "".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
    return {
        "__name__": METRICS[metric % len(METRICS)] + ("" if metric < len(METRICS) else f"_{metric}"),
        "cluster": "prod-eu-west-1",
        "namespace": f"team-{team:02d}-services",
        "pod": f"service-{pod % 211}-api-{pod:06x}-{suffix}",
        "container": "api",
        "node": f"ip-10-{node // 250 % 256}-{node % 250}-{pod % 8 + 10}.eu-west-1.compute.internal",
        "instance": f"10.{node // 250 % 256}.{node % 250}.{pod % 8 + 10}:9100",
        "job": "kubernetes-pods",
        "service": f"service-{pod % 211}",
        "endpoint": "http-metrics",
    }


SHAPES = {"short": short_labels, "fleet": fleet_labels}


def write_label_file(path, shape, series):
    with open(path, "w") as f:
        for i in range(series):
            f.write(json.dumps(SHAPES[shape](i), separators=(",", ":")) + "\n")


def empty_chunks_head(data):
    # Prometheus replays m-mapped head chunks first and only the WAL samples
    # after them; emptying chunks_head makes it replay every sample from the WAL.
    shutil.rmtree(os.path.join(data, "chunks_head"), ignore_errors=True)


def promtool_wal(work, labels_file, series, scrapes):
    out = os.path.join(work, "bench")
    log(f"== making the WAL: promtool tsdb bench write, {series} series x {scrapes} scrapes "
        f"({os.path.basename(labels_file)})")
    t0 = time.time()
    subprocess.run(["promtool", "tsdb", "bench", "write", f"--out={out}", f"--metrics={series}",
                    f"--scrapes={scrapes}", labels_file], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    data = os.path.join(out, "storage")
    empty_chunks_head(data)
    for name in ("cpu.prof", "mem.prof", "block.prof", "mutex.prof"):
        try:
            os.remove(os.path.join(out, name))
        except FileNotFoundError:
            pass
    log(f"   {wal_bytes(data) / 1e9:.2f} GB in {data}/wal, made in {time.time() - t0:.0f} s")
    return data


def churn_wal(work, series, scrapes, churn_every=20, churn_fraction=0.1, timeout=600):
    """series active at a time; every churn_every scrapes a churn_fraction of
    them get a new pod name (a new series), the old ones stop."""
    data = os.path.join(work, "churn")
    log(f"== making the WAL: remote write into Prometheus, {series} series x {scrapes} scrapes, "
        f"{churn_fraction:.0%} replaced every {churn_every} scrapes")
    t0 = time.time()
    with Server(data, flags=["--web.enable-remote-write-receiver"], log_name="churn-ingest.log") as srv:
        srv.wait_ready(timeout)
        rounds = remote_write_load.churn_rounds(series, scrapes, churn_every, churn_fraction)
        total = remote_write_load.push(srv.base, rounds, fleet_labels, step_ms=15000, progress=log)
        srv.kill(signal.SIGKILL)
    empty_chunks_head(data)
    log(f"   {total['series']} series, {total['samples']} samples, {wal_bytes(data) / 1e9:.2f} GB, "
        f"made in {time.time() - t0:.0f} s")
    return data


def scraped_wal(work, walproof, targets, series_per_target, seconds, timeout=600):
    """Prometheus scraping `targets` loopback targets every second for
    `seconds`, killed with SIGKILL; then an offline checkpoint of the older
    half of the WAL, as a head truncation would leave it."""
    data = os.path.join(work, "scraped")
    exporter_port = free_port()
    # One target per path: Prometheus dedupes equal targets, so each gets its own path.
    config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n" + "".join(
        f"  - job_name: app-{t}\n    metrics_path: /t{t}\n    static_configs:\n"
        f"      - targets: [\"127.0.0.1:{exporter_port}\"]\n" for t in range(targets))
    log(f"== making the WAL: Prometheus scraping {targets} targets x {series_per_target} series "
        f"with exemplars every second for {seconds} s")
    exporter = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "bench_exporter.py"),
                                 "--port", str(exporter_port), "--series", str(series_per_target),
                                 "--targets", str(targets)])
    try:
        # 10 MB segments (the least 2.42 takes), so that the WAL has several
        # and the older ones can go into a checkpoint.
        with Server(data, config=config, flags=["--enable-feature=exemplar-storage",
                                                "--storage.tsdb.wal-segment-size=10MB"],
                    log_name="scrape-ingest.log") as srv:
            srv.wait_ready(timeout)
            time.sleep(seconds)
            srv.kill(signal.SIGKILL)
    finally:
        exporter.kill()
        exporter.wait()
    empty_chunks_head(data)
    # The checkpoint: every sample older than the middle of the scrape.
    stats = json.loads(subprocess.run([walproof, "stats", os.path.join(data, "wal"), "--json"],
                                      capture_output=True, text=True).stdout)
    mint = (stats["min_time"] + stats["max_time"]) // 2
    subprocess.run([walproof, "checkpoint", os.path.join(data, "wal"), "--mint", str(mint)], check=True,
                   stdout=subprocess.DEVNULL)
    log(f"   {wal_bytes(data) / 1e9:.2f} GB, checkpoint below {mint}")
    return data


def make(shape, work, args):
    """The data directory for SHAPE (a built-in name or a promtool label file),
    written back to disk before it returns, so that no writeback of it runs
    under the replays measured next."""
    data = _make(shape, work, args)
    os.sync()
    return data


def _make(shape, work, args):
    os.makedirs(work, exist_ok=True)
    if shape in SHAPES:
        labels = os.path.join(work, f"labels-{shape}.txt")
        write_label_file(labels, shape, args.series)
        return promtool_wal(work, labels, args.series, args.scrapes)
    if shape == "churn":
        # A quarter of --series and half of --scrapes: pushed through HTTP
        # from Python, about 150,000 samples a second on 2 cores, the full
        # size would take longer to make than everything else.
        return churn_wal(work, max(1, args.series // 4), max(1, args.scrapes // 2))
    if shape == "scraped":
        # A third of --series, over 20 targets: scraping is real time.
        return scraped_wal(work, args.walproof, targets=20, series_per_target=max(1, args.series // 60),
                           seconds=args.scrape_seconds)
    if os.path.exists(shape):
        return promtool_wal(work, shape, args.series, args.scrapes)
    raise SystemExit(f"unknown shape {shape!r}: short, fleet, churn, scraped, or a promtool label file")
