#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev), quietly unless it fails.
set -euo pipefail
preset=${1:-dev}
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/walproof-build.XXXXXX.log)
if ! { cmake --preset "$preset" && cmake --build --preset "$preset" -j "$(nproc)"; } >"$log" 2>&1; then
  echo "build ($preset) failed:" >&2
  grep -E 'error|Error|FAILED' "$log" | head -n 40 >&2 || tail -n 40 "$log" >&2
  exit 1
fi
rm -f "$log"
echo "build: preset $preset ok (build/$preset)"
