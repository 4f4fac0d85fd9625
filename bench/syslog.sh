#!/usr/bin/env bash
# Syslog listener benchmark (issue 4: "keeps up with 20,000 messages/s over TCP without loss").
# Starts a release `civitas serve` with one TCP listener for a CEF source in a fresh data
# directory, sends N distinct CEF messages over one connection with civitas-bench, and reports
# messages/s from the first byte sent to the last alert stored, and how many were lost.
#   bench/syslog.sh [messages] [--octet-counting]     (default 200000, LF framing)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
shift || true
cargo build --release -p civitas -p civitas-bench >&2
bin="${CARGO_TARGET_DIR:-target}/release"
dir="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
cat > "$dir/civitas.toml" <<TOML
data_dir = "$dir/data"
log_level = "warn"
[[alerts.sources]]
name = "bench-cef"
kind = "cef"
[[alerts.listeners]]
source = "bench-cef"
protocol = "tcp"
bind = "127.0.0.1:0"
TOML
"$bin/civitas" --config "$dir/civitas.toml" serve --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/log" &
pid=$!
for _ in $(seq 600); do grep -q "http://" "$dir/out" && break; sleep 0.2; done
addr="$(sed -n 's|.*syslog listener: bench-cef (cef) tcp://||p' "$dir/out")"
[ -n "$addr" ] || { cat "$dir/out" "$dir/log" >&2; exit 1; }
echo "Machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); civitas $(git rev-parse --short HEAD)"
"$bin/civitas-bench" syslog --target "$addr" --data-dir "$dir/data" --messages "$n" "$@"
grep -i "dropped\|could not be stored" "$dir/log" >&2 || true
