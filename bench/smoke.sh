#!/usr/bin/env bash
# The main job until `strata bench` exists: start each tier alone, check it
# answers seed 003 exactly, then load it briefly with wrk (server pinned to
# core 0, wrk to core 1) and print req/s and server CPU per request.
# Usage: bench/smoke.sh path/to/strata [seconds]
set -euo pipefail
bin=${1:?usage: smoke.sh path/to/strata [seconds]}
secs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
body='{"id": 1, "name": "user", "email": "user@email.com"}'
want='{"id":1,"name":"user","email":"user@email.com"}'
tick=$(getconf CLK_TCK)
ncpu=$(nproc)
server_core=0
client_core=$(( ncpu > 1 ? 1 : 0 ))

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '| tier | answer | req/s | server CPU us/request | server CPU busy |\n|---|---|---|---|---|\n'
for tier in raw http; do
  out=$(mktemp)
  taskset -c "$server_core" "$bin" serve --tier "$tier" --port 0 >"$out" &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
  port=$(sed -n 's/.*:\([0-9]*\) tier=.*/\1/p' "$out")
  rm -f "$out"
  [ -n "$port" ] || { echo "strata: tier $tier did not start" >&2; exit 1; }
  got=$(curl -s -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/user")
  if [ "$got" != "$want" ]; then
    echo "strata: tier $tier answered '$got', expected '$want'" >&2
    exit 1
  fi
  if command -v wrk >/dev/null; then
    before=$(cpu_ticks "$pid")
    wrk_out=$(taskset -c "$client_core" wrk -t1 -c10 -d"${secs}s" -s "$here/post.lua" "http://127.0.0.1:$port/user")
    after=$(cpu_ticks "$pid")
    reqs=$(echo "$wrk_out" | awk '/requests in/ {print $1}')
    rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')
    us=$(awk -v t=$((after - before)) -v n="$reqs" -v hz="$tick" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
    busy=$(awk -v t=$((after - before)) -v s="$secs" -v hz="$tick" 'BEGIN {printf "%.0f%%", t / hz / s * 100}')
    printf '| %s | ok | %s | %s | %s |\n' "$tier" "$rps" "$us" "$busy"
  else
    printf '| %s | ok | (wrk not installed) | | |\n' "$tier"
  fi
  kill -INT "$pid"
  wait "$pid" || { echo "strata: tier $tier did not exit cleanly" >&2; exit 1; }
  pid=""
done
