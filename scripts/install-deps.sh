#!/usr/bin/env bash
# Installs the Debian packages strata builds and tests with, only when one is
# missing, so a second run is silent and fast. Idempotent by design: `make`,
# `make test` and `make bench` all call it.
#   --python  the Python reference stack instead (`make bench-python`): Debian's
#             builds, run with /usr/bin/python3 (a pyenv or venv python3 earlier
#             on PATH does not see them)
#   --go      Go and lib/pq instead (`make bench-go`): the Go peer and seed 001's Go twin
#   --rust    Rust and Debian's hyper, tokio and serde crates instead (`make bench-rust`):
#             the hyper peer, axum's engine (`--peers rust`)
#   --print   list the packages of the chosen set and exit
# The default set then installs web/node_modules with npm (swagger-ui-dist,
# which the typed tier serves under /docs/, and the tools of tests/web).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libuv1-dev        # tier 1 event loop
  liburing-dev      # tier 1's io_uring transport (--io uring)
  node-llhttp       # tier 2 HTTP/1.1 parser, shipped as C sources
  libssl-dev        # tier 2: libcrypto's SHA-1 for the WebSocket handshake
  libsimdjson-dev   # JSON decoding (on-demand API)
  libcli11-dev      # command line
  libcurl4-openssl-dev  # src/lambda: the Lambda adapter's Runtime API client (docs/lambda.md)
  libboost1.81-dev  # Boost.Describe: reflection for tier 4 models (header-only)
  libpq-dev         # src/db: PostgreSQL's client library (non-blocking API, pipeline mode)
  libsqlite3-dev    # src/db: SQLite, the embedded default database
  zlib1g-dev        # src/app: the GZip middleware
  postgresql-15     # tests/db: initdb + pg_ctl start a private cluster per test run
  libgtest-dev      # tests
  catch2            # microbenchmarks (bench/micro): Catch2 v2 BENCHMARK, header-only
  curl              # black-box tests talk to the binary with curl too
  wrk               # load generator for `make bench`
  valgrind          # `strata profile --instructions` (callgrind and its <valgrind/callgrind.h>)
  libxml2-utils     # xmllint: tests/blackbox checks `strata profile --flamegraph`'s SVG is well-formed XML
  linux-perf        # `strata bench`: system calls per request (perf stat on the syscall tracepoints)
  nodejs            # runs web/'s scripts: the OpenAPI validator and the /docs page test
  npm               # installs web/node_modules (swagger-ui-dist is part of the build)
  chromium          # tests/web drives the /docs page in headless Chromium
  clang-14 libclang-rt-14-dev  # tests/fuzz: libFuzzer with ASan + UBSan (scripts/fuzz.sh)
)
python_packages=(
  python3            # /usr/bin/python3, the interpreter the packages below are built for
  python3-uvloop     # tier 1 twin: asyncio on libuv
  python3-httptools  # tier 2 twin: uvicorn's llhttp binding
  python3-uvicorn    # tier 2 twin (0.17 in bookworm)
  python3-starlette  # tier 3 twin (0.26)
  python3-fastapi    # tier 4 twin (0.92)
  python3-pydantic   # FastAPI's models (1.10)
  python3-ujson      # seed 003's "why?" row: the fastest JSON codec Debian packages (msgspec is not)
  python3-flask      # seed 004's Flask rows, under gunicorn's sync workers
  python3-websockets # uvicorn's WebSocket protocol, for the Starlette twin of bench/ws/compare.sh
  # seed 001's database twins (`strata bench --scenario contacts`)
  python3-asyncpg    # FastAPI + asyncpg
  python3-sqlalchemy # FastAPI + SQLAlchemy 1.4 ORM (asyncio extension over asyncpg)
  python3-django python3-djangorestframework python3-psycopg2 gunicorn  # Django 3.2 + DRF on gunicorn
)
go_packages=(
  golang-go                 # the Go peer (`--peers go`) and seed 001's Go twin
  golang-github-lib-pq-dev  # seed 001's Go twin: database/sql's PostgreSQL driver, offline from Debian
)
rust_packages=(
  cargo rustc               # the hyper peer (`--peers rust`), built offline
  librust-hyper-dev librust-tokio-dev  # axum's engine and runtime (axum itself is not packaged)
  librust-serde-json-dev librust-serde-derive-dev  # its JSON, as axum's Json extractor uses it
)
nginx_packages=(
  nginx-light               # the nginx peer (`--peers nginx`): one worker, fixed answers from its configuration
)
h2o_packages=(
  h2o                       # the h2o peer (`--peers h2o`): one thread, an mruby handler
)
print=0
python=0  # 1: a reference set, which needs no web/node_modules
for arg in "$@"; do
  case "$arg" in
    --python) packages=("${python_packages[@]}"); python=1 ;;
    --go) packages=("${go_packages[@]}"); python=1 ;;
    --rust) packages=("${rust_packages[@]}"); python=1 ;;
    --nginx) packages=("${nginx_packages[@]}"); python=1 ;;
    --h2o) packages=("${h2o_packages[@]}"); python=1 ;;
    --print) print=1 ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --python, --go, --rust, --nginx, --h2o, --print)" >&2; exit 2 ;;
  esac
done
if [ "$print" = 1 ]; then printf '%s\n' "${packages[@]}"; exit 0; fi

# A package also counts as there when an installed one provides it:
# NodeSource's nodejs provides npm and conflicts with Debian's, and installing
# that one would swap the machine's Node for an older one.
provided=$(dpkg-query -W -f='${db:Status-Abbrev}|${Provides}\n' 2>/dev/null |
  awk -F'|' '$1 ~ /^ii/ { n = split($2, p, ","); for (i = 1; i <= n; i++) { split(p[i], w, " "); print w[1] } }')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  grep -qxF "$p" <<<"$provided" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$python" = 1 ] && exit 0

# npm writes node_modules/.package-lock.json last, so it marks a finished
# install: reinstall when it is missing or older than the lock file (a pull
# that changed the dependencies). Install scripts are not run: none of these
# packages needs one, and the one swagger-ui-dist pulls in (@scarf/scarf) would
# try to send install analytics.
web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web"
stamp="$web/node_modules/.package-lock.json"
if [ ! -e "$stamp" ] || [ "$web/package-lock.json" -nt "$stamp" ]; then
  echo "installing: web/node_modules (npm ci)"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
fi
