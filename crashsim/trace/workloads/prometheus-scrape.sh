#!/usr/bin/env bash
# Records Debian's Prometheus 2.42 scraping a loopback exporter every second
# (crashsim/trace/exporter.py: counters with exemplars, OpenMetrics) with
# exemplar storage on, for SECONDS, then a clean shutdown: Series, Samples and
# Exemplars records in real time, the second Prometheus trace.
# usage: prometheus-scrape.sh CRASHSIM WORKDIR [SECONDS]
set -euo pipefail
crashsim=$1
work=$2
seconds=${3:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
exporter=$(free_port)
cat > "$work/prometheus.yml" <<CONFIG
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ["127.0.0.1:$exporter"]
CONFIG
exec "$crashsim" trace record --dir "$work/data" --out "$work/trace" --checker prometheus \
  --exclude queries.active \
  --exclude-reason "Prometheus's log of running queries, written through a shared mmap that strace cannot see" \
  --driver "python3 $here/exporter.py --port $exporter --seconds $seconds" \
  -- /usr/bin/prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
     --web.listen-address="127.0.0.1:$port" --enable-feature=exemplar-storage --log.level=info
