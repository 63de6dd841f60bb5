#!/usr/bin/env python3
"""The restart an operator has after the OOM killer: replay time and peak RSS
of Prometheus 2.42 restarting on the same data directory four ways, in one run.

1. Prometheus ingests through its remote-write receiver (fleet-like label
   sets, one request per scrape) long enough that full head chunks are
   m-mapped to chunks_head; its RSS is read, then it is killed with SIGKILL.
2. Copies of that data directory are restarted:
   - with chunks_head intact (what really happens after an OOM kill),
   - with chunks_head emptied (every sample from the WAL, as the replay bench),
   - after one more start and a clean shutdown with
     --enable-feature=memory-snapshot-on-shutdown (which a crash cannot use):
     the restart loads the snapshot.
   Each: total_replay_duration from the log, peak RSS (VmHWM) at the end of
   replay.
Nothing is asserted: this is a measurement.
"""
import argparse
import os
import re
import shutil
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import remote_write_load  # noqa: E402
import wal_shapes  # noqa: E402
from prom_server import Server, parse_go_duration  # noqa: E402
from thread_cpu import rss_bytes  # noqa: E402

SNAPSHOT = "--enable-feature=memory-snapshot-on-shutdown"


def restart(data, flags, timeout, name):
    wal_shapes.warm(data)
    with Server(data, flags=flags, log_name=f"restart-{name}.log") as srv:
        r = srv.replay(timeout)
        ready = srv.wait_ready(timeout)
        log = srv.log()
    m = re.search(r'msg="Chunk snapshot loaded".*duration=(\S+)', log)
    mmap = re.search(r'msg="On-disk memory mappable chunks replay completed".*duration=(\S+)', log)
    return {"seconds": r["seconds"], "ready_seconds": ready, "peak_rss_bytes": r["peak_rss_bytes"],
            "snapshot_seconds": parse_go_duration(m.group(1)) if m else None,
            "mmap_seconds": parse_go_duration(mmap.group(1)) if mmap else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=100000)
    ap.add_argument("--scrapes", type=int, default=360, help="samples per series (120 fill a chunk)")
    ap.add_argument("--workdir", help="default: a temp dir, removed after")
    ap.add_argument("--timeout", type=int, default=1800)
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="walproof-restart.")
    os.makedirs(work, exist_ok=True)
    try:
        data = os.path.join(work, "killed")
        print(f"== ingesting {args.series} series x {args.scrapes} scrapes through remote write", flush=True)
        with Server(data, flags=["--web.enable-remote-write-receiver"], log_name="ingest.log") as srv:
            srv.wait_ready(args.timeout)
            rounds = remote_write_load.churn_rounds(args.series, args.scrapes, args.scrapes + 1, 0.0)
            remote_write_load.push(srv.base, rounds, wal_shapes.fleet_labels, step_ms=15000,
                                   progress=lambda m: print(m, flush=True))
            rss_before = rss_bytes(srv.proc.pid)
            srv.kill(signal.SIGKILL)
        wal = wal_shapes.wal_bytes(data)
        chunks = sum(os.path.getsize(os.path.join(data, "chunks_head", f))
                     for f in os.listdir(os.path.join(data, "chunks_head")))
        print(f"   RSS just before SIGKILL {rss_before / 1e6:.0f} MB; WAL {wal / 1e6:.0f} MB, "
              f"chunks_head {chunks / 1e6:.0f} MB", flush=True)

        rows = []
        runs = [("chunks_head intact (after an OOM kill)", "intact", []),
                ("chunks_head emptied", "emptied", []),
                ("memory snapshot, after a clean shutdown", "snapshot", [SNAPSHOT])]
        for label, name, flags in runs:
            copy = os.path.join(work, name)
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(data, copy)
            os.sync()  # no writeback of the copy under the measured restart
            if name == "emptied":
                wal_shapes.empty_chunks_head(copy)
            if name == "snapshot":
                # A start that replays, then a clean shutdown that writes the snapshot.
                with Server(copy, flags=flags, log_name="snapshot-writer.log") as srv:
                    srv.wait_ready(args.timeout)
                    srv.kill(signal.SIGTERM)
            print(f"== restart: {label}", flush=True)
            r = restart(copy, flags, args.timeout, name)
            print(f"   replay {r['seconds']:.2f} s, ready at {r['ready_seconds']:.2f} s, "
                  f"peak RSS {r['peak_rss_bytes'] / 1e6:.0f} MB", flush=True)
            rows.append((label, r))

        print(f"\n{args.series} series x {args.scrapes} scrapes ({args.series * args.scrapes} samples), "
              f"WAL {wal / 1e6:.0f} MB, chunks_head {chunks / 1e6:.0f} MB, {os.cpu_count()} cores")
        print(f"{'restart':42}{'replay s':>10}{'ready s':>9}{'peak RSS MB':>13}{'vs before kill':>16}")
        print(f"{'(RSS just before SIGKILL)':42}{'':>10}{'':>9}{rss_before / 1e6:>13.0f}{1:>16.2f}")
        for label, r in rows:
            print(f"{label:42}{r['seconds']:>10.2f}{r['ready_seconds']:>9.2f}"
                  f"{r['peak_rss_bytes'] / 1e6:>13.0f}{r['peak_rss_bytes'] / rss_before:>16.2f}")
        return 0
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
