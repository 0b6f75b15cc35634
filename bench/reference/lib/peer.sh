# Sourced by the peers that are configured rather than programmed (nginx,
# h2o): the command line, a port, and the run itself, the same for each.
#   peer_args "$@"          sets host and port from --host H --port N (N = 0: a free port)
#   peer_run NAME SIG DIR CMD...
#       starts CMD, prints the banner the harness waits for once the port
#       accepts, stops CMD with SIG on SIGINT or SIGTERM and removes DIR
#       (the peer's temporary configuration) however it ends.

peer_args() {
  host=127.0.0.1
  port=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --host) host="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      *) echo "serve.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
  done
  if [ "$port" = 0 ]; then
    # The peer cannot report a port it chose: take one the kernel considers free.
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  fi
}

peer_run() {
  local name="$1" sig="$2" dir="$3"
  shift 3
  "$@" &
  local pid=$!
  trap 'kill -'"$sig"' '"$pid"' 2>/dev/null || true; wait '"$pid"' 2>/dev/null || true; rm -rf "'"$dir"'"; exit 0' INT TERM
  local status
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      echo "listening on http://$host:$port tier=$name"
      status=0
      wait "$pid" || status=$?
      rm -rf "$dir"
      exit "$status"
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || true
      rm -rf "$dir"
      echo "serve.sh: $name did not start" >&2
      exit 1
    fi
    sleep 0.05
  done
  kill -"$sig" "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo "serve.sh: $name did not listen on $host:$port within 5 s" >&2
  exit 1
}
