#!/usr/bin/env bash
# SQLite -> Firestore (emulator): `polydb copy` against the official Node
# client (@google-cloud/firestore) loading the same rows, in the same run.
#
# Usage: bench/compare/firestore_load.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_FIRESTORE_URL  the emulator (required; this script starts nothing:
#                              scripts/services.sh start firestore, then
#                              eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_ROWS="100000"  row counts to measure (the issue's 100k documents)
#
# For each row count, the sqlite3 shell generates a table `bench` (bigint key,
# integer, real, two texts, decimal, timestamp, boolean, text with ~10% NULLs),
# exported once as JSON for the Node client. Then, each into a fresh emulator
# project (so no run sees another's documents):
#   polydb:     polydb -q copy sqlite:///FILE bench firestore://P?emulator=... bench
#               (batchWrite requests of 500 writes, one in flight)
#   node batch: WriteBatch commits of 500, one in flight (the same concurrency)
#   node bulk:  BulkWriter without ramp-up throttling (its own parallelism),
#               shown for reference
# Each run is checked: the collection must hold exactly N documents. Each runs
# twice, interleaved; the faster run counts. Peak RSS is polydb's and node's
# (bench/compare/peak_rss.py). The emulator's CPU time is not in the clients'.
set -euo pipefail

bench=firestore_load.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
POLYDB_BENCH_ROWS=${POLYDB_BENCH_ROWS:-100000}
bench_init "${1:-}"
require_url POLYDB_TEST_FIRESTORE_URL firestore
command -v node >/dev/null || die "node is missing (scripts/install-deps.sh)"
modules="$root/tools/emulators/node_modules"
[[ -d "$modules/@google-cloud/firestore" ]] || die "no @google-cloud/firestore in $modules (scripts/install-deps.sh)"

emulator=$(sed -nE 's/.*[?&]emulator=([^&]*).*/\1/p' <<<"$POLYDB_TEST_FIRESTORE_URL")
[[ -n "$emulator" ]] || die "POLYDB_TEST_FIRESTORE_URL has no emulator=HOST:PORT option"
dir="$root/build/bench/firestore_load"
mkdir -p "$dir"
projects=()

reset_project() {
  curl --noproxy '*' -s -X DELETE \
    "http://$emulator/emulator/v1/projects/$1/databases/(default)/documents" >/dev/null || true
}
cleanup() {
  local p
  for p in "${projects[@]}"; do reset_project "$p"; done
  rm -f "$dir"/*.db "$dir"/*.json "$dir"/*.run[12]
}
trap cleanup EXIT

count_docs() {  # count_docs PROJECT: documents in its collection bench
  curl --noproxy '*' -s -X POST -H 'Content-Type: application/json' \
    "http://$emulator/v1/projects/$1/databases/(default)/documents:runAggregationQuery" \
    -d '{"structuredAggregationQuery":{"structuredQuery":{"from":[{"collectionId":"bench"}]},
         "aggregations":[{"alias":"n","count":{}}]}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["result"]["aggregateFields"]["n"]["integerValue"])'
}

generate() {  # generate N FILE
  rm -f "$2"
  sqlite3 "$2" "
    CREATE TABLE bench (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, score REAL NOT NULL,
      code TEXT NOT NULL, label TEXT NOT NULL, amount DECIMAL(12,2) NOT NULL,
      at TIMESTAMP NOT NULL, flag BOOLEAN NOT NULL, comment TEXT);
    INSERT INTO bench WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1)
      SELECT x, x * 7 % 1000, x / 3.0, printf('C%08d', x), 'label for row ' || x || ' of the benchmark',
             printf('%d.%02d', x % 100000, x % 100),
             datetime(1700000000 + x * 37, 'unixepoch') || '.' || printf('%06d', x % 1000000),
             x % 2, CASE WHEN x % 10 = 0 THEN NULL ELSE 'comment ' || x END FROM c;"
  sqlite3 -json "$2" 'SELECT * FROM bench' >"${2%.db}.json"
}

run=0
fresh_project() {
  run=$((run + 1))
  project="polydb-bench-$$-$run"
  projects+=("$project")
}

# The Node client, run by peak_rss.py (a command, not a shell function).
node_load=(env "FIRESTORE_EMULATOR_HOST=$emulator" METADATA_SERVER_DETECTION=none
  "NODE_PATH=$modules" node "$root/bench/compare/firestore_load.js")

check() {  # check PROJECT N WHAT
  local got
  got=$(count_docs "$1")
  [[ "$got" == "$2" ]] || die "VERIFICATION FAILED: $3 loaded $got documents, not $2"
}

print_header "node:    $(node --version), @google-cloud/firestore $(node -p "require('$modules/@google-cloud/firestore/package.json').version")" \
  "target:  Firestore emulator at $emulator"

for n in "${sizes[@]}"; do
  src="$dir/bench.db"
  echo "generating $n rows ..." >&2
  generate "$n" "$src"
  for round in 1 2; do
    fresh_project
    timed "$dir/polydb.run$round" "$polydb" -q copy "sqlite://$src" bench \
      "firestore://$project?emulator=$emulator" bench --batch-size 5000
    check "$project" "$n" polydb
    fresh_project
    timed "$dir/batch.run$round" "${node_load[@]}" batch "$project" bench "${src%.db}.json"
    check "$project" "$n" "node batch"
    fresh_project
    timed "$dir/bulk.run$round" "${node_load[@]}" bulkwriter "$project" bench "${src%.db}.json"
    check "$project" "$n" "node BulkWriter"
    for p in "${projects[@]}"; do reset_project "$p"; done
  done
  echo "verified: every load holds $n documents" >&2
  read -r ps pk pc <<<"$(best "$dir"/polydb.run[12])"
  read -r bs bk bc <<<"$(best "$dir"/batch.run[12])"
  read -r ws wk wc <<<"$(best "$dir"/bulk.run[12])"
  echo
  printf '%-22s %8s %10s %8s %10s\n' load seconds docs/s 'cpu s' 'peak RSS'
  awk -v n="$n" -v s="$ps" -v k="$pk" -v c="$pc" 'BEGIN { printf "%-22s %8.2f %10.0f %8.2f %7.1f MB\n", "polydb copy", s, n / s, c, k / 1024 }'
  awk -v n="$n" -v s="$bs" -v k="$bk" -v c="$bc" 'BEGIN { printf "%-22s %8.2f %10.0f %8.2f %7.1f MB\n", "node WriteBatch x500", s, n / s, c, k / 1024 }'
  awk -v n="$n" -v s="$ws" -v k="$wk" -v c="$wc" 'BEGIN { printf "%-22s %8.2f %10.0f %8.2f %7.1f MB\n", "node BulkWriter", s, n / s, c, k / 1024 }'
  awk -v p="$ps" -v b="$bs" -v w="$ws" 'BEGIN {
    printf "polydb / node WriteBatch (same concurrency): %.2fx the rate\n", b / p
    printf "polydb / node BulkWriter (parallel):         %.2fx the rate\n", w / p }'
  awk -v n="$n" -v p="$ps" -v b="$bs" -v pc="$pc" -v bc="$bc" -v wc="$wc" 'BEGIN {
    printf "polydb time / node WriteBatch time: %.2f\n", p / b
    printf "client CPU per document: polydb %.1f us, node WriteBatch %.1f us, node BulkWriter %.1f us\n",
           1e6 * pc / n, 1e6 * bc / n, 1e6 * wc / n }'
done
echo "(best of 2 runs each, interleaved; rates are documents/s; the emulator's work is not in cpu s)"
