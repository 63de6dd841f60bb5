#!/usr/bin/env python3
"""The walproof CLI as an operator meets it: help, exit codes, messages that
name the file and offset, and commands that never write unless asked."""
import argparse
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("PASS: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(*args):
    return subprocess.run([WALPROOF, *args], capture_output=True, text=True, timeout=300)


def tree_digest(path):
    """Names, sizes, modes and contents of everything under path."""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for name in sorted(files) + dirs:
            p = os.path.join(root, name)
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, path)}:{st.st_mode}:{st.st_size}\n".encode())
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def test_usage():
    r = run()
    check(r.returncode == 2 and "usage:" in r.stderr, "no command: exit 2 with usage")
    r = run("--help")
    check(r.returncode == 0 and "commands:" in r.stdout, "--help: exit 0 and lists commands")
    # The command list runs from "commands:" to the first blank line.
    listed = r.stdout.split("commands:\n")[1].split("\n\n")[0].splitlines()
    commands = [c for c in (line.split()[0] for line in listed if line.strip()) if c.isalpha()]
    check("3  could not check" in r.stdout and "1  corruption found" in r.stdout,
          "--help states the exit codes, 3 for could not check")
    check(len(commands) >= 5, f"help lists the commands ({', '.join(commands)})")
    for c in commands:
        r = run(c, "--help")
        check(r.returncode == 0 and r.stdout.startswith("usage: walproof " + c), f"{c} --help: exit 0, usage")
        check("Exit codes:" in r.stdout and "3 could not check" in r.stdout, f"{c} --help states exit code 3")
        r = run(c, "--no-such-flag", "x")
        check(r.returncode == 2 and "unknown option" in r.stderr, f"{c} with an unknown flag: exit 2")
    r = run("frobnicate")
    check(r.returncode == 2 and "unknown command" in r.stderr, "unknown command: exit 2")
    r = run("verify")
    check(r.returncode == 2, "verify without a directory: exit 2")
    r = run("verify", "/nonexistent/wal")
    check(r.returncode == 3 and "/nonexistent/wal" in r.stderr, "verify on a missing dir: exit 3, names it")


def test_clean_wal(tmp):
    wal = os.path.join(tmp, "clean", "wal")
    r = run("demo", wal, "--series", "30", "--scrapes", "400", "--segment-size", "65536",
            "--compression", "none")
    check(r.returncode == 0, "demo writes a WAL")
    before = tree_digest(wal)
    r = run("verify", wal)
    check(r.returncode == 0 and r.stdout.startswith("ok:"), "verify on a clean WAL: exit 0")
    r = run("stats", wal, "--json")
    stats = json.loads(r.stdout)
    check(r.returncode == 0, "stats --json: exit 0")
    for key in ("series", "samples", "histogram_samples", "exemplars", "tombstones", "records_by_type",
                "min_time", "max_time", "segments", "checkpoint", "corruption"):
        check(key in stats, f"stats --json has key {key}")
    check(stats["series"] == 30 and stats["samples"] == 12000 and stats["tombstones"] == 1,
          "stats counts 30 series, 12000 samples, 1 tombstone")
    check(stats["segments"] > 1, f"small segments roll over ({stats['segments']} segments)")
    check(stats["records_by_type"] == {"1": 1, "2": 400, "3": 1}, "records_by_type as written")
    r = run("dump", wal)
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 402, f"dump prints one line per record ({len(lines)})")
    first = json.loads(lines[0])
    check(first["type_name"] == "series" and len(first["entries"]) == 30, "dump's first line is the series record")
    r = run("diagnose", wal)
    check(r.returncode == 0 and "no problems found" in r.stdout, "diagnose on a clean WAL: exit 0")
    check(tree_digest(wal) == before, "verify, stats, dump and diagnose changed nothing")
    return wal


