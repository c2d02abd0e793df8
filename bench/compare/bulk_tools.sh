#!/usr/bin/env bash
# polydb against the engines' own bulk tools on the same 2M-row table, in one
# run (part of `make bench`): CSV export, import, MySQL -> PostgreSQL against
# pgloader, and the --parallel speedup.
#
# Usage: bench/compare/bulk_tools.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_POSTGRES_URL, POLYDB_TEST_MYSQL_URL  the servers (required; this
#       script starts nothing: scripts/services.sh start postgres mariadb, then
#       eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_ROWS="2000000"  row counts to measure (e.g. 100000 for a quick run)
#
# For each row count, the table `bench` of pg_lib.sh / mysql_lib.sh (10 mixed
# columns: bigint key, int, double, 2 texts, numeric(12,2), date, timestamp,
# boolean, text with ~10% NULLs) is generated in both servers, and untimed
# copies made: a SQLite file (polydb copy) and a CSV (psql \copy, flag as 0/1,
# NULL as \N) that both servers' loaders read. Then, each twice, interleaved:
#   pg-export     polydb sql PG 'SELECT * FROM bench' --format csv > FILE
#                 psql -c "\copy (SELECT * FROM bench) TO stdout (FORMAT csv)" > FILE
#   pg-import     polydb copy SQLITE bench PG bench_copy --mode create
#                 psql -c "\copy bench_copy2 FROM 'CSV' (FORMAT csv, NULL '\N')"
#   mysql-export  polydb sql MYSQL 'SELECT * FROM bench' --format csv > FILE
#                 mariadb --quick --batch --skip-column-names -e 'SELECT * FROM bench' > FILE
#   mysql-import  polydb copy SQLITE bench MYSQL bench_copy --mode create
#                 mariadb-import --local (LOAD DATA LOCAL INFILE) of the CSV into bench_copy2
#   mysql-to-pg   polydb copy MYSQL bench PG bench_copy --mode create
#                 pgloader (its defaults: 4 workers, batches of 25000 rows; creates
#                 the table, then its primary key) into schema pgloader_target
#                 (both into a scratch database: pgloader also changes the target
#                 database's search_path)
# The native tables are created beforehand (untimed) LIKE bench; polydb's copies
# create theirs. Each result is the faster of the two runs, with polydb's peak
# RSS (the largest) and the client processes' CPU time (user + system; the
# servers' work is not in it). Then `polydb copy PG bench PG' bench_copy
# --parallel N` for N = 1, 2 (and `copy MYSQL ... --parallel N`) shows what
# parallel partitioned reads bring on this machine.
#
# Verification: every imported copy must match the source's checksum line (row
# count, sums over every column, NULL count, date/timestamp range) and a hash
# of every row's text; every export must have the source's row count (polydb's
# CSV has a header line). Else the script fails. Everything it created (tables,
# the scratch database, files in build/bench/bulk_tools/) is removed at the end.
set -euo pipefail

bench=bulk_tools.sh
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=bench/compare/lib.sh
source "$here/lib.sh"
# shellcheck source=bench/compare/pg_lib.sh
source "$here/pg_lib.sh"
# shellcheck source=bench/compare/mysql_lib.sh
source "$here/mysql_lib.sh"
POLYDB_BENCH_ROWS=${POLYDB_BENCH_ROWS:-2000000}
bench_init "${1:-}"
require_url POLYDB_TEST_POSTGRES_URL postgres
require_url POLYDB_TEST_MYSQL_URL mariadb
command -v pgloader >/dev/null || die "pgloader is missing (apt-get install pgloader)"
importer=$(command -v mariadb-import || command -v mysqlimport) ||
  die "mariadb-import is missing (apt-get install mariadb-client)"

dir="$root/build/bench/bulk_tools"
mkdir -p "$dir"
pg_setup "$POLYDB_TEST_POSTGRES_URL"
mysql_setup "$POLYDB_TEST_MYSQL_URL" "$dir"
myurl=$POLYDB_TEST_MYSQL_URL
case "$pg_url" in
  *\?*) pg_dst="$pg_url&application_name=polydb_bench_dst" ;;
  *) pg_dst="$pg_url?application_name=polydb_bench_dst" ;;
esac
src_db="$dir/source.db"
csv="$dir/bench_copy2.csv"  # mariadb-import loads a file into the table of its name
load_file="$dir/pgloader.load"
m2p_db="polydb_bench_m2p_$$"

