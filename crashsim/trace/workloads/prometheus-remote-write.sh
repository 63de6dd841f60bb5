#!/usr/bin/env bash
# Records Debian's Prometheus 2.42 ingesting known samples through its
# remote-write receiver (remote_write.py), long enough in sample time for
# four head compactions: segment creation, blocks, a checkpoint, a WAL
# truncation and the lock file, all in one trace. Prometheus is stopped with
# SIGTERM at the end (a clean shutdown) unless STOP=kill.
#
# usage: prometheus-remote-write.sh CRASHSIM WORKDIR [SERIES]
#   WORKDIR/data is the data directory, WORKDIR/trace the recording.
set -euo pipefail
crashsim=$1
work=$2
series=${3:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' > "$work/prometheus.yml"
exec "$crashsim" trace record --dir "$work/data" --out "$work/trace" --checker prometheus \
  --exclude queries.active \
  --exclude-reason "Prometheus's log of running queries, written through a shared mmap that strace cannot see" \
  --stop "${STOP:-term}" \
  --driver "python3 $here/remote_write.py --port $port --series $series --timeout 20" \
  -- /usr/bin/prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
     --storage.tsdb.use-lockfile \
     --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver --log.level=info
