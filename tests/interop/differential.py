#!/usr/bin/env python3
# Differential recovery: every crash image recovered by the real Prometheus
# 2.42 and by walproof (repair, then replay), and the results compared series
# by series, sample by sample.
#
# Images come from `crashsim export` (DIR/<id>/wal plus DIR/<id>/crashsim.json),
# either a directory given on the command line or exported here (--export).
# For each image:
#   - Prometheus starts on a copy (loopback, free port, no scrape targets),
#     bounded by --timeout; we read its head series count
#     (/api/v1/status/tsdb), every series it has in the workload's time range
#     (/api/v1/series), and the raw samples of every series of the workload
#     and of both recoveries, with one instant query of a range selector per
#     batch of series (a range selector returns raw samples, unlike a range
#     query, which evaluates at steps); and from its log the WAL corruption it
#     found, the repair it did and the segments it deleted. Then it is stopped
#     (SIGTERM, SIGKILL after a grace period) and checked gone.
#   - walproof repairs another copy (`repair --yes`) and replays it
#     (`replay --sequential --json --samples-out`).
# Every difference is classified (see classify()); differences that are
# documented upstream behaviour (UPSTREAM_RULES) are allowed, any other one
# fails the run (exit 1). Output: a JSON table and a self-contained HTML
# section, progress on stderr.
#
# Standard library only; reuses promharness for processes and cleanup: every
# Prometheus runs in its own process group with a parent-death signal, and is
# killed on exit, on SIGINT/SIGTERM/SIGHUP, and after each image.

import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promharness as ph  # noqa: E402

CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n"
BATCH = 64  # series per range-selector query

