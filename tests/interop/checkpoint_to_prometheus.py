#!/usr/bin/env python3
# interop_checkpoint_to_prometheus: Prometheus 2.42 starts on a WAL whose
# checkpoint was written by `walproof checkpoint`, and answers queries with
# exactly what the checkpoint rule (docs/format.md, "Checkpoint and
# truncation") leaves: every sample with t >= mint from the checkpointed
# segments, every sample of the segments after the checkpoint, and nothing
# older than mint from the checkpointed ones.
#
# The WAL: `walproof demo` with N series x K scrapes, snappy, 64 KiB segments
# (several segments). Demo contract: series i has ref i+1 and labels
# __name__="walproof_demo", instance="demo", series="<i>"; scrape k is at
# T + k*I with value i*1000 + k, one Samples record per scrape, in time order;
# then one Tombstones record deleting ref 1 (series 0) over [T, T+9*I]. T is
# about two hours ago, the data span 100 minutes: the head (less than 1.5 x
# the 2 h block range) is never compacted, and no scrape target writes into
# it, so the head is exactly the replayed WAL.
#
# `walproof checkpoint WALDIR --mint M` checkpoints every segment but the
# newest (with the newest checkpoint, if any), keeps the series that have a
# sample at or after M anywhere (here: all), then deletes the checkpointed
# segments and older checkpoints. Where each record sits is read from
# `walproof dump` before the checkpoint, so the expected data follow from the
# rule whatever the segment boundaries are. Scenarios:
# 1. early: M = T + 5*I, inside the first segment. Samples 5.. are kept, and
#    the tombstone, in the newest segment, still deletes series 0's 5..9:
#    series 0 starts at 10, the others at 5. While Prometheus runs on it,
#    `walproof checkpoint` must refuse (Prometheus holds DATA/lock).
#    Then a second checkpoint over that one (checkpoint of a checkpoint) with
#    M = T + 150*I: the tombstone's interval ends before M, so it is dropped,
#    the older checkpoint is deleted; every series starts at 150. The server
#    restarts after walproof deleted chunks_head (see there why).
# 2. late: M in the middle of the newest segment's scrapes: everything in the
#    checkpointed segments is older than M and dropped (series kept); the
#    newest segment is not checkpointed, so all its samples stay, including
#    those older than M.

import json
import os
import re
import shutil
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import promharness as h  # noqa: E402

SERIES = 40
SCRAPES = 400
INTERVAL_MS = 15000
SEGMENT_SIZE = 65536
TOMBSTONED_REF = 1
PROBE_SERIES = (0, 1, 17, 39)
CONFIG = ("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
          "scrape_configs: []\n")


# ----------------------------------------------------------------- the WAL model

class Rec:
    def __init__(self, d):
        self.source = d.get("source")
        self.segment = d.get("segment")
        self.type = d["type"]
        self.entries = d.get("entries", [])

    def covered(self, to):
        """Read by a checkpoint up to segment `to`: what an older checkpoint
        holds, and segments <= to."""
        return self.source == "checkpoint" or self.segment <= to


def dump(args, waldir):
    p = h.run([args.walproof, "dump", waldir], echo=False)
    if p.returncode != 0:
        raise h.Fatal(f"walproof dump {waldir}: exit {p.returncode}: {p.stderr[-500:]}")
    recs = [Rec(json.loads(line)) for line in p.stdout.splitlines()]
    where = {}
    for r in recs:
        key = "checkpoint" if r.source == "checkpoint" else f"segment {r.segment}"
        where.setdefault(key, {}).setdefault(r.type, 0)
        where[key][r.type] += 1
    h.log(f"  walproof dump: {len(recs)} records; record types by place: {where}")
    return recs


def scrape_of(t, start):
    return (t - start) // INTERVAL_MS


