#!/bin/sh
# Nightly crash campaign: every scenario with a large budget, several seeds,
# split over the machine's cores with --shard; reports and JSON per shard,
# then the selftest. Exit status 1 if any scenario missed its expectation.
#
#   crashsim/scripts/nightly.sh [BUILD_DIR] [OUT_DIR] [BUDGET_SECONDS] [SEEDS]
#
# Defaults: build/dev, crashsim-nightly-<date>, 3600 s per shard, seeds "1 2 3".
set -u
BUILD=${1:-build/dev}
OUT=${2:-crashsim-nightly-$(date +%Y%m%d)}
BUDGET=${3:-3600}
SEEDS=${4:-"1 2 3"}
CRASHSIM="$BUILD/crashsim/crashsim"
JOBS=$(nproc 2>/dev/null || echo 2)

if [ ! -x "$CRASHSIM" ]; then
  echo "nightly: $CRASHSIM not found; build first (cmake --preset dev && cmake --build build/dev)" >&2
  exit 2
fi
mkdir -p "$OUT"
status=0
for seed in $SEEDS; do
  pids=""
  i=0
  while [ "$i" -lt "$JOBS" ]; do
    "$CRASHSIM" run --scenario all --seed "$seed" --budget "$BUDGET" --shard "$i/$JOBS" --quiet \
      --json-out "$OUT/seed$seed-shard$i.json" --report "$OUT/seed$seed-shard$i.html" \
      > "$OUT/seed$seed-shard$i.txt" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
  done
  for p in $pids; do
    wait "$p" || status=1
  done
done
"$CRASHSIM" selftest --budget 600 > "$OUT/selftest.txt" 2>&1 || status=1
# One line per scenario and shard, for the job log.
grep -h -E "^[a-z0-9.-]+ +(reference|prometheus)" "$OUT"/*.txt
tail -n 1 "$OUT/selftest.txt"
echo "nightly: reports in $OUT (status $status)"
exit $status
