#!/usr/bin/env bash
# Records teeth_log.py (an atomically replaced state file, crashsim/trace/
# teeth_log.py), correct or with one step of its protocol broken.
# usage: teeth-log.sh CRASHSIM WORKDIR [skip-fsync|rename-before-fsync]
set -euo pipefail
crashsim=$1
work=$2
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)
broken=()
[ -n "${3:-}" ] && broken=(--broken "$3")
exec "$crashsim" trace record --dir "$work/data" --out "$work/trace" --checker "exec:/usr/bin/python3 $here/teeth_check.py" \
  -- /usr/bin/python3 "$here/teeth_log.py" "$work/data" --records 6 "${broken[@]}"
