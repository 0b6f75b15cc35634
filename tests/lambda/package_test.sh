#!/usr/bin/env bash
# The recipe of docs/lambda.md, followed: install strata, build
# examples/lambda-function against it with find_package(strata), pack
# function.zip, unpack it, and run the runtime tests against the unpacked
# `bootstrap` (its own loader and lib/) instead of the binary built here.
#   package_test.sh BUILD_DIR SOURCE_DIR TEST_LAMBDA_RUNTIME
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "${2:?source dir}" && pwd)
runtime_tests=${3:?test_lambda_runtime}
work=$(mktemp -d /tmp/strata-function-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/examples/lambda-function" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" -j2 --target function_zip | grep '^package.sh:'
mkdir "$work/function"
(cd "$work/function" && cmake -E tar xf "$work/build/function.zip")
[[ -x $work/function/bootstrap && -x $work/function/app ]] || { echo "package_test: bootstrap or app not executable" >&2; exit 1; }
# The program must load its libraries from lib/ only, never the system's:
# the bundled loader says where each one comes from, as ldd would.
fn=$work/function
loader=$(sed -n 's|^exec "\$here/lib/\([^"]*\)".*|\1|p' "$fn/bootstrap")
"$fn/lib/$loader" --library-path "$fn/lib" --list "$fn/app" >"$work/list"
if grep '=>' "$work/list" | grep -v "=> $fn/lib/"; then
  echo "package_test: the app would load a library from outside lib/" >&2
  exit 1
fi
grep -q "libcurl.so.4 => $fn/lib/" "$work/list" || { echo "package_test: no libcurl from lib/" >&2; exit 1; }
STRATA_LAMBDA_BOOTSTRAP="$work/function/bootstrap" "$runtime_tests" --gtest_filter='LambdaRuntime*'
