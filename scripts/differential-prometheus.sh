#!/usr/bin/env bash
# Differential recovery against the real Prometheus 2.42: every crash image of
# a `crashsim export` directory is recovered by Prometheus (on a copy, loopback,
# free port, no scrape targets, bounded start) and by walproof (repair, then
# replay), and series and samples are compared. The work is done by
# tests/interop/differential.py (python3, standard library); this wrapper finds
# the binaries of a build directory and passes everything else on.
#
#   scripts/differential-prometheus.sh DIR [--timeout S] [--json-out F] [--html-out F]
#   scripts/differential-prometheus.sh --export append-snappy:1:20,checkpoint-truncate:1:20 [--json-out F]
#   scripts/differential-prometheus.sh --nightly --json-out F --html-out F
#
# BUILD_DIR (default build/dev) selects the binaries. Exit: 0 no unexplained
# difference, 1 one at least, 2 usage, 77 prometheus not installed.
# Interrupting it (Ctrl-C, SIGTERM) stops every Prometheus it started: the
# python side kills them on exit and on signals, and each runs with a
# parent-death signal so that even a SIGKILL of the script takes them along.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/dev}"
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo
  exec python3 "$root/tests/interop/differential.py" --walproof "$build/reference/walproof" --help
fi
# exec: signals reach the python process directly, which owns the cleanup.
exec python3 "$root/tests/interop/differential.py" \
  --walproof "$build/reference/walproof" --crashsim "$build/crashsim/crashsim" "$@"
