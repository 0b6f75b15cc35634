#!/usr/bin/env bash
# Peer row of `strata bench`: h2o (Debian's 2.2, one thread) answering
# seed 002's greetings from an mruby handler: GET /index?name= (the name
# is not percent-decoded) and GET /. Writes its configuration into a
# temporary folder, starts h2o, prints the banner the harness waits for
# once the port accepts, and stops h2o (and removes the folder) on SIGINT
# or SIGTERM.
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
h2o="$(command -v h2o || echo /usr/bin/h2o)"
if [ ! -x "$h2o" ]; then
  echo "serve.sh: h2o not found (Debian's h2o: make bench-h2o)" >&2
  exit 1
fi
if [ "$port" = 0 ]; then
  # h2o cannot report a port it chose: take one the kernel considers free.
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
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

"$h2o" -c "$dir/h2o.conf" &
pid=$!
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  exit 0
}
trap stop INT TERM

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "listening on http://$host:$port tier=h2o"
    wait "$pid"
    status=$?
    rm -rf "$dir"
    exit "$status"
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || true
    rm -rf "$dir"
    echo "serve.sh: h2o did not start" >&2
    exit 1
  fi
  sleep 0.05
done
kill -TERM "$pid" 2>/dev/null || true
rm -rf "$dir"
echo "serve.sh: h2o did not listen on $host:$port within 5 s" >&2
exit 1
