#!/usr/bin/env bash
# A mistake in a typed route is one compile error that says what to do. Each
# .cpp here must fail to compile with exactly one "error:" line, holding the
# text of its first-line "// expect: ..." comment.
# Usage: check.sh FLAGS_FILE CXX FILE.cpp...   (FLAGS_FILE: one compiler flag per line)
set -euo pipefail
flags_file=${1:?usage: check.sh FLAGS_FILE CXX FILE.cpp...}
cxx=${2:?compiler}
shift 2
mapfile -t flags < <(grep -v '^$' "$flags_file")
failed=0
for src in "$@"; do
  expect=$(sed -n '1s|^// expect: ||p' "$src")
  [[ -n $expect ]] || { echo "$src: no '// expect:' first line" >&2; failed=1; continue; }
  if out=$("$cxx" -fsyntax-only -x c++ "${flags[@]}" "$src" 2>&1); then
    echo "$src: compiled, but must not" >&2
    failed=1
    continue
  fi
  errors=$(grep -c 'error:' <<<"$out" || true)
  if [[ $errors -ne 1 ]]; then
    echo "$src: $errors errors, expected exactly one:" >&2
    grep 'error:' <<<"$out" | cut -c1-300 >&2
    failed=1
  elif ! grep -qF "$expect" <<<"$out"; then
    echo "$src: the error does not say '$expect':" >&2
    grep 'error:' <<<"$out" | cut -c1-300 >&2
    failed=1
  else
    echo "$src: one error, as expected"
  fi
done
exit $failed