def test_corrupt_wal(tmp, clean):
    wal = os.path.join(tmp, "corrupt", "wal")
    shutil.copytree(clean, wal)
    seg = os.path.join(wal, "00000001")
    with open(seg, "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0x40]))
    before = tree_digest(wal)
    r = run("verify", wal)
    check(r.returncode == 1, "verify on a flipped byte: exit 1")
    check(r.stdout.startswith(f"corruption in segment {seg} at "), "verify names the segment path and offset")
    check("unexpected checksum" in r.stdout, "verify gives upstream's reason")
    r = run("stats", wal, "--json")
    stats = json.loads(r.stdout)
    check(r.returncode == 1 and stats["corruption"]["segment"] == seg, "stats --json reports the corruption")
    r = run("diagnose", wal)
    check(r.returncode == 1 and "corruption" in r.stdout, "diagnose reports the corruption: exit 1")
    check(tree_digest(wal) == before, "nothing was modified on a corrupt WAL")


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def full_fragment(record):
    return bytes([1]) + len(record).to_bytes(2, "big") + crc32c(record).to_bytes(4, "big") + record


def test_skipped_type_with_bad_body(tmp):
    """A truncated mmap-markers record (type 5), which replay skips unread,
    then a series record: nothing is corrupt, as replay sees it."""
    wal = os.path.join(tmp, "markers", "wal")
    os.makedirs(wal)
    markers = bytes([5]) + b"\x00\x00\x00"  # a marker needs 16 bytes
    series = bytes([1]) + (7).to_bytes(8, "big") + b"\x01" + b"\x08__name__" + b"\x01x"
    with open(os.path.join(wal, "00000000"), "wb") as f:
        f.write(full_fragment(markers) + full_fragment(series))
    r = run("verify", wal)
    check(r.returncode == 0, f"verify accepts a malformed record of a type replay skips ({r.stdout.strip()})")
    r = run("dump", wal)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    check(r.returncode == 0 and len(lines) == 2, f"dump goes on past it ({len(lines)} lines, exit {r.returncode})")
    if len(lines) == 2:
        check(lines[0]["type"] == 5 and lines[0]["entries"] is None and lines[0].get("decode_error"),
              "dump shows it undecodable, with the decode error")
        check(lines[1]["type_name"] == "series" and len(lines[1]["entries"]) == 1, "then the series record")


READ_COMMANDS = ("verify", "stats", "dump", "diagnose", "replay")


def write_demo(wal, *extra):
    r = run("demo", wal, "--series", "5", "--scrapes", "40", "--segment-size", "65536", *extra)
    if r.returncode != 0:
        raise RuntimeError(f"demo {wal} failed: {r.stderr}")


def test_data_dir(tmp):
    """Given the data dir (the parent of wal/), every command works on wal/
    and says so on its first line."""
    data = os.path.join(tmp, "datadir")
    wal = os.path.join(data, "wal")
    write_demo(wal)
    os.makedirs(os.path.join(data, "chunks_head"))
    using = f"using {wal} ({data} is a data directory holding wal/)"
    for c in ("verify", "stats", "diagnose", "replay"):
        r = run(c, data)
        first = r.stdout.splitlines()[0] if r.stdout else ""
        check(r.returncode == 0 and first == using, f"{c} DATA: exit 0, first line says it uses DATA/wal ({first!r})")
    r = run("verify", data)
    check("ok: " + wal + ": " in r.stdout, "verify DATA reads DATA/wal's records")
    r = run("stats", data, "--json")
    st = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    check(r.returncode == 0 and st.get("samples") == 200 and st.get("status") == "clean" and st.get("exit_code") == 0
          and st.get("dir") == wal and st.get("data_dir") == data,
          "stats DATA --json: one JSON object on stdout for DATA/wal, status clean")
    check(r.stderr.splitlines()[:1] == [using], "stats DATA --json says which dir on stderr")
    r = run("dump", data)
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 42 and r.stderr.splitlines()[:1] == [using],
          "dump DATA: the records of DATA/wal on stdout, which dir on stderr")
    r = run("repair", data)
    check(r.returncode == 0 and r.stdout.splitlines()[0] == using and "nothing to repair" in r.stdout,
          "repair DATA (dry run): uses DATA/wal, says so first")
    r = run("checkpoint", data, "--mint", "0", "--dry-run")
    check(r.returncode == 0 and r.stdout.splitlines()[0] == using, "checkpoint DATA --dry-run: uses DATA/wal")
    before = sorted(os.listdir(wal))
    r = run("demo", data, "--series", "2", "--scrapes", "2")
    check(r.returncode == 0 and r.stdout.splitlines()[0] == using and len(os.listdir(wal)) == len(before) + 1
          and sorted(os.listdir(data)) == ["chunks_head", "lock", "wal"],
          f"demo DATA writes a new segment into DATA/wal, not into DATA ({sorted(os.listdir(data))})")


