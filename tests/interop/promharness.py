# Shared plumbing for the interop tests: argument parsing, the skip rule, a
# check ledger that makes every assertion visible in the CI log, temp dirs and
# child processes that are always cleaned up (try/finally, atexit, SIGTERM/
# SIGINT handlers, parent-death signal), a Prometheus server on a free loopback
# port with bounded waits, and the walproof CLI calls.
#
# Standard library only: these scripts run on a bare Debian with python3.

import argparse
import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SKIP = 77
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"

# Internal deadlines stay well under the ctest TIMEOUT (300 s) so a hang is
# reported by us, with context, rather than by a ctest kill.
READY_TIMEOUT_S = 60
HTTP_TIMEOUT_S = 10
WALPROOF_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30


def log(msg=""):
    print(msg, flush=True)


def section(title):
    log()
    log("=== " + title)


class Fatal(Exception):
    """A failure after which the test cannot go on."""

    def __init__(self, msg, recorded=False):
        super().__init__(msg)
        self.recorded = recorded  # already in the check ledger


# ----------------------------------------------------------------- cleanup

_cleanups = []
_cleaning = False


def on_cleanup(fn):
    """Registers fn to run at exit (LIFO); returns fn for later removal."""
    _cleanups.append(fn)
    return fn


def _drain():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on whatever happens
            log(f"cleanup error: {e!r}")


def run_cleanups():
    global _cleaning
    if _cleaning:
        return
    _cleaning = True
    try:
        _drain()
    finally:
        _cleaning = False


def _on_signal(signum, _frame):
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    log(f"received signal {signum}: cleaning up")
    _drain()  # even if the main flow was itself cleaning up
    os._exit(128 + signum)


atexit.register(run_cleanups)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def make_tempdir(tag, keep=False):
    path = tempfile.mkdtemp(prefix=f"walproof-interop-{tag}-")
    if keep:
        log(f"temp dir (kept): {path}")
    else:
        on_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
        log(f"temp dir: {path}")
    return path


_libc = None


def _child_setup():
    # Runs in the child between fork and exec: if this test process dies
    # without cleaning up (e.g. ctest kills it with SIGKILL on timeout), the
    # kernel kills the child too.
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


def spawn(argv, log_path, cwd=None):
    """Starts argv in its own process group, output to log_path; killed at exit."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)  # load before fork
    out = open(log_path, "wb")
    parent = os.getpid()

    def preexec():
        _child_setup()
        if os.getppid() != parent:  # parent died before prctl took effect
            os._exit(1)

    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                            start_new_session=True, preexec_fn=preexec)
    out.close()

    def kill():
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log(f"process {proc.pid} did not die after SIGKILL")
    on_cleanup(kill)
    return proc


def free_port():
    """A port that was free on 127.0.0.1 a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------- checks

