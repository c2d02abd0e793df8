#!/usr/bin/env bash
# Runs the tests of the threaded code (tests/tsan/, built by the tsan preset)
# under ThreadSanitizer, and fails on any TSan report, even one from a polydb
# child process whose test expected it to fail.
#
# Expects the services running and the POLYDB_TEST_*_URL variables exported:
# scripts/run-tests.sh calls it after the main suite; `make tsan` sets them up.
# Extra arguments go to ctest (e.g. -R CopyMatrix).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/tsan
reports=$build/tsan-reports
if [[ ! -x $build/tests/tsan/polydb_tsan_tests ]]; then
  echo "run-tsan: $build is not built (make tsan-build)" >&2
  exit 1
fi
rm -rf "$reports"
mkdir -p "$reports"

# Every instrumented process (the test binary and each polydb it starts)
# writes its reports to $reports/tsan.<pid> instead of stderr, where a test
# could swallow them; halt_on_error makes the racing process fail at once.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 \
suppressions=$PWD/tests/tsan/suppressions.txt log_path=$PWD/$reports/tsan"

status=0
ctest --test-dir "$build" -L tsan -j "$(nproc)" --timeout 900 --output-on-failure "$@" || status=$?

if compgen -G "$reports/tsan.*" >/dev/null; then
  for f in "$reports"/tsan.*; do
    echo "=== ThreadSanitizer report $f"
    cat "$f"
  done
  echo "run-tsan: ThreadSanitizer reported the races above" >&2
  exit 1
fi
exit "$status"