def test_not_a_wal(tmp):
    """No segment and no checkpoint is never 'ok': exit 3, and what is there is listed."""
    junk = os.path.join(tmp, "junk")
    os.makedirs(os.path.join(junk, "checkpoint.00000004.tmp"))
    for name in ("notes.txt", "00000003.repair", "00000005.bak"):
        open(os.path.join(junk, name), "w").close()
    for c in READ_COMMANDS:
        r = run(c, junk)
        check(r.returncode == 3 and "ok:" not in r.stdout and "no WAL segments here" in r.stderr
              and all(n in r.stderr for n in ("notes.txt", "00000003.repair", "checkpoint.00000004.tmp",
                                              "00000005.bak (a segment name with a suffix")),
              f"{c} on a dir of non-segment files: exit 3, lists them ({r.stderr.strip()[:120]}...)")
    for c in ("stats", "diagnose", "replay"):
        r = run(c, junk, "--json")
        doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        check(r.returncode == 3 and doc.get("status") == "cannot_check" and doc.get("exit_code") == 3
              and "notes.txt" in doc.get("error", ""), f"{c} --json on it: status cannot_check, exit 3")
    r = run("checkpoint", junk, "--mint", "0")
    check(r.returncode == 3 and "no WAL segments here" in r.stderr, "checkpoint on it: exit 3, nothing written")
    r = run("demo", junk)
    check(r.returncode == 3 and "not a WAL directory" in r.stderr and "notes.txt" in r.stderr,
          "demo refuses to write among files that are not a WAL: exit 3")
    check(sorted(os.listdir(junk)) == ["00000003.repair", "00000005.bak", "checkpoint.00000004.tmp", "notes.txt"],
          "nothing was written into it")

    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    r = run("verify", empty)
    check(r.returncode == 3 and "(it is empty)" in r.stderr, "verify on an empty dir: exit 3, says it is empty")
    r = run("repair", empty, "--yes")
    check(r.returncode == 3 and "nothing to repair" in r.stderr and os.listdir(empty) == [],
          "repair --yes on an empty dir: exit 3, writes nothing")
    r = run("checkpoint", empty, "--mint", "0")
    check(r.returncode == 3 and os.listdir(empty) == [], "checkpoint on an empty dir: exit 3")

    data = os.path.join(tmp, "fresh-data")
    os.makedirs(os.path.join(data, "wal"))
    r = run("verify", data)
    check(r.returncode == 3 and r.stderr.startswith(f"walproof verify: using {data}/wal")
          and "(it is empty)" in r.stderr, "verify on a data dir with an empty wal/: exit 3, says which dir")

    r = run("verify", os.path.join(tmp, "no-such-dir"))
    check(r.returncode == 3 and "no such directory" in r.stderr, "verify on a missing dir: exit 3")
    r = run("stats", os.path.join(junk, "notes.txt"), "--json")
    doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    check(r.returncode == 3 and "is not a directory" in r.stderr and doc.get("status") == "cannot_check",
          "stats --json on a file: exit 3, status cannot_check")
    for c in READ_COMMANDS:
        r = run(c, os.path.join(tmp, "no-such-dir"))
        check(r.returncode == 3, f"{c} on a missing dir: exit 3")

    # A WAL does not hide its leftovers either: listed, and it still verifies.
    wal = os.path.join(tmp, "leftovers", "wal")
    write_demo(wal)
    shutil.copy(os.path.join(wal, "00000000"), os.path.join(wal, "00000000.repair"))
    shutil.copy(os.path.join(wal, "00000000"), os.path.join(wal, "00000001.bak"))
    os.makedirs(os.path.join(wal, "checkpoint.00000000.tmp"))
    r = run("verify", wal)
    check(r.returncode == 0 and r.stdout.startswith("ok:") and "not read: " in r.stdout
          and all(n in r.stdout for n in ("00000000.repair", "00000001.bak", "checkpoint.00000000.tmp")),
          f"verify lists leftovers it does not read ({r.stdout.strip().splitlines()[-1][:100]}...)")
    r = run("stats", wal, "--json")
    doc = json.loads(r.stdout)
    check(len(doc.get("not_read", [])) == 3, "stats --json lists them in not_read")
    r = run("diagnose", wal)
    check(r.returncode == 1 and "00000000.repair" in r.stdout and "00000001.bak" in r.stdout,
          "diagnose lists them (the interrupted repair as a finding)")


