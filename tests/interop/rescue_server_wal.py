#!/usr/bin/env python3
# interop_rescue_server_wal: walproof rescue on a WAL that Prometheus 2.42
# itself wrote, not walproof: Prometheus answers the same queries before and
# after, and promtool accepts the blocks.
#
# The WAL (every record written by the server):
# 1. a first server takes remote writes, in time order, of 2 float series
#    and 2 native histogram series (integer counts), one sample every 15 s
#    from 20 minutes before a 2 h block boundary to 20 minutes after it; the
#    newest boundary at least 20 minutes old, so that all of it is in the
#    past and the head, from its first sample to the scrapes below, spans
#    less than the 3 h at which 2.42 compacts it into a block;
# 2. a second server replays that, opens a new segment, scrapes a local
#    exporter of 30 float series every second four times, deletes
#    through the admin API part of one remote-written float series and of
#    one histogram series (tombstone records), and is killed with SIGKILL;
# 3. `walproof checkpoint --mint` then folds the first segment into a
#    checkpoint, keeping the samples from the boundary on, as a head
#    truncation would (2.42 itself checkpoints only after a compaction, an
#    hour of wall time away), and drops chunks_head, whose samples are all
#    in the WAL too.
# Before: a server without scrape targets replays it. After: rescue has
# written the blocks and emptied the WAL, and a server loads the blocks. Both
# answer, for every series, its raw samples over the whole span: the same
# label sets, sample counts and last values (floats and histograms).

import http.server
import os
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "crashsim", "trace"))
import remote_write as rw  # noqa: E402

STEP_MS = 15000
EXPORTED = 30
SCRAPES = 4
FLAGS = ["--storage.tsdb.retention.time=30d", "--enable-feature=native-histograms"]
QUIET = ("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\nscrape_configs: []\n")


class Exporter:
    """EXPORTED counters on a loopback port, in the text format."""

    def __init__(self):
        started = time.time()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                n = int((time.time() - started) * 10)
                body = "# TYPE rescue_exported_total counter\n" + "".join(
                    f'rescue_exported_total{{shard="{i}"}} {n * (i + 1)}\n' for i in range(EXPORTED))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def remote_writes(base, start, steps):
    """Two float and two histogram series, `steps` samples each, in batches
    of 40 steps in time order."""
    for first in range(0, steps, 40):
        body = bytearray()
        batch = range(first, min(steps, first + 40))
        for i in range(2):
            body += rw.timeseries([("__name__", "rescue_pushed"), ("job", "push"), ("series", str(i))],
                                  samples=[(float(k * (i + 2)), start + k * STEP_MS) for k in batch])
        for i in range(2):
            hists = [rw.histogram(start + k * STEP_MS, count=3 * k + i + 2, total=1.5 * k, schema=1,
                                  zero_threshold=0.001, zero_count=k,
                                  positive_spans=[(0, 2), (2, 1)],
                                  positive_deltas=[k + i, 1 - k - i, k]) for k in batch]
            body += rw.timeseries([("__name__", "rescue_pushed_histogram"), ("job", "push"), ("series", str(i))],
                                  histograms=hists)
        rw.post(base + "/api/v1/write", bytes(body))


def answers(args, tmp, data, label, at_ms, span_ms):
    prom = h.Prometheus(args, tmp, data, QUIET, flags=FLAGS, name=f"prometheus-{label}")
    prom.start()
    try:
        m = prom.metrics()
        # Every series but Prometheus's own.
        return (h.sample_counts(prom, '{job=~"push|exported"}', at_ms, span_ms), prom.metric_sum("prometheus_tsdb_head_series", m),
                prom.metric_sum("prometheus_tsdb_blocks_loaded", m),
                prom.metric_sum("prometheus_tsdb_wal_corruptions_total", m))
    finally:
        prom.stop()


