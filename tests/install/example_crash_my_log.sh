#!/usr/bin/env bash
# examples/crash-my-log, built out of tree against the staged install: the
# correct log must pass every crash state, and the build that forgets the
# directory fsync after creating its file must be caught, in class 4 (lost
# directory entries), with exit code 1.
set -euo pipefail
# shellcheck source=tests/install/example_build.sh
source "$(dirname "$0")/example_build.sh" "$@"

echo "== crash-my-log (correct)"
"$work/build/crash-my-log" | tee "$work/clean.txt"
grep -q '^class 4 ' "$work/clean.txt" || { echo "class 4 was not checked"; exit 1; }

echo "== crash-my-log-broken (no directory fsync after creating the log)"
status=0
"$work/build/crash-my-log-broken" > "$work/broken.txt" || status=$?
head -n 20 "$work/broken.txt"
if [ "$status" -ne 1 ]; then echo "the broken log was not caught (exit $status, expected 1)"; exit 1; fi
grep -q '^FAILED 4\.' "$work/broken.txt" || { echo "no class 4 state failed"; exit 1; }
echo "the broken log was caught"
