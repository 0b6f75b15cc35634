# strata: the two commands a new machine needs.
#   make test   install missing packages, build, run every test, then the
#               AddressSanitizer + UBSan build of the tests
#   make bench  install missing packages, Release build, run the main job
# `make` alone builds (RelWithDebInfo) into build/.

JOBS    ?= $(shell nproc)
BUILD   ?= build
ASAN    ?= build-asan
RELEASE ?= build-release
CMAKE_FLAGS ?=

.PHONY: all deps build test test-fast test-asan release bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test-fast: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure

test-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN) -j$(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j$(JOBS) --output-on-failure

test: test-fast test-asan

release: deps
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DSTRATA_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE) -j$(JOBS) --target strata

# Until the benchmark harness lands, the main job is a smoke run: start each
# tier, answer one seed 003 request, and time a short load.
bench: release
	@bash bench/smoke.sh $(RELEASE)/strata

clean:
	rm -rf $(BUILD) $(ASAN) $(RELEASE)
