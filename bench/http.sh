#!/usr/bin/env bash
# HTTP benchmark of the foundation: a release build serving the demo data set, loaded with
# wrk from the same machine. Prints a Markdown table for BENCHMARKS.md.
#   bench/http.sh [seconds-per-run]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "install wrk first: apt-get install wrk" >&2; exit 1; }
cargo build --release --bin civitas >&2
bin=target/release/civitas
data=$(mktemp -d)
out=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data" "$out"' EXIT
CIVITAS_LOG_LEVEL=warn "$bin" demo --data-dir "$data" --listen 127.0.0.1:0 >"$out" 2>/dev/null &
pid=$!
for _ in $(seq 1 600); do grep -q "Ctrl+C" "$out" 2>/dev/null && break; sleep 0.2; done
url=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
password=$(grep '密碼 password:' "$out" | awk '{print $NF}')
token=$("$bin" --data-dir "$data" token create --user admin --expires 1d --json | sed 's/.*"token":"\([^"]*\)".*/\1/')
jar=$(mktemp)
csrf=$(curl -s -c "$jar" "$url/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
curl -s -b "$jar" -c "$jar" -o /dev/null -X POST --data-urlencode "_csrf=$csrf" \
  --data-urlencode "name=admin" --data-urlencode "password=$password" "$url/login"
session=$(grep civitas_session "$jar" | awk '{print $NF}')

lua=$(mktemp --suffix .lua)
cat >"$lua" <<'LUA'
-- Alternate two English names so that every request is a real change with an audit entry.
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"name_en": "Department of Transportation %d"}', n % 2)
  return wrk.format("PATCH", "/api/v1/agencies/380290000H", nil, body)
end
LUA

run() { # name, extra wrk args...
  local name=$1; shift
  local result
  result=$(wrk -t2 -c16 -d"${secs}s" --latency "$@")
  local rps p50 p99
  rps=$(echo "$result" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$result" | awk '$1=="50%" {print $2}')
  p99=$(echo "$result" | awk '$1=="99%" {print $2}')
  local errors
  errors=$(echo "$result" | awk '/Non-2xx/ {print $NF}')
  printf "| %s | %s | %s | %s | %s |\n" "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "| request | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
run "GET /healthz (framework floor)" "$url/healthz"
run "GET /api/v1/agencies, bearer token (token check + 37 agencies as JSON)" -H "Authorization: Bearer $token" "$url/api/v1/agencies"
run "GET /api/v1/audit?per_page=50, bearer token (filtered page of the trail)" -H "Authorization: Bearer $token" "$url/api/v1/audit?per_page=50"
run "GET / dashboard, session cookie (HTML, 30-day activity, chain status)" -H "Cookie: civitas_session=$session" "$url/"
run "PATCH /api/v1/agencies/{code}, bearer token (a change + its hash-chained audit entry)" -H "Authorization: Bearer $token" -H "Content-Type: application/json" -s "$lua" "$url"
"$bin" --data-dir "$data" audit verify >&2
