# What every crashsim trace checker prints: one JSON document on stdout,
#   {"started": bool, "corruption_reported": bool, "log": str,
#    "wal_only_after": int|null, "series": [{"labels": {...}, "samples": [[t, v], ...]}]}
# and exit status 0 whenever it could judge the image (whatever it found);
# any other status means the checker itself could not run, which crashsim
# reports as such, never as a finding about the traced program.
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop"))

import promharness as ph  # noqa: E402,F401  (re-exported for the checkers)


def emit(started, corruption_reported, log, series, wal_only_after=None):
    doc = {
        "started": bool(started),
        "corruption_reported": bool(corruption_reported),
        "log": log[-3000:],
        "wal_only_after": wal_only_after,
        "series": [{"labels": dict(k), "samples": v} for k, v in sorted(series.items())],
    }
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


def newest_block_end(data_dir):
    """The last time a complete block of the image covers (its maxt is
    exclusive), or None: a checker that reads only the WAL is not expected
    to find samples at or before it."""
    end = None
    for name in os.listdir(data_dir):
        meta = os.path.join(data_dir, name, "meta.json")
        if not os.path.isfile(meta):
            continue
        try:
            with open(meta) as f:
                maxt = int(json.load(f)["maxTime"])
        except (OSError, ValueError, KeyError):
            continue
        end = maxt - 1 if end is None else max(end, maxt - 1)
    return end
