#!/usr/bin/env python3
"""walproof rescue as an operator meets it: the dry run's report, --drop,
usage errors, refusal while the data dir is in use, --yes with --backup, a
second run, and an interrupted run settled by the next."""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test as base  # noqa: E402  (check, run and the failure list)

check = base.check
run = base.run
failures = base.failures


def tree(path):
    """Relative path -> sha256 of every file under path."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def make_data(tmp, name):
    data = os.path.join(tmp, name)
    r = run("demo", os.path.join(data, "wal"), "--series", "5", "--scrapes", "40", "--segment-size", "65536")
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return data


def blocks(data):
    return sorted(n for n in os.listdir(data) if len(n) == 26 and n[0] in "01234567")


def test_dry_run(tmp):
    data = make_data(tmp, "dry")
    before = tree(data)
    r = run("rescue", data, "--drop", '{series="3"}', "--drop", 'walproof_demo{series=~"4|9"}')
    out = r.stdout
    check(r.returncode == 0, f"dry run exits 0 ({r.stderr.strip()[:200]})")
    check("found: 3 series with samples, 110 samples (110 float, 0 native histogram)" in out,
          "dry run counts the kept series and samples (tombstone applied, two series dropped)")
    check("deletions: 10 samples are deleted by the WAL's tombstones" in out, "dry run reports the deletions")
    check("--drop removes 2 series, 80 samples:" in out and 'series="3"}  40 samples' in out
          and 'series="4"}  40 samples' in out, "dry run lists every series --drop removes")
    check("metric names with the most series:" in out and "walproof_demo" in out
          and "targets (job/instance) with the most series:" in out and "/demo" in out,
          "dry run ranks metric names and targets")
    check("time range: 2023-11-14T22:13:20Z (1700000000000) to 2023-11-14T22:23:05Z (1700000585000)" in out,
          "dry run gives the time range")
    check("would write 1 block(s) of 2h:" in out and "expected: about" in out and "memory budget:" in out,
          "dry run says what it would write and the memory and time it expects")
    check("not written (a block cannot hold them): 0 exemplars, 0 metadata entries" in out,
          "dry run counts what a block cannot hold")
    check("dry run: nothing was changed" in out and tree(data) == before, "dry run changes nothing")


def test_usage(tmp):
    r = run("rescue", "--help")
    check(r.returncode == 0 and r.stdout.startswith("usage: walproof rescue DATA"), "rescue --help")
    data = make_data(tmp, "usage")
    for argv, what in ((("--block-duration", "2x"), "a bad --block-duration"),
                       (("--drop", "{series=3}"), "an unquoted --drop value"),
                       (("--max-memory", "lots"), "a bad --max-memory"), (("--force",), "an unknown flag")):
        r = run("rescue", data, *argv)
        check(r.returncode == 2, f"{what} is a usage error (exit 2): {r.stderr.splitlines()[:1]}")
    r = run("rescue", os.path.join(tmp, "missing"))
    check(r.returncode == 3, "a missing directory: exit 3")
    bare = os.path.join(tmp, "bare")
    shutil.copytree(os.path.join(data, "wal"), bare)
    r = run("rescue", bare, "--yes")
    check(r.returncode == 3 and "is not DATA/wal" in r.stderr, "a WAL outside a data directory: exit 3, says why")


def test_busy(tmp):
    data = make_data(tmp, "busy")
    before = tree(data)
    seg = os.path.join(data, "wal", "00000000")
    with open(seg, "rb") as f:
        p = subprocess.Popen(["sleep", "600"], stdin=f)
        try:
            r = run("rescue", data, "--yes")
        finally:
            p.kill()
            p.wait()
    check(r.returncode == 1 and f"PID {p.pid} (sleep 600) has {os.path.realpath(seg)} open" in r.stderr,
          "rescue --yes refuses while a process holds a segment, naming it")
    check(tree(data) == before, "nothing written while refused")


def test_yes(tmp):
    data = make_data(tmp, "yes")
    os.makedirs(os.path.join(data, "chunks_head"))
    wal_before = tree(os.path.join(data, "wal"))
    backup = os.path.join(tmp, "backup")
    r = run("rescue", data, "--yes", "--backup", backup, "--drop", '{series="3"}')
    check(r.returncode == 0 and "rescued: 1 block(s), 150 samples" in r.stdout,
          f"rescue --yes writes the block ({r.stdout.strip().splitlines()[-2:]}, {r.stderr.strip()[:300]})")
    check("wrote and read back block" in r.stdout and "peak RSS" in r.stdout, "it reports the read-back and peak RSS")
    b = blocks(data)
    check(len(b) == 1, f"one block directory in DATA ({os.listdir(data)})")
    if b:
        meta = json.load(open(os.path.join(data, b[0], "meta.json")))
        check(meta["stats"] == {"numSamples": 150, "numSeries": 4, "numChunks": 4} and meta["version"] == 1
              and meta["compaction"] == {"level": 1, "sources": [b[0]]}
              and meta["maxTime"] - meta["minTime"] == 7200000 and meta["minTime"] % 7200000 == 0,
              f"meta.json: stats, level 1, a 2h range on the boundary ({meta})")
        check(sorted(os.listdir(os.path.join(data, b[0]))) == ["chunks", "index", "meta.json", "tombstones"],
              "the block has chunks/, index, meta.json, tombstones")
    check(sorted(os.listdir(os.path.join(data, "wal"))) == ["00000001", "checkpoint.00000000"]
          and os.path.getsize(os.path.join(data, "wal", "00000001")) == 0,
          f"the WAL is an empty segment after the last, behind an empty checkpoint ({os.listdir(os.path.join(data, 'wal'))})")
    check(not os.path.exists(os.path.join(data, "chunks_head")) and not os.path.exists(os.path.join(data, "walproof-rescue")),
          "chunks_head and the journal are gone")
    check(tree(os.path.join(backup, "wal")) == wal_before, "--backup kept the old WAL byte for byte")
    r = run("verify", data)
    check(r.returncode == 0, f"the new WAL verifies ({r.stdout.strip()[:200]} {r.stderr.strip()[:200]})")
    r = run("rescue", data, "--yes")
    check(r.returncode == 0 and "no sample to write" in r.stdout and blocks(data) == b,
          "a second rescue finds nothing to write and writes nothing")


def test_parts(tmp):
    data = make_data(tmp, "parts")
    r = run("rescue", data, "--yes", "--parts", "3")
    check(r.returncode == 0 and "working in 3 parts" in r.stdout and "190 samples" in r.stdout.splitlines()[-2],
          f"--parts 3 rescues every sample in parts ({r.stdout.strip().splitlines()[-2:]})")
    n = len(blocks(data))
    check(2 <= n <= 3, f"one block per part that has series ({n})")
    r = run("rescue", make_data(tmp, "parts-bad"), "--parts", "x")
    check(r.returncode == 2, "--parts x is a usage error")
    r = run("rescue", make_data(tmp, "tight"), "--max-memory", "64MiB")
    check(r.returncode == 2 and "leaves nothing for the head" in r.stderr, "a budget below rescue's own needs is refused")


def test_interrupted(tmp):
    data = make_data(tmp, "interrupted")
    ghost = "01H00000000000000000000009"
    os.makedirs(os.path.join(data, ghost + ".tmp-for-creation", "chunks"))
    with open(os.path.join(data, "walproof-rescue"), "w") as f:
        f.write(f"walproof rescue journal 1\nlast_segment 0\nblock {ghost}\n")
    r = run("rescue", data)
    check(r.returncode == 0 and "an interrupted rescue left" in r.stdout and os.path.exists(os.path.join(data, "walproof-rescue")),
          "the dry run mentions the interrupted run and leaves it")
    r = run("rescue", data, "--yes")
    check(r.returncode == 0 and "left the WAL intact; its 1 block director(ies) were removed" in r.stdout
          and "rescued: 1 block(s), 190 samples" in r.stdout,
          f"--yes undoes the interrupted run, then rescues ({r.stdout.strip()[-300:]} {r.stderr.strip()[:200]})")
    check(not os.path.exists(os.path.join(data, ghost + ".tmp-for-creation")) and len(blocks(data)) == 1,
          "the half-written block is gone, the new one is there")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--walproof", required=True)
    base.WALPROOF = ap.parse_args().walproof
    tmp = tempfile.mkdtemp(prefix="walproof-rescue-cli.")
    try:
        test_dry_run(tmp)
        test_usage(tmp)
        test_busy(tmp)
        test_yes(tmp)
        test_parts(tmp)
        test_interrupted(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        return 1
    print("all rescue CLI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
