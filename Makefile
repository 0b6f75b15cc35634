# strata: the two commands a new machine needs.
#   make test   install missing packages, build, run every test, then the
#               AddressSanitizer + UBSan build of the tests
#   make bench  install missing packages, Release build, run the main job
# `make` alone builds (RelWithDebInfo) into build/.

JOBS    ?= $(shell nproc)
BUILD   ?= build
ASAN    ?= build-asan
RELEASE ?= build-release
FUZZ    ?= build-fuzz
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan test test-fast test-asan fuzz fuzz-smoke release bench bench-python bench-go bench-rust bench-nginx bench-h2o clean

all: build

deps:
	@bash scripts/install-deps.sh

# -g1 (line tables and symbols) instead of RelWithDebInfo's -g: the build
# `make test` and `strata profile` use needs no variable-level debug info,
# and it is about a quarter of the compile time of the template-heavy
# files (examples/bookshelf.cpp: 26.7 s at -O2 -g, 19.1 s at -O2 -g1).
BUILD_FLAGS ?= -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(BUILD_FLAGS) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test-fast: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure

# A unity build (several .cpp per compiler run): at -O0 most of a file's
# compile time is parsing the headers it shares with its neighbours, so
# this build takes 2m08 instead of 3m22. Only here: the build whose code
# `strata profile` counts keeps one object per file.
build-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN) -j$(JOBS)

test-asan: build-asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j$(JOBS) --output-on-failure

# One stage after another. Overlapping each test run with the next build
# was tried on fresh clones on 2 cores, the same day: 20m10s against 20m59s
# in turn. The tests keep about one core busy, so a build beside them
# slows them as much as it gains; 4% did not pay for a script of its own.
test: test-fast test-asan fuzz-smoke

# Coverage-guided fuzzers (tests/fuzz/README.md), a clang build in $(FUZZ)/:
# `make fuzz` runs each FUZZ_SECONDS; `make test` ends with a short pass of
# FUZZ_TEST_SECONDS each, after replaying tests/fuzz/regressions/.
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 20
fuzz: deps
	@FUZZ_BUILD=$(FUZZ) JOBS=$(JOBS) bash scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: deps
	@FUZZ_BUILD=$(FUZZ) JOBS=$(JOBS) bash scripts/fuzz.sh $(FUZZ_TEST_SECONDS)

release: deps
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DSTRATA_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE) -j$(JOBS) --target strata

# The main job: every tier alone under the same wrk load (server on core 0,
# wrk on core 1), 3 trials of 2 s warm-up + 8 s; the decay table on stdout,
# every raw figure in $(RELEASE)/bench.json, a chart in $(RELEASE)/bench.svg.
# More: make bench BENCH_ARGS="--reference python" (after make bench-python).
BENCH_ARGS ?=
bench: release
	$(RELEASE)/strata bench --json $(RELEASE)/bench.json --chart $(RELEASE)/bench.svg \
	  --markdown $(RELEASE)/bench.md $(BENCH_ARGS)

# Debian's Python packages for `strata bench --reference python`
# (uvicorn, uvloop, httptools, Starlette, FastAPI, pydantic) and seed 001's
# database twins (asyncpg, SQLAlchemy, Django, DRF, psycopg2, gunicorn); idempotent.
bench-python:
	@bash scripts/install-deps.sh --python

# Go and Debian's lib/pq: the Go peer (`--peers go`) and seed 001's Go twin.
bench-go:
	@bash scripts/install-deps.sh --go

# nginx-light: the nginx peer (`--peers nginx`; hello, root and pipelined).
bench-nginx:
	@bash scripts/install-deps.sh --nginx

# h2o: the h2o peer (`--peers h2o`; hello, root and pipelined).
bench-h2o:
	@bash scripts/install-deps.sh --h2o

# Rust and Debian's hyper/tokio/serde crates: the hyper peer (`--peers rust`).
bench-rust:
	@bash scripts/install-deps.sh --rust

clean:
	rm -rf $(BUILD) $(ASAN) $(RELEASE) $(FUZZ)
