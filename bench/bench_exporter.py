"""A loopback exporter for the `scraped` bench shape: under /tN it serves
SERIES counters of target N in the OpenMetrics format, each with an
exemplar. Bodies are made once per second for all targets, so serving is a
write of ready bytes."""
import argparse
import http.server
import threading
import time


def body(target, series, tick):
    lines = ["# TYPE bench_requests counter"]
    for i in range(series):
        lines.append(f'bench_requests_total{{target="{target}",path="/api/v1/item/{i}",code="200"}} '
                     f'{tick * (i % 7 + 1)} # {{trace_id="{target:02x}{i:05x}{tick:06x}"}} 1 {time.time():.3f}')
    lines.append("# EOF\n")
    return "\n".join(lines).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--targets", type=int, default=20)
    args = ap.parse_args()
    bodies = {}

    def refresh():
        tick = 0
        while True:
            tick += 1
            for t in range(args.targets):
                bodies[f"/t{t}"] = body(t, args.series, tick)
            time.sleep(1)

    threading.Thread(target=refresh, daemon=True).start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            data = bodies.get(self.path)
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