# Differences that are Prometheus 2.42 behaviour, not a walproof bug: the
# class, a predicate on the image result, and the rule with its upstream
# issue. The README section "Differential recovery against Prometheus" lists
# them with an example image each.
UPSTREAM_RULES = [
    {
        "name": "startup-gc-drops-empty-series",
        "issue": None,
        "rule": "Head.Init ends with a deferred gc (tsdb/head.go, 'After loading the wal remove the "
                "obsolete data from the head'): a series whose Series record was replayed but none "
                "of whose samples was is dropped from the head; walproof's head keeps it, empty. "
                "No sample differs",
    },
    {
        "name": "checkpoint-corruption-repairs-segment",
        "issue": "#7530",
        "rule": "a corrupt checkpoint makes head.Init fail with a CorruptionErr that names the "
                "checkpoint's segment; db.Open hands it to the WAL's Repair, which deletes and "
                "rewrites the WAL segment of that number instead: the segments after the checkpoint "
                "are never replayed, and when no WAL segment has that number (the usual case after "
                "a truncation) the repair fails ('rename ...: no such file or directory') and "
                "Prometheus exits",
    },
    {
        "name": "repeated-series-record-resets-head-chunk",
        "issue": None,
        "rule": "a Series record repeated for a series that exists (here the stale copy of an older "
                "segment's block, a torn-write limitation of the format) makes 2.42's replay call "
                "resetSeriesWithMMappedChunks (tsdb/head_wal.go): the series' head chunk and the "
                "chunks m-mapped so far are replaced by those chunks_head holds for that ref (none "
                "in a WAL-only data directory), so every sample replayed before it is dropped. "
                "walproof's head keeps them (head.h)",
    },
    {
        "name": "zstd-records-skipped",
        "issue": "#11666",
        "rule": "2.42 predates zstd WAL compression (#11666, 2.46): its reader masks only the snappy "
                "bit of a fragment header, hands the zstd frame on as the record, whose first byte "
                "(0x28) is no record type, and replay skips it silently: every zstd-compressed "
                "record is lost, no error",
    },
    {
        "name": "repair-file-ignored",
        "issue": "#6080",
        "rule": "a crash inside 2.42's own repair leaves N.repair with N gone; 2.42 does not look at "
                "N.repair and replays without it, losing its records (walproof's repair puts it back)",
    },
    {
        "name": "segments-not-sequential",
        "issue": "#6080",
        "rule": "a gap in the segment numbers (a crash in 2.42's repair, or a segment whose directory "
                "entry was lost under the 2.42 protocol) makes db.Open fail 'segments are not "
                "sequential' before any replay; walproof's repair keeps the segments before the gap",
    },
    {
        "name": "unrepairable-init-error",
        "issue": None,
        "rule": "head.Init failed with an error that is not a CorruptionErr (an unreadable or "
                "non-sequential segment, a missing checkpoint segment); db.Open's Repair answers "
                "'cannot handle error' and Prometheus exits",
    },
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- images

def list_images(root):
    out = []
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if os.path.isfile(os.path.join(d, "crashsim.json")):
            out.append(d)
    return out


def export_images(args, root):
    """Runs `crashsim export` for each scenario[:seed[:states]] of --export."""
    for spec in args.export.split(","):
        parts = spec.split(":")
        scenario = parts[0]
        seed = parts[1] if len(parts) > 1 and parts[1] else "1"
        states = parts[2] if len(parts) > 2 and parts[2] else str(args.states)
        argv = [args.crashsim, "export", "--scenario", scenario, "--seed", seed,
                "--states", states, "--out", root]
        log("$ " + " ".join(argv))
        p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise SystemExit(f"crashsim export failed ({p.returncode}): {p.stderr.strip()}")
        log("  " + p.stdout.strip())
        check_replay_identical(args, root, scenario, seed)


def check_replay_identical(args, root, scenario, seed):
    """The exported image of one state of the scenario (the one with the
    highest class) must be what `crashsim replay --out` writes for its id."""
    prefix = f"{scenario}-s{seed}-"
    ids = [n for n in os.listdir(root) if n.startswith(prefix)
           and re.fullmatch(r"[0-9.]+", n[len(prefix):])]
    if not ids:
        return
    name = max(ids, key=lambda n: [int(x) for x in n[len(prefix):].split(".")])
    state = name[len(prefix):]
    out = os.path.join(root, ".replay-check")
    shutil.rmtree(out, ignore_errors=True)
    argv = [args.crashsim, "replay", "--scenario", scenario, "--seed", seed, "--state", state, "--out", out]
    subprocess.run(argv, capture_output=True, text=True, timeout=600)
    a, b = dir_contents(os.path.join(root, name, "wal")), dir_contents(os.path.join(out, "wal"))
    shutil.rmtree(out, ignore_errors=True)
    if a != b:
        raise SystemExit(f"exported image {name} differs from `{' '.join(argv)}`")
    log(f"  image {name} is byte-identical to `crashsim replay --state {state} --out`")


def dir_contents(path):
    out = {}
    for dirpath, dirs, files in os.walk(path):
        dirs.sort()
        rel = os.path.relpath(dirpath, path)
        out[rel] = None
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                out[os.path.join(rel, f)] = fh.read()
    return out


# ----------------------------------------------------------------- walproof side

def copy_image(image_dir, data):
    """A fresh data directory holding the image's WAL (if the crash left one)."""
    os.makedirs(data)
    if os.path.isdir(os.path.join(image_dir, "wal")):
        shutil.copytree(os.path.join(image_dir, "wal"), os.path.join(data, "wal"), symlinks=True)


def walproof_recover(args, image_dir, work):
    data = os.path.join(work, "walproof")
    copy_image(image_dir, data)
    wal = os.path.join(data, "wal")
    res = {"repair_exit": None, "repair_output": "", "replay_exit": None, "series": {}, "num_series": 0,
           "corruption": None}
    if not os.path.isdir(wal):
        return res  # a crash lost the WAL directory itself: nothing to recover, as for Prometheus
    p = subprocess.run([args.walproof, "repair", wal, "--yes"], capture_output=True, text=True,
                       timeout=ph.WALPROOF_TIMEOUT_S)
    res["repair_exit"] = p.returncode
    res["repair_output"] = (p.stdout + p.stderr).strip()[-2000:]
    res["repeated_series"] = repeated_series(args, wal)
    samples_path = os.path.join(work, "walproof-samples.json")
    p = subprocess.run([args.walproof, "replay", wal, "--sequential", "--json", "--samples-out", samples_path],
                       capture_output=True, text=True, timeout=ph.WALPROOF_TIMEOUT_S)
    res["replay_exit"] = p.returncode
    try:
        rep = json.loads(p.stdout)
        res["num_series"] = rep.get("series", 0)
        res["corruption"] = rep.get("corruption")
        with open(samples_path) as f:
            doc = json.load(f)
    except (ValueError, OSError) as e:
        res["error"] = f"replay output unreadable: {e!r}: {p.stderr.strip()[:500]}"
        return res
    for s in doc["series"]:
        key = label_key(s["labels"])
        res["series"][key] = [(t, float(v)) for t, v in s["samples"]]
    return res


def repeated_series(args, wal):
    """Label sets whose Series record comes again for the same ref in what
    replay reads (`walproof dump` stops where replay stops)."""
    p = subprocess.run([args.walproof, "dump", wal], capture_output=True, text=True,
                       timeout=ph.WALPROOF_TIMEOUT_S)
    seen, repeated = set(), set()
    for line in p.stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("type_name") != "series":
            continue
        for e in rec["entries"]:
            key = (e["ref"], label_key(e["labels"]))
            if key in seen:
                repeated.add(label_key(e["labels"]))
            seen.add(key)
    return repeated


# ----------------------------------------------------------------- Prometheus side

class PromRun:
    """One Prometheus on a copy of one image, always stopped by close()."""

    def __init__(self, args, image_dir, work):
        self.args = args
        self.data = os.path.join(work, "prometheus")
        copy_image(image_dir, self.data)
        self.config = os.path.join(work, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(CONFIG)
        self.log_path = os.path.join(work, "prometheus.log")
        self.proc = None
        self.port = None

    def start(self):
        """True when ready; False when it exited or did not get ready in time."""
        for _ in range(3):
            self.port = ph.free_port()
            argv = [self.args.prometheus, f"--config.file={self.config}",
                    f"--storage.tsdb.path={self.data}",
                    f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=info"]
            self.proc = ph.spawn(argv, self.log_path)
            state = self.wait_ready()
            if state == "exited" and "address already in use" in self.log_text():
                continue
            return state
        return state

    def wait_ready(self):
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return "exited"
            try:
                status, _ = ph.http("GET", self.base() + "/-/ready", timeout=2)
                if status == 200:
                    return "ready"
            except OSError:
                pass
            time.sleep(0.1)
        return "timeout"

    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def api(self, path, params, method="GET"):
        status, body = ph.http(method, self.base() + path, params, timeout=30)
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise RuntimeError(f"{path}: HTTP {status}: {str(doc)[:300]}")
        return doc["data"]

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        """SIGTERM, then SIGKILL after a grace period; waits until it is gone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def selector_batches(keys):
    """PromQL selectors covering the given label sets, about BATCH series each.
    Series of one metric name that differ in a single label are batched with a
    regex on that label; anything else gets a selector of its own."""
    by_name = {}
    single = []
    for key in keys:
        labels = dict(key)
        name = labels.get("__name__")
        others = [k for k in labels if k != "__name__"]
        if name is None or len(others) != 1:
            single.append(labels)
            continue
        by_name.setdefault((name, others[0]), []).append(labels[others[0]])
    out = []
    for (name, lname), values in sorted(by_name.items()):
        values = sorted(set(values))
        for i in range(0, len(values), BATCH):
            chunk = values[i:i + BATCH]
            regex = "|".join(re.escape(v) for v in chunk)
            out.append(f'{{__name__={json.dumps(name)},{lname}=~{json.dumps(regex)}}}')
    for labels in single:
        out.append("{" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items())) + "}")
    return out


def prometheus_recover(args, image_dir, work, manifest, extra_keys):
    res = {"state": None, "num_series": None, "series": {}, "log": {}, "error": None}
    prom = PromRun(args, image_dir, work)
    try:
        t0 = time.monotonic()
        res["state"] = prom.start()
        res["start_seconds"] = round(time.monotonic() - t0, 2)
        if res["state"] == "ready":
            try:
                read_prometheus(prom, manifest, extra_keys, res)
            except Exception as e:  # reported as its own outcome, not a crash of the run
                res["error"] = f"query failed: {e!r}"
    finally:
        prom.close()
        res["exit_code"] = prom.proc.returncode if prom.proc else None
        res["log"] = parse_log(prom.log_text())
    return res


def read_prometheus(prom, manifest, extra_keys, res):
    wl = manifest["workload"]
    # The workload's time range with an hour on each side: a sample either
    # side invents outside the range shows up too.
    margin = 3600 * 1000
    min_t, max_t = wl["min_t"] - margin, wl["max_t"] + margin
    res["num_series"] = prom.api("/api/v1/status/tsdb", {})["headStats"]["numSeries"]
    listed = prom.api("/api/v1/series", method="POST", params={"match[]": '{__name__=~".+"}',
                                         "start": ph.ms_to_param(min_t - 1),
                                         "end": ph.ms_to_param(max_t + 1)})
    keys = {label_key(s) for s in listed}
    keys |= {label_key(s) for s in wl["series"]}
    keys |= set(extra_keys)
    span = max(1, max_t - min_t + 1)
    for sel in selector_batches(keys):
        data = prom.api("/api/v1/query", {"query": f"{sel}[{span}ms]", "time": ph.ms_to_param(max_t)},
                       method="POST")
        for s in data["result"]:
            key = label_key(s["metric"])
            res["series"][key] = [(ph.param_to_ms(t), float(v)) for t, v in s.get("values", [])]


LOG_PATTERNS = [
    ("read_error", re.compile(r'msg="Encountered WAL read error, attempting repair" err="((?:[^"\\]|\\.)*)"')),
    ("repair_start", re.compile(r'msg="Starting corruption repair" segment=(\d+) offset=(\d+)')),
    ("deleted_after", re.compile(r'msg="Deleting all segments newer than corrupted segment" segment=(\d+)')),
    ("rewrote", re.compile(r'msg="Rewrite corrupted segment" segment=(\d+)')),
    ("unknown_refs", re.compile(r'msg="Unknown series references" samples=(\d+)')),
]


FATAL = re.compile(r'level=error.*?err="((?:[^"\\]|\\.)*)"')


def parse_log(text):
    out = {}
    errors = FATAL.findall(text)
    if errors:
        out["fatal"] = errors[-1]  # the last error is the one Prometheus exits with
    for name, rx in LOG_PATTERNS:
        m = rx.search(text)
        if m:
            out[name] = m.groups() if len(m.groups()) > 1 else m.group(1)
    return out


# ----------------------------------------------------------------- comparison

def label_key(labels):
    return tuple(sorted(labels.items()))


def key_text(key):
    return "{" + ",".join(f'{k}="{v}"' for k, v in key) + "}"


def same_value(a, b):
    return a == b or (a != a and b != b)


def compare(prom, wp):
    """Counts of samples only one side has, and of (series, t) whose values differ."""
    d = {"series_only_prometheus": 0, "series_only_walproof": 0, "samples_only_prometheus": 0,
         "samples_only_walproof": 0, "values_differ": 0, "example": None,
         "series_losing_samples_in_prometheus": []}
    keys = set(prom["series"]) | set(wp["series"])
    for key in sorted(keys):
        ps = dict(prom["series"].get(key, []))
        ws = dict(wp["series"].get(key, []))
        if ps and not ws:
            d["series_only_prometheus"] += 1
        if ws and not ps:
            d["series_only_walproof"] += 1
        only_p = [t for t in ps if t not in ws]
        only_w = [t for t in ws if t not in ps]
        differ = [t for t in ps if t in ws and not same_value(ps[t], ws[t])]
        d["samples_only_prometheus"] += len(only_p)
        d["samples_only_walproof"] += len(only_w)
        if only_w:
            d["series_losing_samples_in_prometheus"].append(key_text(key))
        d["values_differ"] += len(differ)
        if d["example"] is None and (only_p or only_w or differ):
            t = (differ or only_p or only_w)[0]
            d["example"] = f"{key_text(key)} t={t}: prometheus {ps.get(t)!r}, walproof {ws.get(t)!r}"
    return d


def image_features(image_dir):
    """What in the image explains an upstream behaviour: a segment left as
    N.repair, zstd-compressed fragments."""
    wal = os.path.join(image_dir, "wal")
    f = {"repair_file": False, "zstd": False}
    if not os.path.isdir(wal):
        return f
    for root, _dirs, files in os.walk(wal):
        for name in files:
            if re.fullmatch(r"\d+\.repair", name):
                f["repair_file"] = True
            if re.fullmatch(r"\d+(\.repair)?", name) and has_zstd_fragment(os.path.join(root, name)):
                f["zstd"] = True
    return f


def has_zstd_fragment(path, page=32 * 1024):
    """Whether a fragment header in the segment has the zstd flag (0x10)."""
    with open(path, "rb") as fh:
        data = fh.read()
    for start in range(0, len(data), page):
        pos, end = start, min(start + page, len(data))
        while pos + 7 <= end:
            hdr = data[pos]
            if hdr == 0:
                break  # the rest of the page is padding
            if hdr & 0x10:
                return True
            pos += 7 + int.from_bytes(data[pos + 1:pos + 3], "big")
    return False


def classify(prom, wp, diff, features):
    """(class, upstream rule or None) of one image's result."""
    if wp.get("error"):
        return "walproof-failed", None
    if prom["state"] != "ready":
        rule = None
        if "backfill checkpoint" in prom["log"].get("read_error", ""):
            rule = "checkpoint-corruption-repairs-segment"
        elif "segments are not sequential" in prom["log"].get("fatal", ""):
            rule = "segments-not-sequential"
        elif "cannot handle error" in prom["log"].get("fatal", ""):
            rule = "unrepairable-init-error"
        return "prometheus-failed-to-start", rule
    if prom.get("error") or prom["num_series"] is None:
        return "prometheus-query-failed", None
    lost_by_p = diff["samples_only_walproof"] or diff["series_only_walproof"]
    lost_by_w = diff["samples_only_prometheus"] or diff["series_only_prometheus"]
    if diff["values_differ"] or (lost_by_p and lost_by_w):
        return "sample-differs", None
    if lost_by_w:
        return "walproof-lost", None
    # The head's series count, series without samples included.
    nonempty = sum(1 for v in wp["series"].values() if v)
    if prom["num_series"] > wp["num_series"]:
        return "walproof-lost", None
    if lost_by_p:
        if "backfill checkpoint" in prom["log"].get("read_error", ""):
            return "prometheus-lost", "checkpoint-corruption-repairs-segment"
        if features["zstd"]:
            return "prometheus-lost", "zstd-records-skipped"
        repeated = {key_text(k) for k in wp.get("repeated_series", ())}
        if repeated and set(diff["series_losing_samples_in_prometheus"]) <= repeated:
            return "prometheus-lost", "repeated-series-record-resets-head-chunk"
        if features["repair_file"]:
            return "prometheus-lost", "repair-file-ignored"
        return "prometheus-lost", None
    if prom["num_series"] < wp["num_series"]:
        if prom["num_series"] == nonempty:
            return "prometheus-lost", "startup-gc-drops-empty-series"
        return "prometheus-lost", None
    return "agree", None


SELF_CHECK_INPUT = None  # (prom, wp, features) of the first image that agrees with samples


def self_check():
    """The comparison must catch what it is there to catch: on an image that
    agrees, a sample walproof lost, a sample Prometheus lost, a value changed
    and a series walproof lost must each be classified, and not allowed."""
    import copy
    if SELF_CHECK_INPUT is None:
        return ["no image agreed with samples: nothing to check the comparison on"]
    prom, wp, features = SELF_CHECK_INPUT
    key = next(k for k, v in sorted(wp["series"].items()) if v)
    failures = []

    def expect(what, p, w, want):
        got, rule = classify(p, w, compare(p, w), features)
        ok = got == want and rule is None
        log(f"self-check: {what}: {got}{' [' + rule + ']' if rule else ''} "
            f"({'ok' if ok else 'WRONG, expected ' + want})")
        if not ok:
            failures.append(what)

    w = copy.deepcopy(wp)
    w["series"][key] = w["series"][key][:-1]
    expect("walproof drops a sample", prom, w, "walproof-lost")
    p = copy.deepcopy(prom)
    p["series"][key] = p["series"][key][1:]
    expect("prometheus drops a sample", p, wp, "prometheus-lost")
    w = copy.deepcopy(wp)
    t, v = w["series"][key][0]
    w["series"][key][0] = (t, v + 1)
    expect("a value differs", prom, w, "sample-differs")
    w = copy.deepcopy(wp)
    w["series"][key][0] = (t - 1, v)
    expect("a timestamp differs", prom, w, "sample-differs")
    w = copy.deepcopy(wp)
    del w["series"][key]
    w["num_series"] -= 1
    expect("walproof drops a series", prom, w, "walproof-lost")
    return failures


def run_image(args, image_dir, scratch):
    with open(os.path.join(image_dir, "crashsim.json")) as f:
        manifest = json.load(f)
    work = os.path.join(scratch, manifest["id"])
    os.makedirs(work)
    try:
        wp = walproof_recover(args, image_dir, work)
        prom = prometheus_recover(args, image_dir, work, manifest, list(wp["series"]))
        diff = compare(prom, wp)
        features = image_features(image_dir)
        cls, rule = classify(prom, wp, diff, features)
        row = {
            "id": manifest["id"], "scenario": manifest["scenario"], "seed": manifest["seed"],
            "state": manifest["state"], "fault_class": manifest["class"], "class_name": manifest["class_name"],
            "result": cls, "upstream_rule": rule, "features": features,
            "prometheus": {"state": prom["state"], "exit_code": prom.get("exit_code"),
                           "start_seconds": prom.get("start_seconds"),
                           "num_series": prom["num_series"],
                           "samples": sum(len(v) for v in prom["series"].values()),
                           "log": prom["log"], "error": prom.get("error")},
            "walproof": {"repair_exit": wp["repair_exit"], "replay_exit": wp["replay_exit"],
                         "num_series": wp["num_series"],
                         "samples": sum(len(v) for v in wp["series"].values()),
                         "corruption": wp["corruption"], "error": wp.get("error"),
                         "repeated_series": sorted(key_text(k) for k in wp.get("repeated_series", ()))},
            "diff": diff,
            "manifest": {"acked": manifest["acked"], "logged": manifest["logged"],
                         "description": manifest["description"]},
        }
        if cls not in ("agree",):
            row["prometheus"]["log_tail"] = tail_lines(os.path.join(work, "prometheus.log"), 8)
            row["walproof"]["repair_output"] = wp["repair_output"][-800:]
        if SELF_CHECK_INPUT is None and any(wp["series"].values()) and cls == "agree":
            globals()["SELF_CHECK_INPUT"] = (prom, wp, features)
        return row
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def tail_lines(path, n):
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n")[:400] for line in f.readlines()[-n:]]
    except OSError:
        return []


# ----------------------------------------------------------------- report

def allowed(row):
    return row["result"] == "agree" or row["upstream_rule"] is not None


def summarize(rows):
    classes = {}
    for r in rows:
        key = (r["result"], r["upstream_rule"])
        c = classes.setdefault(key, {"result": r["result"], "upstream_rule": r["upstream_rule"],
                                     "images": 0, "example": r["id"], "by_fault_class": {}})
        c["images"] += 1
        c["by_fault_class"][str(r["fault_class"])] = c["by_fault_class"].get(str(r["fault_class"]), 0) + 1
    rules = {r["name"]: r for r in UPSTREAM_RULES}
    for c in classes.values():
        if c["upstream_rule"]:
            c["issue"] = rules[c["upstream_rule"]]["issue"]
            c["rule"] = rules[c["upstream_rule"]]["rule"]
    return {
        "images": len(rows),
        "agree": sum(1 for r in rows if r["result"] == "agree"),
        "allowed": sum(1 for r in rows if allowed(r)),
        "unexplained": [r["id"] for r in rows if not allowed(r)],
        "classes": sorted(classes.values(), key=lambda c: (-c["images"], c["result"])),
    }


def write_html(path, summary, rows, meta):
    e = html.escape
    out = ["<section id=\"differential\"><h2>Differential recovery against Prometheus</h2>",
           f"<p>{e(meta['prometheus'])}; {summary['images']} images, {summary['agree']} agree, "
           f"{summary['images'] - summary['allowed']} unexplained differences.</p>",
           "<table border=\"1\" cellpadding=\"3\"><tr><th>result</th><th>upstream rule</th><th>images</th>"
           "<th>by fault class</th><th>example image</th></tr>"]
    for c in summary["classes"]:
        rule = c["upstream_rule"] or ""
        if c.get("issue"):
            rule += f" ({c['issue']})"
        out.append(f"<tr><td>{e(c['result'])}</td><td><b>{e(rule)}</b><br><small>{e(c.get('rule', ''))}</small></td>"
                   f"<td>{c['images']}</td><td>{e(json.dumps(c['by_fault_class'], sort_keys=True))}</td>"
                   f"<td><code>{e(c['example'])}</code></td></tr>")
    out.append("</table><h3>Images that differ</h3><table border=\"1\" cellpadding=\"3\"><tr><th>image</th>"
               "<th>result</th><th>prometheus samples</th><th>walproof samples</th><th>example</th></tr>")
    for r in rows:
        if r["result"] == "agree":
            continue
        out.append(f"<tr><td><code>{e(r['id'])}</code></td><td>{e(r['result'])}</td>"
                   f"<td>{r['prometheus']['samples']}</td><td>{r['walproof']['samples']}</td>"
                   f"<td>{e(str(r['diff']['example'] or r['prometheus'].get('log', {}).get('fatal', '')))}</td></tr>")
    out.append("</table></section>")
    section = "\n".join(out)
    # Into an existing page (a crashsim --report), replacing an earlier
    # differential section; otherwise a page of its own.
    doc = None
    if os.path.isfile(path):
        with open(path) as f:
            page = f.read()
        if "</body>" in page:
            page = re.sub(r'<section id="differential">.*?</section>\n?', "", page, flags=re.S)
            doc = page.replace("</body>", section + "\n</body>", 1)
    if doc is None:
        doc = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>walproof differential recovery</title>"
               "</head><body>" + section + "</body></html>\n")
    with open(path, "w") as f:
        f.write(doc)


# ----------------------------------------------------------------- main

NIGHTLY_STATES = 20  # per scenario and seed
# The Prometheus-like workload, whose every sample names a real series, gets more.
NIGHTLY_STATES_OF = {"scrape-realtime": 200}


def nightly_export(args):
    """Every scenario `crashsim list` knows, NIGHTLY_STATES states each."""
    p = subprocess.run([args.crashsim, "list"], capture_output=True, text=True, timeout=60)
    names = []
    for line in p.stdout.splitlines()[1:]:
        if not line.strip():
            break
        names.append(line.split()[0])
    return ",".join(f"{n}:{args.seed}:{NIGHTLY_STATES_OF.get(n, NIGHTLY_STATES)}" for n in names)


def main():
    ap = argparse.ArgumentParser(
        description="Recover crash images with Prometheus 2.42 and with walproof, and compare "
                    "series and samples. Exit 0: every difference is documented upstream behaviour; "
                    "1: an unexplained difference; 2: usage; 77: prometheus not installed.")
    ap.add_argument("dir", nargs="?", help="directory of `crashsim export` images (or where --export writes)")
    ap.add_argument("--walproof", required=True)
    ap.add_argument("--crashsim", help="crashsim binary, for --export/--nightly")
    ap.add_argument("--prometheus", default=ph.PROMETHEUS)
    ap.add_argument("--export", help="SCENARIO[:SEED[:STATES]],... to export first")
    ap.add_argument("--states", type=int, default=20, help="states per exported scenario (default 20)")
    ap.add_argument("--nightly", action="store_true",
                    help=f"export and compare hundreds of images: {NIGHTLY_STATES} states of every "
                         f"scenario, {NIGHTLY_STATES_OF} of some")
    ap.add_argument("--seed", default="1", help="seed of --nightly (default 1)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds for Prometheus to get ready (default 30)")
    ap.add_argument("--json-out", help="write the table as JSON here")
    ap.add_argument("--html-out", help="write the table as an HTML section: added to FILE when it is an "
                    "HTML page (e.g. a `crashsim run --report` page), else a page of its own")
    ap.add_argument("--keep", action="store_true", help="keep the per-image work directories")
    args = ap.parse_args()

    if not (os.path.isfile(args.prometheus) and os.access(args.prometheus, os.X_OK)):
        log(f"{args.prometheus} missing: skipping (scripts/setup.sh installs prometheus)")
        sys.exit(ph.SKIP)
    if (args.export or args.nightly) and not args.crashsim:
        ap.error("--export and --nightly need --crashsim")
    if args.nightly:
        args.export = nightly_export(args)
    # Not promharness.make_tempdir, which logs to stdout: stdout is the summary.
    scratch = tempfile.mkdtemp(prefix="walproof-differential-")
    if args.keep:
        log(f"work directory (kept): {scratch}")
    else:
        ph.on_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
    root = args.dir
    if args.export:
        root = root or os.path.join(scratch, "images")
        os.makedirs(root, exist_ok=True)
        export_images(args, root)
    if not root:
        ap.error("give a DIR of images, or --export/--nightly")
    images = list_images(root)
    if not images:
        ap.error(f"no images (DIR/<id>/crashsim.json) in {root}")
    version = ph.tool_version(args.prometheus)
    log(f"differential: {len(images)} images from {root}; {version}")
    rows = []
    t0 = time.monotonic()
    for i, image in enumerate(images):
        row = run_image(args, image, scratch)
        rows.append(row)
        mark = "" if allowed(row) else "  <-- UNEXPLAINED"
        rule = f" [{row['upstream_rule']}]" if row["upstream_rule"] else ""
        log(f"[{i + 1}/{len(images)}] {row['id']}: {row['result']}{rule} "
            f"(prometheus {row['prometheus']['samples']} samples/{row['prometheus']['num_series']} series, "
            f"walproof {row['walproof']['samples']}/{row['walproof']['num_series']}){mark}")
    summary = summarize(rows)
    summary["seconds"] = round(time.monotonic() - t0, 1)
    summary["self_check_failures"] = self_check()
    meta = {"prometheus": version, "walproof": args.walproof, "images_dir": root}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"meta": meta, "summary": summary, "images": rows}, f, indent=1)
    if args.html_out:
        write_html(args.html_out, summary, rows, meta)
    print(json.dumps(summary, indent=1))
    log(f"differential: {summary['images']} images, {summary['agree']} agree, "
        f"{summary['allowed'] - summary['agree']} documented upstream differences, "
        f"{len(summary['unexplained'])} unexplained, in {summary['seconds']} s")
    ph.run_cleanups()
    sys.exit(0 if not summary["unexplained"] and not summary["self_check_failures"] else 1)


if __name__ == "__main__":
    main()
