#!/usr/bin/env bash
# Static checks of what CI cannot run here: every shell script through
# Debian's shellcheck, every GitHub Actions workflow through action-validator
# (the workflow JSON schema, plus checks of globs and action references).
#
#   scripts/lint.sh [--root DIR] [--tools DIR] [--install-tools]
#
# --root DIR       the tree to check (default: this repository)
# --tools DIR      where the npm validator lives (default: ROOT/.cache/lint-tools);
#                  installed there with npm when missing: never committed
# --install-tools  only install the validator, check nothing
#
# Shell scripts are the files named *.sh and the files whose first line is a
# sh or bash shebang, outside build/, .git/, .cache/ and node_modules/.
# Exit 0: all clean; 1: findings, or a tool missing (npm unreachable: said so,
# never passed silently); 2: usage.
set -euo pipefail

validator_package=@action-validator/cli@0.6.0
root=$(cd "$(dirname "$0")/.." && pwd)
tools=""
install_only=0
usage() { sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$(cd "$2" && pwd); shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --install-tools) install_only=1; shift ;;
    -h|--help) usage ;;
    *) echo "lint: unknown argument: $1" >&2; usage ;;
  esac
done
tools=${tools:-$root/.cache/lint-tools}
validator=$tools/node_modules/.bin/action-validator

if [ ! -x "$validator" ]; then
  if ! command -v npm > /dev/null; then
    echo "lint: npm not found: cannot install $validator_package (bash scripts/setup.sh installs npm)" >&2
    exit 1
  fi
  mkdir -p "$tools"
  if ! npm install --prefix "$tools" --no-audit --no-fund --no-save "$validator_package" > "$tools/npm.log" 2>&1; then
    echo "lint: npm could not install $validator_package (offline, or the registry unreachable?):" >&2
    tail -n 5 "$tools/npm.log" >&2
    exit 1
  fi
fi
if [ "$install_only" = 1 ]; then
  echo "lint: $validator_package in $tools"
  exit 0
fi
command -v shellcheck > /dev/null || { echo "lint: shellcheck not found (bash scripts/setup.sh installs it)" >&2; exit 1; }

cd "$root"
scripts=()
while IFS= read -r -d '' f; do
  case $f in
    *.sh) scripts+=("$f") ;;
    *)
      # The shebang is read in bash: spawning a process per file is too slow
      # over the fuzz corpus.
      first=""
      IFS= read -r -n 64 first < "$f" 2> /dev/null || true
      if [[ $first =~ ^\#!.*[/\ ](ba)?sh(\ |$) ]]; then scripts+=("$f"); fi
      ;;
  esac
done < <(find . \( -path ./build -o -path ./.git -o -path ./.cache -o -name node_modules \) -prune -o -type f -print0 | sort -z)

failed=0
# -x follows `source` directives, which name paths from the root; one line
# per finding (file:line:col: level: message [SCxxxx]).
if ! shellcheck -x -f gcc "${scripts[@]}"; then
  echo "lint: shellcheck found problems (above)"
  failed=1
fi

workflows=()
while IFS= read -r -d '' f; do workflows+=("$f"); done < <(find .github/workflows -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 2> /dev/null | sort -z)
for wf in "${workflows[@]}"; do
  if ! "$validator" "$wf"; then
    echo "lint: $wf is not a valid workflow (above)"
    failed=1
  fi
done

echo "lint: ${#scripts[@]} shell scripts (shellcheck $(shellcheck --version | sed -n 's/^version: //p')), ${#workflows[@]} workflows ($validator_package): $([ "$failed" = 0 ] && echo clean || echo FAILED)"
exit "$failed"
