#!/usr/bin/env bash
# Installs the Debian packages strata builds and tests with, only when one is
# missing, so a second run is silent and fast. Idempotent by design: `make`,
# `make test` and `make bench` all call it.
#   --python  the Python reference stack instead (`make bench-python`): Debian's
#             builds, run with /usr/bin/python3 (a pyenv or venv python3 earlier
#             on PATH does not see them)
#   --print   list the packages of the chosen set and exit
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libuv1-dev        # tier 1 event loop
  node-llhttp       # tier 2 HTTP/1.1 parser, shipped as C sources
  libsimdjson-dev   # JSON decoding (on-demand API)
  libcli11-dev      # command line
  libboost1.81-dev  # Boost.Describe: reflection for tier 4 models (header-only)
  libgtest-dev      # tests
  libbenchmark-dev  # microbenchmarks (bench/micro)
  curl              # black-box tests talk to the binary with curl too
  wrk               # load generator for `make bench`
)
python_packages=(
  python3            # /usr/bin/python3, the interpreter the packages below are built for
  python3-uvloop     # tier 1 twin: asyncio on libuv
  python3-httptools  # tier 2 twin: uvicorn's llhttp binding
  python3-uvicorn    # tier 2 twin (0.17 in bookworm)
  python3-starlette  # tier 3 twin (0.26)
  python3-fastapi    # tier 4 twin (0.92)
  python3-pydantic   # FastAPI's models (1.10)
)
print=0
for arg in "$@"; do
  case "$arg" in
    --python) packages=("${python_packages[@]}") ;;
    --print) print=1 ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --python, --print)" >&2; exit 2 ;;
  esac
done
if [ "$print" = 1 ]; then printf '%s\n' "${packages[@]}"; exit 0; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
