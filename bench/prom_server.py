"""Debian's Prometheus 2.42 started on a data directory for a measurement:
on a loopback port, no scrape targets unless given, its per-thread CPU sampled
(thread_cpu.Sampler), and stopped as soon as the measurement is over.

`replay` waits for the log's "WAL replay completed" and reads the replay's
duration from it (total_replay_duration) and the peak RSS so far from
/proc (VmHWM), optionally taking Go CPU profiles in one-second windows
while it replays (/debug/pprof is served during replay; /-/ready answers 503
until it is done).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from thread_cpu import Sampler, status_bytes

EMPTY_CONFIG = "global:\n  scrape_interval: 1h\nscrape_configs: []\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_go_duration(s):
    total = 0.0
    for num, unit in re.findall(r"([\d.]+)(h|ms|µs|us|ns|m|s)", s):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[unit]
    return total


def vm_hwm(pid):
    return status_bytes(pid, "VmHWM")


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


class Server:
    """A Prometheus process; use as a context manager so it never outlives the bench."""

    def __init__(self, data, config=EMPTY_CONFIG, flags=(), log_name="prometheus.log", env=None):
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        parent = os.path.dirname(os.path.abspath(data))
        self.conf = os.path.join(parent, f"prometheus-{self.port}.yml")
        with open(self.conf, "w") as f:
            f.write(config)
        self.logf = os.path.join(parent, log_name)
        self.cmd = ["prometheus", f"--config.file={self.conf}", f"--storage.tsdb.path={data}",
                    f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y",
                    *flags]
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.sampler = None

    def __enter__(self):
        if not shutil.which("prometheus"):
            raise SystemExit("prometheus not found: run scripts/setup.sh")
        with open(self.logf, "w") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, env=self.env)
        self.sampler = Sampler(self.proc.pid).__enter__()
        return self

    def __exit__(self, *exc):
        self.kill(signal.SIGKILL)

    def log(self):
        with open(self.logf, errors="replace") as f:
            return f.read()

    def kill(self, sig=signal.SIGTERM, timeout=300):
        """Stops the server with SIG (SIGTERM: a clean shutdown, waited for)."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.sampler:
            self.sampler.stop()

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"prometheus exited ({self.proc.returncode}); see {self.logf}")
            try:
                if http_get(self.base + "/-/ready", timeout=2)[0] == 200:
                    return time.monotonic() - self.sampler.start
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise SystemExit(f"prometheus not ready within {timeout} s; see {self.logf}")

    def replay(self, timeout, profile_dir=None):
        """Waits for the end of WAL replay. Returns a dict: seconds (the log's
        total_replay_duration), peak_rss_bytes (VmHWM at that moment),
        ended_at (seconds since start, on the sampler's clock) and, with
        profile_dir, the profile files taken while it replayed."""
        deadline = time.monotonic() + timeout
        profiles = []
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"prometheus exited ({self.proc.returncode}) during replay; see {self.logf}")
            m = re.search(r'msg="WAL replay completed".*total_replay_duration=(\S+)', self.log())
            if m:
                return {"seconds": parse_go_duration(m.group(1)), "peak_rss_bytes": vm_hwm(self.proc.pid),
                        "ended_at": time.monotonic() - self.sampler.start, "profiles": profiles}
            if profile_dir is None:
                time.sleep(0.05)
                continue
            # One second of CPU profile at a time, so that profiling stops
            # with replay; an error means the web server is not up yet.
            try:
                status, body = http_get(self.base + "/debug/pprof/profile?seconds=1", timeout=30)
                if status == 200 and body:
                    path = os.path.join(profile_dir, f"cpu-{len(profiles):03d}.pb.gz")
                    with open(path, "wb") as f:
                        f.write(body)
                    profiles.append(path)
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise SystemExit(f"prometheus did not finish replay within {timeout} s; see {self.logf}")
