#!/usr/bin/env bash
# Cross-database queries (issue #8): `polydb query` joining a PostgreSQL table
# with a MariaDB table, against PostgreSQL itself doing the same join over
# postgres_fdw + mysql_fdw on the same two servers, in one run (part of `make bench`).
#
# Usage: bench/compare/federated.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_POSTGRES_URL, POLYDB_TEST_MYSQL_URL  the servers (required; this
#       script starts nothing: scripts/services.sh start postgres mariadb, then
#       eval "$(scripts/services.sh env | sed 's/^/export /')")
#   FED_ORDERS=1000000 FED_CUSTOMERS=100000  the table sizes
#   FED_DATABASE=polydb_fedbench  the database that holds the data, in both servers
#   FED_FDW_ONLY=1  time the fdw side only (no polydb runs, no comparison)
#   FED_EXPLAIN=0   leave out the plans printed at the end (PostgreSQL's EXPLAIN
#                   VERBOSE with the remote SQL, polydb's query --explain --analyze)
# The servers need the mysql_fdw extension for PostgreSQL 15 (Debian package
# postgresql-15-mysql-fdw; postgres_fdw comes with PostgreSQL).
#
# Data, generated on the servers themselves (deterministic: a multiplicative
# hash of the id, as in pg_lib.sh), each in database FED_DATABASE:
#   PostgreSQL orders(id bigint primary key, customer_id bigint not null,
#     order_date date, status text, amount numeric(12,2)), indexed on customer_id:
#     customer_id uniform over the customers, order_date uniform over
#     2020-01-01 .. 2024-12-31 (1827 days), amount 0.00 .. 999.99
#   MariaDB customers(id bigint primary key, name varchar(64), country char(2),
#     segment varchar(16), created date): 20 countries, uniform; segment
#     'enterprise' for ~1%, 'midmarket' ~29%, else 'smb'
# The tables stay after the run (regenerating them takes a while): a rerun with
# the same sizes finds them (row count and a fingerprint in the table comment)
# and skips the generation. DROP DATABASE FED_DATABASE in both servers to remove them.
#
# The three queries, one SQL text for both engines (standard SQL that SQLite,
# polydb's engine, accepts too: no ::casts, no DATE literals):
#   q1 selective  join + filter on both sides (~1% of the customers, ~10% of
#                 the orders: ~1000 joined rows) + group by
#   q2 full       join of every order with its customer + aggregate
#   q3 top-10     ORDER BY ... LIMIT on the orders alone
# polydb runs them as `polydb --format csv query --attach pg=PG_URL --attach
# my=MY_URL SQL`; PostgreSQL runs them (psql --csv -c SQL) in a scratch
# database holding foreign tables pg.orders (postgres_fdw) and my.customers
# (mysql_fdw), the names polydb gives them. That anchor is set up the way an
# expert would (see fdw_setup): remote estimates on, fetch_size 10000 on both
# wrappers, foreign tables analyzed. Every run is a new process (psql: a new
# session, so both wrappers connect afresh, as polydb does). Each query runs
# twice, interleaved with the other engine, after an untimed read of both
# tables warmed the servers' caches; the faster run counts. Peak RSS is
# polydb's (peak_rss.py), the largest of its runs.
#
# Verification: both engines' CSV, rows sorted and every number rounded to 2
# decimals (SQLite sums numerics as doubles), must be equal, else the script
# fails. The scratch database and the files in build/bench/federated/ are
# removed at the end, whatever happens.
set -euo pipefail

bench=federated.sh
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=bench/compare/lib.sh
source "$here/lib.sh"
# shellcheck source=bench/compare/pg_lib.sh
source "$here/pg_lib.sh"
# shellcheck source=bench/compare/mysql_lib.sh
source "$here/mysql_lib.sh"
# shellcheck source=bench/compare/fdw_lib.sh
source "$here/fdw_lib.sh"
bench_init "${1:-}"
require_url POLYDB_TEST_POSTGRES_URL postgres
require_url POLYDB_TEST_MYSQL_URL mariadb

n_orders=${FED_ORDERS:-1000000}
n_customers=${FED_CUSTOMERS:-100000}
fed_db=${FED_DATABASE:-polydb_fedbench}
fdw_only=${FED_FDW_ONLY:-0}
[[ "$n_orders" =~ ^[1-9][0-9]*$ ]] || die "FED_ORDERS holds '$n_orders', not a positive row count"
[[ "$n_customers" =~ ^[1-9][0-9]*$ ]] ||
  die "FED_CUSTOMERS holds '$n_customers', not a positive row count"
