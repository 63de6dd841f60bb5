#!/usr/bin/env bash
# Records the reference writer itself: `walproof demo` writing a small WAL
# whose segments roll, into a fresh data directory.
# usage: walproof-demo.sh CRASHSIM WALPROOF WORKDIR
set -euo pipefail
crashsim=$1
walproof=$2
work=$3
mkdir -p "$work"
work=$(cd "$work" && pwd)
exec "$crashsim" trace record --dir "$work/data" --out "$work/trace" --checker walproof \
  -- "$walproof" demo "$work/data/wal" --series 20 --scrapes 400 --segment-size 65536
