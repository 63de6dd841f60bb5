#!/usr/bin/env bash
# Nightly property run: every RapidCheck property of property/ with random
# seeds and far more cases than CI's pinned RC_PARAMS. Each property gets
# --cases cases in runs of --chunk, every run with a fresh random seed, so a
# night explores many seeds and any failure is small to reproduce. Runs go
# round robin over the properties (first run of each, then second, ...), so
# with --budget every property gets its share before time runs out.
#
# For any failure it prints the test, the seed, and two commands: one that
# reruns the whole run from its seed, and RapidCheck's own `reproduce=` one
# that replays just the shrunk counterexample. Exit status 1 if anything
# failed.
#
# Usage: scripts/nightly-property.sh [options]
#   --preset NAME   dev (default), asan or tsan: which build to run
#   --cases N       cases per property (default 100000)
#   --budget S      start no run after S seconds (default: no limit); the
#                   summary says how many cases each property got
#   --chunk N       cases per run, one seed each (default 10000)
#   --jobs N        runs at once (default: nproc)
#   --filter REGEX  only tests whose Suite.Name matches (grep -E)
#   --exclude REGEX skip tests that match (default: the ReplayPropertyTeeth
#                   suite, which shows that property 3 catches a deliberately
#                   broken replay: no property of the library)
#   --build-dir DIR use this build tree instead of build/<preset>
#   --no-build      do not configure and build first (else: configure the
#                   preset into the build tree, build the property targets)
#   --logs DIR      where run logs go (default build/<preset>/property-nightly)
set -euo pipefail
cd "$(dirname "$0")/.."

preset=dev
cases=100000
budget=0
chunk=10000
jobs=$(nproc)
filter=.
exclude='^ReplayPropertyTeeth\.'
build=1
logs=
bindir=

while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset) preset=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --chunk) chunk=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --exclude) exclude=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --build-dir) bindir=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

bindir=${bindir:-build/$preset}
logs=${logs:-$bindir/property-nightly}
if [[ $build == 1 ]]; then
  cmake --preset "$preset" -B "$bindir" >/dev/null
  cmake --build "$bindir" -j "$jobs" --target walproof_properties
fi
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/runs.txt

# One line per run: executable, test, seed; round robin over the tests.
runs_per_test=$(( (cases + chunk - 1) / chunk ))
for exe in "$bindir"/property/*_property; do
  [[ -x $exe ]] || continue
  suite=
  while IFS= read -r line; do
    if [[ $line =~ ^([A-Za-z0-9_]+)\.$ ]]; then
      suite=${BASH_REMATCH[1]}
    elif [[ $line =~ ^\ \ ([A-Za-z0-9_]+) ]]; then
      test="$suite.${BASH_REMATCH[1]}"
      if grep -Eq -- "$filter" <<<"$test" && ! grep -Eq -- "$exclude" <<<"$test"; then
        for ((i = 0; i < runs_per_test; i++)); do
          # A full-range 64-bit seed from the kernel, printed in decimal as
          # RapidCheck reads it.
          seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
          echo "$i $exe $test $seed"
        done
      fi
    fi
  done < <("$exe" --gtest_list_tests)
done | sort -s -n -k1,1 | cut -d' ' -f2- > "$logs/runs.txt"

total=$(wc -l < "$logs/runs.txt")
echo "nightly-property: $total runs of up to $chunk cases, $jobs at a time, preset $preset;" \
  "budget ${budget:-0} s (0: none); logs in $logs"

# Called through xargs and `bash -c` below, which shellcheck cannot follow.
# shellcheck disable=SC2317
run_one() {
  local exe=$1 test=$2 seed=$3 chunk=$4 logs=$5 deadline=$6
  local log="$logs/$test.$seed.log"
  if (( deadline > 0 && $(date +%s) >= deadline )); then
    echo "SKIP $test $seed"
    return
  fi
  local t0
  t0=$(date +%s%N)
  if RC_PARAMS="seed=$seed max_success=$chunk" "$exe" --gtest_filter="$test" >"$log" 2>&1; then
    # RapidCheck's gtest glue prints "OK, passed N tests" only for properties
    # that tag their cases; a pass always means max_success cases.
    local n
    n=$(grep -o 'OK, passed [0-9]*' "$log" | head -1 | grep -o '[0-9]*$' || true)
    echo "PASS $test $seed ${n:-$chunk} $(( ($(date +%s%N) - t0) / 1000000 ))"
  else
    echo "FAIL $test $seed"
  fi
}
export -f run_one

start=$SECONDS
deadline=0
(( budget > 0 )) && deadline=$(( $(date +%s) + budget ))
# The single quotes are for the inner bash: it expands $0..$2 per line.
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1" "$2" '"$chunk $logs $deadline" \
  < "$logs/runs.txt" | tee "$logs/results.txt"

echo
echo "== summary ($(( SECONDS - start )) s wall; per test: cases passed and run time summed over its runs) =="
awk '$1 == "PASS" { cases[$2] += $4; ms[$2] += $5; runs[$2]++ }
     $1 == "FAIL" { failed[$2]++; runs[$2]++ }
     $1 == "SKIP" { skipped[$2]++; runs[$2] += 0 }
     END { for (t in runs) printf "%-62s %3d runs %8d cases passed in %7.1f s, %d failed, %d skipped\n",
                                  t, runs[t], cases[t], ms[t] / 1000, failed[t], skipped[t] }' \
  "$logs/results.txt" | sort

status=0
while read -r verdict test seed _; do
  [[ $verdict == FAIL ]] || continue
  status=1
  exe=$(awk -v t="$test" -v s="$seed" '$2 == t && $3 == s { print $1; exit }' "$logs/runs.txt")
  log="$logs/$test.$seed.log"
  echo
  echo "FAILED: $test with seed $seed (log: $log)"
  sed -n '/Falsifiable\|Failure\|RC_FAIL\|RC_ASSERT/,/^\[  FAILED  \]/p' "$log" | head -60
  echo "reproduce the run:"
  echo "  RC_PARAMS=\"seed=$seed max_success=$chunk\" $exe --gtest_filter=$test"
  repro=$(grep -o 'reproduce=[A-Za-z0-9_-]*' "$log" | head -1 || true)
  if [[ -n $repro ]]; then
    echo "replay only the shrunk counterexample:"
    echo "  RC_PARAMS=\"$repro\" $exe --gtest_filter=$test"
  fi
done < "$logs/results.txt"
exit $status
