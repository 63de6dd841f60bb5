#!/usr/bin/env bash
# The README's first command: set up, build, and run walproof on a built-in
# demo workload (a WAL written by our writer, then verified and counted).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh dev
walproof=build/dev/reference/walproof
demo=$(mktemp -d /tmp/walproof-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT

echo
echo "== walproof demo: writing a WAL with known contents"
"$walproof" demo "$demo/wal" --series 2000 --scrapes 240 --compression snappy --segment-size 1048576
echo
echo "== walproof verify"
"$walproof" verify "$demo/wal"
echo
echo "== walproof stats"
"$walproof" stats "$demo/wal"
