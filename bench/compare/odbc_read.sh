#!/usr/bin/env bash
# Reading and writing PostgreSQL through ODBC (psqlODBC): `polydb` with an
# odbc:// URL against polydb's native postgresql:// connector (libpq) and
# unixODBC's own isql, in the same run (part of `make bench`).
#
# Usage: bench/compare/odbc_read.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_POSTGRES_URL  the server (required; this script starts nothing:
#                             scripts/services.sh start postgres, then
#                             eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_ROWS="2000000"  row counts to measure (e.g. 100000 for a quick run)
#   POLYDB_BENCH_TEXT=1          declare label and comment as unbounded `text`
#                                (psqlODBC: SQL_LONGVARCHAR) instead of varchar(n)
#
# For each row count, generates server-side (generate_series) a table
# odbc_bench of 10 mixed-type columns (bigint key, integer, double precision,
# varchar(40), varchar(60), numeric(12,2), date, timestamp, boolean,
# varchar(80) with ~10% NULLs: bounded types; with POLYDB_BENCH_TEXT=1 the
# two labels are unbounded text, bound with a first-guess buffer, see
# docs/odbc.md), then
#   read:  SELECT * FROM odbc_bench to CSV on stdout (discarded after a checksum):
#     polydb odbc:   polydb --format csv sql 'odbc://...?driver=PostgreSQL Unicode' QUERY
#     polydb native: polydb --format csv sql postgresql://... QUERY
#     isql:          isql -b -d, -k 'Driver=...;...' with the query on stdin
#     driver alone:  polydb_odbc_floor (bench/compare/odbc_floor.cpp): psqlODBC's bound
#                    fetches, bound as polydb binds them, the rows then
#                    discarded: the part of the ODBC read that is the driver's
#   write: copy odbc_bench (read natively) into a new table:
#     polydb odbc:   polydb -q copy PG odbc_bench ODBC odbc_bench_w --batch-size 10000
#                    (500-row INSERTs in parameter arrays, one transaction)
#     polydb native: polydb -q copy PG odbc_bench PG' odbc_bench_w2 --batch-size 10000
#                    (binary COPY)
# Each runs twice, interleaved; the faster run counts; peak RSS is polydb's
# (bench/compare/peak_rss.py). The two polydb CSVs must be byte-identical
# (their md5 sums are compared) and the written tables must match the
# source's checksum, else the script fails. Everything happens in a database
# of its own (polydb_odbc_bench_PID, needs CREATEDB), dropped at the end.
set -euo pipefail

