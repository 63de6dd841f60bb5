#!/usr/bin/env bash
# examples/read-wal, built out of tree against the staged install twice:
# with find_package(walproof) and with pkg-config (walproof-reference.pc).
# Both must count the samples of a WAL the staged `walproof demo` wrote, as
# the staged `walproof stats` counts them and as the demo's parameters say.
set -euo pipefail
# shellcheck source=tests/install/example_build.sh
source "$(dirname "$0")/example_build.sh" "$@"

# Flags are split on purpose: they are lists of options.
# shellcheck disable=SC2046,SC2086
"$cxx" -std=c++20 $cxx_flags "$src/read_wal.cc" -o "$work/read-wal-pkg-config" $link_flags \
  $(PKG_CONFIG_PATH=$(dirname "$(find "$stage" -name walproof-reference.pc)") pkg-config --cflags --libs walproof-reference)
echo "built read-wal with pkg-config walproof-reference"

"$stage/bin/walproof" demo "$work/wal" --series 7 --scrapes 11 > /dev/null
expected=$("$stage/bin/walproof" stats "$work/wal" --json |
  python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(s["records_by_type"].values()), "records,", s["series"], "series,", s["samples"], "samples")')
echo "walproof stats: $expected"
case $expected in *" 7 series, 77 samples") ;; *) echo "walproof stats disagrees with the demo's 7 x 11"; exit 1 ;; esac
for program in "$work/build/read-wal" "$work/read-wal-pkg-config"; do
  got=$("$program" "$work/wal")
  echo "$(basename "$program"): $got"
  [ "$got" = "$expected" ] || { echo "expected: $expected"; exit 1; }
done
