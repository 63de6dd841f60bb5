#!/usr/bin/env python3
"""Seeds for block_reader_fuzzer: small blocks written by `walproof rescue`
from `walproof demo` WALs (floats; floats and native histograms over several
chunks), framed as the target reads them (four files, each behind a
big-endian 32-bit length: meta.json, tombstones, index, chunks/000001), plus
a damaged copy of each (a cut index, a flipped chunk byte).

usage: block_seeds.py --walproof build/dev/reference/walproof --out corpus/block_reader_fuzzer
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile

FILES = ("meta.json", "tombstones", "index", "chunks/000001")


def frame(parts):
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def block_files(walproof, tmp, name, *demo_args):
    data = os.path.join(tmp, name)
    subprocess.run([walproof, "demo", os.path.join(data, "wal"), *demo_args], check=True, capture_output=True)
    subprocess.run([walproof, "rescue", data, "--yes"], check=True, capture_output=True)
    ulid = next(n for n in sorted(os.listdir(data)) if len(n) == 26)
    out = []
    for f in FILES:
        with open(os.path.join(data, ulid, f), "rb") as fh:
            out.append(fh.read())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--walproof", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="block-seeds.")
    try:
        seeds = []
        floats = block_files(args.walproof, tmp, "floats", "--series", "3", "--scrapes", "40")
        mixed = block_files(args.walproof, tmp, "mixed", "--series", "2", "--scrapes", "150", "--histograms", "2")
        for parts in (floats, mixed):
            seeds.append(frame(parts))
            cut = list(parts)
            cut[2] = cut[2][: len(cut[2]) // 2]
            seeds.append(frame(cut))
            flipped = list(parts)
            flipped[3] = flipped[3][:20] + bytes([flipped[3][20] ^ 0x10]) + flipped[3][21:]
            seeds.append(frame(flipped))
        for s in seeds:
            name = "seed-" + hashlib.sha1(s).hexdigest()
            with open(os.path.join(args.out, name), "wb") as f:
                f.write(s)
        print(f"wrote {len(seeds)} seeds to {args.out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