bench=odbc_read.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
polydb=${1:-build/release/src/cli/polydb}
[[ "$polydb" == /* ]] || polydb="$PWD/$polydb"
[[ -x "$polydb" ]] ||
  die "no polydb binary at $polydb (cmake --preset release && cmake --build --preset release --target polydb_cli_main)"
# The driver alone, from the same build tree as the polydb binary.
floor="$(dirname "$polydb")/../../bench/polydb_odbc_floor"
[[ -x "$floor" ]] ||
  die "no $floor (cmake --build --preset release --target polydb_odbc_floor)"
read -r -a sizes <<<"${POLYDB_BENCH_ROWS:-2000000}"
label_type="varchar(60)" comment_type="varchar(80)"
if [[ "${POLYDB_BENCH_TEXT:-0}" == 1 ]]; then label_type=text comment_type=text; fi
require_url POLYDB_TEST_POSTGRES_URL postgres
command -v psql >/dev/null || die "psql is missing (apt-get install postgresql-client)"
command -v isql >/dev/null || die "isql is missing (apt-get install unixodbc)"
odbcinst -q -d 2>/dev/null | grep -qx '\[PostgreSQL Unicode\]' ||
  die "the PostgreSQL Unicode ODBC driver is not registered (apt-get install odbc-postgresql)"

# A database of its own: other benchmarks share the server's default database
# (and change its search_path).
base_url=$POLYDB_TEST_POSTGRES_URL
bench_db="polydb_odbc_bench_$$"
url=$(python3 - "$base_url" "$bench_db" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(u.urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, p.fragment)))
PY
)
psql -X -q -v ON_ERROR_STOP=1 -d "$base_url" -c "CREATE DATABASE $bench_db" ||
  die "cannot create database $bench_db (the user needs CREATEDB)"
shown=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$url")
case "$url" in
  *\?*) dst_url="$url&application_name=polydb_bench_dst" ;;
  *) dst_url="$url?application_name=polydb_bench_dst" ;;
esac
# The same server through psqlODBC: odbc://user:pw@host:port/db?driver=...
odbc_url="odbc://${url#*://}"
odbc_url="${odbc_url%%\?*}?driver=PostgreSQL%20Unicode"
# isql takes a connection string (-k): the URL's parts, percent-decoded.
cs=$(python3 - "$url" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print("Driver={PostgreSQL Unicode};Server=%s;Port=%d;Database=%s;Uid=%s;Pwd=%s;"
      "UseDeclareFetch=1;Fetch=10000;BoolsAsChar=0"
      % (p.hostname, p.port or 5432, u.unquote(p.path[1:]), u.unquote(p.username or ""),
         u.unquote(p.password or "")))
PY
)
query="SELECT * FROM odbc_bench"
dir="$root/build/bench/odbc_read"
mkdir -p "$dir"

pg() { psql -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"; }
pg_value() { psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$url" "$@"; }
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

cleanup() {
  psql -X -q -d "$base_url" -c "DROP DATABASE IF EXISTS $bench_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$dir"/*.run[12] "$dir"/*.md5
}
trap cleanup EXIT

generate() {
  echo "generating $1 source rows in PostgreSQL table odbc_bench (label $label_type, comment $comment_type) ..." >&2
  pg <<SQL
DROP TABLE IF EXISTS odbc_bench;
CREATE TABLE odbc_bench (
  id bigint PRIMARY KEY, qty integer NOT NULL, score double precision NOT NULL,
  code varchar(40) NOT NULL, label $label_type NOT NULL, amount numeric(12,2) NOT NULL,
  day date NOT NULL, at timestamp NOT NULL, flag boolean NOT NULL, comment $comment_type);
INSERT INTO odbc_bench
SELECT id, (g >> 12) % 1000, (h % 1000000) / 1000.0 - 250.5,
       'C' || lpad((id % 100000000)::text, 8, '0') || '-' || lpad(g::text, 10, '0'),
       substr('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod '
              || 'tempor incididunt ut labore et dolore magna aliqua', 1 + (h % 60)::int,
              30 + (g % 21)::int),
       ((h >> 4) % 1000000) + (g % 100) / 100.0, date '2020-01-01' + (h % 1826)::int,
       timestamp '2020-01-01' + (g % 157680000) * interval '1 second', (h >> 7) % 2 = 1,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g % 977 || ' for order ' || id END
FROM (SELECT id, h, (h * h + 12345) % 2147483647 AS g
      FROM (SELECT id, (id * 2654435761) % 2147483647 AS h
            FROM generate_series(1::bigint, $1) AS id) a) b;
VACUUM (FREEZE, ANALYZE) odbc_bench;
SQL
}

checksum() {
  pg_value -c "SELECT count(*), sum(id), sum(qty), sum(round(score * 1000)::bigint),
                      sum(length(code)), sum(length(label)), sum(amount * 100)::bigint,
                      count(*) - count(comment), sum(length(comment)), sum(flag::int),
                      sum(day - date '1970-01-01'), sum(extract(epoch FROM at))::bigint
               FROM $1"
}

# read_csv RESULT MD5_FILE COMMAND...: COMMAND's stdout goes to md5sum only.
read_csv() {
  local result=$1 sum=$2
  shift 2
  # shellcheck disable=SC2016  # expanded by the inner shell
  timed "$result" bash -c 'set -euo pipefail; out=$1; shift; "$@" | md5sum >"$out"' _ "$sum" "$@"
}

# The read table: "LABEL ROWS S RSS CPU" per tool, printed with ratios to native.
print_read() {
  local n=$1 label file
  printf '\n%-14s %9s | %8s %10s %8s %10s | %s\n' read rows seconds rows/s 'cpu s' 'peak RSS' 'vs native'
  local native_s
  native_s=$(best "$dir"/native.run[12] | cut -d' ' -f1)
  for label in native odbc isql floor; do
    best "$dir/$label".run[12] | awk -v l="$label" -v n="$n" -v ns="$native_s" '{
      rss = (l == "isql" || l == "floor") ? "-" : sprintf("%.1f MB", $2 / 1024)
      printf "%-14s %9d | %8.2f %10.0f %8.2f %10s | %.2fx\n", "polydb " l, n, $1, n / $1, $3, rss, ns / $1 }' |
      sed 's/^polydb isql /isql        /; s/^polydb floor /driver alone /'
  done
}

echo "polydb:  $("$polydb" version 2>&1 | head -n 1)"
echo "server:  PostgreSQL $(pg_value -c 'SHOW server_version') at $shown"
echo "odbc:    unixODBC $(odbcinst --version | awk '{print $2}'), psqlODBC $(dpkg-query -W -f='${Version}' odbc-postgresql 2>/dev/null || echo '?')"
echo "table:   odbc_bench, 10 columns (label $label_type, comment $comment_type)"
echo "machine: $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

for n in "${sizes[@]}"; do
  generate "$n"
  want=$(checksum odbc_bench)
  echo "reading and writing $n rows (2 runs each) ..." >&2
  for run in 1 2; do
    read_csv "$dir/native.run$run" "$dir/native.md5" "$polydb" --format csv sql "$url" "$query"
    read_csv "$dir/odbc.run$run" "$dir/odbc.md5" "$polydb" --format csv sql "$odbc_url" "$query"
    read_csv "$dir/isql.run$run" "$dir/isql.md5" bash -c 'isql -b -d, -k "$1" <<<"$2"' _ "$cs" "$query"
    # shellcheck disable=SC2016  # expanded by the inner shell
    timed "$dir/floor.run$run" bash -c 'set -euo pipefail; "$1" "$2" "$3" >"$4"' _ \
      "$floor" "$cs" "$query" "$dir/floor.out"
    [[ "$(cut -d' ' -f1 "$dir/floor.out")" == "rows=$n" ]] ||
      die "the driver alone read $(cat "$dir/floor.out"), not $n rows"
    pg -c 'DROP TABLE IF EXISTS odbc_bench_w, odbc_bench_w2' -c 'CHECKPOINT'
    timed "$dir/w_odbc.run$run" "$polydb" -q copy "$url" odbc_bench "$odbc_url" odbc_bench_w \
      --mode create --batch-size 10000
    pg -c 'CHECKPOINT'
    timed "$dir/w_native.run$run" "$polydb" -q copy "$url" odbc_bench "$dst_url" odbc_bench_w2 \
      --mode create --batch-size 10000
  done
  verify "the ODBC CSV (md5)" "$(cat "$dir/native.md5")" "$(cat "$dir/odbc.md5")"
  verify "table odbc_bench_w (written through ODBC)" "$want" "$(checksum odbc_bench_w)"
  verify "table odbc_bench_w2 (written natively)" "$want" "$(checksum odbc_bench_w2)"
  echo "verified: the ODBC and native CSVs are identical; both written tables equal the source" >&2
  print_read "$n"
  results=()
  add_result write-odbc "$n" "$dir"/w_odbc.run[12] -- "$dir"/w_native.run[12]
  print_results | sed 's/^copy           /write          /; s/native s/libpq s /'
  rm -f "$dir"/*.run[12] "$dir"/*.md5 "$dir/floor.out"
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
