# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the sourcing script
# Shared by the DynamoDB benchmarks (dynamodb_load.sh, dynamodb_scan.sh), after
# lib.sh: sourced, not run.
#
# dynamo_setup sets: url (POLYDB_TEST_DYNAMODB_URL), endpoint (its endpoint
# option), region, items (POLYDB_BENCH_DYNAMODB_ITEMS, default 200000),
# emulator_pid (the process listening on the endpoint's port, or
# POLYDB_BENCH_DYNAMODB_PID), awscli, and fake credentials for the emulator
# when none are set.

dynamo_setup() {
  require_url POLYDB_TEST_DYNAMODB_URL dynamodb
  url=$POLYDB_TEST_DYNAMODB_URL
  endpoint=$(sed -n 's/.*[?&]endpoint=\([^&]*\).*/\1/p' <<<"$url")
  [[ -n "$endpoint" ]] || die "$url has no endpoint=...: the benchmarks run against the local emulator only"
  case "$endpoint" in
    http://127.0.0.1:* | http://localhost:*) ;;
    *) die "endpoint $endpoint is not on this machine: the benchmarks run against the local emulator only" ;;
  esac
  region=$(sed -n 's|^dynamodb://\([^/?]*\).*|\1|p' <<<"$url")
  items=${POLYDB_BENCH_DYNAMODB_ITEMS:-200000}
  [[ "$items" =~ ^[1-9][0-9]*$ ]] || die "POLYDB_BENCH_DYNAMODB_ITEMS holds '$items', not a positive count"
  local port=${endpoint##*:}
  port=${port%%/*}
  emulator_pid=${POLYDB_BENCH_DYNAMODB_PID:-$(ss -Hltnp "sport = :$port" 2>/dev/null |
    sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)}
  [[ -n "$emulator_pid" && -r "/proc/$emulator_pid/stat" ]] ||
    die "cannot find the emulator's process on port $port (set POLYDB_BENCH_DYNAMODB_PID)"
  awscli=/usr/bin/aws
  [[ -x "$awscli" ]] || awscli=$(command -v aws) || die "the AWS CLI is missing (apt-get install awscli)"
  # The emulator accepts any keys; the AWS CLI and the Node SDK read the same.
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-polydbbench}
  export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-polydbbench}
  export AWS_DEFAULT_REGION=$region AWS_REGION=$region AWS_PAGER=""
  clk_tck=$(getconf CLK_TCK)
}

# aws_dynamodb ARGS...: the AWS CLI against the emulator, output discarded unless asked.
aws_dynamodb() { "$awscli" --endpoint-url "$endpoint" dynamodb "$@"; }

# emulator_cpu: user + system CPU seconds the emulator process has used so far.
emulator_cpu() {
  awk -v t="$clk_tck" '{ printf "%.2f\n", ($14 + $15) / t }' "/proc/$emulator_pid/stat"
}

# create_id_table NAME: a PAY_PER_REQUEST table keyed by the number `id`.
create_id_table() {
  aws_dynamodb create-table --table-name "$1" \
    --attribute-definitions AttributeName=id,AttributeType=N \
    --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
}

# drop_tables NAME...: deletes the tables, ignoring those that do not exist.
drop_tables() {
  local t
  for t in "$@"; do aws_dynamodb delete-table --table-name "$t" >/dev/null 2>&1 || true; done
}

# item_count NAME: the number of items in the table (a COUNT scan; the CLI
# pages through it and prints one count per page).
item_count() {
  aws_dynamodb scan --table-name "$1" --select COUNT --output text --query Count |
    tr -s '\t ' '\n' | awk '{ s += $1 } END { print s + 0 }'
}

# sqlite_source FILE N: a SQLite file with table bench_copy of N rows, 10
# mixed columns (the values of sqlite_copy.sh's source; the table is named
# bench_copy so that lib.sh's sqlite_checksum reads the source and the copies).
sqlite_source() {
  local file=$1 n=$2
  rm -f "$file"
  sqlite3 -bail "$file" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
BEGIN;
CREATE TABLE bench_copy (
  id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, score REAL NOT NULL, code TEXT NOT NULL,
  label TEXT NOT NULL, amount DECIMAL_TEXT(12,2) NOT NULL, day DATE NOT NULL,
  at TIMESTAMP NOT NULL, flag BOOLEAN NOT NULL, comment TEXT);
WITH RECURSIVE
  seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < $n),
  a AS (SELECT id, (id * 2654435761) % 2147483647 AS h FROM seq),
  b AS (SELECT id, h, (h * h + 12345) % 2147483647 AS g FROM a)
INSERT INTO bench_copy
SELECT id, (g >> 12) % 1000, (h % 1000000) / 1000.0 - 250.5,
       printf('C%08d-%010d', id % 100000000, g),
       substr('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod '
              || 'tempor incididunt ut labore et dolore magna aliqua', 1 + h % 60, 30 + g % 21),
       printf('%d.%02d', (h >> 4) % 1000000, g % 100),
       date(1577836800 + (h % 1826) * 86400, 'unixepoch'),
       datetime(1577836800 + g % 157680000, 'unixepoch'),
       (h >> 7) % 2,
       CASE WHEN g % 10 = 0 THEN NULL ELSE printf('note %d for order %d', g % 977, id) END
FROM b;
COMMIT;
SQL
}
