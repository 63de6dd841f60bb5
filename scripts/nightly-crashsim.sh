#!/usr/bin/env bash
# nightly-crashsim.sh: the crash simulator with a large budget.
#
#   scripts/nightly-crashsim.sh --budget SECONDS [--jobs N] [--seeds "1 2 3"]
#                               [--build DIR] [--out DIR] [--selftest-budget S]
#
# For each seed, runs every scenario on N cores (default: all), one shard
# each (--shard I/N), each shard with --budget SECONDS; then the selftest.
# Reports (text, JSON, HTML) per seed and shard go to --out (default
# build/crashsim-nightly/<date>/). The build directory (default build/dev)
# must hold a built crashsim. Wall time is about SECONDS per seed plus the
# selftest (default budget 600 s).
# Exits 1 when a scenario missed its expectation or the selftest failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
budget=""
jobs=$(nproc 2>/dev/null || echo 2)
seeds="1 2 3"
build=build/dev
out=""
selftest_budget=600

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --selftest-budget) selftest_budget=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "--budget SECONDS is required" >&2; usage; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "--jobs must be a positive number" >&2; usage; }

cd "$root" || exit 3
crashsim="$build/crashsim/crashsim"
if [ ! -x "$crashsim" ]; then
  echo "nightly-crashsim: $crashsim not found; build first (cmake --preset dev && cmake --build build/dev)" >&2
  exit 3
fi
out=${out:-build/crashsim-nightly/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
echo "== crashsim: every scenario, seeds $seeds, $jobs shards of $budget s each; reports in $out"

status=0
for seed in $seeds; do
  pids=()
  for ((i = 0; i < jobs; i++)); do
    "$crashsim" run --scenario all --seed "$seed" --budget "$budget" --shard "$i/$jobs" --quiet \
      --json-out "$out/seed$seed-shard$i.json" --report "$out/seed$seed-shard$i.html" \
      > "$out/seed$seed-shard$i.txt" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || status=1
  done
done
echo "== crashsim selftest (budget $selftest_budget s)"
"$crashsim" selftest --budget "$selftest_budget" > "$out/selftest.txt" 2>&1 || status=1

# One line per scenario and shard, for the job log.
grep -h -E "^[a-z0-9.-]+ +(reference|prometheus)" "$out"/seed*.txt
tail -n 1 "$out/selftest.txt"
echo "nightly-crashsim: reports in $out (status $status)"
exit $status
