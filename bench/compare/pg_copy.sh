#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL and PostgreSQL -> SQLite: `polydb copy` against
# psql (and the sqlite3 shell) doing the same copy natively, in the same run
# (part of `make bench`).
#
# Usage: bench/compare/pg_copy.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_POSTGRES_URL  the server (required; this script starts nothing:
#                             scripts/services.sh start postgres, then
#                             eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_ROWS="1000000"  row counts to measure (e.g. 100000 for a quick run)
#
# For each row count, generates server-side (generate_series) a table `bench`
# of 10 mixed-type columns (bigint key, integer, double precision, text of 20
# and ~40 characters, numeric(12,2), date, timestamp, boolean, text with ~10%
# NULLs; the same values as sqlite_copy.sh's source), VACUUMs it, then copies it
#   pg -> pg, into table bench_copy / bench_copy2 of the same database:
#     polydb: polydb -q copy URL bench URL' bench_copy --mode create --batch-size 10000
#     native: psql -c "\copy (SELECT * FROM bench) TO pstdout (FORMAT binary)" |
#             psql -c "\copy bench_copy2 FROM pstdin (FORMAT binary)"
#             into bench_copy2, created beforehand (untimed) LIKE bench INCLUDING ALL
#   pg -> sqlite, into a new SQLite file:
#     polydb: polydb -q copy URL bench sqlite:///FILE bench_copy --mode create --batch-size 10000
#     native: psql -c "\copy (SELECT ..., flag::int, ... FROM bench) TO 'CSV' (FORMAT csv)",
#             then sqlite3 FILE2: BEGIN; CREATE TABLE bench_copy (the declarations
#             polydb creates); .import --csv CSV bench_copy; UPDATE ... SET
#             comment = NULL WHERE comment = '' (CSV has no NULL for .import); COMMIT
# Both sides go through the client and both read and write concurrently for
# pg -> pg (two connections each: URL' is URL plus application_name, because
# polydb shares one connection when SRC and DST are the same string, and one
# libpq connection cannot stream COPY out and in at the same time: with the
# same URL twice, polydb 0.1.0 fails with "no COPY in progress"). A CHECKPOINT
# precedes every pg -> pg run. Each copy runs twice, interleaved; the faster
# run counts. Peak RSS is polydb's (bench/compare/peak_rss.py), the largest of
# its runs. CPU time (user + system) is the client processes': it leaves out the
# server's share of the work (most of it for pg -> pg).
#
# Every copy is verified against the source: row count, sums of id, qty,
# score*1000, numeric*100, string lengths, flag, days and epoch seconds, the
# number of NULLs and the date/timestamp range must be equal; the PostgreSQL
# copies must also match a hash of every row's text, and the two SQLite files
# the sqlite3 shell's sha3_query of every value with its storage class. Else
# the script fails. The benchmark tables, the SQLite files and the CSV (in
# build/bench/pg_copy/) are removed at the end, whatever happens.
set -euo pipefail

bench=pg_copy.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/compare/pg_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg_lib.sh"
bench_init "${1:-}"
require_url POLYDB_TEST_POSTGRES_URL postgres
pg_setup "$POLYDB_TEST_POSTGRES_URL"

url=$pg_url
case "$url" in
  *\?*) dst_url="$url&application_name=polydb_bench_dst" ;;
  *) dst_url="$url?application_name=polydb_bench_dst" ;;
esac
dir="$root/build/bench/pg_copy"
csv="$dir/bench.csv"
mkdir -p "$dir"

cleanup() {
  pg -c 'DROP TABLE IF EXISTS bench, bench_copy, bench_copy2' >/dev/null 2>&1 || true
  rm -f "$csv" "$dir"/*.db "$dir"/*.db-journal "$dir"/*.run[12]
}
trap cleanup EXIT

native_pg_to_pg() {
  # shellcheck disable=SC2016  # expanded by the inner shell
  timed "$1" bash -c 'set -euo pipefail
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" \
      -c "\copy (SELECT * FROM bench) TO pstdout (FORMAT binary)" |
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "\copy bench_copy2 FROM pstdin (FORMAT binary)"' \
    _ "$url"
}

native_pg_to_sqlite() {
  local out=$1 file=$2
  # shellcheck disable=SC2016  # expanded by the inner shell
  timed "$out" bash -c 'set -euo pipefail
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"
    sqlite3 -bail "$3" <<<"$4"' _ "$url" \
    "\\copy (SELECT id, qty, score, code, label, amount, day, at, flag::int, comment FROM bench) TO '${csv//\'/\'\'}' (FORMAT csv)" \
    "$file" \
    "BEGIN;
CREATE TABLE bench_copy ($SQLITE_COLUMNS);
.import --csv '$csv' bench_copy
UPDATE bench_copy SET comment = NULL WHERE comment = '';
COMMIT;"
}

print_header "psql:    $(psql --version | head -n 1)" \
  "server:  PostgreSQL $(pg_value -c 'SHOW server_version') at $pg_shown" \
  "sqlite3: $(sqlite3 --version | cut -d' ' -f1,2)"

for n in "${sizes[@]}"; do
  pg -c 'DROP TABLE IF EXISTS bench_copy, bench_copy2' 2>/dev/null
  pg_generate "$n"
  want=$(pg_checksum bench)
  want_rows=$(pg_rowhash bench)
  db="$dir/polydb_$n.db" db2="$dir/native_$n.db"
  echo "copying $n rows (2 runs each) ..." >&2
  for run in 1 2; do
    pg -c 'DROP TABLE IF EXISTS bench_copy, bench_copy2' -c 'CHECKPOINT' 2>/dev/null
    timed "$dir/pg_polydb.run$run" "$polydb" -q copy "$url" bench "$dst_url" bench_copy \
      --mode create --batch-size 10000
    pg -c 'CREATE TABLE bench_copy2 (LIKE bench INCLUDING ALL)' -c 'CHECKPOINT'
    native_pg_to_pg "$dir/pg_native.run$run"

    rm -f "$db" "$db-journal" "$db2" "$db2-journal" "$csv"
    timed "$dir/sqlite_polydb.run$run" "$polydb" -q copy "$url" bench "sqlite://$db" bench_copy \
      --mode create --batch-size 10000
    native_pg_to_sqlite "$dir/sqlite_native.run$run" "$db2"
  done

  verify_copies pg_checksum pg_rowhash "$want" "$want_rows" "$db" "$db2"

  add_result pg-to-pg "$n" "$dir"/pg_polydb.run[12] -- "$dir"/pg_native.run[12]
  add_result pg-to-sqlite "$n" "$dir"/sqlite_polydb.run[12] -- "$dir"/sqlite_native.run[12]
  rm -f "$db" "$db2" "$csv" "$dir"/*.run[12]
done

print_results
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