def after_checkpoint(recs, to, mint):
    """What the checkpoint rule keeps, as a list of records (entries filtered)."""
    out = []
    for r in recs:
        if not r.covered(to):
            out.append(r)
            continue
        if r.type == 1:
            out.append(r)            # every series is kept (all have samples >= mint)
        elif r.type == 2:
            kept = [e for e in r.entries if e["t"] >= mint]
            if kept:
                n = Rec({"source": "checkpoint", "type": 2, "entries": kept})
                out.append(n)
        elif r.type == 3:
            if any(e["maxt"] >= mint for e in r.entries):
                out.append(r)
        else:
            raise h.Fatal(f"unexpected record type {r.type} in the demo WAL")
    return out


def head_view(recs, start):
    """Per series index: the (t, value) list a head holds after replaying recs
    (tombstones applied), plus the counts stats must report."""
    samples = {}
    stones = []
    refs = set()
    for r in recs:
        if r.type == 1:
            refs.update(e["ref"] for e in r.entries)
        elif r.type == 2:
            for e in r.entries:
                samples.setdefault(e["ref"], []).append((e["t"], float(e["v"])))
        elif r.type == 3:
            stones.extend(r.entries)
    view = {}
    for ref in refs:
        pts = samples.get(ref, [])
        for s in stones:
            if s["ref"] == ref:
                pts = [p for p in pts if not (s["mint"] <= p[0] <= s["maxt"])]
        view[ref - 1] = pts
    counts = {
        "series": len(refs),
        "samples": sum(len(v) for v in samples.values()),
        "tombstones": len(stones),
        "records_by_type": {},
        "min_time": min(t for v in samples.values() for t, _ in v),
        "max_time": max(t for v in samples.values() for t, _ in v),
    }
    for r in recs:
        k = str(r.type)
        counts["records_by_type"][k] = counts["records_by_type"].get(k, 0) + 1
    return view, counts


def same_series(checks, what, got, want):
    """A (t, value) list check that prints a summary, not the lists."""
    return checks.check(got == want, what, f"got {len(got)}, first {got[:1]}, last {got[-1:]}; "
                        f"want {len(want)}, first {want[:1]}, last {want[-1:]}")


def demo_series(i, start, ks):
    return [(start + k * INTERVAL_MS, float(i * 1000 + k)) for k in ks]


# ----------------------------------------------------------------- walproof calls

def checkpoint_flags(args):
    """(apply flags, dry-run flags) from `walproof checkpoint --help`, or None."""
    p = h.run([args.walproof, "--help"])
    if not re.search(r"^\s+checkpoint\s", p.stdout + p.stderr, re.M):
        return None
    p = h.run([args.walproof, "checkpoint", "--help"])
    text = p.stdout + p.stderr
    if "--apply" in text:
        return ["--apply"], []
    if "--dry-run" in text:
        return [], ["--dry-run"]
    raise h.Fatal("walproof checkpoint --help names neither --apply nor --dry-run")


def has_replay(args):
    p = h.run([args.walproof, "--help"])
    return re.search(r"^\s+replay\s", p.stdout + p.stderr, re.M) is not None


def listing(waldir):
    out = {}
    for root, _, files in os.walk(waldir):
        for f in files:
            full = os.path.join(root, f)
            out[os.path.relpath(full, waldir)] = os.path.getsize(full)
    return out


def checkpoint_dirs(waldir):
    return sorted(n for n in os.listdir(waldir) if n.startswith("checkpoint."))


def run_checkpoint(args, checks, flags, waldir, mint, label, extra=()):
    apply_flags, dry_flags = flags[0] + list(extra), flags[1] + list(extra)
    before = listing(waldir)
    p = h.run([args.walproof, "checkpoint", waldir, "--mint", str(mint)] + dry_flags)
    checks.eq(f"{label}: walproof checkpoint dry run exit code", p.returncode, 0)
    checks.eq(f"{label}: the dry run changed nothing in the WAL directory", listing(waldir), before)
    p = h.run([args.walproof, "checkpoint", waldir, "--mint", str(mint)] + apply_flags)
    checks.require(p.returncode == 0, f"{label}: walproof checkpoint --mint {mint} succeeded",
                   f"exit {p.returncode}")
    h.describe_dir(waldir)


