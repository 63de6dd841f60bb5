#!/usr/bin/env bash
# Each installed public header compiles on its own, with only the staged
# prefix on the include path: a user includes any one of them first.
set -euo pipefail
cxx=$1 stage=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
count=0
while IFS= read -r header; do
  rel=${header#"$stage/include/"}
  printf '#include "%s"\n' "$rel" > "$work/$(echo "$rel" | tr '/' '_').cc"
  count=$((count + 1))
done < <(find "$stage/include" -name '*.h' | sort)
[ "$count" -gt 0 ] || { echo "no headers under $stage/include"; exit 1; }
# Two at a time: the machine's cores are shared with the rest of ctest.
if ! find "$work" -name '*.cc' -print0 |
    xargs -0 -P 2 -I{} "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I "$stage/include" {}; then
  echo "some installed headers do not compile alone (see above)"
  exit 1
fi
echo "$count installed headers each compile alone"
