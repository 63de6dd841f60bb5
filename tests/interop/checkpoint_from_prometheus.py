#!/usr/bin/env python3
# interop_checkpoint_from_prometheus: a checkpoint written by Prometheus 2.42
# itself (tsdb/wlog/checkpoint.go) must be read by walproof: verify, stats with
# exact counts, replay (parallel and sequential agree), and the same series and
# samples as the head Prometheus rebuilds from it.
#
# How we make Prometheus write a checkpoint (facts from v2.42.0):
# - `promtool tsdb bench write` (cmd/promtool/tsdb.go) writes S series x K
#   scrapes into one uncompressed WAL segment, compactions disabled. Scrape k
#   (1-based) of round r = (k-1)//100 is at t = 30000*k and has the value
#   123456789 + 1000*(((k-1) % 100) + 1) for every series (each round starts
#   from a fresh value). With K = 500 the head spans 30000..15000000 ms, about
#   4.2 h.
# - The server compacts the head when head max - head min > 1.5 x the block
#   range (2 h = 7200000 ms): head.compactable(). Nothing appends (no scrape
#   targets), so the only trigger is DB.run's timer, one minute after open.
#   Compact() writes the block [head min, rangeForTimestamp(head min)) =
#   [30000, 7200000), truncates the head in memory to 7200000, then calls
#   Head.truncateWAL(7200000).
# - truncateWAL (docs/format.md, "Checkpoint and truncation"): first, last =
#   segment range; start a new segment; last--; last = first + (last-first)*2/3; if last <= first
#   nothing is checkpointed. bench write leaves a single segment 00000000 and
#   every server start opens a new segment, so with one start there is no
#   checkpoint. We therefore start and stop the server quickly (well under the
#   one-minute timer, so no compaction) until the start that will compact sees
#   at least first..first+3: here two quick starts (segments 1, 2 are added,
#   empty), then the third start adds segment 3 and, one minute later,
#   truncateWAL sees 0..3, opens 4, and checkpoints 0..1 into
#   checkpoint.00000001 with mint 7200000, deleting segments 0 and 1.
# - keep(ref) = the series is still in the head (or recently deleted by head
#   GC). Every bench series has samples up to the end, so all S are kept.
#   Samples with t >= mint are kept: k = 240..500, 261 scrapes. Every input
#   record with something kept gives one output record: the 2 Series records
#   (batches of 1000 series) and 2 x 261 Samples records.
# - The server's WAL compression defaults to on in 2.42, and the checkpoint is
#   written with the WAL's compression: snappy, used when it shrinks a record.
# - chunks_head is removed before the first start so that the head is rebuilt
#   from the WAL alone (with it, samples already in m-mapped chunks are skipped
#   at replay; the resulting head is the same, the reasoning is longer).
#
# What Prometheus holds after the checkpoint, and what we compare: the block
# holds scrapes k = 1..239 (t < 7200000); the WAL (checkpoint + the empty
# segments after it) holds k = 240..500. On a restart the head's min valid
# time is the block's maxt (7200000) and the head is rebuilt from the WAL
# only, so prometheus_tsdb_head_series and the samples in the head's time
# range must equal walproof replay's series and samples; the block's samples
# are counted separately (they are not in the WAL any more).

import json
import math
import os
import re
import shutil
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

SERIES = 2000          # two batches of 1000: two Series records
SCRAPES = 500          # a multiple of 100 (bench write rounds up to one)
TIME_DELTA_MS = 30000  # timeDelta in cmd/promtool/tsdb.go
BLOCK_RANGE_MS = 2 * 3600 * 1000
BASE_VALUE = 123456789
PROBE_SERIES = (0, 999, 1000, 1999)   # first/last of each batch
CHECKPOINT_WAIT_S = 150  # the compaction timer fires 60 s after open

CONFIG = ("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
          "scrape_configs: []\n")


def labels_of(i):
    return {"__name__": f"cp_bench_{i % 20}", "instance": f"host-{i}", "job": "bench"}


def write_labels(path):
    with open(path, "w") as f:
        for i in range(SERIES):
            f.write(json.dumps(labels_of(i), separators=(",", ":")) + "\n")


def bench_value(k):
    return float(BASE_VALUE + 1000 * (((k - 1) % 100) + 1))