class Checks:
    """Ledger of named checks; each is printed as PASS/FAIL as it happens."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0
        self.started = time.monotonic()

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            log(f"PASS: {what}" + (f" ({detail})" if detail else ""))
        else:
            self.failures.append(what + (f" ({detail})" if detail else ""))
            log(f"FAIL: {what}" + (f" ({detail})" if detail else ""))
        return cond

    def eq(self, what, actual, expected):
        return self.check(actual == expected, f"{what} == {expected!r}",
                          f"got {actual!r}")

    def ge(self, what, actual, bound):
        ok = isinstance(actual, (int, float)) and actual >= bound
        return self.check(ok, f"{what} >= {bound!r}", f"got {actual!r}")

    def gt(self, what, actual, bound):
        ok = isinstance(actual, (int, float)) and actual > bound
        return self.check(ok, f"{what} > {bound!r}", f"got {actual!r}")

    def require(self, cond, what, detail=""):
        if not self.check(cond, what, detail):
            raise Fatal(what, recorded=True)

    def finish(self):
        took = time.monotonic() - self.started
        log()
        if self.failures:
            log(f"{self.name}: FAILED {len(self.failures)} of "
                f"{len(self.failures) + self.passed} checks in {took:.1f} s:")
            for f in self.failures:
                log(f"  - {f}")
            return 1
        log(f"{self.name}: all {self.passed} checks passed in {took:.1f} s")
        return 0


def main(name, description, body, extra_args=None):
    """Parses the common arguments, applies the skip rule, runs body(args, checks)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--walproof", required=True, help="path to the walproof binary")
    ap.add_argument("--prometheus", default=PROMETHEUS)
    ap.add_argument("--promtool", default=PROMTOOL)
    ap.add_argument("--keep", action="store_true", help="keep temp dirs for inspection")
    if extra_args:
        extra_args(ap)
    args = ap.parse_args()

    for tool in (args.prometheus, args.promtool):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            log(f"{tool} missing")
            log("prometheus not installed: skipping interop test; scripts/setup.sh installs it")
            sys.exit(SKIP)

    checks = Checks(name)
    log(f"{name}: {description}")
    log(f"walproof:   {args.walproof}")
    log(f"prometheus: {tool_version(args.prometheus)}")
    if not (os.path.isfile(args.walproof) and os.access(args.walproof, os.X_OK)):
        log(f"FAIL: walproof binary {args.walproof} is missing or not executable")
        sys.exit(1)
    try:
        body(args, checks)
    except Fatal as e:
        if not e.recorded:
            checks.check(False, str(e))
        log(f"aborting: {e}")
    except Exception as e:
        checks.check(False, f"unexpected error: {e!r}")
        import traceback
        traceback.print_exc()
    finally:
        run_cleanups()
    sys.exit(checks.finish())


def tool_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             timeout=HTTP_TIMEOUT_S)
        return (out.stdout + out.stderr).splitlines()[0]
    except Exception as e:
        return f"unknown ({e!r})"


# ----------------------------------------------------------------- commands

def run(argv, timeout=WALPROOF_TIMEOUT_S, echo=True):
    """Runs a command to completion, printing it and its output."""
    log("$ " + " ".join(argv))
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fatal(f"command timed out after {timeout} s: {' '.join(argv)}")
    if echo:
        for line in p.stdout.splitlines():
            log("  | " + line)
        for line in p.stderr.splitlines():
            log("  ! " + line)
    log(f"  exit {p.returncode}")
    return p


def walproof_stats(args, checks, waldir, label):
    """Runs `walproof stats --json`, checks it parses and is clean, returns the dict."""
    p = run([args.walproof, "stats", waldir, "--json"])
    try:
        stats = json.loads(p.stdout)
    except ValueError as e:
        checks.require(False, f"walproof stats output of {label} is one JSON object", repr(e))
    checks.require(isinstance(stats, dict), f"walproof stats output of {label} is a JSON object")
    checks.eq(f"walproof stats exit code ({label})", p.returncode, 0)
    required = ["series", "samples", "histogram_samples", "exemplars", "tombstones",
                "metadata", "records_by_type", "min_time", "max_time", "segments",
                "checkpoint", "corruption", "compressed_records", "bytes"]
    missing = [k for k in required if k not in stats]
    checks.require(not missing, f"stats JSON of {label} has all contract keys",
                   f"missing {missing}" if missing else "")
    checks.require(isinstance(stats["records_by_type"], dict),
                   f"records_by_type of {label} is an object")
    checks.eq(f"{label}: corruption", stats["corruption"], None)
    checks.eq(f"{label}: bytes == total size of the segment files on disk",
              stats["bytes"], wal_bytes_on_disk(waldir))
    # Keys beyond the contract: checked when walproof reports them.
    if "records" in stats:
        checks.eq(f"{label}: records == sum of records_by_type", stats["records"],
                  sum(stats["records_by_type"].values()))
    if "unknown_records" in stats:
        checks.eq(f"{label}: unknown_records (2.42 and demo write only known types)",
                  stats["unknown_records"], 0)
    return stats


