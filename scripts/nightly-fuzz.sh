#!/usr/bin/env bash
# nightly-fuzz.sh: fuzz every target for a time budget, keep what is new.
#
#   scripts/nightly-fuzz.sh --budget SECONDS [--jobs N] [--targets "a b ..."]
#                           [--artifacts DIR] [--no-merge] [--no-coverage]
#
# 1. Builds the fuzz preset (clang 14, libFuzzer + ASan + UBSan) in build/fuzz.
# 2. Runs each target for its share of the budget in libFuzzer fork mode on
#    N cores (default: all), seeded with corpus/<target>/ and the target's
#    .dict and .options; new inputs go to a work directory, crashes, timeouts
#    and OOMs to the artifacts folder (default build/fuzz-artifacts/<date>/).
# 3. Merges what is new into corpus/<target>/ with -merge=1 (only inputs that
#    add coverage), unless --no-merge. Review and commit the corpus by hand.
# 4. Prints exec/s per target, and the line coverage of reference/src that
#    the corpus reaches: a clang source-based coverage build (build/fuzz-cov)
#    runs every corpus file through the plain driver; llvm-cov-14 reports.
# Exits 1 when any target left an artifact, else 0.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
budget=""
jobs=$(nproc)
targets=""
artifacts=""
merge=1
coverage=1

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --artifacts) artifacts=$2; shift 2 ;;
    --no-merge) merge=0; shift ;;
    --no-coverage) coverage=0; shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "--budget SECONDS is required" >&2; usage; }

cd "$root"
build=build/fuzz
echo "== building fuzz targets (preset fuzz, $build)"
cmake --preset fuzz -DWALPROOF_TESTS=OFF > "$build.configure.log" 2>&1 || {
  cat "$build.configure.log" >&2; exit 3; }
cmake --build "$build" --target walproof_fuzzers > "$build.build.log" 2>&1 || {
  tail -50 "$build.build.log" >&2; exit 3; }

if [ -z "$targets" ]; then
  targets=$(for f in "$build"/fuzz/*_fuzzer; do [ -x "$f" ] && basename "$f"; done | sort | tr '\n' ' ')
fi
n=$(wc -w <<< "$targets")
[ "$n" -gt 0 ] || { echo "no fuzz targets built" >&2; exit 3; }
per=$(( budget / n ))
[ "$per" -ge 10 ] || per=10
stamp=$(date +%Y%m%d-%H%M%S)
artifacts=${artifacts:-build/fuzz-artifacts/$stamp}
work=build/fuzz-work/$stamp
mkdir -p "$artifacts" "$work"
echo "== $n targets, ${per}s each, $jobs jobs; artifacts in $artifacts"

# libFuzzer flags from <target>.options ([libfuzzer] key = value).
options_of() {
  local f=fuzz/$1.options
  [ -f "$f" ] && sed -n 's/^\([a-z_]*\) *= *\(.*\)$/-\1=\2/p' "$f"
  [ -f "fuzz/$1.dict" ] && echo "-dict=fuzz/$1.dict"
}

declare -A execs found
for t in $targets; do
  mkdir -p "$work/$t" "$artifacts/$t" "corpus/$t"
  log=$work/$t.log
  echo "-- $t"
  # Fork mode: $jobs children, crashes do not stop the run; the first
  # directory receives new inputs, the seed corpus is read only.
  set +e
  # shellcheck disable=SC2046
  "$build/fuzz/$t" $(options_of "$t") -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$per" -artifact_prefix="$artifacts/$t/" -print_final_stats=1 \
    "$work/$t" "corpus/$t" > "$log" 2>&1
  set -e
  # Fork mode prints "#runs: cov: ... exec/s N ..." per round; keep the last.
  execs[$t]=$(grep -oE 'exec/s:? [0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
  found[$t]=$(find "$artifacts/$t" -type f | wc -l)
  if [ "$merge" = 1 ] && [ -n "$(ls -A "$work/$t")" ]; then
    before=$(find "corpus/$t" -type f | wc -l)
    # shellcheck disable=SC2046
    "$build/fuzz/$t" $(options_of "$t" | grep -v '^-dict=') -merge=1 "corpus/$t" "$work/$t" \
      > "$work/$t.merge.log" 2>&1 || echo "   merge failed, see $work/$t.merge.log"
    echo "   corpus: $before -> $(find "corpus/$t" -type f | wc -l) files"
  fi
done

cov_summary=""
if [ "$coverage" = 1 ]; then
  echo "== coverage of reference/src by the corpus (clang 14 source-based, build/fuzz-cov)"
  covb=build/fuzz-cov
  cmake -S . -B "$covb" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=Debug -DWALPROOF_TESTS=OFF -DWALPROOF_LIBFUZZER=OFF \
    "-DCMAKE_CXX_FLAGS=-O1 -fprofile-instr-generate -fcoverage-mapping" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fprofile-instr-generate" > "$covb.configure.log" 2>&1
  cmake --build "$covb" --target walproof_fuzzers > "$covb.build.log" 2>&1
  rm -rf "$covb/profiles" && mkdir -p "$covb/profiles"
  objects=()
  for t in $targets; do
    [ -x "$covb/fuzz/$t" ] || continue
    if ! LLVM_PROFILE_FILE="$covb/profiles/$t.%p.profraw" "$covb/fuzz/$t" "corpus/$t" > /dev/null 2>&1; then
      # An input that fails a check (an open finding) aborts the run before
      # the profile is written: count the corpus one file per process instead.
      find "corpus/$t" -type f -print0 | while IFS= read -r -d '' f; do
        (LLVM_PROFILE_FILE="$covb/profiles/$t.%p.profraw" "$covb/fuzz/$t" "$f") > /dev/null 2>&1 || true
      done
    fi
    objects+=(-object "$covb/fuzz/$t")
  done
  llvm-profdata-14 merge -sparse "$covb"/profiles/*.profraw -o "$covb/corpus.profdata"
  # The first -object is positional for llvm-cov.
  first=${objects[1]}
  rest=("${objects[@]:2}")
  llvm-cov-14 report "$first" "${rest[@]}" -instr-profile="$covb/corpus.profdata" \
    "$root/reference/src" | sed "s|$root/||" | tee "$work/coverage.txt"
  cov_summary=$(awk '/^TOTAL/ {print "lines " $10 " (" $9 " of " $8 " missed)"}' "$work/coverage.txt")
fi

echo "== summary"
printf '%-24s %10s %10s\n' target exec/s artifacts
status=0
for t in $targets; do
  printf '%-24s %10s %10s\n' "$t" "${execs[$t]:-?}" "${found[$t]}"
  [ "${found[$t]}" -eq 0 ] || status=1
done
[ -z "$cov_summary" ] || echo "reference/src coverage by corpus: $cov_summary"
[ "$status" = 0 ] || echo "artifacts to triage in $artifacts"
exit $status
