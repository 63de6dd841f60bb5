#!/usr/bin/env python3
# interop_prometheus_server_wal: a WAL written by a real Prometheus server
# (scraping OpenMetrics with exemplars, deleting a series through the admin
# API, then killed with SIGKILL) must verify clean in walproof, and walproof's
# counts must agree with what the server itself says it appended.
#
# Facts about Prometheus 2.42 this relies on (checked in its source):
# - --storage.tsdb.wal-compression is a hidden flag, default true: records
#   are snappy-compressed when that makes them shorter. We leave the default.
# - headAppender.Commit logs Series, Samples and Exemplars records to the WAL
#   before it appends to memory and bumps
#   prometheus_tsdb_head_samples_appended_total and
#   prometheus_tsdb_exemplar_exemplars_appended_total, so the WAL holds at
#   least as many samples/exemplars as those counters showed earlier.
#   Each record is one wlog.Log call that flushes (write(2)) before
#   returning, so SIGKILL loses nothing already logged.
# - With --enable-feature=exemplar-storage the scrape loop appends exemplars;
#   an exemplar without a timestamp gets the scrape timestamp.
# - Head.Delete (POST /api/v1/admin/tsdb/delete_series, needs
#   --web.enable-admin-api) logs one Tombstones record with one entry per
#   matched series that has samples.
# - 2.42 never writes Metadata records: the scrape option that would
#   (EnableMetadataStorage) has no command-line flag in 2.42 (its
#   'metadata-storage' flag was removed, #11351). So metadata must be 0 here.
# - Native histograms need --enable-feature=native-histograms and protobuf
#   scrapes; we use neither, so there are no histogram samples.

import http.server
import os
import socketserver
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

MIN_SCRAPES = 6
DELETED = 'demo_temperature_celsius{room="lab"}'


