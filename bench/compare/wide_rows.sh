#!/usr/bin/env bash
# Peak memory of `polydb copy` with rows of a megabyte, between every ordered
# pair of SQLite, PostgreSQL, MariaDB, Cosmos DB and Firestore: memory must
# stay bounded by the batch's bytes, not its rows, whatever the row size.
# Every copy is verified against its source (row count, total length and a
# sample of characters from each row; a document store's copy is read back
# into SQLite for that).
#
#   bench/compare/wide_rows.sh [POLYDB_BINARY]
#
#   POLYDB_WIDE_ROWS=1000          rows to copy
#   POLYDB_WIDE_BYTES=1000000      characters per row
#   POLYDB_WIDE_LIMIT_MB=300       the peak RSS a copy may reach
#   POLYDB_WIDE_BACKENDS="sqlite postgres mariadb cosmos firestore"
#
# Needs the POLYDB_TEST_*_URL of the servers named (scripts/services.sh).
# DynamoDB is not in the matrix: an item holds at most 400 KB, so a megabyte
# row does not fit (its reader caps batches by bytes like the others). A
# Firestore document holds at most 1 MiB with its field names, hence rows of
# 10^6 characters.
set -euo pipefail
bench=wide_rows
# shellcheck source=bench/compare/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"

rows=${POLYDB_WIDE_ROWS:-1000}
bytes=${POLYDB_WIDE_BYTES:-1000000}
limit_mb=${POLYDB_WIDE_LIMIT_MB:-300}
read -r -a backends <<<"${POLYDB_WIDE_BACKENDS:-sqlite postgres mariadb cosmos firestore}"
[[ "$rows" =~ ^[1-9][0-9]*$ && "$bytes" =~ ^[1-9][0-9]*$ && "$bytes" -ge 16 ]] ||
  die "POLYDB_WIDE_ROWS and POLYDB_WIDE_BYTES must be positive counts (bytes >= 16)"
[[ " ${backends[*]} " == *" sqlite "* ]] || die "POLYDB_WIDE_BACKENDS must name sqlite (the source)"

work=$(mktemp -d "${TMPDIR:-/tmp}/polydb-wide.XXXXXX")
tag="wide_$$"
pg=${POLYDB_TEST_POSTGRES_URL:-}
my=${POLYDB_TEST_MYSQL_URL:-}
cosmos=${POLYDB_TEST_COSMOS_URL:-}
firestore=""
for b in "${backends[@]}"; do
  case "$b" in
    sqlite) ;;
    postgres) require_url POLYDB_TEST_POSTGRES_URL postgres ;;
    mariadb) require_url POLYDB_TEST_MYSQL_URL mariadb ;;
    cosmos) require_url POLYDB_TEST_COSMOS_URL cosmos
      export COSMOS_KEY=${COSMOS_KEY:-C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==}
      sdk="$root/tools/emulators/node_modules/@azure/cosmos"
      [[ -d "$sdk" ]] || die "no @azure/cosmos in tools/emulators (scripts/install-deps.sh)" ;;
    firestore) require_url POLYDB_TEST_FIRESTORE_URL firestore
      emulator=$(sed -nE 's/.*[?&]emulator=([^&]*).*/\1/p' <<<"$POLYDB_TEST_FIRESTORE_URL")
      [[ -n "$emulator" ]] || die "POLYDB_TEST_FIRESTORE_URL has no emulator=HOST:PORT option"
      firestore="firestore://PROJECT/(default)?emulator=$emulator" ;;
    *) die "unknown backend '$b' in POLYDB_WIDE_BACKENDS" ;;
  esac
done

# drop BACKEND TABLE: removes a table the script made (quietly; at the end
# for the source tables, right after its check for every copy, so that the
# servers and emulators never hold more than the sources and one copy).
drop() {
  local b=$1 t=$2
  case "$b" in
    sqlite) rm -f "$work/$t.db" ;;
    postgres|mariadb)
      "$polydb" -q exec "$(url_of "$b")" "DROP TABLE IF EXISTS $t" >/dev/null 2>&1 || true ;;
    cosmos)
      NODE_TLS_REJECT_UNAUTHORIZED=0 NODE_NO_WARNINGS=1 node -e '
        const {CosmosClient} = require(process.argv[1]);
        const c = new CosmosClient({endpoint: process.argv[2], key: process.argv[3],
          connectionPolicy: {enableEndpointDiscovery: false}});
        c.database(process.argv[4]).container(process.argv[5]).delete().catch(() => {});' \
        "$sdk" "$(sed -n 's/.*[?&]endpoint=\([^&]*\).*/\1/p' <<<"$cosmos")" "$COSMOS_KEY" \
        "$(sed -n 's|^cosmos://[^/]*/\([^/?]*\).*|\1|p' <<<"$cosmos")" "$t" || true ;;
    firestore)  # every copy into Firestore has a project of its own: $t
      curl --noproxy '*' -s -X DELETE \
        "http://$emulator/emulator/v1/projects/$t/databases/(default)/documents" >/dev/null || true ;;
  esac
}
made=()  # "BACKEND TABLE" of the tables still there
cleanup() {
  local m
  for m in "${made[@]}"; do drop $m; done
  rm -rf "$work"
}
trap cleanup EXIT