def replay(args, checks, waldir, label, want):
    if not has_replay(args):
        h.log(f"NOTE: this walproof has no `replay` command yet: replay checks of {label} skipped")
        return None
    docs = {}
    for name, extra in (("default", []), ("sequential", ["--sequential"]),
                        ("threads 2", ["--threads", "2"])):
        p = h.run([args.walproof, "replay", waldir, "--json"] + extra)
        try:
            docs[name] = json.loads(p.stdout)
        except ValueError as e:
            checks.check(False, f"{label}: walproof replay ({name}) prints one JSON object", repr(e))
            continue
        checks.eq(f"{label}: walproof replay ({name}) exit code", p.returncode, 0)
        checks.eq(f"{label}: walproof replay ({name}) corruption", docs[name].get("corruption"), None)
    d = docs.get("default")
    if d:
        checks.eq(f"{label}: replay series", d.get("series"), want["series"])
        # The head's samples: tombstoned ones may be counted as appended
        # (upstream deletes them at query time) or not; bound both ways.
        visible = want["visible_samples"]
        checks.check(visible <= (d.get("samples") or -1) <= want["samples"],
                     f"{label}: replay samples within [{visible}, {want['samples']}]",
                     f"got {d.get('samples')}")
        for name in ("sequential", "threads 2"):
            if name in docs:
                checks.eq(f"{label}: replay ({name}) digest == default digest",
                          docs[name].get("digest"), d.get("digest"))
    return d


# ----------------------------------------------------------------- prometheus

def lockfile_flags(args):
    """Debian patches 2.42 (21-Disable_TSDB_lockfile.patch) so that the server
    takes no DATA/lock unless --storage.tsdb.use-lockfile is given; upstream
    takes it by default (--storage.tsdb.no-lockfile turns it off)."""
    p = h.run([args.prometheus, "--help"], echo=False)
    return ["--storage.tsdb.use-lockfile"] if "storage.tsdb.use-lockfile" in p.stdout + p.stderr \
        else []


def check_prometheus(args, checks, tmp, data, label, view, counts, start, last, mint,
                     older_than_mint_in_head, lock_probe=None):
    flags = ["--storage.tsdb.retention.time=30d"]
    if lock_probe:
        flags += lockfile_flags(args)
    prom = h.Prometheus(args, tmp, data, CONFIG, flags=flags, name=f"prometheus-{label}")
    prom.start()
    try:
        m = prom.metrics()
        checks.eq(f"{label}: prometheus_tsdb_wal_corruptions_total",
                  prom.metric_sum("prometheus_tsdb_wal_corruptions_total", m), 0)
        checks.eq(f"{label}: prometheus_tsdb_head_series",
                  prom.metric_sum("prometheus_tsdb_head_series", m), counts["series"])
        checks.eq(f"{label}: prometheus_tsdb_head_min_time",
                  prom.metric_sum("prometheus_tsdb_head_min_time", m), counts["min_time"])
        checks.eq(f"{label}: prometheus_tsdb_head_max_time",
                  prom.metric_sum("prometheus_tsdb_head_max_time", m), last)

        visible = sum(len(v) for v in view.values())
        window = last - start + INTERVAL_MS   # from before T: every sample there is

        def total(at, rng):
            r = prom.query(f"sum(count_over_time(walproof_demo[{rng}ms]))", at_ms=at)["result"]
            return int(float(r[0]["value"][1])) if r else 0
        checks.eq(f"{label}: samples Prometheus holds (tombstones applied)",
                  total(last, window), visible)
        below = [t for v in view.values() for t, _ in v if t < mint]
        checks.eq(f"{label}: samples older than mint",
                  total(mint - 1, mint - 1 - (start - INTERVAL_MS)), len(below))
        checks.eq(f"{label}: samples older than mint are only those of the segments "
                  f"after the checkpoint", len(below) > 0, older_than_mint_in_head)

        for i in sorted(set(PROBE_SERIES) | {0}):
            r = prom.query(f'walproof_demo{{series="{i}"}}[{window}ms]', at_ms=last)["result"]
            want = view.get(i, [])
            if not want:
                checks.eq(f"{label}: series {i}: no samples", r, [])
                continue
            if not checks.eq(f"{label}: series {i}: one series returned", len(r), 1):
                continue
            checks.eq(f"{label}: series {i}: labels", r[0]["metric"],
                      {"__name__": "walproof_demo", "instance": "demo", "series": str(i)})
            got = [(h.param_to_ms(t), float(v)) for t, v in r[0]["values"]]
            ks = (scrape_of(want[0][0], start), scrape_of(want[-1][0], start))
            if not checks.check(got == want, f"{label}: series {i}: exactly {len(want)} "
                                f"(t, value) pairs, scrapes {ks[0]}..{ks[1]}",
                                f"got {len(got)}, first {got[:1]}, last {got[-1:]}"):
                diff = [(a, b) for a, b in zip(got, want) if a != b][:5]
                h.log(f"  first differences (got, want): {diff}")
        if lock_probe:
            lock_probe()
    finally:
        rc = prom.stop()
    checks.eq(f"{label}: prometheus exit code after SIGTERM", rc, 0)