cleanup() {
  pg -c 'DROP TABLE IF EXISTS bench, bench_copy, bench_copy2' \
    -c "DROP DATABASE IF EXISTS $m2p_db WITH (FORCE)" >/dev/null 2>&1 || true
  mysql_cleanup bench bench_copy bench_copy2
  rm -f "$src_db" "$csv" "$load_file" "$dir"/*.out "$dir"/*.run[12] "$dir"/*.log
}
trap cleanup EXIT

# A URL's user, password, host, port and database for pgloader's command file,
# which takes the password in the URL (the file is private, mode 600).
pg_parts() {
  local re='^postgres(ql)?://([^:@/]*)(:([^@/]*))?@([^:/?]*)(:([0-9]+))?/([^?]*)'
  [[ "$pg_url" =~ $re ]] || die "POLYDB_TEST_POSTGRES_URL is not postgresql://USER:PASSWORD@HOST:PORT/DB"
  m2p_url="postgresql://${BASH_REMATCH[2]}:${BASH_REMATCH[4]}@${BASH_REMATCH[5]}:${BASH_REMATCH[7]:-5432}/$m2p_db"
}
pg_parts
in_m2p() { local pg_url=$m2p_url; "$@"; }  # runs a pg_lib.sh function on the scratch database
(
  umask 077
  # pgloader names the target schema after the MySQL database: renamed so that
  # it cannot touch PostgreSQL's own `bench`.
  cat >"$load_file" <<LOAD
LOAD DATABASE
  FROM mysql://$my_user:$my_password@$my_host:$my_port/$my_database
  INTO $m2p_url
  INCLUDING ONLY TABLE NAMES MATCHING 'bench'
  ALTER SCHEMA '$my_database' RENAME TO 'pgloader_target';
LOAD
)

lines_are() {  # lines_are WHAT FILE N: FILE has N lines, else the script fails
  local got
  got=$(wc -l <"$2")
  [[ "$got" == "$3" ]] || die "VERIFICATION FAILED: $1 wrote $got lines, want $3"
}

native_pg_export() {
  timed "$1" bash -c 'psql -X -q -v ON_ERROR_STOP=1 -d "$1" \
    -c "\copy (SELECT * FROM bench) TO stdout (FORMAT csv)" >"$2"' _ "$pg_url" "$2"
}
native_pg_import() {
  timed "$1" psql -X -q -v ON_ERROR_STOP=1 -d "$pg_url" \
    -c "\\copy bench_copy2 FROM '${csv//\'/\'\'}' (FORMAT csv, NULL '\\N')"
}
native_mysql_export() {
  timed "$1" bash -c '"$1" --defaults-extra-file="$2" --quick --batch --skip-column-names \
    -e "SELECT * FROM bench" >"$3"' _ "$my_client" "$my_cnf" "$2"
}
native_mysql_import() {
  timed "$1" "$importer" --defaults-extra-file="$my_cnf" --local --silent \
    --fields-terminated-by=, --fields-optionally-enclosed-by='"' "$my_database" "$csv"
}
native_mysql_to_pg() {
  timed "$1" bash -c 'pgloader --no-ssl-cert-verification --quiet --logfile "$2" "$3" >"$4" 2>&1 ||
    { cat "$4" >&2; exit 1; }' _ _ "$dir/pgloader.log" "$load_file" "$dir/pgloader.out"
}
polydb_export() {  # polydb_export RESULT URL OUT
  timed "$1" bash -c '"$1" -q sql "$2" "SELECT * FROM bench" --format csv >"$3"' _ \
    "$polydb" "$2" "$3"
}

print_header "psql:    $(psql --version | head -n 1)" \
  "client:  $("$my_client" --version | head -n 1)" \
  "pgloader: $(v=$(pgloader --version 2>&1); echo "${v%%$'\n'*}")" \
  "servers: PostgreSQL $(pg_value -c 'SHOW server_version') at $pg_shown," \
  "         MariaDB $(my_value -e 'SELECT VERSION()') at $my_shown"

parallel=()
for n in "${sizes[@]}"; do
  pg -c 'DROP TABLE IF EXISTS bench_copy, bench_copy2' 2>/dev/null
  my -e 'DROP TABLE IF EXISTS bench_copy, bench_copy2'
  pg_generate "$n"
  mysql_generate "$n"
  want=$(pg_checksum bench)
  verify "MySQL's bench" "$want" "$(mysql_checksum bench)"
  want_pg_rows=$(pg_rowhash bench) want_my_rows=$(mysql_rowhash bench)
  echo "untimed: the SQLite source and the CSV ..." >&2
  rm -f "$src_db" "$csv"
  "$polydb" -q copy "$pg_url" bench "sqlite://$src_db" bench --mode create --batch-size 10000
  pg -c "\\copy (SELECT id, qty, score, code, label, amount, day, at, flag::int, comment
                 FROM bench) TO '${csv//\'/\'\'}' (FORMAT csv, NULL '\\N')"
  echo "timing $n rows (2 runs each) ..." >&2
  for run in 1 2; do
    polydb_export "$dir/pgx_polydb.run$run" "$pg_url" "$dir/polydb.out"
    lines_are "polydb sql (pg)" "$dir/polydb.out" $((n + 1))
    native_pg_export "$dir/pgx_native.run$run" "$dir/native.out"
    lines_are "psql \\copy to" "$dir/native.out" "$n"

    pg -c 'DROP TABLE IF EXISTS bench_copy, bench_copy2' -c 'CREATE TABLE bench_copy2 (LIKE bench INCLUDING ALL)' -c CHECKPOINT
    timed "$dir/pgi_polydb.run$run" "$polydb" -q copy "sqlite://$src_db" bench "$pg_url" bench_copy \
      --mode create --batch-size 10000
    pg -c CHECKPOINT
    native_pg_import "$dir/pgi_native.run$run"
    for t in bench_copy bench_copy2; do
      verify "PostgreSQL $t" "$want" "$(pg_checksum $t)"
      verify "PostgreSQL $t (row hash)" "$want_pg_rows" "$(pg_rowhash $t)"
    done

    polydb_export "$dir/myx_polydb.run$run" "$myurl" "$dir/polydb.out"
    lines_are "polydb sql (mysql)" "$dir/polydb.out" $((n + 1))
    native_mysql_export "$dir/myx_native.run$run" "$dir/native.out"
    lines_are "mariadb --batch" "$dir/native.out" "$n"

    my -e 'DROP TABLE IF EXISTS bench_copy, bench_copy2; CREATE TABLE bench_copy2 LIKE bench'
    timed "$dir/myi_polydb.run$run" "$polydb" -q copy "sqlite://$src_db" bench "$myurl" bench_copy \
      --mode create --batch-size 10000
    native_mysql_import "$dir/myi_native.run$run"
    for t in bench_copy bench_copy2; do
      verify "MySQL $t" "$want" "$(mysql_checksum $t)"
      verify "MySQL $t (row hash)" "$want_my_rows" "$(mysql_rowhash $t)"
    done

    pg -c "DROP DATABASE IF EXISTS $m2p_db WITH (FORCE)" -c "CREATE DATABASE $m2p_db" -c CHECKPOINT
    timed "$dir/m2p_polydb.run$run" "$polydb" -q copy "$myurl" bench "$m2p_url" bench_copy \
      --mode create --batch-size 10000
    pg -c CHECKPOINT
    native_mysql_to_pg "$dir/m2p_native.run$run"
    for t in bench_copy pgloader_target.bench; do
      verify "PostgreSQL $t (from MySQL)" "$want" "$(in_m2p pg_checksum $t)"
      verify "PostgreSQL $t (from MySQL, row hash)" "$want_pg_rows" "$(in_m2p pg_rowhash $t)"
    done
  done
  echo "verified: every import equals the source, every export has its $n rows" >&2
  add_result pg-export "$n" "$dir"/pgx_polydb.run[12] -- "$dir"/pgx_native.run[12]
  add_result pg-import "$n" "$dir"/pgi_polydb.run[12] -- "$dir"/pgi_native.run[12]
  add_result mysql-export "$n" "$dir"/myx_polydb.run[12] -- "$dir"/myx_native.run[12]
  add_result mysql-import "$n" "$dir"/myi_polydb.run[12] -- "$dir"/myi_native.run[12]
  add_result mysql-to-pg "$n" "$dir"/m2p_polydb.run[12] -- "$dir"/m2p_native.run[12]

  echo "timing copy --parallel 1 and 2 ..." >&2
  for engine in pg mysql; do
    for p in 1 2; do
      for run in 1 2; do
        if [[ $engine == pg ]]; then
          pg -c 'DROP TABLE IF EXISTS bench_copy' -c CHECKPOINT
          timed "$dir/par${p}_$engine.run$run" "$polydb" -q copy "$pg_url" bench "$pg_dst" \
            bench_copy --mode create --batch-size 10000 --parallel "$p"
          verify "PostgreSQL bench_copy (--parallel $p)" "$want" "$(pg_checksum bench_copy)"
        else
          my -e 'DROP TABLE IF EXISTS bench_copy'
          timed "$dir/par${p}_$engine.run$run" "$polydb" -q copy "$myurl" bench "$myurl" \
            bench_copy --mode create --batch-size 10000 --parallel "$p"
          verify "MySQL bench_copy (--parallel $p)" "$want" "$(mysql_checksum bench_copy)"
        fi
      done
    done
    parallel+=("$engine-to-$engine $n $(best "$dir"/par1_$engine.run[12]) $(best "$dir"/par2_$engine.run[12])")
  done
  rm -f "$dir"/*.run[12] "$dir"/*.out
done

print_results
echo
printf '%-15s %9s | %10s %8s %9s | %10s %8s %9s | %8s\n' 'copy --parallel' rows \
  'N=1 s' 'cpu s' 'peak RSS' 'N=2 s' 'cpu s' 'peak RSS' speedup
for line in "${parallel[@]}"; do
  awk -v l="$line" 'BEGIN { split(l, f, " ")
    printf "%-15s %9d | %10.2f %8.2f %6.1f MB | %10.2f %8.2f %6.1f MB | %7.2fx\n",
           f[1], f[2], f[3], f[5], f[4] / 1024, f[6], f[8], f[7] / 1024, f[3] / f[6] }'
done
echo "(best of 2 runs each; the reader side splits by primary-key ranges, one"
echo " connection per part in one snapshot; the writer stays one stream)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
