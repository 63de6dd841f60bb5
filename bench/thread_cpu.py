"""Per-thread CPU use of a running process, sampled from /proc every 100 ms.

Each sample is (seconds since start, {thread id: (name, CPU seconds so far)},
resident set size in bytes). `busy_series` turns the samples into CPU cores in
use per interval, per thread and in total: the chart's data, and the idle
share (cores the program could have used and did not).
"""
import os
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def _thread_times(pid):
    out = {}
    task = f"/proc/{pid}/task"
    try:
        tids = os.listdir(task)
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"{task}/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended between listdir and open
        # The name is in parentheses and may hold spaces; fields follow it.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        utime, stime = int(fields[11]), int(fields[12])
        out[int(tid)] = (name, (utime + stime) / TICK)
    return out


def status_bytes(pid, field="VmRSS"):
    """A size line of /proc/PID/status (VmRSS, VmHWM, ...) in bytes; 0 once
    the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss_bytes(pid):
    return status_bytes(pid, "VmRSS")


class Sampler:
    """Samples PID's threads in a background thread until stop()."""

    def __init__(self, pid, interval=0.1):
        self.pid = pid
        self.interval = interval
        self.samples = []
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.start = time.monotonic()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            times = _thread_times(self.pid)
            if not times and self.samples:
                break  # the process is gone
            rss = rss_bytes(self.pid)
            self.peak_rss = max(self.peak_rss, rss)
            self.samples.append((time.monotonic() - self.start, times, rss))
            self._stop.wait(self.interval)

    def window(self, t0, t1):
        """The samples between t0 and t1 seconds (relative to start)."""
        return [s for s in self.samples if t0 <= s[0] <= t1]


def busy_series(samples):
    """[(t, total cores busy, {tid: cores busy})] per interval between samples."""
    out = []
    for (t0, a, _), (t1, b, _) in zip(samples, samples[1:]):
        dt = t1 - t0
        if dt <= 0:
            continue
        per = {tid: max(0.0, (b[tid][1] - a.get(tid, (None, 0.0))[1]) / dt) for tid in b}
        out.append((t1, sum(per.values()), per))
    return out


def cpu_seconds(samples):
    """CPU seconds used between the first and the last sample, per thread name
    (threads sharing a name are summed) and in total. A thread that ended
    before the last sample counts with what it had used when last seen."""
    if len(samples) < 2:
        return 0.0, {}
    first, last_seen = samples[0][1], {}
    for _, times, _ in samples:
        last_seen.update(times)
    by_name = {}
    for tid, (name, cpu) in last_seen.items():
        by_name[name] = by_name.get(name, 0.0) + cpu - first.get(tid, (name, 0.0))[1]
    return sum(by_name.values()), by_name
