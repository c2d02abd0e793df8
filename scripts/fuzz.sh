#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan + UBSan) and
# runs each one for SECONDS (default 600) on a scratch copy of its seed corpus
# fuzz/corpus/<target>/, so the checked-in corpus never changes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 15 uri filter
#
# Prints per target the executions, libFuzzer's coverage (cov: edges, ft:
# features) and the corpus growth. Exits non-zero when any target finds a
# crash, leak, timeout (10 s per input) or runs past 2 GB, naming the
# reproducer that libFuzzer saved under build/fuzz/findings/<target>/. Replay
# it with `build/fuzz/fuzz/<target>_fuzz FILE`; keep it in fuzz/corpus/<target>/
# and in a unit test once the bug is fixed. New inputs found by a long run
# stay in the scratch directory printed at the end (copy the interesting ones
# into fuzz/corpus by hand, small ones only).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
all_targets=(uri config filter pg_copy mysql dynamodb cosmos firestore sigv4)
targets=("${@:-${all_targets[@]}}")

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
build_start=$(date +%s)
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
echo "fuzz: build took $(( $(date +%s) - build_start )) s"

bin=build/fuzz/fuzz
findings=build/fuzz/findings
work="$(mktemp -d "${TMPDIR:-/tmp}/polydb-fuzz.XXXXXX")"
keep_work=0
cleanup() { [ "$keep_work" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

# LeakSanitizer on; UBSan stops at the first report so libFuzzer saves the input.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

failed=()
for t in "${targets[@]}"; do
  exe="$bin/${t}_fuzz"
  [ -x "$exe" ] || { echo "fuzz: no target '$t' (have: ${all_targets[*]})" >&2; exit 2; }
  mkdir -p "$work/$t" "$findings/$t"
  if [ -d "fuzz/corpus/$t" ]; then cp -R "fuzz/corpus/$t/." "$work/$t/"; fi
  seeds=$(find "$work/$t" -type f | wc -l)
  log="$work/$t.log"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=("-dict=fuzz/$t.dict")
  rc=0
  "$exe" "$work/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/$t/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work/$t" -type f | wc -l)
  printf 'fuzz: %-10s %10s execs in %ss, cov %s ft %s, corpus %s -> %s\n' \
    "$t" "${execs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "$seeds" "$corpus"
  if [ "$rc" -ne 0 ]; then
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz: FINDING in $t (exit $rc): ${repro:-no reproducer saved}" >&2
    grep -E 'ERROR: |runtime error:|property failed|unexpected exception|ALARM|out-of-memory|SUMMARY' "$log" | head -5 >&2 || true
    echo "fuzz: full log: $log" >&2
    failed+=("$t")
    keep_work=1
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]} (logs and corpora kept in $work)" >&2
  exit 1
fi
if [ "$seconds" -ge 60 ]; then
  keep_work=1
  echo "fuzz: no findings; grown corpora in $work"
else
  echo "fuzz: no findings"
fi
