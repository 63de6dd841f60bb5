#!/usr/bin/env bash
# nightly-trace.sh: crashsim trace campaigns against real programs.
#
#   scripts/nightly-trace.sh --budget SECONDS [--jobs N] [--faults N] [--series N]
#                            [--build DIR] [--out DIR]
#
# Records Debian's Prometheus 2.42 ingesting known samples (segments, blocks,
# a checkpoint, a WAL truncation), re-runs it N times with one injected
# fault each (--faults, default 12: class 5), then checks its crash states
# with Prometheus itself for about 2/3 of SECONDS and with walproof's
# recovery for a sixth, and a scrape trace (an exporter with exemplars); then
# the reference writer (`walproof demo`) and the
# teeth writer, correct and broken. Reports (text, JSON, HTML) go to --out
# (default build/trace-nightly/<date>/). The build dir (default build/dev)
# must hold crashsim and walproof. Exit 1 when a campaign missed its
# expectation (Prometheus: findings are expected and listed, not failures),
# 4 when a recording or a checker could not run.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
budget=""
jobs=$(nproc 2>/dev/null || echo 2)
faults=12
series=20
build=build/dev
out=""

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "--budget SECONDS is required" >&2; usage; }

cd "$root" || exit 3
crashsim=$(pwd)/$build/crashsim/crashsim
walproof=$(pwd)/$build/reference/walproof
for b in "$crashsim" "$walproof"; do
  [ -x "$b" ] || { echo "nightly-trace: $b not found; build first (cmake --preset dev && cmake --build build/dev)" >&2; exit 4; }
done
out=${out:-build/trace-nightly/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
trace_dir=crashsim/trace
status=0
note() { echo "== $*"; }
run() {  # run NAME EXPECT ARGS...: a campaign, its reports, its exit status folded in
  local name=$1 expect=$2
  shift 2
  "$crashsim" trace run "$@" --expect "$expect" --jobs "$jobs" --quiet \
    --json-out "$out/$name.json" --report "$out/$name.html" > "$out/$name.txt" 2>&1
  local rc=$?
  tail -n 8 "$out/$name.txt"
  if [ $rc -ne 0 ] && [ "$status" -ne 4 ]; then status=$rc; fi
}

note "Prometheus 2.42: recording ($series series)"
bash "$trace_dir/workloads/prometheus-remote-write.sh" "$crashsim" "$out/prometheus" "$series" > "$out/prometheus-record.log" 2>&1 ||
  { tail -n 20 "$out/prometheus-record.log"; exit 4; }
grep -E '^(recorded|excluded|self-check)' "$out/prometheus-record.log"
note "Prometheus 2.42: $faults fault-injected re-runs"
"$crashsim" trace faults "$out/prometheus/trace" --runs "$faults" > "$out/prometheus-faults.log" 2>&1
grep -E '^(io/|faults:|self-check: FAILED)' "$out/prometheus-faults.log"
note "Prometheus 2.42 recovers its crash states"
run prometheus finding "$out/prometheus/trace" --recover prometheus --budget $((budget * 2 / 3))
note "walproof recovers the same states"
run prometheus-walproof finding "$out/prometheus/trace" --recover walproof --walproof "$walproof" --budget $((budget / 6))

note "Prometheus 2.42 scraping an exporter with exemplars: recording"
bash "$trace_dir/workloads/prometheus-scrape.sh" "$crashsim" "$out/scrape" 60 > "$out/scrape-record.log" 2>&1 ||
  { tail -n 20 "$out/scrape-record.log"; exit 4; }
grep -E '^(recorded|excluded|self-check)' "$out/scrape-record.log"
run scrape finding "$out/scrape/trace" --recover prometheus --budget $((budget / 12))

note "the reference writer (walproof demo): no finding expected"
bash "$trace_dir/workloads/walproof-demo.sh" "$crashsim" "$walproof" "$out/demo" > "$out/demo-record.log" 2>&1 ||
  { tail -n 20 "$out/demo-record.log"; exit 4; }
run demo pass "$out/demo/trace" --recover walproof --walproof "$walproof" --budget $((budget / 12))

for variant in "" skip-fsync rename-before-fsync; do
  name=teeth${variant:+-$variant}
  note "teeth writer ${variant:-correct}"
  bash "$trace_dir/workloads/teeth-log.sh" "$crashsim" "$out/$name" $variant > "$out/$name-record.log" 2>&1 ||
    { tail -n 20 "$out/$name-record.log"; exit 4; }
  run "$name" "$([ -z "$variant" ] && echo pass || echo finding)" "$out/$name/trace" \
    --recover "exec:/usr/bin/python3 $root/$trace_dir/teeth_check.py" --budget $((budget / 36 + 1))
done
note "reports in $out"
exit $status
