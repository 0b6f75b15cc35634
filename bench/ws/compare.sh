#!/usr/bin/env bash
# WebSocket echo, messages/s and server CPU per message: strata's app and
# typed tiers (/ws/echo of `strata serve`), the npm `ws` server under Node,
# and Starlette under uvicorn with Debian's python3-websockets, each pinned
# to CPU 0 and driven from CPU 1 by ws_echo_load (C, one thread, poll):
# CONNECTIONS connections each keeping one SIZE-byte text message in flight.
# Usage: bench/ws/compare.sh [STRATA_BINARY] [CONNECTIONS] [SIZE] [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
strata="${1:-$root/build/strata}"
conns="${2:-50}" size="${3:-32}" seconds="${4:-5}"
work="$(mktemp -d /tmp/strata-ws-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cc -O2 -Wall -Wextra -o "$work/ws_echo_load" "$here/ws_echo_load.c"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() {  # utime + stime of a process and its children
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
measure() {  # NAME PORT PID
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.05; done
  local before after out msgs hz
  hz="$(getconf CLK_TCK)"
  before="$(ticks "$3")"
  out="$(taskset -c 1 "$work/ws_echo_load" "$2" /ws/echo "$conns" "$size" "$seconds")"
  after="$(ticks "$3")"
  msgs="$(awk '{print $1}' <<<"$out")"
  printf '%-34s %10.0f messages/s %8.2f us CPU/message %4.0f%% busy\n' "$1" "$(awk '{print $(NF-1)}' <<<"$out")" \
    "$(echo "($after - $before) * 1000000 / $hz / $msgs" | bc -l)" "$(echo "($after - $before) * 100 / $hz / $seconds" | bc -l)"
  kill -INT "$3" 2>/dev/null || true
  wait "$3" 2>/dev/null || true
}

echo "WebSocket echo: $conns connections, one $size-byte text message in flight each, $seconds s"
for tier in app typed; do
  port="$(free_port)"
  taskset -c 0 "$strata" serve --tier "$tier" --port "$port" >/dev/null 2>&1 &
  measure "strata $tier" "$port" $!
done
if command -v node >/dev/null && [ -d "$root/web/node_modules/ws" ]; then
  port="$(free_port)"
  (cd "$here" && exec taskset -c 0 node node_echo.mjs "$port") >/dev/null 2>&1 &
  measure "node + ws" "$port" $!
else
  echo "node + ws: skipped (node or web/node_modules/ws missing: make deps)"
fi
if /usr/bin/python3 -c 'import starlette, uvicorn, websockets' 2>/dev/null; then
  port="$(free_port)"
  (cd "$here" && exec taskset -c 0 /usr/bin/python3 -m uvicorn starlette_echo:app --port "$port" --ws websockets \
     --http httptools --loop uvloop --log-level warning) >/dev/null 2>&1 &
  measure "starlette (uvicorn + websockets)" "$port" $!
else
  echo "starlette: skipped (make bench-python installs python3-websockets)"
fi
