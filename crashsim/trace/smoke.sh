#!/usr/bin/env bash
# One case of the `trace` ctest label: record a workload, then a short
# campaign on it. Exit status is the campaign's (0 as expected, 1 not, 4 the
# recording or the checker could not run).
# usage: smoke.sh CASE CRASHSIM WALPROOF WORKDIR
#   CASE: teeth | teeth-skip-fsync | teeth-rename-before-fsync | walproof-demo | prometheus |
#         prometheus-scrape
set -euo pipefail
case_name=$1
crashsim=$2
walproof=$3
work=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
teeth_checker="exec:/usr/bin/python3 $here/teeth_check.py"
record() { "$@" > "$work/record.log" 2>&1 || { cat "$work/record.log"; exit 4; }; grep -E '^(recorded|excluded|self-check|injected)' "$work/record.log"; }
case "$case_name" in
  teeth)
    record bash "$here/workloads/teeth-log.sh" "$crashsim" "$work"
    exec "$crashsim" trace run "$work/trace" --recover "$teeth_checker" --quiet --jobs 2 ;;
  teeth-skip-fsync | teeth-rename-before-fsync)
    record bash "$here/workloads/teeth-log.sh" "$crashsim" "$work" "${case_name#teeth-}"
    exec "$crashsim" trace run "$work/trace" --recover "$teeth_checker" --quiet --jobs 2 --expect finding \
      --max-states 120 ;;
  walproof-demo)
    record bash "$here/workloads/walproof-demo.sh" "$crashsim" "$walproof" "$work"
    exec "$crashsim" trace run "$work/trace" --recover walproof --walproof "$walproof" --quiet --jobs 2 \
      --budget 25 ;;
  prometheus)
    record bash "$here/workloads/prometheus-remote-write.sh" "$crashsim" "$work"
    # Prometheus 2.42 does not fsync the WAL directory when it creates a
    # segment: among the lost-directory-entry states (class 4) a sample of a
    # dozen finds that, the rest of the classes must hold.
    "$crashsim" trace run "$work/trace" --recover prometheus --quiet --jobs 2 --classes 4 --max-states 12 \
      --expect finding --json-out "$work/class4.json"
    exec "$crashsim" trace run "$work/trace" --recover prometheus --quiet --jobs 2 --classes 1,2,3,6 \
      --max-states 16 --json-out "$work/others.json" ;;
  prometheus-scrape)
    record bash "$here/workloads/prometheus-scrape.sh" "$crashsim" "$work" 10
    # No block is written in ten seconds, so 2.42 never fsyncs the data
    # directory: losing its unsynced entry for wal/ loses what the clean
    # shutdown fsynced. Every lost-directory-entry state is checked.
    exec "$crashsim" trace run "$work/trace" --recover prometheus --quiet --jobs 2 --classes 4 --expect finding \
      --json-out "$work/class4.json" ;;
  *) echo "smoke.sh: unknown case $case_name" >&2; exit 2 ;;
esac
