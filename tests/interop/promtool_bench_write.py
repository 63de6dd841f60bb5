#!/usr/bin/env python3
# interop_promtool_bench_write: a WAL written by Prometheus's own TSDB code
# (`promtool tsdb bench write`) must be read by walproof with exact counts.
#
# What bench write does (cmd/promtool/tsdb.go at v2.42.0), and why the
# expected figures below are exact:
# - It reads label sets from the input file, one per line, in the form
#   {"name":"value",...}: quotes and braces are stripped, pairs split on ","
#   and ":". Lines whose label set was already seen are skipped; reading stops
#   after --metrics distinct sets. So series = distinct sets among the first
#   lines, up to --metrics.
# - It opens a TSDB at <out>/storage with WALCompression unset (false) and
#   calls DisableCompactions() right after Open, so the head is never
#   compacted, the WAL never truncated, no checkpoint and no block is written;
#   Close() only closes the WAL (no memory snapshot by default). Every record
#   it logged is therefore in <out>/storage/wal, uncompressed.
# - ingestScrapes runs `for i := 0; i < scrapes; i += 100`, and in each round
#   one goroutine per batch of 1000 series appends 100 scrapes, one Commit per
#   scrape: so scrapes are rounded UP to a multiple of 100 (we use one), and
#   each Commit logs one Samples record with one sample per series of its
#   batch. Series are created (and logged, one Series record per batch) only
#   in the first Commit of round 0; later rounds find them by labels.
#   Timestamps: round i starts at 30000*i and adds 30000 before each scrape,
#   so they run 30000, 60000, ..., 30000*scrapes.
# Hence, with B = ceil(series/1000) batches:
#   series = S, samples = S*scrapes, Series records = B,
#   Samples records = B*scrapes, min_time = 30000, max_time = 30000*scrapes.

import math
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

SERIES = 2500        # three batches: 1000, 1000, 500
SCRAPES = 300        # a multiple of 100, see above
TIME_DELTA_MS = 30000


def write_labels(path):
    """SERIES distinct label sets, with duplicates mixed in and extra lines
    past the --metrics limit, all of which bench write must ignore."""
    lines = []
    for i in range(SERIES):
        lines.append('{"__name__":"bench_metric_%d","instance":"host-%d","job":"bench"}'
                     % (i % 50, i))
        if i % 97 == 0:  # an exact duplicate of a set already read
            lines.append(lines[-1])
        if i % 101 == 0 and i > 0:  # same pairs, other order: same label set
            lines.append('{"job":"bench","instance":"host-%d","__name__":"bench_metric_%d"}'
                         % (i - 1, (i - 1) % 50))
    for i in range(200):  # beyond --metrics distinct sets: never read
        lines.append('{"__name__":"bench_extra","instance":"extra-%d","job":"bench"}' % i)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def body(args, checks):
    tmp = h.make_tempdir("bench-write", args.keep)
    labels = os.path.join(tmp, "labels.json")
    out = os.path.join(tmp, "out")
    nlines = write_labels(labels)
    h.log(f"label file: {nlines} lines, {SERIES} distinct label sets before the limit")

    h.section(f"promtool tsdb bench write: {SERIES} series x {SCRAPES} scrapes")
    p = h.run([args.promtool, "tsdb", "bench", "write", f"--out={out}",
               f"--metrics={SERIES}", f"--scrapes={SCRAPES}", labels], timeout=240)
    checks.require(p.returncode == 0, "promtool tsdb bench write succeeded",
                   f"exit {p.returncode}")
    m = re.search(r"total samples: (\d+)", p.stdout)
    checks.eq("promtool's own 'total samples'", int(m.group(1)) if m else None,
              SERIES * SCRAPES)

    storage = os.path.join(out, "storage")
    waldir = os.path.join(storage, "wal")
    h.describe_dir(out)
    blocks = [d for d in os.listdir(storage)
              if os.path.isdir(os.path.join(storage, d)) and d not in ("wal", "chunks_head")]
    checks.eq("block directories left by bench write (compactions disabled)", blocks, [])
    checkpoints = [d for d in os.listdir(waldir) if d.startswith("checkpoint.")]
    checks.eq("checkpoint directories in the WAL", checkpoints, [])
    segs = h.segment_files(waldir)
    checks.check(len(segs) >= 1, "the WAL has at least one segment", f"{segs}")

    h.section("walproof verify")
    h.walproof_verify(args, checks, waldir, "bench write WAL")

    h.section("walproof stats --json")
    st = h.walproof_stats(args, checks, waldir, "bench write WAL")
    batches = math.ceil(SERIES / 1000)
    checks.eq("series", st["series"], SERIES)
    checks.eq("samples (series x scrapes)", st["samples"], SERIES * SCRAPES)
    checks.eq("Series records (one per batch of 1000)", h.records_of_type(st, 1), batches)
    checks.eq("Samples records (one per batch per scrape)", h.records_of_type(st, 2),
              batches * SCRAPES)
    other = {k: v for k, v in st["records_by_type"].items() if k not in ("1", "2") and v}
    checks.eq("records of any other type", other, {})
    for key in ("histogram_samples", "exemplars", "tombstones", "metadata"):
        checks.eq(key, st[key], 0)
    checks.eq("min_time (first scrape)", st["min_time"], TIME_DELTA_MS)
    checks.eq("max_time (last scrape)", st["max_time"], TIME_DELTA_MS * SCRAPES)
    checks.eq("checkpoint", st["checkpoint"], None)
    checks.eq("compressed_records (bench write leaves WALCompression off)",
              st["compressed_records"], 0)
    nseg = st["segments"] if isinstance(st["segments"], int) else len(st["segments"])
    checks.eq("segments counted by walproof vs segment files on disk", nseg, len(segs))
    checks.gt("bytes", st["bytes"], 0)


if __name__ == "__main__":
    h.main("interop_promtool_bench_write",
           "walproof reads a WAL written by promtool tsdb bench write, exact counts",
           body)
