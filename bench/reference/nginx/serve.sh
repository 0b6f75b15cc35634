#!/usr/bin/env bash
# Peer row of `strata bench`: nginx answering seed 002's fixed greetings
# (GET /index?name= and GET /) from its configuration, one worker process,
# no application code. Writes its configuration into a temporary prefix,
# starts nginx in the foreground, prints the banner the harness waits for
# once the port accepts, and stops nginx (and removes the prefix) on
# SIGINT or SIGTERM.
# Usage: serve.sh [--host H] [--port N]   (N = 0 picks a free port)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/peer.sh"
peer_args "$@"
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
if [ ! -x "$nginx" ]; then
  echo "serve.sh: nginx not found (Debian's nginx-light: make bench-nginx)" >&2
  exit 1
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

peer_run nginx QUIT "$prefix" "$nginx" -p "$prefix" -c "$prefix/nginx.conf"
