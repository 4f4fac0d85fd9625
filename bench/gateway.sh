#!/usr/bin/env bash
# Exchange gateway benchmark (issue 6), release build: 1 KB calls to a provider directly,
# through one civitas node, through two nodes (mutual TLS between them), and — when nginx is
# installed — through two nginx reverse proxies with mutual TLS between them; 1 and C callers.
# Prints Markdown for BENCHMARKS.md.
#   bench/gateway.sh [requests] [concurrency]      (default 20000 requests, 16 callers)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
c="${2:-16}"
cargo build --release -p civitas-bench >&2
bin="${CARGO_TARGET_DIR:-target}/release"
nginx=()
if command -v nginx >/dev/null; then
  nginx=(--nginx "$(command -v nginx)")
else
  echo "nginx is not installed: the reverse-proxy baseline is left out (apt-get install nginx-light)" >&2
fi
echo "Machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ); civitas $(git rev-parse --short HEAD); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/civitas-bench" gateway --requests "$n" --concurrency "$c" "${nginx[@]}"
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
