#!/usr/bin/env bash
# Installs every Debian package that walproof's build, tests, fuzzers and
# benchmarks need. Idempotent: when everything is present it only says so.
# Quiet: apt's output goes to a log that is shown only on failure.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev llvm-14 lld-14
  libsnappy-dev libzstd-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  nlohmann-json3-dev
  prometheus
  python3 time zip procps
  strace
  # cpack -G DEB (dpkg-shlibdeps computes the runtime package's Depends)
  dpkg-dev file
  # scripts/lint.sh: shellcheck, and npm to fetch the workflow validator
  shellcheck nodejs
)
# Some nodejs builds (NodeSource's) bundle npm and conflict with Debian's
# npm package: ask for it only when there is no npm at all.
if ! command -v npm > /dev/null; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root (or install them with apt-get) and try again" >&2
  exit 1
fi

log=$(mktemp /tmp/walproof-setup.XXXXXX.log)
echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The prometheus package would start a server on :9090 where an init system
# exists; the tests start their own on free loopback ports instead.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "setup: apt-get failed; its output:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
rm -f "$log"
echo "setup: done"
