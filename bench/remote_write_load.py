"""Pushes scrapes into a Prometheus remote-write receiver fast enough for a
benchmark: each series' labels are encoded once, and each scrape's request is
those bytes joined with the scrape's sample, snappy-framed with literals only
(valid for any decoder, and cheap to make in Python). One request per scrape,
so the WAL gets one commit per scrape, as a scrape loop writes it.
"""
import os
import sys

# The protobuf and snappy framing are crashsim's remote-write driver's.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "crashsim", "trace"))
from remote_write import field as _field, post, sample as _sample_fields, varint as _varint  # noqa: E402


def _labels_bytes(labels):
    return b"".join(_field(1, 2, _field(1, 2, n.encode()) + _field(2, 2, v.encode()))
                    for n, v in sorted(labels.items()))


def _sample(value, ts):
    return _field(2, 2, _sample_fields(value, ts))


def churn_rounds(series, scrapes, churn_every, churn_fraction):
    """Yields, per scrape, the keys (i, generation) of the series in it: the
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
        yield list(zip(range(series), generation))


def push(base, rounds, labels_of, step_ms, start_ms=1_700_000_000_000, progress=print):
    """Pushes each round's series (labels_of(i, generation)) with one sample
    at start_ms + k * step_ms. A series' bytes up to its sample are made once:
    the sample's encoded size does not change between scrapes."""
    prefixes = {}
    seen = 0
    samples = 0
    sample_size = len(_sample(0.0, start_ms))
    for k, keys in enumerate(rounds):
        ts = start_ms + k * step_ms
        if len(_sample(0.0, ts)) != sample_size:
            raise RuntimeError("remote write: the timestamp's varint grew; start_ms too close to a power of 2")
        # Eight values per scrape, so series differ without a float per series.
        values = [_sample(float(k * 8 + j), ts) for j in range(8)]
        parts = []
        for n, key in enumerate(keys):
            prefix = prefixes.get(key)
            if prefix is None:
                lb = _labels_bytes(labels_of(*key))
                prefix = prefixes[key] = b"\x0a" + _varint(len(lb) + sample_size) + lb
                seen += 1
            parts.append(prefix)
            parts.append(values[n & 7])
        post(base + "/api/v1/write", b"".join(parts))
        samples += len(keys)
        if k % 50 == 49:
            progress(f"   {k + 1} scrapes pushed, {seen} series")
        # Series not pushed any more leave the cache.
        if len(prefixes) > 2 * len(keys):
            live = set(keys)
            prefixes = {key: v for key, v in prefixes.items() if key in live}
    return {"series": seen, "samples": samples}
