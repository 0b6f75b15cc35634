#!/usr/bin/env bash
# Installs the Debian packages strata builds and tests with, only when one is
# missing, so a second run is silent and fast. Idempotent by design: `make`,
# `make test` and `make bench` all call it.
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
if [ "${1:-}" = "--print" ]; then printf '%s\n' "${packages[@]}"; exit 0; fi

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
