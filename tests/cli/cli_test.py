#!/usr/bin/env python3
"""The walproof CLI as an operator meets it: help, exit codes, messages that
name the file and offset, and commands that never write unless asked."""
import argparse
import hashlib
import json
import os
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
    commands = [line.split()[0] for line in r.stdout.split("commands:")[1].splitlines() if line.strip()
                and not line.startswith("exit")]
    commands = [c for c in commands if c.isalpha()]
    check(len(commands) >= 5, f"help lists the commands ({', '.join(commands)})")
    for c in commands:
        r = run(c, "--help")
        check(r.returncode == 0 and r.stdout.startswith("usage: walproof " + c), f"{c} --help: exit 0, usage")
        r = run(c, "--no-such-flag", "x")
        check(r.returncode == 2 and "unknown option" in r.stderr, f"{c} with an unknown flag: exit 2")
    r = run("frobnicate")
    check(r.returncode == 2 and "unknown command" in r.stderr, "unknown command: exit 2")
    r = run("verify")
    check(r.returncode == 2, "verify without a directory: exit 2")
    r = run("verify", "/nonexistent/wal")
    check(r.returncode == 1 and "/nonexistent/wal" in r.stderr, "verify on a missing dir: exit 1, names it")


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
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        return 1
    print("all CLI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
