#!/usr/bin/env python3
# crashsim trace checker "prometheus": starts Debian's Prometheus on a copy of
# a crash image (loopback, a free port, no scrape targets, a bounded start,
# stopped by its process group, nothing left behind), records whether it
# started and what its log says, and reads back every series and raw sample
# through the HTTP API.
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import checker_common as cc

ph = cc.ph
CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n"
# Prometheus's words for corruption it found (and repaired or dropped).
CORRUPTION = re.compile(r"corrupt|Encountered WAL read error|Starting corruption repair|"
                        r"Loading on-disk chunks failed|checksum mismatch|unexpected EOF|"
                        r"Failed to read meta.json|level=error", re.I)
BATCH = 64
DAY_MS = 24 * 3600 * 1000


def api(port, path, params, method="GET"):
    status, body = ph.http(method, f"http://127.0.0.1:{port}{path}", params, timeout=30)
    doc = json.loads(body)
    if status != 200 or doc.get("status") != "success":
        raise RuntimeError(f"{path}: HTTP {status}: {str(doc)[:300]}")
    return doc["data"]


def read_all(port):
    now = int(time.time() * 1000)
    start, end = now - 60 * DAY_MS, now + DAY_MS
    listed = api(port, "/api/v1/series", {"match[]": '{__name__=~".+"}', "start": ph.ms_to_param(start),
                                          "end": ph.ms_to_param(end)}, method="POST")
    series = {}
    keys = sorted({tuple(sorted(s.items())) for s in listed})
    for i in range(0, len(keys), BATCH):
        batch = keys[i:i + BATCH]
        sel = "|".join(re.escape(dict(k)["__name__"]) for k in batch)
        data = api(port, "/api/v1/query", {"query": f'{{__name__=~"{sel}"}}[{end - start}ms]',
                                           "time": ph.ms_to_param(end)}, method="POST")
        for s in data["result"]:
            key = tuple(sorted(s["metric"].items()))
            if key in batch:
                series[key] = [[ph.param_to_ms(t), float(v)] for t, v in s.get("values", [])]
    for k in keys:
        series.setdefault(k, [])
    return series


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--prometheus", default=ph.PROMETHEUS)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("image")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="crashsim-prometheus-")
    proc = None
    try:
        data = os.path.join(work, "data")
        shutil.copytree(args.image, data, symlinks=True)
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(CONFIG)
        log_path = os.path.join(work, "prometheus.log")
        state = "exited"
        for _ in range(3):
            port = ph.free_port()
            proc = ph.spawn([args.prometheus, f"--config.file={config}", f"--storage.tsdb.path={data}",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=info"], log_path)
            deadline = time.monotonic() + args.timeout
            state = "timeout"
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    state = "exited"
                    break
                try:
                    if ph.http("GET", f"http://127.0.0.1:{port}/-/ready", timeout=2)[0] == 200:
                        state = "ready"
                        break
                except OSError:
                    pass
                time.sleep(0.05)
            if state == "exited" and "address already in use" in open(log_path, errors="replace").read():
                continue
            break
        series, query_error = {}, ""
        if state == "ready":
            try:
                series = read_all(port)
            except Exception as e:  # noqa: BLE001  a server that cannot answer is a finding, not a checker failure
                query_error = f"reading the samples back failed: {e!r}"
        log = open(log_path, errors="replace").read()
        notable = [l for l in log.splitlines() if "level=warn" in l or "level=error" in l]
        summary = f"start: {state}\n" + (query_error + "\n" if query_error else "") + "\n".join(notable[-12:])
        # A query that fails on a checksum is Prometheus reporting the damage too.
        reported = bool(CORRUPTION.search(log)) or bool(CORRUPTION.search(query_error))
        cc.emit(state == "ready", reported, summary, series)
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=wait)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
