#!/usr/bin/env bash
# DynamoDB (the emulator) -> SQLite: a full scan with `polydb copy --parallel N`
# (N Scan segments on N connections) for N = 1, 2, 4, and the speedup over one
# segment (part of `make bench`).
#
# Usage: bench/compare/dynamodb_scan.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_DYNAMODB_URL  the emulator (required; this script starts nothing:
#                             scripts/services.sh start dynamodb, then
#                             eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_DYNAMODB_ITEMS=200000  items in the table
#   POLYDB_BENCH_SEGMENTS="1 2 4"       segment counts to measure
#
# Loads ITEMS items (the rows of dynamodb_load.sh's source) into a fresh table
# with polydb (not timed), then copies the whole table into a new SQLite file
#   polydb -q copy DYNAMO_URL TABLE sqlite:///FILE bench_copy --mode create --parallel N
# twice per N, interleaved; the faster run counts. Every copy is verified
# against the source with lib.sh's sqlite_checksum (row count, sums of every
# column, NULL count, date and timestamp range). Reported: wall time, items/s,
# speedup over N = 1, polydb's CPU and peak RSS, and the emulator's CPU over
# the interval (dynalite runs on one thread: once it is busy all the time,
# more segments cannot help). The table and files (build/bench/dynamodb_scan/)
# are removed at the end, whatever happens.
set -euo pipefail

bench=dynamodb_scan.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/compare/dynamodb_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/dynamodb_lib.sh"
bench_init "${1:-}"
dynamo_setup
read -r -a segments <<<"${POLYDB_BENCH_SEGMENTS:-1 2 4}"

dir="$root/build/bench/dynamodb_scan"
src="$dir/source.db"
table="bench_scan_$$"
mkdir -p "$dir"
cleanup() {
  drop_tables "$table"
  rm -rf "$dir"
}
trap cleanup EXIT

print_header "server:  dynalite (pid $emulator_pid) at $endpoint"
echo "loading $items items (not timed) ..." >&2
sqlite_source "$src" "$items"
want=$(sqlite_checksum "$src")
"$polydb" -q copy "sqlite://$src" bench_copy "$url" "$table" --mode create --key id

for run in 1 2; do
  for n in "${segments[@]}"; do
    out="$dir/copy_$n.db"
    rm -f "$out"
    echo "scan with $n segment(s), run $run ..." >&2
    before=$(emulator_cpu)
    timed "$dir/scan_$n.run$run" "$polydb" -q copy "$url" "$table" "sqlite://$out" bench_copy \
      --mode create --parallel "$n"
    after=$(emulator_cpu)
    awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f\n", b - a }' >"$dir/scan_$n.run$run.emu"
    verify "the copy with $n segment(s)" "$want" "$(sqlite_checksum "$out")"
  done
done
echo "verified: every copy equals the source ($(cut -d' ' -f1-2 <<<"$want") ...)" >&2

echo
printf '%-9s %9s | %8s %10s %8s | %8s %9s %11s %9s\n' segments items 'wall s' 'items/s' speedup \
  'cpu s' 'peak RSS' 'emulator s' 'emu busy'
base=""
for n in "${segments[@]}"; do
  # The faster run, with its own emulator CPU.
  best_run=$(for r in 1 2; do echo "$(cut -d' ' -f1 "$dir/scan_$n.run$r") $r"; done | sort -n | head -n 1 | cut -d' ' -f2)
  read -r s kib cpu <"$dir/scan_$n.run$best_run"
  kib=$(cat "$dir"/scan_"$n".run[12] | awk '$2 > m { m = $2 } END { print m }')
  emu=$(<"$dir/scan_$n.run$best_run.emu")
  base=${base:-$s}
  awk -v n="$n" -v i="$items" -v s="$s" -v b="$base" -v c="$cpu" -v k="$kib" -v e="$emu" 'BEGIN {
    printf "%-9d %9d | %8.2f %10.0f %7.2fx | %8.2f %6.1f MB %11.2f %8.0f%%\n",
           n, i, s, i / s, b / s, c, k / 1024, e, 100 * e / s }'
done
echo "(best of 2 runs each, interleaved; speedup = wall time with 1 segment / with N;"
echo " peak RSS is polydb's, the largest of its runs; emu busy = emulator CPU / wall time)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
