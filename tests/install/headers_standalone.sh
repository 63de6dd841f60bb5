#!/usr/bin/env bash
# Each installed public header compiles on its own, with only the staged
# prefix on the include path: a user includes any one of them first.
# SHARD/SHARDS picks every SHARDS-th header (sorted), so that ctest can run
# the parts side by side.
set -euo pipefail
cxx=$1 stage=$2 work=$3 shard=${4:-0/1}
rm -rf "$work"
mkdir -p "$work"
count=0 index=0
while IFS= read -r header; do
  index=$((index + 1))
  [ $(( (index - 1) % ${shard#*/} )) -eq "${shard%/*}" ] || continue
  rel=${header#"$stage/include/"}
  printf '#include "%s"\n' "$rel" > "$work/$(echo "$rel" | tr '/' '_').cc"
  count=$((count + 1))
done < <(find "$stage/include" -name '*.h' | sort)
[ "$count" -gt 0 ] || { echo "no headers under $stage/include"; exit 1; }
# One at a time: ctest runs the parts side by side.
if ! find "$work" -name '*.cc' -print0 |
    xargs -0 -P 1 -I{} "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I "$stage/include" {}; then
  echo "some installed headers do not compile alone (see above)"
  exit 1
fi
echo "$count installed headers (part $shard) each compile alone"
