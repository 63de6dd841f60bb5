#!/usr/bin/env python3
# A loopback exporter for the scrape trace workload: SERIES counters in the
# OpenMetrics format, each with an exemplar, growing by one per scrape. It
# serves for SECONDS and then exits, which ends the recording.
import argparse
import http.server
import threading
import time


def main():
    ap = argparse.ArgumentParser(description="an OpenMetrics exporter with exemplars, for crashsim trace")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--series", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    scrapes = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            scrapes[0] += 1
            n = scrapes[0]
            lines = ["# TYPE crashsim_scrape_requests counter"]
            for i in range(args.series):
                lines.append(f'crashsim_scrape_requests_total{{path="/p{i}"}} {n * (i + 1)} '
                             f'# {{trace_id="t{i}-{n}"}} {i + 0.5} {time.time():.3f}')
            lines.append("# EOF")
            body = ("\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(args.seconds)
    server.shutdown()
    print(f"exporter: served {scrapes[0]} scrapes of {args.series} series with exemplars", flush=True)


if __name__ == "__main__":
    main()
