#!/usr/bin/env bash
# Runs the whole suite against real local services: starts them, exports the
# POLYDB_TEST_*_URL variables the tests read, runs ctest, and stops the
# services on every exit path (success, failure, Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

# The external tools the tests call, with their versions (fails when one is missing).
tests/tool_versions.sh

trap 'scripts/services.sh stop' EXIT
scripts/services.sh start
eval "$(scripts/services.sh env | sed 's/^/export /')"

ctest --preset dev -j "$(nproc)" --timeout 900 "$@"

# A short run of every libFuzzer target (make fuzz runs them for 10 minutes);
# any crash, leak or timeout fails the suite. POLYDB_FUZZ_SECONDS=0 skips it.
fuzz_seconds="${POLYDB_FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" != 0 ]; then scripts/fuzz.sh "$fuzz_seconds"; fi

# The threaded code again under ThreadSanitizer (the tsan build: make tsan-build).
scripts/run-tsan.sh "$@"
