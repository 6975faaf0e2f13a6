# The two set-up commands of the README: `make demo` and `make test`. Each target installs the
# missing Debian packages, configures and builds on first use, and is incremental afterwards.
.DEFAULT_GOAL := demo
.PHONY: deps configure demo test test-asan test-tsan bench bench-peer fuzz package build format format-check clean

JOBS ?= $(shell nproc)
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
RELEASE_DIR ?= build-release
FUZZ_DIR ?= build-fuzz
PACKAGE_DIR ?= build-package
FUZZ_SECONDS ?= 60
BENCH_OUT ?= $(RELEASE_DIR)/bench-results.jsonl
# Most tests wait on locks and timers rather than compute, so run more of them than there are cores.
CTEST_FLAGS ?= --output-on-failure -j $(shell echo $$(( $(JOBS) * 3 )))
DEMO_DB ?= $(BUILD_DIR)/demo.db
# ctest against a throwaway PostgreSQL server under the build tree (<tree>/pg-test), stopped
# afterwards; set DUROXIDE_TEST_PG_URL to use a server of your own (docs/testing.md).
WITH_PG := scripts/with-pg-test-server.sh

deps:
	@scripts/install-deps.sh

# Line tables only (-g1): stack traces and sanitizer reports keep file:line, while full debug
# information made each -O2 test file compile about 60% slower (13.7 s against 8.3 s for one e2e
# file on the 2-core machine). Configure a tree by hand with -g for a debugger session.
DEBUG_INFO_FLAGS := -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG="-g1"

# configure(dir, extra cmake args)
define configure
	@if [ ! -f $(1)/CMakeCache.txt ]; then cmake -S . -B $(1) $(DEBUG_INFO_FLAGS) $(2) >/dev/null; fi
endef

configure: deps
	$(call configure,$(BUILD_DIR),-DCMAKE_BUILD_TYPE=RelWithDebInfo)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# A newcomer's first command: only the library and the demo, not every test.
demo: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target hello_world
	@$(BUILD_DIR)/examples/hello_world sqlite:$(DEMO_DB)

test: build
	@$(WITH_PG) $(BUILD_DIR) ctest --test-dir $(BUILD_DIR) $(CTEST_FLAGS)

# ASan+UBSan build of the library and every test.
test-asan: deps
	$(call configure,$(ASAN_DIR),-DCMAKE_BUILD_TYPE=Debug -DDUROXIDE_SANITIZE=address -DDUROXIDE_BUILD_EXAMPLES=OFF -DDUROXIDE_E2E_ON_POSTGRES=OFF)
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	@$(WITH_PG) $(ASAN_DIR) ctest --test-dir $(ASAN_DIR) $(CTEST_FLAGS)

# TSan build: only the suites that run threads (end to end, and the stores with their wake-ups,
# pools and listeners). The unit and replay suites are single-threaded pure code, where TSan finds
# nothing; building them under TSan cost CI minutes (docs/testing.md, "CI").
TSAN_TARGETS := duroxide_e2e_tests duroxide_provider_tests duroxide_postgres_provider_tests
TSAN_TESTS := ^(E2e|Provider|PgTestServer)
test-tsan: deps
	$(call configure,$(TSAN_DIR),-DCMAKE_BUILD_TYPE=Debug -DDUROXIDE_SANITIZE=thread -DDUROXIDE_BUILD_EXAMPLES=OFF -DDUROXIDE_E2E_ON_POSTGRES=OFF)
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target $(TSAN_TARGETS)
	@$(WITH_PG) $(TSAN_DIR) ctest --test-dir $(TSAN_DIR) $(CTEST_FLAGS) -R '$(TSAN_TESTS)'

# Release build of the benchmarks; every result is appended as a JSON line to $(BENCH_OUT).
bench: deps
	$(call configure,$(RELEASE_DIR),-DCMAKE_BUILD_TYPE=Release -DDUROXIDE_BUILD_BENCH=ON -DDUROXIDE_BUILD_TESTS=OFF -DDUROXIDE_BUILD_TOOLS=OFF)
	@cmake --build $(RELEASE_DIR) -j $(JOBS)
	@BENCH_OUT=$(BENCH_OUT) scripts/run-bench.sh $(RELEASE_DIR)

# duroxide itself (the peer harness, PEER_DIR) and ours back to back, then the side-by-side table
# with measured ratios (scripts/run-bench-peer.sh says what the harness needs).
bench-peer: deps
	$(call configure,$(RELEASE_DIR),-DCMAKE_BUILD_TYPE=Release -DDUROXIDE_BUILD_BENCH=ON -DDUROXIDE_BUILD_TESTS=OFF -DDUROXIDE_BUILD_TOOLS=OFF)
	@cmake --build $(RELEASE_DIR) -j $(JOBS)
	@scripts/run-bench-peer.sh $(RELEASE_DIR)

# libFuzzer targets (clang 14, ASan+UBSan), FUZZ_SECONDS each from fuzz/corpus (docs/fuzzing.md).
fuzz: deps
	@if [ ! -f $(FUZZ_DIR)/CMakeCache.txt ]; then cmake -S fuzz -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null; fi
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz.sh $(FUZZ_DIR)

# The Debian package (docs/packaging.md): a Release build of the library and the `duroxide` tool,
# laid out under /usr by cpack as $(PACKAGE_DIR)/duroxide-cpp_<version>_<arch>.deb. Prints its path.
package: deps
	$(call configure,$(PACKAGE_DIR),-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DDUROXIDE_BUILD_TESTS=OFF -DDUROXIDE_BUILD_EXAMPLES=OFF -DDUROXIDE_BUILD_BENCH=OFF -DDUROXIDE_BUILD_TOOLS=ON)
	@cmake --build $(PACKAGE_DIR) -j $(JOBS)
	@cpack --config $(PACKAGE_DIR)/CPackConfig.cmake -B $(PACKAGE_DIR) >$(PACKAGE_DIR)/cpack.log 2>&1 \
	  || { cat $(PACKAGE_DIR)/cpack.log; exit 1; }
	@sed -n 's/^CPack: - package: \(.*\) generated\.$$/\1/p' $(PACKAGE_DIR)/cpack.log

format:
	@scripts/format.sh

format-check:
	@scripts/format.sh --check

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(RELEASE_DIR) $(FUZZ_DIR) $(PACKAGE_DIR)
