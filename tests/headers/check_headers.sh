#!/usr/bin/env bash
# A typed application's unit stays light: the headers it includes through
# strata's public ones must not pull in the ones named here (simdjson.h is
# most of such a unit's compile time and memory; router/decoder_internal.hpp
# keeps it inside the library).
# Usage: check_headers.sh FLAGS_FILE CXX FILE.cpp HEADER...
#   FLAGS_FILE: one compiler flag per line; HEADER: a file name, e.g. simdjson.h
set -euo pipefail
flags_file=${1:?usage: check_headers.sh FLAGS_FILE CXX FILE.cpp HEADER...}
cxx=${2:?compiler}
src=${3:?source file}
shift 3
mapfile -t flags < <(grep -v '^$' "$flags_file")
deps=$("$cxx" -M -x c++ "${flags[@]}" "$src" | tr -s ' \\\n' '\n\n\n')
failed=0
for header in "$@"; do
  if hit=$(grep -m1 "/$header\$" <<<"$deps"); then
    echo "$src includes $hit" >&2
    failed=1
  fi
done
[[ $failed -eq 0 ]] && echo "$src: none of $* is included"
exit $failed
