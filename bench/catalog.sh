#!/usr/bin/env bash
# Catalogue benchmarks (issue 3): a release build of civitas-bench generates a 100,000-dataset
# catalogue from the real Taoyuan and data.gov.tw descriptions, stores it through the real store,
# then times search (with facets), freshness recompute and the Taoyuan supply-list import.
# With PostgreSQL reachable through psql, the same catalogue and searches run there too.
# Prints Markdown tables for BENCHMARKS.md.
#   bench/catalog.sh [datasets] [rounds]            (defaults: 100000 20)
#   CIVITAS_BENCH_PG=civitas_bench bench/catalog.sh  (PostgreSQL database to use; "" to skip)
set -euo pipefail
cd "$(dirname "$0")/.."
datasets="${1:-100000}"
rounds="${2:-20}"
pg="${CIVITAS_BENCH_PG-civitas_bench}"
cargo build --release -p civitas-bench >&2
bin="${CARGO_TARGET_DIR:-target}/release/civitas-bench"
args=(--datasets "$datasets" --rounds "$rounds" --repo .)
if [ -n "$pg" ] && command -v psql >/dev/null && psql -X -q -d postgres -c 'select 1' >/dev/null 2>&1; then
  args+=(--postgres "$pg")
else
  echo "PostgreSQL not reachable through psql: comparator skipped" >&2
fi
echo "Machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ); civitas $(git rev-parse --short HEAD)"
echo
"$bin" "${args[@]}"
