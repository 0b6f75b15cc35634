#!/usr/bin/env bash
# `make test` after `make build`: every test in the normal build, every test
# again in the ASan + UBSan build, then a short fuzz pass.
#
# A test run leaves about half of the machine idle: most tests wait on
# sockets, child processes and timeouts. So each test run overlaps the
# build that comes after it, whose output goes to a log (printed when it
# fails): the normal tests run while the sanitizer build compiles, and the
# sanitizer tests while the fuzzers compile. The tests are the same ones,
# run the same way; only the idle time is filled.
#
# Environment (the Makefile passes them): BUILD, ASAN, FUZZ (build folders),
# JOBS, FUZZ_TEST_SECONDS, CMAKE_FLAGS, MAKE.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${BUILD:-build}" asan="${ASAN:-build-asan}" fuzz="${FUZZ:-build-fuzz}"
jobs="${JOBS:-$(nproc)}" seconds="${FUZZ_TEST_SECONDS:-20}" make="${MAKE:-make}"

# Starts "$@" in the background with its output in $1 (a log file).
background() {
  local log="$1"
  shift
  mkdir -p "$(dirname "$log")"
  "$@" >"$log" 2>&1 &
  bg_pid=$!
}

# Waits for the background job $1 that wrote log $2 and was named $3;
# on failure prints the end of its log and ends make test.
finish() {
  if ! wait "$1"; then
    tail -n 60 "$2" >&2
    echo "make test: $3 failed (log: $2)" >&2
    exit 1
  fi
}

# Ends make test when a test run failed, after its overlapping build ended.
check() {
  if [ "$1" -ne 0 ]; then
    echo "make test: $2 failed" >&2
    exit "$1"
  fi
}

echo "make test: the tests, while the ASan + UBSan build compiles (log: $asan/make-test-build.log)"
background "$asan/make-test-build.log" "$make" --no-print-directory build-asan \
  ASAN="$asan" JOBS="$jobs" CMAKE_FLAGS="${CMAKE_FLAGS:-}"
asan_build=$bg_pid
(cd "$build" && ctest -j"$jobs" --output-on-failure)
fast=$?
finish "$asan_build" "$asan/make-test-build.log" "the ASan + UBSan build"
check "$fast" "the tests"

echo "make test: the tests under ASan + UBSan, while the fuzzers compile (log: $fuzz/make-test-build.log)"
background "$fuzz/make-test-build.log" env FUZZ_BUILD="$fuzz" JOBS="$jobs" FUZZ_BUILD_ONLY=1 \
  bash scripts/fuzz.sh "$seconds"
fuzz_build=$bg_pid
(cd "$asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j"$jobs" --output-on-failure)
sanitized=$?
finish "$fuzz_build" "$fuzz/make-test-build.log" "the fuzz build"
check "$sanitized" "the tests under ASan + UBSan"

FUZZ_BUILD="$fuzz" JOBS="$jobs" bash scripts/fuzz.sh "$seconds"