print_header "rows:    $rows of $bytes characters ($(( rows * bytes / 1000000 )) MB of text)" \
  "matrix:  ${backends[*]}"

# The source: each row its own letter and its id up front, so a row that is
# lost, repeated or mixed up changes the checksum.
sqlite3 "$work/src.db" "
  CREATE TABLE src (id INTEGER PRIMARY KEY, s TEXT NOT NULL);
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows)
  INSERT INTO src
    SELECT i, printf('%08d', i) || substr(replace(hex(zeroblob(($bytes + 1) / 2)), '0',
                                                  char(65 + i % 26)), 1, $bytes - 8) FROM c;"

sqlite_checksum() {  # FILE TABLE
  sqlite3 -readonly -separator ' ' "$1" "
    SELECT count(*), sum(length(s)),
           sum(unicode(substr(s, 1 + (id * 7919) % length(s), 1)) + unicode(substr(s, 8, 1)))
    FROM \"$2\""
}

url_of() {  # BACKEND [TABLE]: where TABLE lives (SQLite: a file, Firestore: a project per table)
  case "$1" in
    sqlite) echo "sqlite://$work/${2:-src}.db" ;; postgres) echo "$pg" ;; mariadb) echo "$my" ;;
    cosmos) echo "$cosmos" ;; firestore) echo "${firestore/PROJECT/${2//_/-}}" ;;
  esac
}
table_of() {  # BACKEND SOURCE_BACKEND: the table a copy from SOURCE_BACKEND writes
  if [[ "$2" == sqlite ]]; then echo "${tag}_src"; else echo "${tag}_from_$2"; fi
}
src_table_of() {  # BACKEND: the source table it holds
  if [[ "$1" == sqlite ]]; then echo src; else echo "${tag}_src"; fi
}

# checksum BACKEND TABLE: "rows characters sample" of one table.
checksum() {
  local b=$1 t=$2 pos
  case "$b" in
    sqlite) sqlite_checksum "$work/$t.db" "$t" ;;
    postgres|mariadb)
      pos="1 + (id * 7919) % length(s)"
      [[ "$b" == postgres ]] && pos="CAST($pos AS integer)"
      "$polydb" -q --format csv sql "$(url_of "$b")" "
        SELECT count(*), sum(length(s)), sum(ascii(substr(s, $pos, 1)) + ascii(substr(s, 8, 1)))
        FROM $t" | sed -n '2p' | tr ',' ' ' ;;
    *)  # read back into SQLite (not measured)
      "$polydb" -q copy "$(url_of "$b" "$t")" "$t" "sqlite://$work/check.db" "$t" --mode replace \
        --columns id,s >/dev/null
      sqlite_checksum "$work/check.db" "$t"
      rm -f "$work/check.db" ;;
  esac
}

want=$(sqlite_checksum "$work/src.db" src)
echo "source:  $want (rows, characters, sample)"
echo
printf '%-22s %8s %10s %11s  %s\n' copy seconds 'MB/s' 'peak RSS' verified
failed=0
# copy FROM TO: FROM's source table into TO, measured and verified.
copy() {
  local from=$1 to=$2 dst result got verdict=yes src
  dst=$(table_of "$to" "$from")
  src=$(src_table_of "$from")
  made+=("$to ${dst//_/-}")  # the firestore project; other backends ignore the spelling
  [[ "$to" == firestore ]] || made[-1]="$to $dst"
  result="$work/$from-$to.time"
  timed "$result" "$polydb" -q copy "$(url_of "$from" "$src")" "$src" "$(url_of "$to" "$dst")" "$dst"
  got=$(checksum "$to" "$dst")
  if [[ "$from" != sqlite ]]; then drop ${made[-1]}; unset 'made[-1]'; fi
  [[ "$got" == "$want" ]] || { verdict="NO: $got"; failed=1; }
  local secs kib
  read -r secs kib _ <"$result"
  (( kib / 1024 < limit_mb )) || { verdict="$verdict; OVER ${limit_mb} MB"; failed=1; }
  awk -v c="$from -> $to" -v s="$secs" -v k="$kib" -v n="$rows" -v b="$bytes" -v v="$verdict" \
    'BEGIN { printf "%-22s %8.2f %10.1f %8.1f MB  %s\n", c, s, n * b / 1e6 / s, k / 1024, v }'
}

# First the source into every other backend (each then holds a source table),
# then every other ordered pair.
for to in "${backends[@]}"; do [[ "$to" == sqlite ]] || copy sqlite "$to"; done
for from in "${backends[@]}"; do
  [[ "$from" == sqlite ]] && continue
  for to in "${backends[@]}"; do [[ "$to" == "$from" ]] || copy "$from" "$to"; done
done
echo "(limit: peak RSS below ${limit_mb} MB for every copy)"
((failed == 0)) || die "a copy differs from its source or went over the memory limit"
