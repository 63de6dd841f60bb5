#!/usr/bin/env bash
# The README's second command (and all that .ci/run does): set up, build the
# dev preset, and run the whole test suite with ctest. ctest's summary line is
# the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh dev
exec ctest --test-dir build/dev --output-on-failure -j "$(nproc)"
