#!/usr/bin/env bash
# Peer row of `strata bench`: nginx answering seed 002's fixed greetings
# (GET /index?name= and GET /) from its configuration, one worker process,
# no application code. Writes its configuration into a temporary prefix,
# starts nginx in the foreground, prints the banner the harness waits for
# once the port accepts, and stops nginx (and removes the prefix) on
# SIGINT or SIGTERM.
# Usage: serve.sh [--host H] [--port N]   (N = 0 picks a free port)
set -euo pipefail

host=127.0.0.1
port=0
while [ $# -gt 0 ]; do
  case "$1" in
    --host) host="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "serve.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
if [ ! -x "$nginx" ]; then
  echo "serve.sh: nginx not found (Debian's nginx-light: make bench-nginx)" >&2
  exit 1
fi
if [ "$port" = 0 ]; then
  # nginx cannot report a port it chose: take one the kernel considers free.
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi

prefix="$(mktemp -d /tmp/strata-nginx-XXXXXX)"
mkdir -p "$prefix/logs"
cat >"$prefix/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $prefix/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  keepalive_requests 1000000000;
  keepalive_timeout 75s;
  client_body_temp_path $prefix/body;
  server {
    listen $host:$port reuseport;
    default_type "text/plain; charset=utf-8";
    location = /index {
      if (\$arg_name = "") { return 200 "Hello ASGI World!"; }
      return 200 "Hello \$arg_name";
    }
    location = / { return 200 "Hello ASGI World!"; }
  }
}
CONF

"$nginx" -p "$prefix" -c "$prefix/nginx.conf" &
pid=$!
stop() {
  kill -QUIT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$prefix"
  exit 0
}
trap stop INT TERM

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "listening on http://$host:$port tier=nginx"
    wait "$pid"
    status=$?
    rm -rf "$prefix"
    exit "$status"
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || true
    rm -rf "$prefix"
    echo "serve.sh: nginx did not start" >&2
    exit 1
  fi
  sleep 0.05
done
kill -QUIT "$pid" 2>/dev/null || true
rm -rf "$prefix"
echo "serve.sh: nginx did not listen on $host:$port within 5 s" >&2
exit 1
