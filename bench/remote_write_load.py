"""Pushes scrapes into a Prometheus remote-write receiver fast enough for a
benchmark: each series' labels are encoded once, and each scrape's request is
those bytes joined with the scrape's sample, snappy-framed with literals only
(valid for any decoder, and cheap to make in Python). One request per scrape,
so the WAL gets one commit per scrape, as a scrape loop writes it.
"""
import struct
import urllib.request


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    key = _varint((num << 3) | wire)
    return key + _varint(len(payload)) + payload if wire == 2 else key + payload


def _labels_bytes(labels):
    return b"".join(_field(1, 2, _field(1, 2, n.encode()) + _field(2, 2, v.encode()))
                    for n, v in sorted(labels.items()))


def _sample(value, ts):
    return _field(2, 2, _field(1, 1, struct.pack("<d", value)) + _field(2, 0, _varint(ts)))


def snappy_literal(data):
    out = bytearray(_varint(len(data)))
    view = memoryview(data)
    for i in range(0, len(data), 65536):
        chunk = view[i:i + 65536]
        out += bytes([61 << 2]) + struct.pack("<H", len(chunk) - 1)
        out += chunk
    return bytes(out)


def churn_rounds(series, scrapes, churn_every, churn_fraction, labels_of):
    """Yields, per scrape, the list of (series key, labels) active in it: the
    same series scrape after scrape, a churn_fraction of them replaced by a
    new generation every churn_every scrapes."""
    generation = [0] * series
    replace = max(1, int(series * churn_fraction))
    start = 0
    for k in range(scrapes):
        if k > 0 and k % churn_every == 0:
            for j in range(replace):
                generation[(start + j) % series] += 1
            start = (start + replace) % series
        yield [((i, generation[i]), lambda i=i, g=generation[i]: labels_of(i, g)) for i in range(series)]


def push(base, rounds, step_ms, start_ms=1_700_000_000_000, progress=print):
    encoded = {}
    seen = set()
    samples = 0
    for k, active in enumerate(rounds):
        ts = start_ms + k * step_ms
        # Eight values per scrape, so series differ without a float per series.
        values = [_sample(float(k * 8 + j), ts) for j in range(8)]
        parts = []
        for n, (key, labels) in enumerate(active):
            lb = encoded.get(key)
            if lb is None:
                lb = encoded[key] = _labels_bytes(labels())
                seen.add(key)
            body = lb + values[n & 7]
            parts.append(b"\x0a" + _varint(len(body)) + body)
        req = urllib.request.Request(base + "/api/v1/write", data=snappy_literal(b"".join(parts)), method="POST")
        req.add_header("Content-Encoding", "snappy")
        req.add_header("Content-Type", "application/x-protobuf")
        req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
        with urllib.request.urlopen(req, timeout=300) as r:
            if r.status // 100 != 2:
                raise RuntimeError(f"remote write: HTTP {r.status}")
        samples += len(active)
        if k % 50 == 49:
            progress(f"   {k + 1} scrapes pushed, {len(seen)} series")
        # Series not pushed any more are dropped from the cache.
        if len(encoded) > 2 * len(active):
            live = {key for key, _ in active}
            encoded = {key: v for key, v in encoded.items() if key in live}
    return {"series": len(seen), "samples": samples}
