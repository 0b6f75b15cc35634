#!/usr/bin/env bash
# Every C++ block of the docs compiles against strata's headers, so the docs
# cannot drift from the API. A block says what it is in its fence:
#   ```cpp               a whole program (or translation unit), compiled as is
#   ```cpp statements    statements, compiled inside a function body
#   ```cpp coroutine     statements that co_await, inside a Task<void> coroutine
#   ```cpp declarations  namespace-scope declarations
# What a fragment takes for granted (the includes, a model, an `api`) goes in
# an HTML comment just before it, which a reader of the page does not see:
#   <!-- prelude
#   #include <strata/router/api.hpp>
#   -->
# Blocks are checked with -fsyntax-only, which instantiates the templates
# they use (where tier 4's mistakes show) without the cost of code generation.
# Usage: check_snippets.sh FLAGS_FILE CXX FILE.md...   (FLAGS_FILE: one compiler flag per line)
set -euo pipefail
flags_file=${1:?usage: check_snippets.sh FLAGS_FILE CXX FILE.md...}
cxx=${2:?compiler}
shift 2
mapfile -t flags < <(grep -v '^$' "$flags_file")
work=$(mktemp -d /tmp/strata-snippets-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Splits FILE.md into $work/<base>_<n>.<kind>.cpp (the block) and
# $work/<base>_<n>.prelude (the comment before it, possibly empty).
extract() {
  local md=$1 base
  base=$(basename "$md" .md)
  awk -v out="$work/$base" '
    /^<!-- prelude[[:space:]]*$/ { inpre = 1; pre = ""; next }
    inpre && /^-->[[:space:]]*$/ { inpre = 0; haspre = 1; next }
    inpre { pre = pre $0 "\n"; next }
    /^```cpp/ {
      kind = $2 == "" ? "program" : $2
      n++
      file = out "_" n "." kind ".cpp"
      printf "%s", (haspre ? pre : "") > (out "_" n ".prelude")
      close(out "_" n ".prelude")
      haspre = 0; inblock = 1; printf "" > file
      next
    }
    inblock && /^```[[:space:]]*$/ { inblock = 0; close(file); next }
    inblock { print >> file; next }
    /[^[:space:]]/ { haspre = 0 }
  ' "$md"
}

for md in "$@"; do extract "$md"; done
checked=0 failed=0
for block in "$work"/*.cpp; do
  [[ -e $block ]] || continue
  name=$(basename "$block")
  kind=${name%.cpp}
  kind=${kind##*.}
  stem=${name%%.*}
  unit="$work/$stem.unit.cc"
  {
    cat "$work/$stem.prelude"
    case $kind in
      program) cat "$block" ;;
      declarations) cat "$block" ;;
      statements) echo "[[maybe_unused]] static void snippet_body() {"; cat "$block"; echo "}" ;;
      coroutine) echo "[[maybe_unused]] static strata::Task<void> snippet_body() {"; cat "$block"; echo "co_return;"; echo "}" ;;
      *) echo "check_snippets: $name: unknown block kind '$kind' (program, statements, coroutine, declarations)" >&2
         failed=$((failed + 1)); continue ;;
    esac
  } >"$unit"
  checked=$((checked + 1))
  if ! "$cxx" -fsyntax-only -x c++ "${flags[@]}" "$unit" 2>"$work/$stem.err"; then
    md=${stem%_*}.md
    echo "check_snippets: block ${stem##*_} ($kind) of $md does not compile:" >&2
    head -30 "$work/$stem.err" >&2
    failed=$((failed + 1))
  fi
done
if [[ $checked -eq 0 ]]; then
  echo "check_snippets: no \`\`\`cpp blocks found in $*" >&2
  exit 1
fi
echo "check_snippets: $checked blocks, $failed failed"
[[ $failed -eq 0 ]]
