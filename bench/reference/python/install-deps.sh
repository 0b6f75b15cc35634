#!/usr/bin/env bash
# Installs the Debian packages the Python reference servers run on, only
# when one is missing (a second run is silent and fast). `make bench-python`
# calls it. They are Debian's builds, run with /usr/bin/python3: a pyenv or
# venv python3 earlier on PATH does not see them.
set -euo pipefail

packages=(
  python3            # /usr/bin/python3, the interpreter the packages below are built for
  python3-uvloop     # tier 1 twin: asyncio on libuv
  python3-httptools  # tier 2 twin: uvicorn's llhttp binding
  python3-uvicorn    # tier 2 twin (0.17 in bookworm)
  python3-starlette  # tier 3 twin (0.26)
  python3-fastapi    # tier 4 twin (0.92)
  python3-pydantic   # FastAPI's models (1.10)
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
