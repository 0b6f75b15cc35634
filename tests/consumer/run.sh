#!/usr/bin/env bash
# Builds tests/consumer against strata one way and checks it answers:
#   run.sh package     BUILD_DIR SOURCE_DIR   cmake --install, then find_package(strata)
#   run.sh pkgconfig   BUILD_DIR SOURCE_DIR   cmake --install, then c++ $(pkg-config --cflags --libs strata)
#   run.sh subdirectory BUILD_DIR SOURCE_DIR  add_subdirectory(strata) in the consumer's own build
set -euo pipefail
mode=${1:?mode}
build=${2:?build dir}
src=$(cd "${3:?source dir}" && pwd)
build=$(cd "$build" && pwd)
work=$(mktemp -d /tmp/strata-consumer-XXXXXX)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
here="$src/tests/consumer"
# The port of the "listening on http://HOST:PORT" line a server writes to
# file $1, waited for up to 5 s.
port_of() {
  for _ in $(seq 100); do
    grep -q "^listening on " "$1" 2>/dev/null && break
    sleep 0.05
  done
  local port
  port=$(sed -n 's/^listening on http:\/\/[^:]*:\([0-9]*\) .*/\1/p' "$1")
  [[ -n $port ]] || { echo "run.sh: $1 holds no listening line" >&2; exit 1; }
  echo "$port"
}
case $mode in
  package|pkgconfig)
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    if [[ $mode == package ]]; then
      cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
      cmake --build "$work/build" -j2 >/dev/null
      bin="$work/build/consumer"
    else
      export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
      # shellcheck disable=SC2046
      c++ "$here/main.cpp" -o "$work/consumer" $(pkg-config --cflags --libs strata)
      bin="$work/consumer"
    fi
    ;;
  subdirectory)
    # A unity build: strata's libraries compile here from scratch,
    # where most of the time is parsing headers shared by neighbouring files
    # (75 s of CPU down to 44 s).
    cmake -S "$here" -B "$work/build" -DSTRATA_SOURCE_DIR="$src" -DCMAKE_UNITY_BUILD=ON >"$work/configure.log"
    # Only the libraries: no tests, tools or examples of strata's are configured.
    if grep -q "strata-example\|test_" "$work/build/Makefile"; then
      echo "run.sh: add_subdirectory(strata) configured strata's tests or tools" >&2
      exit 1
    fi
    cmake --build "$work/build" -j2 --target consumer >/dev/null
    bin="$work/build/consumer"
    ;;
  *) echo "run.sh: unknown mode '$mode'" >&2; exit 2 ;;
esac

"$bin" --port 0 >"$work/out" &
server=$!
port=$(port_of "$work/out")
answer=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"name": "pen", "price": 1.5}' \
  "http://127.0.0.1:$port/items")
expected='{"name":"pen!","price":3.0}'
if [[ $answer != "$expected" ]]; then
  echo "run.sh ($mode): answered '$answer', expected '$expected'" >&2
  exit 1
fi
echo "consumer ($mode): $answer"

# The installed strata, run from elsewhere, serves /docs from the installed
# copy of Swagger UI (marked here, so the source tree's copy cannot pass).
if [[ $mode == package ]]; then
  kill "$server" && wait "$server" 2>/dev/null || true
  server=
  ui="$work/prefix/share/strata/swagger-ui"
  [[ -f $ui/swagger-ui-bundle.js ]] || { echo "run.sh: Swagger UI was not installed under $ui" >&2; exit 1; }
  echo "/* installed copy */" >"$ui/swagger-ui.css"
  (cd / && exec "$work/prefix/bin/strata" serve --tier typed --port 0 >"$work/strata.out") &
  server=$!
  port=$(port_of "$work/strata.out")
  css=$(curl -s "http://127.0.0.1:$port/docs/swagger-ui.css")
  if [[ $css != "/* installed copy */" ]]; then
    echo "run.sh: the installed strata served '${css:0:60}' for /docs/swagger-ui.css, not the installed copy" >&2
    exit 1
  fi
  echo "installed strata: /docs from $ui"
fi