def check_stats(args, checks, waldir, label, counts, cp_index, segments):
    h.walproof_verify(args, checks, waldir, label)
    st = h.walproof_stats(args, checks, waldir, label)
    checks.eq(f"{label}: checkpoint", st["checkpoint"], cp_index)
    checks.eq(f"{label}: checkpoint directories on disk", checkpoint_dirs(waldir),
              ["checkpoint.%08d" % cp_index])
    checks.eq(f"{label}: segments on disk", [int(s) for s in h.segment_files(waldir)], segments)
    for key in ("series", "samples", "tombstones", "min_time", "max_time"):
        checks.eq(f"{label}: {key}", st[key], counts[key])
    checks.eq(f"{label}: records_by_type", {k: v for k, v in st["records_by_type"].items() if v},
              counts["records_by_type"])
    for key in ("exemplars", "histogram_samples", "metadata"):
        checks.eq(f"{label}: {key}", st[key], 0)
    checks.gt(f"{label}: compressed_records (snappy WAL -> snappy checkpoint)",
              st["compressed_records"], 0)
    return st


# ----------------------------------------------------------------- scenarios

def make_demo(args, checks, tmp, name):
    data = os.path.join(tmp, name)
    waldir = os.path.join(data, "wal")
    now_ms = int(time.time() * 1000)
    start = (now_ms - 2 * 3600 * 1000) // INTERVAL_MS * INTERVAL_MS
    last = start + (SCRAPES - 1) * INTERVAL_MS
    h.section(f"walproof demo ({name}): {SERIES} series x {SCRAPES} scrapes, snappy, "
              f"{SEGMENT_SIZE} B segments")
    p = h.run([args.walproof, "demo", waldir, "--series", str(SERIES), "--scrapes", str(SCRAPES),
               "--interval-ms", str(INTERVAL_MS), "--start-ms", str(start),
               "--compression", "snappy", "--segment-size", str(SEGMENT_SIZE)])
    checks.require(p.returncode == 0, f"{name}: walproof demo succeeded", f"exit {p.returncode}")
    segs = [int(s) for s in h.segment_files(waldir)]
    checks.require(len(segs) >= 3, f"{name}: demo wrote several segments", f"{segs}")
    recs = dump(args, waldir)
    view, counts = head_view(recs, start)
    checks.eq(f"{name}: demo samples", counts["samples"], SERIES * SCRAPES)
    return data, waldir, start, last, segs, recs