def wal_bytes_on_disk(waldir):
    """Bytes of the segments walproof reads: the newest checkpoint's and the
    WAL's own segments (those after the checkpoint)."""
    cps = [n for n in os.listdir(waldir)
           if re.fullmatch(r"checkpoint\.\d+", n) and os.path.isdir(os.path.join(waldir, n))]
    total = 0
    after = -1
    if cps:
        newest = max(cps, key=lambda n: int(n.split(".")[1]))
        after = int(newest.split(".")[1])
        cpdir = os.path.join(waldir, newest)
        total += sum(os.path.getsize(os.path.join(cpdir, n)) for n in segment_files(cpdir))
    total += sum(os.path.getsize(os.path.join(waldir, n))
                 for n in segment_files(waldir) if int(n) > after)
    return total


def walproof_verify(args, checks, waldir, label):
    p = run([args.walproof, "verify", waldir])
    checks.eq(f"walproof verify {label} exit code", p.returncode, 0)
    checks.check("corruption" not in (p.stdout + p.stderr).lower(),
                 f"walproof verify {label} reports no corruption")
    return p


def records_of_type(stats, typ):
    return stats["records_by_type"].get(str(typ), 0)


def segment_files(waldir):
    """Names of WAL segment files (whole name a decimal number), numeric order."""
    names = [n for n in os.listdir(waldir)
             if n.isdigit() and os.path.isfile(os.path.join(waldir, n))]
    return sorted(names, key=int)


def describe_dir(path):
    log(f"contents of {path}:")
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            full = os.path.join(root, f)
            log(f"  {os.path.relpath(full, path):40s} {os.path.getsize(full):>12d} bytes")


# ----------------------------------------------------------------- HTTP

def http(method, url, params=None, timeout=HTTP_TIMEOUT_S):
    """Returns (status, body bytes). Non-2xx statuses are returned, not raised."""
    data = None
    if params is not None:
        encoded = urllib.parse.urlencode(params, doseq=True)
        if method == "GET":
            url += "?" + encoded
        else:
            data = encoded.encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


_METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$")


def parse_metrics_text(text):
    """Prometheus text exposition -> list of (name, labels text, float value)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _METRIC_LINE.match(line)
        if m:
            out.append((m.group(1), m.group(2) or "", float(m.group(3))))
    return out


class Prometheus:
    """One prometheus server on a free loopback port, killed at exit for sure."""

    def __init__(self, args, workdir, data_dir, config_text, flags=(), name="prometheus"):
        self.args = args
        self.data_dir = data_dir
        self.config_path = os.path.join(workdir, f"{name}.yml")
        self.log_path = os.path.join(workdir, f"{name}.log")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        log(f"{name} config ({self.config_path}):")
        for line in config_text.splitlines():
            log("  " + line)
        self.flags = list(flags)
        self.name = name
        self.proc = None
        self.port = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        # The port is free when picked but could be taken before prometheus
        # binds it; then prometheus exits at once and we try another one.
        for attempt in range(3):
            self.port = free_port()
            argv = [self.args.prometheus,
                    f"--config.file={self.config_path}",
                    f"--storage.tsdb.path={self.data_dir}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=info"] + self.flags
            log("$ " + " ".join(argv))
            self.proc = spawn(argv, self.log_path)
            if self.wait_ready():
                return
            if self.proc.poll() is not None and "address already in use" in self.log_tail(200):
                log(f"port {self.port} was taken, retrying")
                continue
            break
        self.dump_log()
        raise Fatal(f"{self.name} did not become ready within {READY_TIMEOUT_S} s")

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log(f"{self.name} exited early with code {self.proc.returncode}")
                return False
            try:
                status, _ = http("GET", self.base + "/-/ready", timeout=2)
                if status == 200:
                    log(f"{self.name} ready on {self.base} (pid {self.proc.pid})")
                    return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        return False

    def log_tail(self, n=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def dump_log(self, n=60):
        log(f"--- last lines of {self.log_path}")
        for line in self.log_tail(n).splitlines():
            log("  " + line)
        log("---")

    def api(self, path, params=None, method="GET"):
        status, body = http(method, self.base + path, params)
        try:
            doc = json.loads(body)
        except ValueError:
            raise Fatal(f"{method} {path}: HTTP {status}, body not JSON: {body[:200]!r}")
        if status != 200 or doc.get("status") != "success":
            raise Fatal(f"{method} {path} {params}: HTTP {status}: {doc}")
        return doc["data"]

    def query(self, expr, at_ms=None):
        params = {"query": expr}
        if at_ms is not None:
            params["time"] = ms_to_param(at_ms)
        return self.api("/api/v1/query", params)

    def metrics(self):
        status, body = http("GET", self.base + "/metrics")
        if status != 200:
            raise Fatal(f"GET /metrics: HTTP {status}")
        return parse_metrics_text(body.decode())

    def metric_sum(self, name, samples=None):
        """Sum over all series of one metric of the server's own /metrics."""
        samples = self.metrics() if samples is None else samples
        vals = [v for n, _, v in samples if n == name]
        if not vals:
            raise Fatal(f"metric {name} not exposed by {self.name}")
        return sum(vals)

    def kill(self, sig=signal.SIGKILL):
        log(f"sending signal {sig} to {self.name} (pid {self.proc.pid})")
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log(f"{self.name} still alive {STOP_TIMEOUT_S} s after signal {sig}: SIGKILL")
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        log(f"{self.name} exited with {self.proc.returncode}")
        return self.proc.returncode

    def stop(self):
        """Graceful shutdown (SIGTERM); returns the exit code."""
        return self.kill(signal.SIGTERM)


