#!/usr/bin/env python3
# interop_busy_data_dir: a real Prometheus 2.42 running on a data directory
# without --storage.tsdb.use-lockfile (Debian's default: its patch
# 21-Disable_TSDB_lockfile.patch makes the lock opt-in) holds no DATA/lock,
# and with no full head chunk its chunks_head is empty: the two things that
# used to stop `walproof checkpoint`. The write commands must still refuse,
# naming the server's PID and command line, because it has its WAL segment
# open; the read commands must go on working; once it is stopped the same
# commands must run.

import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

CONFIG = ("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
          "scrape_configs: []\n")
INTERVAL_MS = 15000
SCRAPES = 100  # under 120 samples per series, within one 2 h range: no head chunk is cut or mapped


def listing(path):
    out = {}
    for root, dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, path)] = os.path.getsize(p)
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), path) + "/"] = 0
    return out


def body(args, checks):
    tmp = h.make_tempdir("busy", args.keep)
    data = os.path.join(tmp, "data")
    wal = os.path.join(data, "wal")
    # Prometheus also cuts a head chunk (and maps it to chunks_head) where the
    # samples cross a 2 h boundary, so the 25 minutes of samples start 5
    # minutes after a boundary at least 40 minutes old: never across one,
    # whatever the time of day.
    boundary = (int(time.time()) - 40 * 60) // 7200 * 7200
    start = (boundary + 5 * 60) * 1000
    p = h.run([args.walproof, "demo", wal, "--series", "50", "--scrapes", str(SCRAPES),
               "--start-ms", str(start), "--interval-ms", str(INTERVAL_MS),
               "--compression", "none", "--segment-size", "32768"])
    checks.require(p.returncode == 0, "walproof demo wrote a WAL into DATA/wal")

    h.section("Prometheus 2.42 on DATA, without --storage.tsdb.use-lockfile")
    prom = h.Prometheus(args, tmp, data, CONFIG, flags=["--storage.tsdb.retention.time=30d"])
    prom.start()
    pid = prom.proc.pid
    try:
        h.describe_dir(data)
        checks.check(not os.path.exists(os.path.join(data, "lock")),
                     "the server took no DATA/lock (Debian's default)")
        chunks_head = os.path.join(data, "chunks_head")
        checks.eq("files in DATA/chunks_head", len(os.listdir(chunks_head)) if os.path.isdir(chunks_head) else 0, 0)
        before = listing(wal)
        server = f"PID {pid} ({args.prometheus} --config.file="
        for argv in (["repair", data, "--yes"], ["checkpoint", data, "--mint", "0"],
                     ["checkpoint", wal, "--mint", str(start + 50 * INTERVAL_MS)], ["demo", data]):
            p = h.run([args.walproof, *argv])
            checks.eq(f"walproof {' '.join(argv[:1] + argv[2:])} exit code while the server runs", p.returncode, 1)
            checks.check(server in p.stderr and "is in use by another process" in p.stderr,
                         f"walproof {argv[0]} names the server's PID {pid} and command line")
        checks.eq("the WAL directory after the refusals (names and sizes)", listing(wal), before)
        checks.check(not os.path.exists(os.path.join(data, "lock")), "the refusals left no DATA/lock behind")
        p = h.run([args.walproof, "verify", data])
        checks.eq("walproof verify DATA exit code while the server runs (reading is allowed)", p.returncode, 0)
        checks.check(p.stdout.startswith(f"using {wal} "), "verify says it reads DATA/wal")
    finally:
        rc = prom.stop()
    checks.eq("prometheus exit code after SIGTERM", rc, 0)

    h.section("the same commands once the server is stopped")
    p = h.run([args.walproof, "repair", data, "--yes"])
    checks.eq("walproof repair --yes exit code with the server stopped", p.returncode, 0)
    checks.check("in use" not in p.stderr, "repair --yes is not refused")
    p = h.run([args.walproof, "checkpoint", data, "--mint", "0", "--drop-chunks-head"])
    checks.eq("walproof checkpoint exit code with the server stopped", p.returncode, 0)
    checks.check("in use" not in p.stderr, "checkpoint is not refused")


if __name__ == "__main__":
    h.main("interop_busy_data_dir",
           "write commands refuse while Prometheus 2.42 without a lockfile runs on the data dir",
           body)
