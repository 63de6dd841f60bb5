#!/usr/bin/env python3
# The exec: checker of teeth_log.py: stdin holds what the program had printed
# before the crash ("acked N" lines); IMAGE/state must hold records 1..N at
# least, in order, and nothing else. Exit 0: consistent.
import os
import sys


def main():
    image = sys.argv[1]
    acked = 0
    for line in sys.stdin.read().splitlines():
        if line.startswith("acked "):
            acked = max(acked, int(line.split()[1]))
    path = os.path.join(image, "state")
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    want = [f"record {i}" for i in range(1, len(lines) + 1)]
    if lines != want:
        print(f"state holds {lines[:4]}..., not records 1..{len(lines)} in order")
        return 1
    if len(lines) < acked:
        print(f"acked {acked} records, state holds {len(lines)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
