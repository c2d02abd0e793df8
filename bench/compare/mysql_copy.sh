#!/usr/bin/env bash
# MySQL/MariaDB -> MySQL and MySQL -> SQLite: `polydb copy` against the mariadb
# client (and the sqlite3 shell) doing the same copy natively, in the same run
# (part of `make bench`).
#
# Usage: bench/compare/mysql_copy.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_MYSQL_URL  the server, mysql://USER:PASSWORD@HOST:PORT/DB (required;
#                          this script starts nothing: scripts/services.sh start
#                          mariadb, then eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_ROWS="1000000"  row counts to measure (e.g. 100000 for a quick run)
#
# For each row count, generates server-side (INSERT ... SELECT over a cross join
# of digit tables) an InnoDB table `bench` of 10 mixed-type columns (BIGINT
# key, INT, DOUBLE, VARCHAR of 20 and ~40 characters, DECIMAL(12,2), DATE,
# DATETIME, BOOLEAN, VARCHAR with ~10% NULLs; the same values as pg_copy.sh and
# sqlite_copy.sh), then copies it
#   mysql -> mysql, into table bench_copy / bench_copy2 of the same database:
#     polydb: polydb -q copy URL bench URL bench_copy --mode create --batch-size 10000
#             (the same URL twice: polydb reads and writes on one connection)
#     native: mariadb --quick --batch --skip-column-names -e 'SELECT * FROM bench' > TSV,
#             then mariadb --local-infile=1 -e "LOAD DATA LOCAL INFILE 'TSV' INTO TABLE
#             bench_copy2 (..., @comment) SET comment = NULLIF(@comment, 'NULL')"
#             into bench_copy2, created beforehand (untimed) LIKE bench
#   mysql -> sqlite, into a new SQLite file:
#     polydb: polydb -q copy URL bench sqlite:///FILE bench_copy --mode create --batch-size 10000
#     native: the same dump to TSV, then sqlite3 FILE2: BEGIN; CREATE TABLE bench_copy
#             (the declarations polydb creates); .mode tabs; .import TSV bench_copy;
#             UPDATE ... SET comment = NULL WHERE comment = 'NULL'; COMMIT
# The native times are the whole pipeline (dump, then load). The batch-mode dump
# escapes tab, newline and backslash the way LOAD DATA reads them and prints
# NULL as the word NULL (hence NULLIF; no value of `bench` is the text 'NULL');
# SELECT ... INTO OUTFILE and mysqldump --tab would write \N but need the FILE
# privilege and a server-side directory. Each copy runs twice, interleaved; the
# faster run counts. Peak RSS is polydb's (bench/compare/peak_rss.py), the
# largest of its runs. CPU time (user + system) is the client processes': it
# leaves out the server's share of the work.
#
# Every copy is verified against the source: row count, sums of id, qty,
# score*1000, decimal*100, string lengths, flag, days and epoch seconds, the
# number of NULLs and the date/timestamp range must be equal; the MySQL copies
# must also match a hash of every row's text, and the two SQLite files the
# sqlite3 shell's sha3_query of every value with its storage class. Else the
# script fails. The benchmark tables, the SQLite files, the TSV and the client
# option file (in build/bench/mysql_copy/) are removed at the end, whatever happens.
set -euo pipefail

bench=mysql_copy.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/compare/mysql_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/mysql_lib.sh"
bench_init "${1:-}"
require_url POLYDB_TEST_MYSQL_URL mariadb

url=$POLYDB_TEST_MYSQL_URL
dir="$root/build/bench/mysql_copy"
tsv="$dir/bench.tsv"
mkdir -p "$dir"
mysql_setup "$url" "$dir"
client=$my_client cnf=$my_cnf

cleanup() {
  mysql_cleanup bench bench_copy bench_copy2
  rm -f "$tsv" "$dir"/*.db "$dir"/*.db-journal "$dir"/*.run[12]
}
trap cleanup EXIT

# The native dump: what both native pipelines start with.
# shellcheck disable=SC2016  # expanded by the inner shell
readonly DUMP='"$1" --defaults-extra-file="$2" --quick --batch --skip-column-names \
  -e "SELECT * FROM bench" >"$3"'

native_mysql_to_mysql() {
  # shellcheck disable=SC2016  # expanded by the inner shell
  timed "$1" bash -c "set -euo pipefail
    $DUMP"'
    "$1" --defaults-extra-file="$2" --local-infile=1 -e "$4"' _ "$client" "$cnf" "$tsv" \
    "LOAD DATA LOCAL INFILE '${tsv//\'/\'\'}' INTO TABLE bench_copy2
       (id, qty, score, code, label, amount, day, at, flag, @comment)
       SET comment = NULLIF(@comment, 'NULL')"
}

native_mysql_to_sqlite() {
  local out=$1 file=$2
  # shellcheck disable=SC2016  # expanded by the inner shell
  timed "$out" bash -c "set -euo pipefail
    $DUMP"'
    sqlite3 -bail "$4" <<<"$5"' _ "$client" "$cnf" "$tsv" "$file" \
    "BEGIN;
CREATE TABLE bench_copy ($SQLITE_COLUMNS);
.mode tabs
.import '$tsv' bench_copy
UPDATE bench_copy SET comment = NULL WHERE comment = 'NULL';
COMMIT;"
}

print_header "client:  $("$client" --version | head -n 1)" \
  "server:  $(my_value -e 'SELECT VERSION()') at $my_shown" \
  "sqlite3: $(sqlite3 --version | cut -d' ' -f1,2)"

for n in "${sizes[@]}"; do
  my -e 'DROP TABLE IF EXISTS bench_copy, bench_copy2'
  mysql_generate "$n"
  want=$(mysql_checksum bench)
  want_rows=$(mysql_rowhash bench)
  db="$dir/polydb_$n.db" db2="$dir/native_$n.db"
  echo "copying $n rows (2 runs each) ..." >&2
  for run in 1 2; do
    my -e 'DROP TABLE IF EXISTS bench_copy, bench_copy2'
    timed "$dir/mysql_polydb.run$run" "$polydb" -q copy "$url" bench "$url" bench_copy \
      --mode create --batch-size 10000
    my -e 'CREATE TABLE bench_copy2 LIKE bench'
    native_mysql_to_mysql "$dir/mysql_native.run$run"

    rm -f "$db" "$db-journal" "$db2" "$db2-journal" "$tsv"
    timed "$dir/sqlite_polydb.run$run" "$polydb" -q copy "$url" bench "sqlite://$db" bench_copy \
      --mode create --batch-size 10000
    native_mysql_to_sqlite "$dir/sqlite_native.run$run" "$db2"
  done

  verify_copies mysql_checksum mysql_rowhash "$want" "$want_rows" "$db" "$db2"

  add_result mysql-to-mysql "$n" "$dir"/mysql_polydb.run[12] -- "$dir"/mysql_native.run[12]
  add_result mysql-to-sqlite "$n" "$dir"/sqlite_polydb.run[12] -- "$dir"/sqlite_native.run[12]
  rm -f "$db" "$db2" "$tsv" "$dir"/*.run[12]
done

print_results
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