def test_corrupt_exit_codes(tmp, clean):
    wal = os.path.join(tmp, "corrupt2", "data", "wal")
    shutil.copytree(clean, wal)
    with open(os.path.join(wal, "00000001"), "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0x40]))
    data = os.path.dirname(wal)
    for c in READ_COMMANDS:
        r = run(c, data)
        check(r.returncode == 1, f"{c} on a corrupt WAL (given DATA): exit 1")
    for c in ("stats", "replay"):
        r = run(c, data, "--json")
        doc = json.loads(r.stdout)
        check(doc.get("status") == "corruption" and doc.get("exit_code") == 1, f"{c} --json: status corruption")


def unprivileged_prefix():
    """argv prefix that runs a command as nobody; [] when already unprivileged,
    None when privileges cannot be dropped."""
    if os.geteuid() != 0:
        return []
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


def test_permission_denied():
    prefix = unprivileged_prefix()
    if prefix is None:
        print("SKIP: permission-denied cases: running as root and neither setpriv nor runuser can drop to nobody")
        return
    # A tree nobody can traverse (mkdtemp makes 0700 dirs), with its own copy
    # of the binary in case the build tree is closed to nobody.
    top = tempfile.mkdtemp(prefix="walproof-cli-perm.")
    try:
        os.chmod(top, 0o755)
        binary = os.path.join(top, "walproof")
        shutil.copy2(WALPROOF, binary)
        os.chmod(binary, 0o755)
        data = os.path.join(top, "data")
        wal = os.path.join(data, "wal")
        write_demo(wal)
        for d in (data, wal):
            os.chmod(d, 0o755)
        seg = os.path.join(wal, "00000000")
        os.chmod(seg, 0o000 if prefix == [] else 0o600)  # root-owned 0600: nobody cannot read it

        def as_nobody(*args):
            return subprocess.run([*prefix, binary, *args], capture_output=True, text=True, timeout=300)

        r = as_nobody("verify", data)
        check(r.returncode == 3 and f"open {seg}: Permission denied" in r.stderr,
              f"verify as an unprivileged user, segment unreadable: exit 3, names file and cause ({r.stderr.strip()})")
        r = as_nobody("stats", data, "--json")
        doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        check(r.returncode == 3 and doc.get("status") == "cannot_check" and "Permission denied" in doc.get("error", ""),
              "stats --json: status cannot_check, not corruption")
        for c in ("dump", "diagnose", "replay"):
            r = as_nobody(c, data)
            check(r.returncode == 3 and "Permission denied" in r.stderr, f"{c}: exit 3 on a permission error")
        os.chmod(seg, 0o644)
        os.chmod(wal, 0o700 if prefix else 0o000)
        r = as_nobody("verify", data)
        check(r.returncode == 3 and "Permission denied" in r.stderr and wal in r.stderr,
              f"verify on a wal/ it cannot list: exit 3 ({r.stderr.strip()})")
        os.chmod(wal, 0o755)

        if prefix:
            # nobody owns the data dir now; root's processes (this test among
            # them) are closed to nobody and root could write there: refuse.
            for root, dirs, files in os.walk(data):
                for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(n, pwd.getpwnam("nobody").pw_uid, -1)
            before = tree_digest(data)
            for argv in (("repair", data, "--yes"), ("checkpoint", data, "--mint", "0"),
                         ("demo", data)):
                r = as_nobody(*argv)
                named = re.search(r"\n  PID (\d+) \(.*\) could not be checked: reading /proc/\1/fd: Permission denied; "
                                  r"it runs as uid 0, which could write ", r.stderr)
                check(r.returncode == 1 and named is not None,
                      f"{argv[0]} as nobody refuses, naming a root process it cannot inspect and why "
                      f"({named.group(0).strip()[:60] if named else r.stderr[:200]}...)")
            check(tree_digest(data) == before, "nothing was written as nobody")
    finally:
        shutil.rmtree(top, ignore_errors=True)


MAP_AND_CLOSE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
addr = libc.mmap(None, 4096, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
os.close(fd)                               # mapped, no longer open
print("mapped" if addr not in (None, ctypes.c_void_p(-1).value) else "failed", flush=True)
sys.stdin.read()
"""


class Holder:
    """A child process, gone when the with-block ends."""

    def __init__(self, argv, **kw):
        self.proc = subprocess.Popen(argv, stdin=kw.pop("stdin", subprocess.PIPE), stdout=subprocess.PIPE,
                                     text=True, **kw)

    def __enter__(self):
        return self.proc

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.communicate()


def test_busy_dir(tmp):
    """Writes refuse while another process has a file under the data dir
    open or mapped, naming it; a shell sitting in the dir does not block."""
    data = os.path.join(tmp, "busy")
    wal = os.path.join(data, "wal")
    write_demo(wal)
    seg = os.path.join(wal, "00000000")
    writes = (("repair", data, "--yes"), ("checkpoint", data, "--mint", "0"), ("demo", data))
    before = tree_digest(wal)
    with open(seg, "rb") as f, Holder(["sleep", "600"], stdin=f) as p:
        for argv in writes:
            r = run(*argv)
            check(r.returncode == 1 and f"PID {p.pid} (sleep 600) has {os.path.realpath(seg)} open" in r.stderr,
                  f"{argv[0]} refuses while a process has a segment open, naming PID and command line")
    with Holder([sys.executable, "-c", MAP_AND_CLOSE, seg]) as p:
        ready = p.stdout.readline().strip()
        check(ready == "mapped", "a helper maps a segment and closes its descriptor")
        for argv in writes:
            r = run(*argv)
            check(r.returncode == 1 and f"PID {p.pid} (" in r.stderr and "mapped" in r.stderr,
                  f"{argv[0]} refuses while a process has a segment mapped (seen only in maps)")
    check(tree_digest(wal) == before, "nothing was written while the dir was in use")
    # A shell whose working directory is the data dir holds no file there.
    with Holder(["sh", "-c", "read line"], cwd=data) as p:
        check(os.path.realpath(f"/proc/{p.pid}/cwd") == os.path.realpath(data), "a shell sits in the data dir")
        r = run("checkpoint", data, "--mint", "0")
        check(f"PID {p.pid} " not in r.stderr, "checkpoint does not name the shell")
        if os.geteuid() == 0:
            check(r.returncode == 0, f"checkpoint runs with a shell in the data dir ({r.stderr.strip()[:200]})")
        r = run("repair", data, "--yes")
        check(f"PID {p.pid} " not in r.stderr and (os.geteuid() != 0 or r.returncode == 0),
              "repair --yes is not blocked by it either")
        r = run("demo", data, "--series", "1", "--scrapes", "1")
        check(f"PID {p.pid} " not in r.stderr and (os.geteuid() != 0 or r.returncode == 0),
              "nor demo into the existing dir")


def test_diagnose_estimate(tmp):
    """The replay estimate follows the WAL's shape: in a WAL of many series
    and one scrape series creation outweighs the appends, in one of few series
    scraped many times the appends are the largest part; the parts add up to
    the CPU total."""
    shapes = {"many-series": ("20000", "1"), "many-samples": ("10", "20000")}
    est = {}
    for name, (series, scrapes) in shapes.items():
        wal = os.path.join(tmp, "estimate-" + name)
        r = run("demo", wal, "--series", series, "--scrapes", scrapes)
        check(r.returncode == 0, f"demo writes the {name} WAL")
        r = run("diagnose", wal, "--json")
        e = json.loads(r.stdout)["estimate"]
        est[name] = e
        check(abs(sum(p["cpu_seconds"] for p in e["parts"]) - e["cpu_seconds"]) < 1e-9 and e["seconds"] > 0,
              f"diagnose --json on {name}: the parts add up to the CPU total, the time is positive")
        r = run("diagnose", wal)
        check("bound by" in r.stdout and "docs/replay-time.md" in r.stdout,
              f"diagnose on {name} says what bounds the replay and where the model comes from")
    def part(name, prefix):
        return next(p["cpu_seconds"] for p in est[name]["parts"] if p["part"].startswith(prefix))

    check(part("many-series", "series creation") > 10 * part("many-series", "processWALSamples"),
          "many series, one scrape: series creation costs more than the appends, tenfold")
    check(est["many-samples"]["parts"][0]["part"].startswith("processWALSamples"),
          "few series, many scrapes: processWALSamples is the largest part")


def main():
    global WALPROOF
    ap = argparse.ArgumentParser()
    ap.add_argument("--walproof", required=True)
    WALPROOF = ap.parse_args().walproof
    tmp = tempfile.mkdtemp(prefix="walproof-cli.")
    try:
        test_usage()
        clean = test_clean_wal(tmp)
        test_corrupt_wal(tmp, clean)
        test_skipped_type_with_bad_body(tmp)
        test_data_dir(tmp)
        test_not_a_wal(tmp)
        test_corrupt_exit_codes(tmp, clean)
        test_permission_denied()
        test_busy_dir(tmp)
        test_diagnose_estimate(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        return 1
    print("all CLI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