def scenario_early(args, checks, flags, tmp):
    data, waldir, start, last, segs, recs = make_demo(args, checks, tmp, "early")
    to = segs[-1] - 1
    newest = [r for r in recs if r.segment == segs[-1]]
    checks.require(any(r.type == 3 for r in newest),
                   "early: the tombstone is in the newest segment (not checkpointed)")
    early_places = sorted({r.segment for r in recs if r.type == 2
                           and scrape_of(r.entries[0]["t"], start) <= 10})
    checks.require(early_places and early_places[-1] <= to,
                   "early: scrapes 0..10 are in checkpointed segments", f"{early_places}")

    # ------------------------------------------------ phase 1: M = T + 5*I
    mint = start + 5 * INTERVAL_MS
    label = "early (mint = scrape 5)"
    h.section(f"{label}: walproof checkpoint of segments {segs[0]}..{to}")
    run_checkpoint(args, checks, flags, waldir, mint, label)
    kept = after_checkpoint(recs, to, mint)
    view, counts = head_view(kept, start)
    # The closed form, as a cross-check of the model above.
    same_series(checks, f"{label}: model: series 0 = scrapes 10..{SCRAPES - 1} (tombstone)",
                view[0], demo_series(0, start, range(10, SCRAPES)))
    same_series(checks, f"{label}: model: series 17 = scrapes 5..{SCRAPES - 1}",
                view[17], demo_series(17, start, range(5, SCRAPES)))
    st = check_stats(args, checks, waldir, label, counts, to, [segs[-1]])
    checks.eq(f"{label}: samples == 40 x 395", st["samples"], SERIES * (SCRAPES - 5))
    visible = sum(len(v) for v in view.values())
    replay(args, checks, waldir, label, dict(counts, visible_samples=visible))

    def lock_probe():
        h.section(f"{label}: walproof checkpoint must refuse while Prometheus runs")
        # Without the lock file (Debian's default) nothing tells walproof that
        # a server owns the directory: we do not try that, it would rewrite
        # the WAL under a running server.
        checks.require(os.path.exists(os.path.join(data, "lock")),
                       f"{label}: the running Prometheus holds DATA/lock")
        before = listing(waldir)
        p = h.run([args.walproof, "checkpoint", waldir, "--mint", str(mint + INTERVAL_MS)]
                  + flags[0])
        checks.eq(f"{label}: walproof checkpoint exit code with Prometheus running", p.returncode, 1)
        checks.check("lock" in (p.stdout + p.stderr).lower(),
                     f"{label}: the refusal names the lock")
        checks.eq(f"{label}: the refused checkpoint changed nothing", listing(waldir), before)

    h.section(f"{label}: prometheus on the walproof checkpoint")
    check_prometheus(args, checks, tmp, data, "early", view, counts, start, last, mint,
                     older_than_mint_in_head=False, lock_probe=lock_probe)

    # ------------------------------------------------ phase 2: checkpoint of a checkpoint
    # Prometheus opened the WAL for writing: one more (empty) segment, which is
    # now the newest; the demo's newest segment gets checkpointed this time.
    segs2 = [int(s) for s in h.segment_files(waldir)]
    checks.eq("early: segments after prometheus ran", segs2, [segs[-1], segs[-1] + 1])
    recs2 = dump(args, waldir)
    to2 = segs2[-1] - 1
    mint2 = start + 150 * INTERVAL_MS
    label = "early, second checkpoint (mint = scrape 150)"
    h.section(f"{label}: walproof checkpoint of {checkpoint_dirs(waldir)} + segments ..{to2}")
    # The first server run m-mapped full head chunks (120 samples each) into
    # DATA/chunks_head, and a restarted head loads them before the WAL (with
    # no block, its min valid time does not cut them). An offline checkpoint
    # that left them would let them serve samples older than mint again, and,
    # the tombstone being dropped, series 0's deleted scrapes 5..9. So walproof
    # refuses while chunks_head holds files, unless asked to delete them.
    chunks_head = os.path.join(data, "chunks_head")
    checks.check(os.path.isdir(chunks_head) and os.listdir(chunks_head),
                 "early: the first server run wrote chunks_head")
    before = listing(waldir)
    p = h.run([args.walproof, "checkpoint", waldir, "--mint", str(mint2)] + flags[0])
    checks.eq(f"{label}: checkpoint with chunks_head present exit code", p.returncode, 1)
    checks.check("chunks_head" in p.stderr, f"{label}: the refusal names chunks_head")
    checks.eq(f"{label}: the refused checkpoint changed nothing", listing(waldir), before)
    run_checkpoint(args, checks, flags, waldir, mint2, label, extra=["--drop-chunks-head"])
    checks.check(not os.path.exists(chunks_head), f"{label}: --drop-chunks-head deleted chunks_head")
    kept2 = after_checkpoint(recs2, to2, mint2)
    view2, counts2 = head_view(kept2, start)
    checks.eq(f"{label}: model: tombstone dropped (its interval ends before mint)",
              counts2["tombstones"], 0)
    same_series(checks, f"{label}: model: series 0 = scrapes 150..{SCRAPES - 1}",
                view2[0], demo_series(0, start, range(150, SCRAPES)))
    st2 = check_stats(args, checks, waldir, label, counts2, to2, [segs2[-1]])
    checks.eq(f"{label}: samples == 40 x 250", st2["samples"], SERIES * (SCRAPES - 150))
    replay(args, checks, waldir, label,
           dict(counts2, visible_samples=sum(len(v) for v in view2.values())))
    h.section(f"{label}: prometheus on the checkpoint of a checkpoint")
    check_prometheus(args, checks, tmp, data, "early-second", view2, counts2, start, last, mint2,
                     older_than_mint_in_head=False)


