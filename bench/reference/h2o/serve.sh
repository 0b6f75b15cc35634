#!/usr/bin/env bash
# Peer row of `strata bench`: h2o (Debian's 2.2, one thread) answering
# seed 002's greetings from an mruby handler: GET /index?name= (the name
# is not percent-decoded) and GET /. Writes its configuration into a
# temporary folder, starts h2o, prints the banner the harness waits for
# once the port accepts, and stops h2o (and removes the folder) on SIGINT
# or SIGTERM.
# Usage: serve.sh [--host H] [--port N]   (N = 0 picks a free port)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/peer.sh"
peer_args "$@"
h2o="$(command -v h2o || echo /usr/bin/h2o)"
if [ ! -x "$h2o" ]; then
  echo "serve.sh: h2o not found (Debian's h2o: make bench-h2o)" >&2
  exit 1
fi

dir="$(mktemp -d /tmp/strata-h2o-XXXXXX)"
chmod 755 "$dir"  # run as root, h2o serves as nobody
cat >"$dir/h2o.conf" <<CONF
listen:
  host: $host
  port: $port
num-threads: 1
error-log: /dev/stderr
hosts:
  default:
    paths:
      /:
        mruby.handler: |
          Proc.new do |env|
            body = "Hello ASGI World!"
            if env["PATH_INFO"] == "/index"
              env["QUERY_STRING"].to_s.split("&").each do |kv|
                k, v = kv.split("=", 2)
                body = "Hello " + v.to_s if k == "name" && v.to_s != ""
              end
            end
            [200, {"content-type" => "text/plain; charset=utf-8"}, [body]]
          end
CONF

peer_run h2o TERM "$dir" "$h2o" -c "$dir/h2o.conf"
