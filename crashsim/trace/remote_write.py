#!/usr/bin/env python3
# A remote-write client with known samples, the driver of the Prometheus
# trace workload: it pushes SERIES series (protobuf WriteRequest, snappy
# framed as Prometheus's receiver expects) in phases of increasing
# timestamps, and after each phase waits until Prometheus has compacted its
# head, so that one trace holds segment creation, blocks, a checkpoint and a
# WAL truncation. Standard library only.
#
# Prometheus 2.42 checkpoints only when the WAL holds at least four segments
# at a head truncation (head.truncateWAL keeps the last and checkpoints the
# lower two thirds), and every head compaction starts a new segment: hence a
# first phase of just over 3h (the head becomes compactable at 1.5x the 2h
# block range) and three more of 2h.
import argparse
import http.client
import struct
import sys
import time
import urllib.error
import urllib.request

HOUR_MS = 3600 * 1000


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def label(name, value):
    return field(1, 2, name.encode()) + field(2, 2, value.encode())


def sample(value, ts):
    return field(1, 1, struct.pack("<d", value)) + field(2, 0, varint(ts & (2**64 - 1)))


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def histogram(ts, count, total, schema, zero_threshold, zero_count, positive_spans, positive_deltas):
    """A native histogram with integer counts (prompb.Histogram): spans as
    (offset, length) pairs, buckets as deltas, as Prometheus encodes them."""
    def span(offset, length):
        return field(1, 0, varint(zigzag(offset) & 0xFFFFFFFF)) + field(2, 0, varint(length))
    return (field(1, 0, varint(count)) + field(3, 1, struct.pack("<d", total)) +
            field(4, 0, varint(zigzag(schema) & 0xFFFFFFFF)) + field(5, 1, struct.pack("<d", zero_threshold)) +
            field(6, 0, varint(zero_count)) +
            b"".join(field(11, 2, span(o, n)) for o, n in positive_spans) +
            field(12, 2, b"".join(varint(zigzag(d) & (2**64 - 1)) for d in positive_deltas)) +
            field(15, 0, varint(ts & (2**64 - 1))))


def timeseries(labels, samples=(), histograms=()):
    """One prompb.TimeSeries: labels as (name, value) pairs, samples as
    (value, ts) pairs, histograms as encoded by histogram()."""
    return field(1, 2, b"".join(field(1, 2, label(n, v)) for n, v in labels) +
                 b"".join(field(2, 2, sample(v, t)) for v, t in samples) +
                 b"".join(field(4, 2, h) for h in histograms))


def snappy_literal(data):
    """Snappy block format made only of literals: valid input for any decoder."""
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)
        out += chunk
    return bytes(out)


def series_labels(i):
    return [("__name__", f"crashsim_trace_{i % 4}"), ("instance", f"host-{i:03d}"), ("job", "crashsim-trace")]


def value_of(i, step):
    return float(i * 100000 + step)


def write_request(series, steps, start_ms, step_ms):
    body = bytearray()
    for i in range(series):
        ts = b"".join(field(1, 2, label(n, v)) for n, v in series_labels(i))
        ts += b"".join(field(2, 2, sample(value_of(i, s), start_ms + s * step_ms)) for s in steps)
        body += field(1, 2, ts)
    return bytes(body)


def post(url, body):
    req = urllib.request.Request(url, data=snappy_literal(body), method="POST")
    req.add_header("Content-Encoding", "snappy")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
    with urllib.request.urlopen(req, timeout=30) as r:
        if r.status // 100 != 2:
            raise RuntimeError(f"remote write: HTTP {r.status}")


def metric(base, name):
    """A counter of Prometheus's own metrics; None when it cannot be read (a
    fault-injected run may fail the response)."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " ") or line.startswith(name + "{"):
                    return float(line.rsplit(" ", 1)[1])
    except (OSError, ValueError, urllib.error.URLError, http.client.HTTPException):
        return None
    return 0.0


def wait_ready(base, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"remote_write: {base} not ready after {timeout}s")


def main():
    ap = argparse.ArgumentParser(description="push known samples to a Prometheus remote-write receiver")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--series", type=int, default=20)
    ap.add_argument("--step-seconds", type=int, default=60)
    ap.add_argument("--phases", default="3.1,2,2,2", help="hours of samples per phase")
    ap.add_argument("--batch", type=int, default=10, help="scrapes per request")
    ap.add_argument("--timeout", type=float, default=90)
    args = ap.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    wait_ready(base, args.timeout)
    phases = [float(h) for h in args.phases.split(",")]
    step_ms = args.step_seconds * 1000
    total_steps = sum(int(h * HOUR_MS / step_ms) for h in phases)
    start_ms = (int(time.time() * 1000) - total_steps * step_ms) // step_ms * step_ms
    step = 0
    failed = 0
    for n, hours in enumerate(phases):
        before = metric(base, "prometheus_tsdb_head_truncations_total") or 0.0
        end = step + int(hours * HOUR_MS / step_ms)
        while step < end:
            steps = list(range(step, min(step + args.batch, end)))
            try:
                post(base + "/api/v1/write", write_request(args.series, steps, start_ms, step_ms))
            except (OSError, urllib.error.URLError, http.client.HTTPException, RuntimeError) as e:
                # Under an injected fault Prometheus may refuse a batch: go on,
                # the oracle only counts what reached the WAL.
                failed += 1
                print(f"remote_write: batch at scrape {steps[0]} refused: {e}", flush=True)
            step = steps[-1] + 1
        if n == 0 and len(phases) > 1 or n > 0:
            deadline = time.monotonic() + args.timeout
            while (metric(base, "prometheus_tsdb_head_truncations_total") or 0.0) <= before:
                if time.monotonic() > deadline:
                    raise SystemExit(f"remote_write: no head compaction within {args.timeout}s of phase {n + 1}")
                time.sleep(0.2)
        print(f"remote_write: phase {n + 1}: {step} scrapes of {args.series} series pushed, head compacted",
              flush=True)
    print(f"remote_write: {step * args.series} samples, from {start_ms} every {step_ms} ms; "
          f"{failed} batches refused", flush=True)


if __name__ == "__main__":
    main()
