#!/usr/bin/env bash
# Installs the build tree BUILD to an empty STAGE prefix (what a user's
# `cmake --install` would do) and checks the layout: CLIs, CMake package,
# pkg-config file, and public headers only: each installed header is one of
# SOURCE's include/ directories (never src/, never gen's RapidCheck driver).
set -euo pipefail
build=$1 stage=$2 source=$3
rm -rf "$stage"
cmake --install "$build" --prefix "$stage" > "$stage.log"
echo "installed $(wc -l < "$stage.log") lines of log to $stage"
fail=0
for f in bin/walproof bin/crashsim share/walproof/trace/check_walproof.py \
         include/walproof/io/fs.h include/crashsim/check_run.h include/gen/choices.h; do
  [ -e "$stage/$f" ] || { echo "missing: $f"; fail=1; }
done
for f in walproofConfig.cmake walproofConfigVersion.cmake walproofTargets.cmake; do
  [ -n "$(find "$stage" -path "*/cmake/walproof/$f")" ] || { echo "missing: cmake/walproof/$f"; fail=1; }
done
[ -n "$(find "$stage" -name walproof-reference.pc)" ] || { echo "missing: walproof-reference.pc"; fail=1; }
while IFS= read -r header; do
  rel=${header#"$stage/include/"}
  public=0
  for dir in reference/include crashsim/include gen/include; do
    [ -f "$source/$dir/$rel" ] && public=1
  done
  if [ "$public" = 0 ] || [ "$rel" = gen/rc_choices.h ]; then echo "not a public header: $rel"; fail=1; fi
done < <(find "$stage/include" -name '*.h')
headers=$(find "$stage/include" -name '*.h' | wc -l)
echo "$headers public headers installed"
exit "$fail"
