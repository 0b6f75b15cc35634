#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build-fuzz/ and
# runs each for SECONDS (default 60): first over its saved regressions
# (tests/fuzz/regressions/<target>/), then fuzzing from its corpus
# (build-fuzz/corpus/<target>/, seeded from tests/fuzz/corpus/, kept between
# runs). Prints one line per target; exits non-zero if any target crashed,
# naming the file that reproduces it. `make fuzz` and `make test` call it.
#   scripts/fuzz.sh [SECONDS]
# Environment: FUZZ_BUILD (build directory, default build-fuzz), FUZZ_TARGETS
# (default "fuzz_http1 fuzz_json fuzz_url fuzz_websocket"), JOBS (build parallelism,
# and how many targets fuzz at once),
# FUZZ_CC and FUZZ_CXX (the compilers; default clang-14 and clang++-14),
# FUZZ_KEEP_GOING=1 (carry on past failures, in libFuzzer's fork mode, and
# list them grouped by what failed: to see every known failure at once).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "fuzz.sh: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
build="${FUZZ_BUILD:-build-fuzz}"
[[ "$build" = /* ]] || build="$root/$build"
jobs="${JOBS:-$(nproc)}"
keep_going="${FUZZ_KEEP_GOING:-0}"
read -r -a targets <<<"${FUZZ_TARGETS:-fuzz_http1 fuzz_json fuzz_url fuzz_websocket}"
# clang 14 is what scripts/install-deps.sh installs, with its compiler-rt
# (libFuzzer and the sanitizers' runtimes); a plain clang is the fallback.
if command -v clang++-14 >/dev/null && command -v clang-14 >/dev/null; then
  cc="${FUZZ_CC:-clang-14}" cxx="${FUZZ_CXX:-clang++-14}"
else
  cc="${FUZZ_CC:-clang}" cxx="${FUZZ_CXX:-clang++}"
fi

for tool in "$cc" "$cxx"; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: $tool not found: the fuzzers need clang and compiler-rt (scripts/install-deps.sh installs clang-14 and libclang-rt-14-dev)" >&2
    exit 1
  fi
done

# ---------------------------------------------------------------- build

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
echo "fuzz: building ${targets[*]} in ${build#"$root"/} ($cxx)"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DSTRATA_FUZZ=ON -DSTRATA_TESTS=OFF "${launcher[@]}" >"$build/fuzz-configure.log" 2>&1 ||
  { tail -n 40 "$build/fuzz-configure.log" >&2; echo "fuzz.sh: configuring $build failed (log: $build/fuzz-configure.log)" >&2; exit 1; }
cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1 ||
  { tail -n 40 "$build/fuzz-build.log" >&2; echo "fuzz.sh: building the fuzzers failed (log: $build/fuzz-build.log)" >&2; exit 1; }

# ---------------------------------------------------------------- seeds

# Control bytes put in front of every seed request of fuzz_http1 (layout in
# tests/fuzz/README.md): the echo app with the defaults, fed whole and one
# byte at a time; the interleaving app with random reads and every event;
# the streaming app with small limits; the declared-length app with tiny
# ones, sent 8 times over; the echo app at the concurrency limit; the
# interleaving app with the seed's \x7f (if any) stretched to 20 KiB.
http1_prefixes=(
  '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  '\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00'
  '\x03\x00\x00\x85\x0f\x11\x22\x33\x00\x00'
  '\x02\x13\x04\x07\x01\x44\x55\x66\x00\x00'
  '\x04\x41\xa5\x82\x0a\x77\x88\x99\x07\x00'
  '\x00\x00\x00\x00\x30\x00\x00\x00\x00\x00'
  '\x03\x00\x00\x8a\x00\x12\x34\x56\x00\x50'
)

# Writes the seeds of target $1 into directory $2, one file per seed line
# (comments and empty lines skipped); names are content hashes, as
# libFuzzer's own, so rerunning adds nothing twice.
write_seeds() {
  local target="$1" dir="$2" list="$root/tests/fuzz/corpus/$1.txt" line prefix tmp
  [ -f "$list" ] || return 0
  tmp="$dir/.seed"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ -z "$line" || "$line" = \#* ]] && continue
    case "$target" in
      fuzz_json) printf '%s' "$line" >"$tmp"; save_seed "$tmp" "$dir" ;;
      fuzz_http1)
        for prefix in "${http1_prefixes[@]}"; do
          printf '%b%b' "$prefix" "$line" >"$tmp"
          save_seed "$tmp" "$dir"
        done ;;
      *) printf '%b' "$line" >"$tmp"; save_seed "$tmp" "$dir" ;;
    esac
  done <"$list"
  rm -f "$tmp"
}
save_seed() {
  local name
  name="$(sha1sum "$1" | cut -c1-40)"
  mv -f "$1" "$2/$name"
}

max_len() {
  case "$1" in
    fuzz_http1) echo 16384 ;;
    fuzz_json) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

# What an input that fails makes the target say: its first line about it.
failure_of() {
  "$1" "$2" 2>&1 | grep -m1 -E 'invariant violated|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer|SUMMARY' |
    sed -E 's/^==[0-9]+==//; s/^[^:]*: //' || true
}

# ---------------------------------------------------------------- run

# One target: regressions, then fuzzing. Runs in the background beside the
# others, so what it says goes to $build/fuzz-logs/<target>.summary and what
# failed to <target>.failures, read back in order once all have ended.
run_target() {
  local t="$1" bin log crashes corpus regressions rlog last why status stamp last_line cov ft runs rate inputs artifact
  local -a mode found failed=()
  exec >"$build/fuzz-logs/$t.summary"
  bin="$build/tests/fuzz/$t"
  log="$build/fuzz-logs/$t.log"
  crashes="$build/fuzz-crashes/$t"
  corpus="$build/corpus/$t"
  mkdir -p "$crashes" "$corpus"
  write_seeds "$t" "$corpus"

  # Every input that once broke an invariant, replayed before fuzzing.
  regressions="$root/tests/fuzz/regressions/$t"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    rlog="$build/fuzz-logs/$t.regressions.log"
    if ! (cd "$crashes" && "$bin" -artifact_prefix="$crashes/" "$regressions"/* >"$rlog" 2>&1); then
      # libFuzzer stops at the first failing file: the last one it started.
      last="$(grep '^Running: ' "$rlog" | tail -n1 | sed 's/^Running: //')"
      why="$(grep -m1 -E 'invariant violated|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer' "$rlog" || true)"
      echo "$t: regression ${last:-?} still fails: ${why:-see log}"
      failed+=("$t: the saved regression ${last:-?} still fails (log: $rlog)")
    else
      echo "$t: $(ls -A "$regressions" | wc -l) regression input(s) pass"
    fi
  fi

  status=0
  mode=()
  [ "$keep_going" = 1 ] && mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  stamp="$build/fuzz-logs/$t.started"
  touch "$stamp"
  (cd "$crashes" && "$bin" "${mode[@]}" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1) || status=$?

  # The last status line: "#N DONE cov: C ft: F ... exec/s: E" (in fork
  # mode "#N: cov: C ft: F corp: ... exec/s E", with coverage counted
  # differently, so figures of the two modes do not compare).
  last_line="$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last_line")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last_line")"
  runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n1)"
  rate="$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -n1)"
  [ -n "$runs" ] || runs="$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last_line")"
  [ -n "$rate" ] || rate="$(sed -nE 's/.* exec\/s:? ([0-9]+).*/\1/p' <<<"$last_line")"
  [ "$keep_going" = 1 ] && [ -n "$runs" ] && rate="$((runs / seconds))"
  inputs="$(find "$corpus" -maxdepth 1 -type f | wc -l)"
  echo "$t: ${runs:-?} executions, ${rate:-?} exec/s, cov: ${cov:-?} ft: ${ft:-?}, corpus ${inputs} inputs"

  if [ "$keep_going" = 1 ]; then
    mapfile -t found < <(find "$crashes" -maxdepth 1 -type f -newer "$stamp" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
    if [ ${#found[@]} -gt 0 ]; then
      echo "$t: ${#found[@]} failing input(s), by what failed:"
      for f in "${found[@]}"; do printf '%s\t%s\n' "$(failure_of "$bin" "$f")" "$f"; done |
        sort | awk -F'\t' '$1 != prev { if (n) printf "    %d x %s (e.g. %s)\n", n, prev, ex; prev = $1; ex = $2; n = 0 } { n++ }
                           END { if (n) printf "    %d x %s (e.g. %s)\n", n, prev, ex }'
      failed+=("$t found ${#found[@]} failing input(s) in $crashes (log: $log)")
    fi
  elif [ "$status" -ne 0 ]; then
    artifact="$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n1)"
    why="$(grep -m1 -E 'invariant violated|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer' "$log" || true)"
    echo "$t: FAILED (exit $status): ${why:-see log}"
    failed+=("$t found a failure: ${why:-exit $status}; reproduce with $bin ${artifact:-<no artifact, see $log>} (log: $log)")
  fi
  : >"$build/fuzz-logs/$t.failures"
  [ ${#failed[@]} -eq 0 ] || printf '%s\n' "${failed[@]}" >"$build/fuzz-logs/$t.failures"
}

# Each target is single-threaded: run them $jobs at a time, so a 2-core
# machine fuzzes two at once and every target still gets its SECONDS.
mkdir -p "$build/fuzz-logs"
running=0
for t in "${targets[@]}"; do
  rm -f "$build/fuzz-logs/$t.summary" "$build/fuzz-logs/$t.failures"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
failures=()
for t in "${targets[@]}"; do
  cat "$build/fuzz-logs/$t.summary" 2>/dev/null || true
  if [ -s "$build/fuzz-logs/$t.failures" ]; then
    mapfile -t more <"$build/fuzz-logs/$t.failures"
    failures+=("${more[@]}")
  elif [ ! -e "$build/fuzz-logs/$t.failures" ]; then
    failures+=("$t ended without a result (log: $build/fuzz-logs/$t.log)")
  fi
done

if [ ${#failures[@]} -gt 0 ]; then
  echo
  for f in "${failures[@]}"; do echo "fuzz.sh: $f" >&2; done
  exit 1
fi
echo "fuzz: no failures in ${seconds} s per target"
