#!/usr/bin/env bash
# The tiers stack in one direction: a file may include its own tier and the
# tiers below it, never one above (docs/architecture.md). This check makes
# that a test instead of a review habit.
#   common < loop < parser < app < db < router < serve;  cli and main.cpp
#   sit on top.
# kit/ (processes, the banner, an HTTP client for tools and tests) stands
# apart: it includes only itself, and no tier may include it.
# lambda/ (the AWS Lambda adapter) sits on app: it may include app and what
# is below, and only the top (cli, main.cpp) may include it.
# Usage: check_layers.sh SRC_DIR   (exit 1 and one line per offending include)
set -euo pipefail
src=${1:?usage: check_layers.sh SRC_DIR}
rank() {
  case $1 in
    common) echo 0 ;; loop) echo 1 ;; parser) echo 2 ;; app) echo 3 ;;
    db) echo 4 ;; router) echo 5 ;; serve) echo 6 ;; lambda) echo 3 ;; *) echo "" ;;
  esac
}
bad=0
checked=0
while IFS= read -r file; do
  tier=${file#"$src"/}
  tier=${tier%%/*}
  mine=$(rank "$tier")
  if [[ $tier == kit ]]; then
    checked=$((checked + 1))
    while IFS=: read -r line inc; do
      target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
      if [[ $target != kit ]]; then
        echo "$file:$line: kit includes '$target/': the kit stands on no tier" >&2
        bad=1
      fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$file")
    continue
  fi
  [[ -z $mine ]] && continue  # cli/, main.cpp: the top, may include anything below
  checked=$((checked + 1))
  while IFS=: read -r line inc; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    theirs=$(rank "$target")
    if [[ $target == lambda && $tier != lambda ]]; then
      echo "$file:$line: tier '$tier' includes 'lambda/', which only the top (cli, main.cpp) may" >&2
      bad=1
    elif [[ -z $theirs && $target != "$tier" ]]; then
      # an include of a folder that is no tier (cli, harness): only the top may
      echo "$file:$line: tier '$tier' includes '$target/', which is not below it" >&2
      bad=1
    elif [[ -n $theirs && $theirs -gt $mine ]]; then
      echo "$file:$line: tier '$tier' includes the higher tier '$target/'" >&2
      bad=1
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$file" | sed -E 's/^([0-9]+):/\1:/')
done < <(find "$src" -mindepth 2 -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) | sort)
if [[ $checked -eq 0 ]]; then
  echo "check_layers: no tier sources found under $src" >&2
  exit 1
fi
[[ $bad -eq 0 ]] && echo "check_layers: $checked files, every include points down"
exit $bad