class Exporter:
    """OpenMetrics endpoint on a free loopback port, served from a thread."""

    def __init__(self):
        self.scrapes = 0
        self.lock = threading.Lock()
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                with exporter.lock:
                    exporter.scrapes += 1
                    n = exporter.scrapes
                body = exporter.payload(n).encode()
                self.send_response(200)
                self.send_header("Content-Type",
                                 "application/openmetrics-text; version=1.0.0; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        h.on_cleanup(self.close)
        h.log(f"exporter serving OpenMetrics on 127.0.0.1:{self.port}/metrics")

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def payload(n):
        # Exemplar labels change every scrape and carry no timestamp (so the
        # scrape timestamp is used): each scrape adds new exemplars rather
        # than duplicates, which the exemplar storage would reject.
        return (
            "# TYPE demo_requests counter\n"
            "# HELP demo_requests Requests handled by the demo exporter.\n"
            f'demo_requests_total{{path="/a",code="200"}} {10 * n} # {{trace_id="a{n:06d}"}} 0.5\n'
            f'demo_requests_total{{path="/b",code="500"}} {n} # {{trace_id="b{n:06d}"}} 1.5\n'
            "# TYPE demo_request_duration_seconds counter\n"
            "# UNIT demo_request_duration_seconds seconds\n"
            "# HELP demo_request_duration_seconds Time spent handling requests.\n"
            f'demo_request_duration_seconds_total{{path="/a"}} {0.25 * n} '
            f'# {{trace_id="d{n:06d}",span_id="s{n}"}} 0.25\n'
            "# TYPE demo_temperature_celsius gauge\n"
            "# UNIT demo_temperature_celsius celsius\n"
            "# HELP demo_temperature_celsius Temperature of the room.\n"
            f'demo_temperature_celsius{{room="lab"}} {20 + (n % 5) * 0.5}\n'
            f'demo_temperature_celsius{{room="hall"}} {18 + (n % 3) * 0.25}\n'
            "# EOF\n")


def body(args, checks):
    tmp = h.make_tempdir("server-wal", args.keep)
    data = os.path.join(tmp, "data")
    waldir = os.path.join(data, "wal")
    exporter = Exporter()

    config = (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: exporter\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter.port}']\n")
    prom = h.Prometheus(args, tmp, data, config,
                        flags=["--enable-feature=exemplar-storage", "--web.enable-admin-api"])

    h.section("start prometheus and let it scrape")
    start_ms = int(time.time() * 1000)
    prom.start()

    def scraped_enough():
        up = prom.query('up{job="exporter"}')["result"]
        return (exporter.scrapes >= MIN_SCRAPES and len(up) == 1
                and up[0]["value"][1] == "1")
    h.wait_for(f"{MIN_SCRAPES} scrapes with up == 1", scraped_enough, timeout_s=60)
    h.log(f"exporter served {exporter.scrapes} scrapes")
    before = prom.query(DELETED)["result"]
    checks.eq(f"series {DELETED} is queryable before the delete", len(before), 1)

    h.section(f"delete {DELETED} through the admin API")
    status, resp = h.http("POST", prom.base + "/api/v1/admin/tsdb/delete_series",
                          {"match[]": DELETED})
    checks.eq("delete_series HTTP status", status, 204)
    # Let a couple more scrapes land after the delete, so the WAL has records
    # after the tombstone too, then take the server's own counts.
    seen = exporter.scrapes
    h.wait_for("two more scrapes", lambda: exporter.scrapes >= seen + 2, timeout_s=30)
    m = prom.metrics()
    samples_appended = prom.metric_sum("prometheus_tsdb_head_samples_appended_total", m)
    exemplars_appended = prom.metric_sum("prometheus_tsdb_exemplar_exemplars_appended_total", m)
    series_created = prom.metric_sum("prometheus_tsdb_head_series_created_total", m)
    h.log(f"server counters before the kill: samples appended {samples_appended:.0f}, "
          f"exemplars appended {exemplars_appended:.0f}, series created {series_created:.0f}")
    checks.gt("server's samples appended", samples_appended, 0)
    checks.gt("server's exemplars appended", exemplars_appended, 0)

    h.section("SIGKILL prometheus")
    prom.kill()
    kill_ms = int(time.time() * 1000)
    exporter.close()
    h.describe_dir(waldir)

    h.section("walproof verify on the killed server's WAL")
    h.walproof_verify(args, checks, waldir, "server WAL")

    h.section("walproof stats --json on the killed server's WAL")
    st = h.walproof_stats(args, checks, waldir, "server WAL")
    checks.gt("compressed_records (2.42 compresses the WAL with snappy by default)",
              st["compressed_records"], 0)
    # Scraped series: 5 from the exporter + up, scrape_duration_seconds,
    # scrape_samples_scraped, scrape_samples_post_metric_relabeling,
    # scrape_series_added. Each is logged once in a Series record.
    checks.ge("series (>= series the server created)", st["series"], series_created)
    checks.ge("series (>= 5 exported + 5 synthetic scrape series)", st["series"], 10)
    checks.ge("samples (>= the server's samples appended counter)",
              st["samples"], samples_appended)
    checks.ge("exemplars (>= the server's exemplars appended counter)",
              st["exemplars"], exemplars_appended)
    checks.gt("exemplars", st["exemplars"], 0)
    checks.eq("tombstones (one entry: one series deleted)", st["tombstones"], 1)
    checks.eq("Tombstones records", h.records_of_type(st, 3), 1)
    checks.eq("metadata (2.42 writes no Metadata records)", st["metadata"], 0)
    checks.eq("histogram_samples", st["histogram_samples"], 0)
    if "float_histogram_samples" in st:  # beyond the contract, when reported
        checks.eq("float_histogram_samples", st["float_histogram_samples"], 0)
    checks.gt("Series records", h.records_of_type(st, 1), 0)
    checks.ge("Samples records (one per scrape at least)", h.records_of_type(st, 2),
              MIN_SCRAPES)
    checks.gt("Exemplars records", h.records_of_type(st, 4), 0)
    checks.check(isinstance(st["min_time"], int) and start_ms - 1000 <= st["min_time"],
                 "min_time not before the server started", f"{st['min_time']} vs {start_ms}")
    checks.check(isinstance(st["max_time"], int) and st["max_time"] <= kill_ms + 1000,
                 "max_time not after the kill", f"{st['max_time']} vs {kill_ms}")
    checks.eq("checkpoint (a fresh server never checkpoints within a minute)",
              st["checkpoint"], None)
    nseg = st["segments"] if isinstance(st["segments"], int) else len(st["segments"])
    checks.eq("segments counted by walproof vs segment files on disk", nseg,
              len(h.segment_files(waldir)))


if __name__ == "__main__":
    h.main("interop_prometheus_server_wal",
           "walproof reads the WAL of a SIGKILLed Prometheus server (snappy, exemplars, tombstones)",
           body)