def scenario_late(args, checks, flags, tmp):
    data, waldir, start, last, segs, recs = make_demo(args, checks, tmp, "late")
    to = segs[-1] - 1
    ks = sorted(scrape_of(e["t"], start) for r in recs if r.type == 2 and r.segment == segs[-1]
                for e in r.entries[:1])
    checks.require(len(ks) >= 2, "late: the newest segment holds at least two scrapes", f"{ks}")
    k_first, k_mint = ks[0], ks[len(ks) // 2]
    mint = start + k_mint * INTERVAL_MS
    label = f"late (mint = scrape {k_mint}, newest segment from scrape {k_first})"
    h.section(f"{label}: walproof checkpoint of segments {segs[0]}..{to}")
    run_checkpoint(args, checks, flags, waldir, mint, label)
    kept = after_checkpoint(recs, to, mint)
    view, counts = head_view(kept, start)
    same_series(checks, f"{label}: model: series 17 = scrapes {k_first}..{SCRAPES - 1}",
                view[17], demo_series(17, start, range(k_first, SCRAPES)))
    checks.eq(f"{label}: model: only the Series record comes from the checkpoint",
              [r.type for r in kept if r.covered(to)], [1])
    check_stats(args, checks, waldir, label, counts, to, [segs[-1]])
    replay(args, checks, waldir, label,
           dict(counts, visible_samples=sum(len(v) for v in view.values())))
    h.section(f"{label}: prometheus on the walproof checkpoint")
    check_prometheus(args, checks, tmp, data, "late", view, counts, start, last, mint,
                     older_than_mint_in_head=True)


def body(args, checks):
    flags = checkpoint_flags(args)
    if flags is None:
        # Nothing here can run without it; a skip shows in ctest's summary.
        h.log("NOTE: this walproof has no `checkpoint` command: skipping the whole test")
        sys.exit(h.SKIP)
    tmp = h.make_tempdir("checkpoint-to-prom", args.keep)
    scenario_early(args, checks, flags, tmp)
    scenario_late(args, checks, flags, tmp)


if __name__ == "__main__":
    h.main("interop_checkpoint_to_prometheus",
           "Prometheus 2.42 replays checkpoints written by walproof checkpoint, exactly",
           body)
