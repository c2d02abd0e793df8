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
bench_init "${1:-}"
require_url POLYDB_TEST_MYSQL_URL mariadb
client=$(command -v mariadb || command -v mysql) ||
  die "the mariadb (or mysql) client is missing (apt-get install mariadb-client)"

url=$POLYDB_TEST_MYSQL_URL
shown=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$url")
dir="$root/build/bench/mysql_copy"
tsv="$dir/bench.tsv"
cnf="$dir/client.cnf"
mkdir -p "$dir"

cleanup() {
  if [[ -f "$cnf" ]]; then
    "$client" --defaults-extra-file="$cnf" -e 'DROP TABLE IF EXISTS bench, bench_copy, bench_copy2' \
      >/dev/null 2>&1 || true
  fi
  rm -f "$cnf" "$tsv" "$dir"/*.db "$dir"/*.db-journal "$dir"/*.run[12]
}
trap cleanup EXIT

# The client gets the URL's parts through an option file (no password in argv).
re='^(mysql|mariadb)://(([^:@/]*)(:([^@/]*))?@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?(\?.*)?$'
[[ "$url" =~ $re ]] ||
  die "POLYDB_TEST_MYSQL_URL is not a mysql://USER:PASSWORD@HOST:PORT/DB URL: $shown"
decode() { printf '%b' "${1//%/\\x}"; }
quote() { local v=${1//\\/\\\\}; printf '"%s"' "${v//\"/\\\"}"; }
user=$(decode "${BASH_REMATCH[3]}") password=$(decode "${BASH_REMATCH[5]}")
host=${BASH_REMATCH[6]:-localhost} port=${BASH_REMATCH[8]:-3306} database=$(decode "${BASH_REMATCH[10]}")
[[ -n "$database" ]] || die "POLYDB_TEST_MYSQL_URL names no database: $shown"
host=${host#\[} host=${host%\]}
(
  umask 077
  printf '[client]\nhost=%s\nport=%s\nuser=%s\npassword=%s\ndatabase=%s\n' \
    "$host" "$port" "$(quote "$user")" "$(quote "$password")" "$(quote "$database")" >"$cnf"
)

my() { "$client" --defaults-extra-file="$cnf" "$@"; }
my_value() { my --batch --skip-column-names "$@" | tr '\t' ' '; }

my_value -e 'SELECT 1' >/dev/null 2>&1 ||
  die "cannot connect to $shown (is it running? scripts/services.sh status mariadb)"

# generate N: (re)creates `bench` with N rows. Deterministic values from a hash
# of id: h is Knuth's multiplicative hash mod the prime P = 2^31 - 1,
# g = h^2 + c mod P (products < 2^63). Ids come from k digit tables, 10^k >= N.
generate() {
  local n=$1 k=1 digits ids from i
  while ((10 ** k < n)); do k=$((k + 1)); done
  digits='(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL
            SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL
            SELECT 8 UNION ALL SELECT 9)'
  ids="1" from=""
  for ((i = 0; i < k; i++)); do
    ids+=" + $((10 ** i)) * d$i.d"
    from+="${from:+ CROSS JOIN }$digits d$i"
  done
  echo "generating $n source rows in table bench ..." >&2
  my >/dev/null <<SQL
DROP TABLE IF EXISTS bench, bench_copy, bench_copy2;
CREATE TABLE bench (
  id BIGINT NOT NULL PRIMARY KEY,
  qty INT NOT NULL,
  score DOUBLE NOT NULL,
  code VARCHAR(32) NOT NULL,
  label VARCHAR(64) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  day DATE NOT NULL,
  at DATETIME NOT NULL,
  flag BOOLEAN NOT NULL,
  comment VARCHAR(64) NULL
) ENGINE = InnoDB;
INSERT INTO bench
SELECT id,
       (g >> 12) % 1000,
       (h % 1000000) / 1000.0 - 250.5,
       CONCAT('C', LPAD(id % 100000000, 8, '0'), '-', LPAD(g, 10, '0')),
       SUBSTR(CONCAT('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ',
                     'tempor incididunt ut labore et dolore magna aliqua'),
              1 + h % 60, 30 + g % 21),
       ((h >> 4) % 1000000) + (g % 100) / 100,
       DATE '2020-01-01' + INTERVAL (h % 1826) DAY,
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (g % 157680000) SECOND,
       (h >> 7) % 2,
       CASE WHEN g % 10 = 0 THEN NULL ELSE CONCAT('note ', g % 977, ' for order ', id) END
FROM (SELECT id, h, (h * h + 12345) % 2147483647 AS g
      FROM (SELECT id, (id * 2654435761) % 2147483647 AS h
            FROM (SELECT $ids AS id FROM $from) AS n
            WHERE id <= $n) AS a) AS b
ORDER BY id;
ANALYZE TABLE bench;
SQL
}

# The checksum: one line that a table and its copies share, whatever the engine
# (sqlite_checksum in lib.sh computes the same).
mysql_checksum() {
  my_value -e "
    SELECT COUNT(*), SUM(id), SUM(qty), CAST(SUM(ROUND(score * 1000)) AS SIGNED),
           SUM(CHAR_LENGTH(code)), SUM(CHAR_LENGTH(label)), CAST(SUM(amount * 100) AS SIGNED),
           COUNT(*) - COUNT(comment), SUM(CHAR_LENGTH(comment)), SUM(flag),
           SUM(TO_DAYS(day) - TO_DAYS('1970-01-01')),
           SUM(TIMESTAMPDIFF(SECOND, '1970-01-01', at)), CAST(MIN(day) AS CHAR),
           DATE_FORMAT(MAX(at), '%Y-%m-%d %H:%i:%s')
    FROM $1"
}
# MySQL copies only: a hash of every row's text, independent of row order (sum of
# the first 32 bits of each row's MD5) and of the DATETIME precision of the copy.
mysql_rowhash() {
  my_value -e "
    SELECT SUM(CONV(LEFT(MD5(CONCAT_WS('|', id, qty, score, code, label, amount, day,
                                       DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s'), flag,
                                       IFNULL(comment, '\\\\N'))), 8), 16, 10))
    FROM $1"
}

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
  "server:  $(my_value -e 'SELECT VERSION()') at $shown" \
  "sqlite3: $(sqlite3 --version | cut -d' ' -f1,2)"

for n in "${sizes[@]}"; do
  generate "$n"
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
