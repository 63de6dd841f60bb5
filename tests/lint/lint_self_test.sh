#!/usr/bin/env bash
# scripts/lint.sh has teeth: on a scratch tree holding copies of the real
# workflows and one real script it passes; then each seeded fault must make
# it fail, naming the file: a workflow with a misspelt key and no runs-on, a
# shell script (found by its shebang, no .sh) with an unquoted expansion, and
# an npm that cannot reach the registry (with no validator installed yet).
set -euo pipefail
source_root=$1 tools=$2 work=$3
lint=$source_root/scripts/lint.sh
rm -rf "$work"
mkdir -p "$work/tree/.github/workflows" "$work/tree/scripts"
cp "$source_root"/.github/workflows/*.yml "$work/tree/.github/workflows/"
cp "$source_root/scripts/test.sh" "$work/tree/scripts/"

# expect_lint EXIT PATTERN [lint args...]: lint's exit code and a line of its output.
expect_lint() {
  local want=$1 pattern=$2 got=0
  shift 2
  bash "$lint" --root "$work/tree" "$@" > "$work/out.txt" 2>&1 || got=$?
  if [ "$got" -ne "$want" ] || ! grep -qE "$pattern" "$work/out.txt"; then
    echo "lint exited $got (expected $want) and printed:"
    cat "$work/out.txt"
    echo "(expected a line matching: $pattern)"
    exit 1
  fi
  echo "  lint exited $got: $(grep -E "$pattern" "$work/out.txt" | head -n 1)"
}

echo "clean copies of the workflows and of scripts/test.sh:"
expect_lint 0 'clean$' --tools "$tools"

echo "a seeded bad workflow:"
cat > "$work/tree/.github/workflows/seeded.yml" <<'YAML'
name: seeded
on: push
jobs:
  build:
    stepz:
      - run: echo no runs-on, and stepz is not a key
YAML
expect_lint 1 'seeded.yml is not a valid workflow' --tools "$tools"
rm "$work/tree/.github/workflows/seeded.yml"

echo "a seeded bad shell script:"
cat > "$work/tree/scripts/seeded-cleanup" <<'SH'
#!/bin/bash
rm -rf $1/tmp
SH
expect_lint 1 'seeded-cleanup.*SC2086' --tools "$tools"
rm "$work/tree/scripts/seeded-cleanup"

echo "an npm that cannot reach the registry:"
mkdir -p "$work/offline-bin"
cat > "$work/offline-bin/npm" <<'SH'
#!/bin/sh
echo "npm error code ENOTFOUND (registry.npmjs.org): seeded by lint_self_test.sh" >&2
exit 1
SH
chmod +x "$work/offline-bin/npm"
PATH="$work/offline-bin:$PATH" expect_lint 1 'npm could not install' --tools "$work/empty-tools"

echo "lint.sh passes clean files and fails on each seeded fault"
