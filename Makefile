# polydb — the two commands a newcomer needs: `make run` and `make test`.
# Every target installs what is missing first (scripts/install-deps.sh).

SHELL := /bin/bash
# ccache: paths relative to the checkout, so another clone (CI) reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
.DEFAULT_GOAL := help
.PHONY: help deps build release run test bench services-start services-stop clean tsan tsan-build fuzz check-options difftest chunked-acceptance

help:
	@echo "make run     install what is missing, build (release) and run the quickstart"
	@echo "make test    install, build (debug + sanitizers), start local services, run every test"
	@echo "make bench   benchmarks against the native tools (release build)"
	@echo "make build   debug build only;  make deps  install dependencies only;  make clean"
	@echo "make tsan    the threaded tests under ThreadSanitizer (also part of make test)"
	@echo "make fuzz    libFuzzer targets (clang), 10 minutes each: FUZZ_SECONDS=N to change"
	@echo "make difftest  the differential query tester, night length (DIFF_QUERIES=2000 per shard, 6 shards)"
	@echo "make check-options  builds with backends switched off (POLYDB_WITH_<BACKEND>=OFF)"
	@echo "make chunked-acceptance  chunked copies killed 5 times and resumed, at full size (CHUNKED_ROWS=2000000)"

deps:
	@scripts/install-deps.sh

# Debug + ASan/UBSan: what the tests run.
build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev

# -O2: what users and benchmarks run.
release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target polydb_cli_main

run: release
	@examples/quickstart.sh build/release/src/cli/polydb

# Starts the services, runs the suite, and stops the services even on failure.
# CTEST_ARGS: extra ctest arguments, e.g. make test CTEST_ARGS=--schedule-random
test: build tsan-build
	@scripts/run-tests.sh $(CTEST_ARGS)

# ThreadSanitizer: the libraries, polydb and the threaded tests only (tests/tsan/).
tsan-build: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan

# The threaded tests under TSan alone, with the services started and stopped as in make test.
tsan: tsan-build
	@trap 'scripts/services.sh stop' EXIT; scripts/services.sh start && \
	  eval "$$(scripts/services.sh env | sed 's/^/export /')" && scripts/run-tsan.sh

# Starts the PostgreSQL and MariaDB servers and the DynamoDB emulator (left running; make services-stop).
bench: release
	@cmake --build --preset release --target polydb_micro_bench polydb_odbc_floor
	@build/release/bench/polydb_micro_bench
	@bench/compare/sqlite_copy.sh build/release/src/cli/polydb
	@scripts/services.sh start postgres mariadb dynamodb
	@eval "$$(scripts/services.sh env postgres mariadb dynamodb | sed 's/^/export /')" && \
	  bench/compare/pg_copy.sh build/release/src/cli/polydb && \
	  bench/compare/mysql_copy.sh build/release/src/cli/polydb && \
	  bench/compare/bulk_tools.sh build/release/src/cli/polydb && \
	  bench/compare/federated.sh build/release/src/cli/polydb && \
	  bench/compare/tpch.sh build/release/src/cli/polydb && \
	  bench/compare/dynamodb_load.sh build/release/src/cli/polydb && \
	  bench/compare/dynamodb_scan.sh build/release/src/cli/polydb
	@eval "$$(scripts/services.sh env postgres | sed 's/^/export /')" && bench/compare/odbc_read.sh build/release/src/cli/polydb
	@scripts/services.sh start cosmos && eval "$$(scripts/services.sh env cosmos | sed 's/^/export /')" && bench/compare/cosmos_load.sh build/release/src/cli/polydb
	@scripts/services.sh start firestore && eval "$$(scripts/services.sh env firestore | sed 's/^/export /')" && bench/compare/firestore_load.sh build/release/src/cli/polydb
	@eval "$$(scripts/services.sh env postgres mariadb cosmos firestore | sed 's/^/export /')" && bench/compare/wide_rows.sh build/release/src/cli/polydb

# libFuzzer targets in fuzz/, each for FUZZ_SECONDS (make test runs them briefly).
FUZZ_SECONDS ?= 600
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# The differential tester of federated SQL (tests/integration/query/
# differential_test.cpp) at night length: 6 shards of DIFF_QUERIES random
# queries each against the single-PostgreSQL oracle (make test runs 100 per
# shard). DIFF_SEED picks another base seed; a mismatch prints its seed.
DIFF_QUERIES ?= 2000
DIFF_SEED ?= 7
difftest: build
	@trap 'scripts/services.sh stop postgres mariadb' EXIT; scripts/services.sh start postgres mariadb && \
	  eval "$$(scripts/services.sh env postgres mariadb | sed 's/^/export /')" && \
	  POLYDB_DIFF_QUERIES=$(DIFF_QUERIES) POLYDB_DIFF_SEED=$(DIFF_SEED) \
	  build/dev/tests/polydb_integration_tests --gtest_filter='DifferentialQueryTest.*'

# #15's acceptance sizes for the chunked copy killed 5 times and resumed:
# 2,000,000 rows PostgreSQL -> MariaDB and 200,000 items SQLite -> DynamoDB
# (make test runs 200,000 and 20,000). CHUNKED_ROWS picks another size.
CHUNKED_ROWS ?= 2000000
chunked-acceptance: build
	@trap 'scripts/services.sh stop postgres mariadb dynamodb' EXIT; scripts/services.sh start postgres mariadb dynamodb && \
	  eval "$$(scripts/services.sh env postgres mariadb dynamodb | sed 's/^/export /')" && \
	  POLYDB_CHUNKED_ROWS=$(CHUNKED_ROWS) build/dev/tests/polydb_e2e_tests --gtest_filter='ChunkedCopy.Killed*'

# Builds with backends left out (all at once, then each alone; build/options):
# they compile and link, and a left-out backend's URLs name its option.
# CHECK_OPTIONS="all-off postgres" picks configurations. Not part of make test.
check-options: build
	@scripts/check-options.sh $(CHECK_OPTIONS)

services-start: deps
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

clean:
	@-scripts/services.sh stop >/dev/null 2>&1
	rm -rf build