def body(args, checks):
    tmp = h.make_tempdir("rescue-server", keep=args.keep)
    data = os.path.join(tmp, "data")
    wal = os.path.join(data, "wal")
    boundary = (int(time.time()) - 20 * 60) // 7200 * 7200 * 1000
    start = boundary - 20 * 60 * 1000
    steps = 160  # 40 minutes

    h.section("a first server takes remote writes of floats and native histograms")
    push = h.Prometheus(args, tmp, data, QUIET, name="prometheus-push",
                        flags=FLAGS + ["--web.enable-remote-write-receiver"])
    push.start()
    try:
        remote_writes(push.base, start, steps)
        m = push.metrics()
        checks.eq("the pushed series are in the head", push.metric_sum("prometheus_tsdb_head_series", m), 4)
    finally:
        push.kill()

    h.section("a second server scrapes an exporter and deletes through the admin API")
    exporter = Exporter()
    h.on_cleanup(exporter.close)
    scrape_config = ("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n"
                     f"  - job_name: exported\n    static_configs:\n      - targets: ['127.0.0.1:{exporter.port}']\n")
    scrape = h.Prometheus(args, tmp, data, scrape_config, name="prometheus-scrape",
                          flags=FLAGS + ["--web.enable-admin-api"])
    scrape.start()
    try:
        # Each scrape appends the exporter's series and 5 of its own (up, ...).
        h.wait_for(f"{SCRAPES} scrapes", lambda: scrape.metric_sum("prometheus_tsdb_head_samples_appended_total")
                   >= SCRAPES * (EXPORTED + 5), timeout_s=60)
        for match, a, b in (('rescue_pushed{series="0"}', boundary + 20 * STEP_MS, boundary + 30 * STEP_MS),
                            ('rescue_pushed_histogram{series="1"}', boundary + 5 * STEP_MS,
                             boundary + 9 * STEP_MS)):
            status, _ = h.http("POST", scrape.base + "/api/v1/admin/tsdb/delete_series",
                               {"match[]": match, "start": h.ms_to_param(a), "end": h.ms_to_param(b)})
            checks.eq(f"admin API deletes part of {match} (HTTP status)", status, 204)
    finally:
        scrape.kill()
    at = int(time.time() * 1000)
    span = at - start + STEP_MS

    h.section("walproof folds the first segment into a checkpoint")
    segments = h.segment_files(wal)
    checks.require(len(segments) >= 2, "the servers left two segments or more", str(segments))
    # chunks_head holds the server's m-mapped head chunks, whose samples are
    # also in the WAL; the checkpoint refuses to leave them behind.
    p = h.run([args.walproof, "checkpoint", wal, "--mint", str(boundary), "--drop-chunks-head"])
    checks.require(p.returncode == 0, "walproof checkpoint")
    p = h.run([args.walproof, "stats", wal])
    checks.check(p.returncode == 0 and "tombstones" in p.stdout, "the WAL holds the server's tombstones")

    h.section("before: Prometheus replays the WAL")
    before, head_before, blocks_before, corrupt_before = answers(args, tmp, data, "before", at, span)
    checks.eq("before: WAL corruptions", corrupt_before, 0)
    checks.eq("before: blocks loaded", blocks_before, 0)
    # The exporter's series, the 5 a scrape adds of its own (up, ...), the pushed ones.
    checks.eq("before: series answering", len(before), EXPORTED + 5 + 4)
    pushed = {k: v for k, v in before.items() if ("job", "push") in k}
    # 80 samples from the boundary on, less 11 and 5 deleted.
    checks.eq("before: the pushed series keep what the checkpoint kept, deletions applied",
              sorted(v[0] for v in pushed.values()), sorted([80 - 11, 80, 80, 80 - 5]))

    h.section("walproof rescue")
    ulids = h.rescue_blocks(args, checks, data)
    checks.ge("blocks written", len(ulids), 1)

    h.section("after: Prometheus loads the blocks")
    after, head_after, blocks_after, corrupt_after = answers(args, tmp, data, "after", at, span)
    checks.eq("after: WAL corruptions", corrupt_after, 0)
    checks.eq("after: blocks loaded", blocks_after, len(ulids))
    checks.eq("after: head series (the WAL was empty)", head_after, 0)
    checks.check(sorted(after) == sorted(before), "after: the same label sets", f"{len(after)} after, {len(before)} before")
    diffs = [k for k in before if before[k] != after.get(k)]
    checks.check(not diffs, "after: every series has the same sample count and last value",
                 f"{len(diffs)} differ, e.g. {diffs[:1]}: {before.get(diffs[0]) if diffs else ''} vs "
                 f"{after.get(diffs[0]) if diffs else ''}")
    total = sum(n for n, _ in before.values())
    h.log(f"compared {total} samples over {len(before)} series (head before rescue: {head_before} series)")


if __name__ == "__main__":
    h.main("interop_rescue_server_wal",
           "walproof rescue of a WAL Prometheus 2.42 wrote (remote write, scrapes, admin deletions): "
           "the same answers after; promtool accepts the blocks",
           body)