[[ "$fed_db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "FED_DATABASE '$fed_db' is not a plain lower-case name"
fdw_db="polydb_fedbench_fdw_$$"
dir="$root/build/bench/federated"
mkdir -p "$dir"

cleanup() {  # the data databases stay (see above)
  if [[ -n "${pg_base:-}" ]]; then
    local pg_url=$pg_base
    pg -c "DROP DATABASE IF EXISTS $fdw_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -f ${my_cnf:+"$my_cnf"} "$dir"/*.csv "$dir"/*.run[12]
}
trap cleanup EXIT

# The servers, then the data database in each (created when missing).
pg_setup "$POLYDB_TEST_POSTGRES_URL"
pg_base=$pg_url
pg <<<"SELECT 'CREATE DATABASE $fed_db' WHERE NOT EXISTS
         (SELECT FROM pg_database WHERE datname = '$fed_db') \\gexec"
pg_fed=$(url_with_db "$pg_base" "$fed_db")
fdw_url=$(url_with_db "$pg_base" "$fdw_db")
mysql_setup "$POLYDB_TEST_MYSQL_URL" "$dir"
my -e "CREATE DATABASE IF NOT EXISTS $fed_db"
my_fed=$(url_with_db "$POLYDB_TEST_MYSQL_URL" "$fed_db")
mysql_setup "$my_fed" "$dir"
pg_setup "$pg_fed"
pg_url_parts "$pg_url"

in_fdw() { local pg_url=$fdw_url; "$@"; }  # runs a pg_lib.sh function on the scratch database

readonly FINGERPRINT_ORDERS="polydb fedbench v1: orders=$n_orders customers=$n_customers"
readonly FINGERPRINT_CUSTOMERS="polydb fedbench v1: customers=$n_customers"

# orders_ready: the orders table of this script, with these sizes, is there.
orders_ready() {
  [[ "$(pg_value -c "SELECT coalesce(obj_description(to_regclass('public.orders'), 'pg_class'), '')")" \
      == "$FINGERPRINT_ORDERS" ]] &&
    [[ "$(pg_value -c 'SELECT count(*) FROM orders')" == "$n_orders" ]]
}
customers_ready() {
  [[ "$(my_value -e "SELECT TABLE_COMMENT FROM information_schema.TABLES
                      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers'")" \
      == "$FINGERPRINT_CUSTOMERS" ]] &&
    [[ "$(my_value -e 'SELECT COUNT(*) FROM customers')" == "$n_customers" ]]
}

# generate_orders: h is Knuth's multiplicative hash of id mod the prime 2^31 - 1,
# g = h^2 + c mod the same prime (pg_lib.sh); keys and index after the insert.
generate_orders() {
  echo "generating $n_orders orders in PostgreSQL database $fed_db ..." >&2
  pg <<SQL
DROP TABLE IF EXISTS orders;
CREATE TABLE orders (
  id bigint NOT NULL,
  customer_id bigint NOT NULL,
  order_date date,
  status text,
  amount numeric(12,2));
INSERT INTO orders
SELECT id,
       1 + h % $n_customers,
       date '2020-01-01' + (g % 1827)::int,
       (ARRAY['pending', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + ((g >> 8) % 5)::int],
       ((h >> 4) % 100000) / 100.0
FROM (SELECT id, h, (h * h + 12345) % 2147483647 AS g
      FROM (SELECT id, (id * 2654435761) % 2147483647 AS h
            FROM generate_series(1::bigint, $n_orders) AS id) a) b;
ALTER TABLE orders ADD PRIMARY KEY (id);
CREATE INDEX orders_customer_id ON orders (customer_id);
COMMENT ON TABLE orders IS $(sql_literal "$FINGERPRINT_ORDERS");
VACUUM (FREEZE, ANALYZE) orders;
SQL
}

# generate_customers: ids from the Sequence engine (MariaDB), the same hash.
generate_customers() {
  echo "generating $n_customers customers in MariaDB database $fed_db ..." >&2
  [[ "$(my_value -e "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SEQUENCE'")" == YES ]] ||
    die "the MariaDB server has no Sequence engine (seq_1_to_N): MariaDB >= 10.0 is needed"
  my >/dev/null <<SQL
DROP TABLE IF EXISTS customers;
CREATE TABLE customers (
  id BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(64),
  country CHAR(2),
  segment VARCHAR(16),
  created DATE
) ENGINE = InnoDB;
INSERT INTO customers
SELECT id,
       CONCAT('Customer ', id),
       SUBSTR('USDEFRGBJPCNINBRCAITESNLSEPLKRMXAUCHBEAT', 1 + 2 * ((h >> 8) % 20), 2),
       CASE WHEN h % 100 = 0 THEN 'enterprise' WHEN h % 100 < 30 THEN 'midmarket' ELSE 'smb' END,
       DATE '2015-01-01' + INTERVAL (h % 3287) DAY
FROM (SELECT seq AS id, (seq * 2654435761) % 2147483647 AS h FROM seq_1_to_$n_customers) AS s
ORDER BY id;
ALTER TABLE customers COMMENT = $(sql_literal "$FINGERPRINT_CUSTOMERS");
ANALYZE TABLE customers;
SQL
}

# fdw_setup: the anchor, in a new scratch database: both wrappers' servers as
# fdw_lib.sh sets them up (remote estimates for postgres_fdw, fetch_size 10000
# on both; why there), the foreign tables imported (IMPORT FOREIGN SCHEMA: the
# remote column types) into schemas pg and my, pg.orders ANALYZEd (local
# statistics for the join estimates; mysql_fdw cannot ANALYZE).
# Both wrappers push down the WHERE clauses and the columns needed;
# postgres_fdw pushes ORDER BY ... LIMIT too. The join of tables on two
# servers is done by PostgreSQL, as it is by polydb.
fdw_setup() {
  echo "setting up postgres_fdw + mysql_fdw in scratch database $fdw_db ..." >&2
  fdw_database "$fdw_url"
  in_fdw pg <<SQL
$(fdw_servers "$fed_db")
CREATE SCHEMA pg;
IMPORT FOREIGN SCHEMA public LIMIT TO (orders) FROM SERVER pg_server INTO pg;
CREATE SCHEMA my;
IMPORT FOREIGN SCHEMA $fed_db LIMIT TO (customers) FROM SERVER my_server INTO my;
ANALYZE pg.orders;
SQL
}

names=(q1-selective q2-full-join q3-top10)
queries=(
  "SELECT c.country, COUNT(*) AS n, SUM(o.amount) AS total
   FROM pg.orders o JOIN my.customers c ON c.id = o.customer_id
   WHERE c.segment = 'enterprise' AND o.order_date >= '2024-07-01'
   GROUP BY c.country ORDER BY c.country"
  "SELECT c.country, COUNT(*) AS n, SUM(o.amount) AS total
   FROM pg.orders o JOIN my.customers c ON c.id = o.customer_id
   GROUP BY c.country ORDER BY c.country"
  "SELECT id, customer_id, amount FROM pg.orders ORDER BY amount DESC, id LIMIT 10"
)

run_fdw() {  # run_fdw RESULT OUT SQL
  timed "$1" psql -X -q --csv -v ON_ERROR_STOP=1 -d "$fdw_url" -c "$3" >"$2"
}
run_polydb() {  # run_polydb RESULT OUT SQL
  timed "$1" "$polydb" -q --format csv query --attach "pg=$pg_fed" --attach "my=$my_fed" "$3" >"$2"
}

# normalised CSV: header in lower case, then the rows sorted, every number
# rounded to 2 decimals (sums are doubles in SQLite, numerics in PostgreSQL).
normalised() {
  python3 - "$1" <<'PY'
import csv, sys
from decimal import Decimal, InvalidOperation

def norm(v):
    try:
        return str(Decimal(v).quantize(Decimal("0.01")))
    except InvalidOperation:
        return v

with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f))
if not rows:
    sys.exit(f"{sys.argv[1]}: empty output, not even a header")
print(",".join(h.lower() for h in rows[0]))
for row in sorted([norm(v) for v in r] for r in rows[1:]):
    print(",".join(row))
PY
}

# same_results NAME FDW_OUT POLYDB_OUT: fails the script unless they are equal.
same_results() {
  normalised "$2" >"$2.norm.csv"
  normalised "$3" >"$3.norm.csv"
  if ! cmp -s "$2.norm.csv" "$3.norm.csv"; then
    echo "$bench: VERIFICATION FAILED: $1: polydb's result differs from PostgreSQL's (fdw)" >&2
    diff "$2.norm.csv" "$3.norm.csv" | head -n 20 | sed 's/^/  /' >&2
    exit 1
  fi
}

# The fdw side's rows must be plausible on their own: q1 and q2 one row per
# country present (at most 20), q3 exactly 10 rows.
check_fdw_rows() {  # check_fdw_rows NAME OUT
  local rows
  rows=$(($(wc -l <"$2") - 1))
  case "$1" in
    q3-*) ((rows == 10 || rows == n_orders)) || die "$1: PostgreSQL (fdw) returned $rows rows, want 10" ;;
    *) ((rows >= 1 && rows <= 20)) || die "$1: PostgreSQL (fdw) returned $rows rows, want 1 .. 20" ;;
  esac
}

print_header "psql:    $(psql --version | head -n 1)" \
  "servers: PostgreSQL $(pg_value -c 'SHOW server_version') at $pg_shown," \
  "         MariaDB $(my_value -e 'SELECT VERSION()') at $my_shown" \
  "data:    orders $n_orders rows (PostgreSQL), customers $n_customers rows (MariaDB), database $fed_db"

if orders_ready; then echo "orders: already generated, kept" >&2; else generate_orders; fi
if customers_ready; then echo "customers: already generated, kept" >&2; else generate_customers; fi
fdw_setup
echo "untimed: one read of each table to warm the servers' caches ..." >&2
pg_value -c 'SELECT count(*), sum(amount) FROM orders' >/dev/null
my_value -e 'SELECT COUNT(*), MAX(segment) FROM customers' >/dev/null

echo "timing ${#queries[@]} queries (2 runs each, interleaved) ..." >&2
for run in 1 2; do
  for i in "${!queries[@]}"; do
    name=${names[$i]}
    run_fdw "$dir/$name.fdw.run$run" "$dir/$name.fdw.csv" "${queries[$i]}"
    check_fdw_rows "$name" "$dir/$name.fdw.csv"
    [[ "$fdw_only" == 1 ]] && continue
    run_polydb "$dir/$name.polydb.run$run" "$dir/$name.polydb.csv" "${queries[$i]}"
    same_results "$name" "$dir/$name.fdw.csv" "$dir/$name.polydb.csv"
  done
done
[[ "$fdw_only" == 1 ]] || echo "verified: polydb's results equal PostgreSQL's for every query and run" >&2

echo
printf '%-13s %5s | %8s | %9s %8s %9s | %10s\n' query rows 'fdw s' 'polydb s' 'cpu s' 'peak RSS' 'fdw/polydb'
goal=met
for i in "${!queries[@]}"; do
  name=${names[$i]}
  rows=$(($(wc -l <"$dir/$name.fdw.csv") - 1))
  read -r fs _ _ <<<"$(best "$dir/$name.fdw.run"[12])"
  if [[ "$fdw_only" == 1 ]]; then
    printf '%-13s %5d | %8.3f | %9s %8s %9s | %10s\n' "$name" "$rows" "$fs" - - - -
    continue
  fi
  read -r ps pk pc <<<"$(best "$dir/$name.polydb.run"[12])"
  printf '%-13s %5d | %8.3f | %9.3f %8.2f %6.1f MB | %9.2fx\n' "$name" "$rows" "$fs" "$ps" "$pc" \
    "$(awk -v k="$pk" 'BEGIN { print k / 1024 }')" "$(awk -v f="$fs" -v p="$ps" 'BEGIN { print f / p }')"
  awk -v f="$fs" -v p="$ps" -v k="$pk" 'BEGIN { exit !(p < f && k <= 512 * 1024) }' || goal="NOT met"
done
echo "(best of 2 runs each, interleaved; fdw = psql on PostgreSQL over postgres_fdw + mysql_fdw;"
echo " fdw/polydb > 1: polydb is faster; cpu s and peak RSS are polydb's own (the fdw work"
echo " happens in the PostgreSQL server); rows = result rows)"
[[ "$fdw_only" == 1 ]] ||
  echo "goal (issue #8: polydb faster on all three, peak RSS <= 512 MB): $goal"

if [[ "${FED_EXPLAIN:-1}" == 1 ]]; then
  echo
  echo "PostgreSQL's plans (EXPLAIN VERBOSE; Remote SQL is what each wrapper sends):"
  for i in "${!queries[@]}"; do
    echo "--- ${names[$i]}"
    in_fdw pg_value -c "EXPLAIN (VERBOSE, COSTS OFF) ${queries[$i]}" | sed 's/^/  /'
  done
  if [[ "$fdw_only" != 1 ]]; then
    echo
    echo "polydb's plans (query --explain --analyze: what each remote table was sent):"
    for i in "${!queries[@]}"; do
      echo "--- ${names[$i]}"
      "$polydb" -q --format table query --explain --analyze --attach "pg=$pg_fed" \
        --attach "my=$my_fed" "${queries[$i]}" 2>&1 | sed 's/^/  /' ||
        echo "  (polydb query --explain --analyze failed: the timed runs above did not)"
    done
  fi
fi
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
