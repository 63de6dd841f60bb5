#!/usr/bin/env bash
# The README's first command: set up, build, and run walproof's main job on a
# built-in demo workload: write a WAL with known contents, verify, count,
# diagnose and replay it, then run a short crash campaign against the writer
# and keep its HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh dev
walproof=build/dev/reference/walproof
crashsim=build/dev/crashsim/crashsim
demo=$(mktemp -d /tmp/walproof-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
report=build/demo-crash-report.html

echo
echo "== walproof demo: writing a WAL with known contents"
"$walproof" demo "$demo/wal" --series 2000 --scrapes 240 --compression snappy --segment-size 1048576
echo
echo "== walproof verify"
"$walproof" verify "$demo/wal"
echo
echo "== walproof stats"
"$walproof" stats "$demo/wal"
echo
echo "== walproof diagnose"
"$walproof" diagnose "$demo/wal"
echo
echo "== walproof replay (parallel), then the sequential reference: equal digests"
"$walproof" replay "$demo/wal"
"$walproof" replay "$demo/wal" --sequential
echo
echo "== crashsim: every crash state of the default workload, 30 s budget"
"$crashsim" run --scenario append-mixed,dir-fsync-new-segment,dir-fsync-new-segment-2.42 \
  --budget 30 --report "$report"
echo "report: $report (open it in a browser)"
