#!/usr/bin/env python3
# crashsim trace checker "walproof": the reference's own recovery of a crash
# image (repair, then replay), so that an image written by a real program can
# be judged the same way as by Prometheus. IMAGE is a Prometheus data
# directory (IMAGE/wal) or a WAL directory itself.
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import checker_common as cc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--walproof", required=True)
    ap.add_argument("image")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="crashsim-walproof-")
    try:
        data = os.path.join(work, "data")
        shutil.copytree(args.image, data, symlinks=True)
        wal = os.path.join(data, "wal") if os.path.isdir(os.path.join(data, "wal")) else data
        after = cc.newest_block_end(data) if wal != data else None
        if not os.path.isdir(wal) or not any(n.isdigit() and len(n) == 8 for n in os.listdir(wal)):
            # No segment survived (their directory entries were never made
            # durable): an empty WAL, as a restarted writer would find it.
            cc.emit(True, False, "no WAL segment in the image", {}, after)
            return 0
        rep = subprocess.run([args.walproof, "repair", wal, "--yes"], capture_output=True, text=True, timeout=120)
        out = os.path.join(work, "samples.json")
        p = subprocess.run([args.walproof, "replay", wal, "--sequential", "--json", "--samples-out", out],
                           capture_output=True, text=True, timeout=120)
        log = (rep.stdout + rep.stderr + p.stderr).strip()
        try:
            summary = json.loads(p.stdout)
            with open(out) as f:
                doc = json.load(f)
        except (ValueError, OSError):
            cc.emit(False, False, log + "\nreplay failed: " + p.stdout[-500:], {}, after)
            return 0
        corruption = bool(summary.get("corruption")) or "corruption" in rep.stdout.lower()
        series = {tuple(sorted(s["labels"].items())): [[t, float(v)] for t, v in s["samples"]] for s in doc["series"]}
        cc.emit(True, corruption, log, series, after)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
