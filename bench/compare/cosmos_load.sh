#!/usr/bin/env bash
# Loading items into Cosmos DB: `polydb copy` from SQLite against the official
# Node SDK (@azure/cosmos, items.bulk) loading the same rows with the same
# concurrency, in the same run, against the emulator of scripts/services.sh.
#
# Usage: bench/compare/cosmos_load.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_BENCH_COSMOS_ROWS=100000 items to load (default 100000)
#   POLYDB_BENCH_CONCURRENCY=8     parallel requests of both loaders
#   POLYDB_TEST_COSMOS_URL         the emulator (scripts/services.sh env)
#
# polydb: polydb -q copy sqlite:///SRC bench COSMOS_URL&concurrency=C bench_polydb
#         (bulk requests of up to 100 creates, C in flight, grouped by
#         partition key range)
# node:   the same rows exported as JSON by sqlite3, then items.bulk() in
#         chunks of 100 operations, C chunks in flight (the SDK's bulk path
#         packs up to 100 items per request).
# Both containers are partitioned by /id. Peak RSS comes from
# bench/compare/peak_rss.py. Both loaders fail unless every item was created
# (2xx); afterwards both containers are counted when they hold at most 10,000
# items, else spot-checked by point reads of every 1,000th id: the emulator's
# COUNT over 100,000 items runs for minutes and blocks it for every client.
set -euo pipefail

bench=cosmos_load.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
POLYDB_BENCH_ROWS=${POLYDB_BENCH_COSMOS_ROWS:-100000}
bench_init "${1:-}"
require_url POLYDB_TEST_COSMOS_URL cosmos
command -v node >/dev/null || die "node is missing"
sdk="$root/tools/emulators/node_modules/@azure/cosmos"
[[ -d "$sdk" ]] || die "no @azure/cosmos in tools/emulators (npm ci there)"
export COSMOS_KEY=${COSMOS_KEY:-C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==}
conc=${POLYDB_BENCH_CONCURRENCY:-8}
n=${sizes[0]}
dir="$root/build/bench/cosmos_load"
mkdir -p "$dir"
url="$POLYDB_TEST_COSMOS_URL"
endpoint=$(sed -n 's/.*[?&]endpoint=\([^&]*\).*/\1/p' <<<"$url")
database=$(sed -n 's|^cosmos://[^/]*/\([^/?]*\).*|\1|p' <<<"$url")

src="$dir/source_$n.db"
rm -f "$src"
sqlite3 -bail "$src" >/dev/null <<SQL
CREATE TABLE bench (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, code TEXT NOT NULL,
  label TEXT NOT NULL, amount DECIMAL_TEXT(12,2) NOT NULL, day DATE NOT NULL, flag BOOLEAN NOT NULL);
WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < $n)
INSERT INTO bench SELECT id, (id * 7919) % 1000, printf('C%08d', id), 'label ' || (id % 97),
  printf('%d.%02d', id % 100000, id % 100), date(1577836800 + (id % 1826) * 86400, 'unixepoch'),
  id % 2 FROM seq;
SQL
sqlite3 -json "$src" "SELECT CAST(id AS TEXT) AS id, qty, code, label, CAST(amount AS REAL) AS amount,
  day, CASE flag WHEN 1 THEN json('true') ELSE json('false') END AS flag FROM bench" >"$dir/items.json"

node_loader="$dir/load.js"
cat >"$node_loader" <<'JS'
const {CosmosClient, BulkOperationType} = require(process.argv[2]);
const [endpoint, key, db, name, file, conc] = process.argv.slice(3);
const items = JSON.parse(require("fs").readFileSync(file, "utf8"));
(async () => {
  const client = new CosmosClient({endpoint, key, connectionPolicy: {enableEndpointDiscovery: false}});
  const {container} = await client.database(db).containers.createIfNotExists(
      {id: name, partitionKey: {paths: ["/id"]}});
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next; next += 100;
      if (start >= items.length) return;
      const ops = items.slice(start, start + 100).map((resourceBody) =>
          ({operationType: BulkOperationType.Create, resourceBody}));
      const res = await container.items.bulk(ops);
      for (const r of res) if (r.statusCode >= 300) throw new Error("status " + r.statusCode);
    }
  };
  await Promise.all(Array.from({length: Number(conc)}, worker));
})().catch((e) => { console.error(e.message); process.exit(3); });
JS