def ms_to_param(ms):
    """Milliseconds -> the API's decimal seconds, exact to the millisecond."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def param_to_ms(ts):
    """A timestamp as the API returns it (float seconds) -> integer milliseconds."""
    return int(round(float(ts) * 1000))


def rescue_blocks(args, checks, data, extra=()):
    """`walproof rescue DATA --yes` (required to succeed), then promtool's
    `tsdb list` and `tsdb analyze` of every block it wrote; their ULIDs."""
    p = run([args.walproof, "rescue", data, "--yes", *extra])
    checks.require(p.returncode == 0 and "rescued: " in p.stdout, "rescue --yes " + " ".join(extra))
    ulids = sorted(n for n in os.listdir(data) if len(n) == 26 and n[0] in "01234567")
    p = run([args.promtool, "tsdb", "list", data])
    checks.check(p.returncode == 0 and all(u in p.stdout for u in ulids), "promtool tsdb list shows every block")
    for u in ulids:
        p = run([args.promtool, "tsdb", "analyze", data, u])
        checks.check(p.returncode == 0 and f"Block ID: {u}" in p.stdout, f"promtool tsdb analyze accepts {u}")
    return ulids


def sample_counts(prom, selector, at_ms, span_ms):
    """{labels: (samples, last point)} for every series `selector` matches,
    from the raw samples (floats and native histograms) of the span_ms
    before at_ms: what a rescue must leave unchanged."""
    data = prom.query(f"{selector}[{span_ms}ms]", at_ms=at_ms)
    out = {}
    for s in data["result"]:
        key = tuple(sorted(s["metric"].items()))
        values = s.get("values") or []
        hists = s.get("histograms") or []
        points = sorted([(param_to_ms(t), v) for t, v in values] +
                        [(param_to_ms(t), str(sorted(v.items()))) for t, v in hists])
        out[key] = (len(points), points[-1] if points else None)
    return out


def wait_for(what, predicate, timeout_s, interval_s=0.25):
    """Polls predicate() until it returns a truthy value; Fatal after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last_err = None
    while time.monotonic() < deadline:
        try:
            v = predicate()
            if v:
                return v
        except (OSError, urllib.error.URLError, Fatal) as e:
            last_err = e
        time.sleep(interval_s)
    raise Fatal(f"timed out after {timeout_s} s waiting for {what}"
                + (f" (last error: {last_err})" if last_err else ""))
