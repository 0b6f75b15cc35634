#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and benchmarks: initdb into DIR,
# listening only on a Unix socket in DIR (no TCP port at all), trust auth,
# never the machine's own cluster. As root, the server runs as `postgres`
# (PostgreSQL refuses to run as root).
#   pg-temp.sh start DIR     init DIR if empty, start; prints the URL
#   pg-temp.sh stop DIR      stop the server, keep the data (start again later)
#   pg-temp.sh destroy DIR   stop and remove DIR
#   pg-temp.sh template DIR  initdb into DIR and nothing else, for PG_TEMP_TEMPLATE
# PG_TEMP_OPTIONS adds server options at start, e.g. "-c log_statement=all".
# PG_TEMP_TEMPLATE=DIR: start copies DIR's cluster instead of running initdb
# when DIR holds one (0.1 s against 0.9 s of CPU); without one, initdb as usual.
# CTest makes the template once per run for the tests (tests/db/CMakeLists.txt).
set -euo pipefail
cmd=${1:?usage: pg-temp.sh start|stop|destroy|template DIR}
dir=${2:?usage: pg-temp.sh start|stop|destroy|template DIR}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [[ -z $bin || ! -x $bin/initdb ]]; then
  echo "pg-temp.sh: PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql-15 (scripts/install-deps.sh does)" >&2
  exit 1
fi
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
url() {
  echo "postgresql://strata@/postgres?host=$dir&port=$(cat "$dir/port")"
}
initdb_into() {
  as_pg "$bin/initdb" -D "$1/data" -U strata --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$1/initdb.log" 2>&1 ||
    { echo "pg-temp.sh: initdb failed:" >&2; cat "$1/initdb.log" >&2; exit 1; }
}
case $cmd in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      # A port number only names the socket file; chosen per cluster anyway.
      echo $((20000 + RANDOM % 40000)) >"$dir/port"
      template=${PG_TEMP_TEMPLATE:-}
      if [[ -n $template && -f $template/data/PG_VERSION && ! -f $template/data/postmaster.pid ]]; then
        cp -a "$template/data" "$dir/data"
      else
        initdb_into "$dir"
      fi
    fi
    if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then url; exit 0; fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-k $dir -c listen_addresses= -p $(cat "$dir/port") -c fsync=off -c full_page_writes=off -c max_connections=200 ${PG_TEMP_OPTIONS:-}" \
      start >/dev/null ||
      { echo "pg-temp.sh: the server did not start:" >&2; tail -20 "$dir/server.log" >&2; exit 1; }
    url
    ;;
  stop)
    [[ -f $dir/data/postmaster.pid ]] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    exit 0
    ;;
  destroy)
    [[ -f $dir/data/postmaster.pid ]] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  template)
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    initdb_into "$dir"
    echo "pg-temp.sh: template cluster in $dir"
    ;;
  *) echo "pg-temp.sh: unknown command '$cmd' (start, stop, destroy, template)" >&2; exit 2 ;;
esac