drop() {  # drop the bench containers (ignore missing ones)
  node -e '
    const {CosmosClient} = require(process.argv[1]);
    const c = new CosmosClient({endpoint: process.argv[2], key: process.argv[3],
      connectionPolicy: {enableEndpointDiscovery: false}});
    (async () => { for (const n of ["bench_polydb", "bench_node"])
      try { await c.database(process.argv[4]).container(n).delete(); } catch (e) {} })();' \
    "$sdk" "$endpoint" "$COSMOS_KEY" "$database"
}
export NODE_TLS_REJECT_UNAUTHORIZED=0 NODE_NO_WARNINGS=1  # the emulator's self-signed certificate (node children only)
drop
print_header "node:    $(node --version), @azure/cosmos $(node -p "require('$sdk/package.json').version")"
echo "rows:    $n, concurrency $conc"

timed "$dir/polydb.txt" "$polydb" -q copy "sqlite://$src" bench "$url&concurrency=$conc" bench_polydb
timed "$dir/node.txt" node "$node_loader" "$sdk" "$endpoint" "$COSMOS_KEY" "$database" bench_node \
  "$dir/items.json" "$conc"
check_loaded() {  # check_loaded CONTAINER: the items are there (see the header)
  if ((n <= 10000)); then
    local got
    got=$("$polydb" --format csv sql "$url" "SELECT VALUE COUNT(1) FROM $1 c" | tail -n 1)
    [[ "$got" == "$n" ]] || die "VERIFICATION FAILED: $1 holds $got items, not $n"
    return
  fi
  node -e '
    const {CosmosClient} = require(process.argv[1]);
    const [endpoint, key, db, name, n] = process.argv.slice(2);
    const c = new CosmosClient({endpoint, key, connectionPolicy: {enableEndpointDiscovery: false}});
    (async () => {
      const ids = [];
      for (let i = 1; i <= Number(n); i += 1000) ids.push(String(i));
      ids.push(n);
      for (const id of ids) {
        const {resource} = await c.database(db).container(name).item(id, id).read();
        if (!resource || resource.code !== "C" + id.padStart(8, "0")) throw new Error("item " + id);
      }
    })().catch((e) => { console.error("missing or wrong " + e.message); process.exit(3); });' \
    "$sdk" "$endpoint" "$COSMOS_KEY" "$database" "$1" "$n" ||
    die "VERIFICATION FAILED: $1 lacks sampled items"
}
check_loaded bench_polydb
check_loaded bench_node
echo "verified: both containers hold the loaded items" >&2
read -r ps prss pcpu <"$dir/polydb.txt"
read -r ns nrss ncpu <"$dir/node.txt"
awk -v n="$n" -v ps="$ps" -v prss="$prss" -v pcpu="$pcpu" -v ns="$ns" -v nrss="$nrss" \
    -v ncpu="$ncpu" 'BEGIN {
  printf "%-8s %10s %12s %14s %10s %12s\n", "tool", "seconds", "items/s", "peak_RSS_MiB", "cpu_s", "cpu_us/item"
  printf "%-8s %10.2f %12.0f %14.1f %10.2f %12.1f\n", "polydb", ps, n / ps, prss / 1024, pcpu, 1e6 * pcpu / n
  printf "%-8s %10.2f %12.0f %14.1f %10.2f %12.1f\n", "node", ns, n / ns, nrss / 1024, ncpu, 1e6 * ncpu / n
  printf "ratio (polydb time / node time): %.2f; client CPU polydb / node: %.2f\n", ps / ns, pcpu / ncpu }'
drop
