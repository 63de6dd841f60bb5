#!/usr/bin/env python3
"""`crashsim run --shard I/N`: N jobs check disjoint parts that make the whole.

Runs two small scenarios exhaustively, whole and in 3 shards (one a -2.42
twin, so that failures are found too): per scenario and class, the shards'
checked and failed states must add up to the whole run's, each shard must
check something, and a bad --shard must be a usage error (exit 2).
Usage: shard_cli_test.py CRASHSIM WORKDIR
"""
import json
import os
import subprocess
import sys

SCENARIO = "issue-8125-short-write-2.42,issue-5867-old-segment-corruption"


def run(crashsim, work, name, extra):
    out = os.path.join(work, name + ".json")
    proc = subprocess.run([crashsim, "run", "--scenario", SCENARIO, "--quiet", "--json-out", out] + extra,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit(f"{name}: crashsim exited {proc.returncode}:\n{proc.stdout}")
    with open(out) as f:
        scenarios = json.load(f)["scenarios"]
    return {(s["name"], cls): (c["checked"], c["failed"])
            for s in scenarios for cls, c in s["classes"].items() if c["enumerated"]}


def main():
    crashsim, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    whole = run(crashsim, work, "whole", [])
    shards = [run(crashsim, work, f"shard{i}", ["--shard", f"{i}/3"]) for i in range(3)]
    ok = True
    for key, (checked, failed) in sorted(whole.items()):
        parts = [s.get(key, (0, 0)) for s in shards]
        line = f"{key[0]} {key[1]}: whole {checked} checked, {failed} failed; shards " + \
            ", ".join(f"{c}/{f}" for c, f in parts)
        print(line)
        if sum(c for c, _ in parts) != checked or sum(f for _, f in parts) != failed:
            print("  the shards do not add up to the whole run")
            ok = False
    total = [sum(c for c, _ in s.values()) for s in shards]
    if min(total) == 0:
        print(f"a shard checked nothing: {total}")
        ok = False
    if sum(f for _, f in whole.values()) == 0:
        print("the twin found nothing: the failure sums prove nothing")
        ok = False
    bad = subprocess.run([crashsim, "run", "--scenario", SCENARIO, "--shard", "3/3"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if bad.returncode != 2:
        print(f"--shard 3/3 exited {bad.returncode}, expected 2 (usage)")
        ok = False
    print("shards partition the run" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
