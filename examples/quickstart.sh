#!/usr/bin/env bash
# A tour of the polydb CLI on the example databases (what `make run` runs).
#
# Usage: examples/quickstart.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#
# Runs examples/generate.sh (quick when the data exists), then a handful of
# commands against examples/polydb.yaml from the repository root. Copies land
# in examples/data/warehouse.db, recreated on every run. Exits non-zero as
# soon as a step fails.
set -Eeuo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
polydb=${1:-build/release/src/cli/polydb}
# A relative binary path is relative to where we were started, not to $root.
[[ "$polydb" == /* ]] || polydb="$PWD/$polydb"
if [[ ! -x "$polydb" ]]; then
  echo "quickstart: no polydb binary at $polydb" >&2
  echo "  build it: cmake --preset release && ninja -C build/release polydb_cli_main" >&2
  exit 1
fi
cd "$root"

step=""
trap 'echo "quickstart: FAILED at step: $step" >&2' ERR

# shown ARG...: the arguments as one would type them in a shell.
shown() {
  local out="" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+=" $a"
    elif [[ "$a" != *"'"* ]]; then out+=" '$a'"
    else out+=" \"${a//\"/\\\"}\""
    fi
  done
  printf '%s' "${out# }"
}

# run TITLE ARG...: prints a heading and the command, then runs polydb ARG...
run() {
  step=$1
  shift
  printf '\n== %s\n$ polydb %s\n' "$step" "$(shown "$@")"
  "$polydb" --config examples/polydb.yaml --format table "$@"
}

step="generate the example data"
examples/generate.sh

printf '\nEvery command below runs as: polydb --config examples/polydb.yaml --format table ...\n'

run "ls: the tables of a connection" ls shop

run "describe: columns, polydb types and native types" describe orders orders

run "sql with a parameter: top active customers in one country" \
  sql shop "SELECT name, email, signup_date, credit_limit FROM customers
            WHERE country = ? AND is_active
            ORDER BY CAST(credit_limit AS REAL) DESC, id LIMIT 5" -p DE

step="sql as JSON: decimals stay exact text, items stay a JSON document"
printf '\n== %s\n$ polydb --format json %s\n' "$step" \
  "$(shown sql orders "SELECT id, ordered_at, status, total, note, items FROM orders ORDER BY id LIMIT 3")"
"$polydb" --config examples/polydb.yaml --format json \
  sql orders "SELECT id, ordered_at, status, total, note, items FROM orders ORDER BY id LIMIT 3"

warehouse=sqlite:examples/data/warehouse.db
rm -f examples/data/warehouse.db examples/data/warehouse.db-journal

run "copy: all orders into a new database (the file is created)" \
  copy orders orders "$warehouse" orders --mode replace

run "copy with a filter: only paid orders, into another table" \
  copy orders orders "$warehouse" paid_orders --mode replace --where "status = 'paid'"

run "sql on the copies: rows per table" \
  sql "$warehouse" "SELECT 'orders' AS tbl, count(*) AS rows FROM orders
                    UNION ALL SELECT 'paid_orders', count(*) FROM paid_orders"

step="check: the copies hold what the source holds"
printf '\n== %s\n' "$step"
# count CONN SQL [-p VALUE]...: the single value the query returns (CSV output: header, value).
count() { "$polydb" --config examples/polydb.yaml --format csv sql "$@" | tail -n 1; }
for table in orders paid_orders; do
  filter=""
  [[ $table == paid_orders ]] && filter="WHERE status = 'paid'"
  want=$(count orders "SELECT count(*) FROM orders $filter")
  got=$(count "$warehouse" "SELECT count(*) FROM $table")
  if [[ "$got" != "$want" ]]; then
    echo "quickstart: $table holds $got rows, the source $want" >&2
    exit 1
  fi
  echo "ok: $table has $got rows, as the source"
done

run "ping: reachability, version and latency" ping shop orders

printf '\nquickstart: all steps passed in %ss\n' "$SECONDS"
