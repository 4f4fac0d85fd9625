#!/usr/bin/env bash
# Alert benchmarks (issue 4): importing N generated Suricata EVE alerts from one file — beside
# serde_json alone and SQLite alone on the same file, in the same run — then every dashboard
# panel and a filtered alert list over what was stored. Prints Markdown for BENCHMARKS.md.
#   bench/alerts.sh [alerts] [rounds] [extra flags]   (default 1000000 alerts, 20 rounds)
#   bench/alerts.sh 10000000 20 --no-sqlite-baseline   (the issue's 10M dashboards; ~60 GB free needed)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
rounds="${2:-20}"
shift $(( $# < 2 ? $# : 2 ))
cargo build --release -p civitas-bench >&2
bin="${CARGO_TARGET_DIR:-target}/release"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
echo "Machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ); civitas $(git rev-parse --short HEAD); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/civitas-bench" alerts --alerts "$n" --rounds "$rounds" --data-dir "$dir" "$@"
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
