#!/usr/bin/env bash
# examples/crash-my-log, built out of tree against the staged install: the
# correct log must pass every crash state, and the build that forgets the
# directory fsync after creating its file must be caught, in class 4 (lost
# directory entries), with exit code 1.
set -euo pipefail
src=$1 stage=$2 work=$3
# shellcheck source=tests/install/example_args.sh
source "$(dirname "$0")/example_args.sh" "$4"
rm -rf "$work"
mkdir -p "$work"

cmake -S "$src" -B "$work/build" "${example_args[@]}" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
echo "built crash-my-log and crash-my-log-broken with find_package(walproof) from $stage"

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