def range_for_timestamp(t, width):
    # tsdb.rangeForTimestamp: the end of the block range holding t.
    return (t // width) * width + width


def checkpoint_dirs(waldir):
    return sorted(n for n in os.listdir(waldir) if n.startswith("checkpoint."))


def block_dirs(storage):
    return sorted(d for d in os.listdir(storage)
                  if os.path.isfile(os.path.join(storage, d, "meta.json")))


def dump_series(args, waldir):
    """walproof dump -> {labels as sorted tuple: [(t, v), ...] in WAL order}."""
    p = h.run([args.walproof, "dump", waldir], echo=False)
    if p.returncode != 0:
        raise h.Fatal(f"walproof dump {waldir} exit {p.returncode}: {p.stderr[-500:]}")
    by_ref = {}
    samples = {}
    sources = set()
    for line in p.stdout.splitlines():
        rec = json.loads(line)
        sources.add(rec.get("source"))
        if rec["type"] == 1:
            for e in rec["entries"]:
                by_ref[e["ref"]] = tuple(sorted(e["labels"].items()))
        elif rec["type"] == 2:
            for e in rec["entries"]:
                samples.setdefault(e["ref"], []).append((e["t"], float(e["v"])))
    out = {}
    for ref, lbls in by_ref.items():
        out[lbls] = samples.get(ref, [])
    h.log(f"  walproof dump: {len(p.stdout.splitlines())} records from {sorted(sources)}, "
          f"{len(by_ref)} series")
    return out


def replay(args, checks, waldir, label, extra=()):
    p = h.run([args.walproof, "replay", waldir, "--json"] + list(extra))
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        checks.check(False, f"walproof replay {label} prints one JSON object", repr(e))
        return None
    checks.eq(f"walproof replay {label} exit code", p.returncode, 0)
    missing = [k for k in ("series", "samples", "digest", "seconds", "peak_rss_bytes", "phases",
                           "corruption") if k not in doc]
    checks.check(not missing, f"walproof replay {label} JSON has the contract keys",
                 f"missing {missing}" if missing else "")
    checks.eq(f"walproof replay {label}: corruption", doc.get("corruption"), None)
    return doc


def has_replay(args):
    p = h.run([args.walproof, "--help"])
    return re.search(r"^\s+replay\s", p.stdout + p.stderr, re.M) is not None


def wait_log(prom, pattern, timeout_s):
    def found():
        if prom.proc.poll() is not None:
            raise h.Fatal(f"{prom.name} exited with {prom.proc.returncode} while waiting "
                          f"for {pattern!r}")
        try:
            with open(prom.log_path, errors="replace") as f:
                return re.search(pattern, f.read())
        except OSError:
            return None
    try:
        return h.wait_for(f"{prom.name} log line {pattern!r}", found, timeout_s, 0.5)
    except h.Fatal:
        prom.dump_log()
        raise


def body(args, checks):
    tmp = h.make_tempdir("checkpoint-from-prom", args.keep)
    labels = os.path.join(tmp, "labels.json")
    out = os.path.join(tmp, "out")
    storage = os.path.join(out, "storage")
    waldir = os.path.join(storage, "wal")
    write_labels(labels)

    # ------------------------------------------------------------ the data
    h.section(f"promtool tsdb bench write: {SERIES} series x {SCRAPES} scrapes")
    p = h.run([args.promtool, "tsdb", "bench", "write", f"--out={out}",
               f"--metrics={SERIES}", f"--scrapes={SCRAPES}", labels], timeout=240)
    checks.require(p.returncode == 0, "promtool tsdb bench write succeeded", f"exit {p.returncode}")
    shutil.rmtree(os.path.join(storage, "chunks_head"), ignore_errors=True)
    h.describe_dir(storage)

    head_min = TIME_DELTA_MS
    head_max = TIME_DELTA_MS * SCRAPES
    checks.require(head_max - head_min > BLOCK_RANGE_MS // 2 * 3,
                   "bench data span more than 1.5 x the block range (head compactable)",
                   f"{head_max - head_min} ms")
    mint = range_for_timestamp(head_min, BLOCK_RANGE_MS)     # block [.., mint), WAL cut at mint
    # One compaction only: what is left in the head spans less than 1.5 ranges.
    checks.require(head_max - mint <= BLOCK_RANGE_MS // 2 * 3,
                   "after one block the head is no longer compactable", f"{head_max - mint} ms")
    first_kept_k = math.ceil(mint / TIME_DELTA_MS)
    kept_scrapes = SCRAPES - first_kept_k + 1
    block_scrapes = first_kept_k - 1
    h.log(f"expected: block [{head_min}, {mint}) with scrapes 1..{block_scrapes}; "
          f"checkpoint keeps scrapes {first_kept_k}..{SCRAPES} ({kept_scrapes})")

    st0 = h.walproof_stats(args, checks, waldir, "bench write WAL")
    checks.eq("bench write WAL: samples", st0["samples"], SERIES * SCRAPES)
    checks.eq("bench write WAL: checkpoint", st0["checkpoint"], None)
    segs = [int(s) for s in h.segment_files(waldir)]
    checks.require(len(segs) >= 1, "bench write left segments", f"{segs}")
    first, last = segs[0], segs[-1]

    # ------------------------------------------------------------ quick starts
    # The compacting start sees first..last+1 (it opened a new segment) and
    # checkpoints only if (last+1 - 1 - first)*2/3 >= 1, i.e. last+1-first >= 3.
    quick = max(0, first + 3 - (last + 1))
    for n in range(quick):
        h.section(f"quick start {n + 1} of {quick}: adds one empty segment, no compaction")
        prom = h.Prometheus(args, tmp, storage, CONFIG, name=f"prometheus-quick{n + 1}")
        prom.start()
        checks.eq(f"quick start {n + 1}: prometheus_tsdb_head_series",
                  prom.metric_sum("prometheus_tsdb_head_series"), SERIES)
        rc = prom.stop()   # long before DB.run's one-minute compaction timer
        checks.eq(f"quick start {n + 1}: exit code after SIGTERM", rc, 0)
        checks.require(block_dirs(storage) == [], f"quick start {n + 1} wrote no block",
                       f"{block_dirs(storage)}")
        last += 1
        checks.eq(f"quick start {n + 1}: segments on disk",
                  [int(s) for s in h.segment_files(waldir)], list(range(first, last + 1)))

    # truncateWAL's arithmetic, on what the compacting start will see.
    seen_last = last + 1
    cp_to = first + (seen_last - 1 - first) * 2 // 3
    checks.require(cp_to > first, "the compacting start will write a checkpoint", f"to={cp_to}")
    cp_name = "checkpoint.%08d" % cp_to

    # ------------------------------------------------------------ checkpoint
    h.section("prometheus start that compacts the head and checkpoints the WAL")
    prom = h.Prometheus(args, tmp, storage, CONFIG, name="prometheus-compact")
    prom.start()
    t0 = time.monotonic()
    try:
        wait_log(prom, r'msg="WAL checkpoint complete"', CHECKPOINT_WAIT_S)
        h.log(f"checkpoint complete {time.monotonic() - t0:.1f} s after ready")
        text = open(prom.log_path, errors="replace").read()
        m = re.search(r'msg="Creating checkpoint" from_segment=(\d+) to_segment=(\d+) mint=(-?\d+)',
                      text)
        checks.check(m is not None, "prometheus logged 'Creating checkpoint'")
        if m:
            checks.eq("Creating checkpoint: from_segment", int(m.group(1)), first)
            checks.eq("Creating checkpoint: to_segment", int(m.group(2)), cp_to)
            checks.eq("Creating checkpoint: mint (the new block's maxt)", int(m.group(3)), mint)
        mt = prom.metrics()
        checks.eq("prometheus_tsdb_checkpoint_creations_total",
                  prom.metric_sum("prometheus_tsdb_checkpoint_creations_total", mt), 1)
        checks.eq("prometheus_tsdb_checkpoint_creations_failed_total",
                  prom.metric_sum("prometheus_tsdb_checkpoint_creations_failed_total", mt), 0)
        checks.eq("prometheus_tsdb_wal_corruptions_total",
                  prom.metric_sum("prometheus_tsdb_wal_corruptions_total", mt), 0)
        checks.eq("prometheus_tsdb_head_series after head truncation",
                  prom.metric_sum("prometheus_tsdb_head_series", mt), SERIES)
    finally:
        rc = prom.stop()
    checks.eq("compacting start: exit code after SIGTERM", rc, 0)

    h.section("what is on disk after the checkpoint")
    h.describe_dir(storage)
    checks.eq("checkpoint directories", checkpoint_dirs(waldir), [cp_name])
    # Segments <= cp_to deleted; the compacting start's own segment and the
    # one truncateWAL opened remain.
    checks.eq("segments after truncation", [int(s) for s in h.segment_files(waldir)],
              list(range(cp_to + 1, seen_last + 2)))
    blocks = block_dirs(storage)
    checks.eq("blocks written by the compaction", len(blocks), 1)
    if blocks:
        with open(os.path.join(storage, blocks[0], "meta.json")) as f:
            meta = json.load(f)
        checks.eq("block minTime", meta.get("minTime"), head_min)
        checks.eq("block maxTime", meta.get("maxTime"), mint)
        checks.eq("block numSamples (scrapes below mint)",
                  meta.get("stats", {}).get("numSamples"), SERIES * block_scrapes)

    # ------------------------------------------------------------ walproof
    h.section("walproof verify and stats of the WAL with Prometheus's checkpoint")
    label = "WAL with prometheus checkpoint"
    h.walproof_verify(args, checks, waldir, label)
    st = h.walproof_stats(args, checks, waldir, label)
    checks.eq(f"{label}: checkpoint", st["checkpoint"], cp_to)
    # The segments after the checkpoint are empty (nothing was appended), so
    # every count is the checkpoint's: all series kept, samples t >= mint.
    checks.eq(f"{label}: series (all kept: every series has samples >= mint)",
              st["series"], SERIES)
    checks.eq(f"{label}: samples (series x scrapes with t >= mint)",
              st["samples"], SERIES * kept_scrapes)
    checks.eq(f"{label}: records_by_type (one output record per input record kept)",
              {k: v for k, v in st["records_by_type"].items() if v},
              {"1": math.ceil(SERIES / 1000), "2": math.ceil(SERIES / 1000) * kept_scrapes})
    checks.eq(f"{label}: min_time (first kept scrape)", st["min_time"],
              first_kept_k * TIME_DELTA_MS)
    checks.eq(f"{label}: max_time (last scrape)", st["max_time"], head_max)
    for key in ("histogram_samples", "exemplars", "tombstones", "metadata"):
        checks.eq(f"{label}: {key}", st[key], 0)
    # 2.42 defaults to --storage.tsdb.wal-compression=true and writes the
    # checkpoint with the WAL's compression; these records shrink a lot.
    checks.gt(f"{label}: compressed_records (server writes snappy)", st["compressed_records"], 0)
    if "checkpoint_segments" in st:
        checks.ge(f"{label}: checkpoint_segments", st["checkpoint_segments"], 1)
    if "first_segment" in st:
        checks.eq(f"{label}: first_segment", st["first_segment"], cp_to + 1)
    if "last_segment" in st:
        checks.eq(f"{label}: last_segment", st["last_segment"], seen_last + 1)

    wal_series = dump_series(args, waldir)
    checks.eq(f"{label}: series in walproof dump", len(wal_series), SERIES)

    h.section("walproof replay of the WAL with Prometheus's checkpoint")
    rp = None
    if not has_replay(args):
        h.log("NOTE: this walproof has no `replay` command yet: replay checks skipped; "
              "the comparison with Prometheus uses walproof stats instead")
        rep_series, rep_samples = st["series"], st["samples"]
    else:
        rp = replay(args, checks, waldir, f"{label} (default threads)")
        seq = replay(args, checks, waldir, f"{label} --sequential", ["--sequential"])
        two = replay(args, checks, waldir, f"{label} --threads 2", ["--threads", "2"])
        mvt = replay(args, checks, waldir, f"{label} --min-valid-time {mint}",
                     ["--min-valid-time", str(mint)])
        if rp:
            checks.eq(f"{label}: replay series", rp.get("series"), SERIES)
            checks.eq(f"{label}: replay samples", rp.get("samples"), SERIES * kept_scrapes)
        if rp and seq:
            checks.eq(f"{label}: --sequential digest == default digest", seq.get("digest"),
                      rp.get("digest"))
            checks.eq(f"{label}: --sequential samples", seq.get("samples"), rp.get("samples"))
        if rp and two:
            checks.eq(f"{label}: --threads 2 digest == default digest", two.get("digest"),
                      rp.get("digest"))
        # The checkpoint already dropped everything below mint, so the min
        # valid time Prometheus's head gets from the block changes nothing.
        if rp and mvt:
            checks.eq(f"{label}: --min-valid-time {mint} digest == default digest",
                      mvt.get("digest"), rp.get("digest"))
            checks.eq(f"{label}: --min-valid-time {mint} samples", mvt.get("samples"),
                      rp.get("samples"))
        rep_series = rp.get("series") if rp else None
        rep_samples = rp.get("samples") if rp else None

    # ------------------------------------------------------------ restart
    h.section("prometheus restarted on the checkpointed WAL: same series and samples")
    prom = h.Prometheus(args, tmp, storage, CONFIG, name="prometheus-restart")
    prom.start()
    try:
        mt = prom.metrics()
        checks.eq("restart: prometheus_tsdb_wal_corruptions_total",
                  prom.metric_sum("prometheus_tsdb_wal_corruptions_total", mt), 0)
        hs = prom.metric_sum("prometheus_tsdb_head_series", mt)
        checks.eq("restart: prometheus_tsdb_head_series == walproof series", hs, rep_series)
        hmin = int(prom.metric_sum("prometheus_tsdb_head_min_time", mt))
        hmax = int(prom.metric_sum("prometheus_tsdb_head_max_time", mt))
        checks.eq("restart: prometheus_tsdb_head_min_time == walproof min_time", hmin,
                  st["min_time"])
        checks.eq("restart: prometheus_tsdb_head_max_time == walproof max_time", hmax,
                  st["max_time"])

        # Samples in the head's time range. Range selectors in 2.42 are closed
        # [t-r, t]; we start half a scrape before the head's min time, where
        # there is no sample, so the boundary rule does not matter, and the
        # block's newest sample (mint - 30000) stays outside.
        def count_in(lo, hi):
            expr = f'sum(count_over_time({{__name__=~".+"}}[{hi - lo}ms]))'
            r = prom.query(expr, at_ms=hi)["result"]
            return int(float(r[0]["value"][1])) if r else 0
        half = TIME_DELTA_MS // 2
        in_head = count_in(hmin - half, hmax)
        checks.eq("restart: samples in the head range == walproof replay samples", in_head,
                  rep_samples)
        # The rest is in the block, no longer in the WAL: together, all of it.
        in_block = count_in(0, mint - half)
        checks.eq("restart: samples below mint (the block)", in_block, SERIES * block_scrapes)
        checks.eq("restart: block + WAL samples == everything bench write wrote",
                  in_block + (rep_samples or 0), SERIES * SCRAPES)

        # Exact (t, value) pairs of a few series in the head range, against
        # both the bench write formula and what walproof dump read.
        window = hmax - hmin + half
        for i in PROBE_SERIES:
            lb = labels_of(i)
            sel = ",".join(f'{k}="{v}"' for k, v in lb.items() if k != "__name__")
            r = prom.query(f'{lb["__name__"]}{{{sel}}}[{window}ms]', at_ms=hmax)["result"]
            if not checks.eq(f"restart: series {i}: one series returned", len(r), 1):
                continue
            got = [(h.param_to_ms(t), float(v)) for t, v in r[0]["values"]]
            want = [(k * TIME_DELTA_MS, bench_value(k)) for k in range(first_kept_k, SCRAPES + 1)]
            from_wal = wal_series.get(tuple(sorted(lb.items())))
            checks.check(got == want, f"restart: series {i}: exactly the {len(want)} bench "
                         f"samples k={first_kept_k}..{SCRAPES}",
                         f"got {len(got)}, first {got[:1]}, last {got[-1:]}")
            checks.check(from_wal == got, f"restart: series {i}: prometheus == walproof dump",
                         f"dump has {len(from_wal or [])}, first {(from_wal or [])[:1]}")
    finally:
        rc = prom.stop()
    checks.eq("restart: exit code after SIGTERM", rc, 0)

    h.section("walproof after the restart (one more empty segment)")
    st2 = h.walproof_stats(args, checks, waldir, "WAL after restart")
    for key in ("checkpoint", "series", "samples", "records_by_type", "min_time", "max_time"):
        checks.eq(f"after restart: {key} unchanged", st2[key], st[key])


if __name__ == "__main__":
    h.main("interop_checkpoint_from_prometheus",
           "walproof reads a checkpoint written by Prometheus 2.42 at head compaction",
           body)
