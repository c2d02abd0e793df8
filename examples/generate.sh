#!/usr/bin/env bash
# Creates the quickstart databases, deterministically (the same rows on every
# machine and SQLite version), with the sqlite3 shell only:
#
#   examples/data/shop.db     customers   10,000 rows
#   examples/data/orders.db   orders     100,000 rows
#
# Usage: examples/generate.sh [--force]
#
# Idempotent: a database that exists and is complete (right data version and
# row count) is kept unless --force. Each file is built under a temporary
# name and renamed into place, so an interrupted run never leaves half a file.
#
# Column types follow the names polydb itself writes (docs/sqlite.md):
# booleans are 0/1 integers, dates and timestamps ISO text, and exact decimals
# DECIMAL_TEXT(p,s) - text affinity, so '19.90' stays '19.90'. (DECIMAL(p,s)
# would have NUMERIC affinity and turn '19.90' into the REAL 19.9.)
set -euo pipefail

# Bump when the generated data changes: older files are then rebuilt.
readonly DATA_VERSION=1
readonly CUSTOMERS=10000
readonly ORDERS=100000

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "generate.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# The packaged shell by its path: the data depends on its SQLite version, and
# another sqlite3 earlier on PATH is not the one scripts/install-deps.sh installs.
sqlite3=/usr/bin/sqlite3
[[ -x "$sqlite3" ]] ||
  { echo "generate.sh: the sqlite3 shell is missing (apt-get install sqlite3)" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data="$root/examples/data"
mkdir -p "$data"

tmp=""
trap 'if [[ -n "$tmp" ]]; then rm -f "$tmp" "$tmp-journal"; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# complete FILE TABLE ROWS: true when FILE holds this data version and all rows.
complete() {
  [[ -f "$1" ]] || return 1
  local got
  got=$("$sqlite3" -readonly "$1" "PRAGMA user_version; SELECT count(*) FROM \"$2\";" \
        2>/dev/null | tr '\n' ' ') || return 1
  [[ "$got" == "$DATA_VERSION $3 " ]]
}

# build FILE TABLE ROWS: runs the SQL on stdin into a temporary file, checks
# the row count, then renames the file into place.
build() {
  local out="$1" table="$2" rows="$3"
  if ((force == 0)) && complete "$out" "$table" "$rows"; then
    echo "generate.sh: $(basename "$out") is up to date ($rows rows in $table)"
    cat >/dev/null
    return
  fi
  # Also drop what a killed earlier run may have left (its sqlite3 can outlive it).
  rm -f "$out".tmp.*
  tmp="$out.tmp.$$"
  # The file is private until renamed: no journal, no fsync while filling it.
  { echo "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
    cat
    echo "PRAGMA user_version = $DATA_VERSION;"
  } | "$sqlite3" -bail "$tmp" >/dev/null
  complete "$tmp" "$table" "$rows" ||
    { echo "generate.sh: $tmp is incomplete, giving up" >&2; exit 1; }
  sync "$tmp"  # on disk before the rename makes it the real file
  mv -f "$tmp" "$out"
  tmp=""
  echo "generate.sh: wrote $(basename "$out") ($rows rows in $table)"
}

# Pseudo-random numbers without random(), which cannot be seeded portably:
# each row's id goes through Knuth's multiplicative hash, then a chain of
# squarings modulo the prime 2^31 - 1 gives one draw per column, taken from
# the high bits. Squaring is not linear, so columns do not follow each other
# in lattice patterns as they would with an LCG chain. Every product stays
# below 2^63, so SQLite never falls back to floating point.
#   h0 = id * 2654435761 mod P,  h(k+1) = (h(k)^2 + 12345) mod P,  P = 2^31 - 1
#   draw k = h(k) >> 16  (0 .. 32767)

build "$data/shop.db" customers "$CUSTOMERS" <<SQL
BEGIN;
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  country TEXT NOT NULL,
  signup_date DATE NOT NULL,
  is_active BOOLEAN NOT NULL,
  credit_limit DECIMAL_TEXT(12,2) NOT NULL
);
WITH RECURSIVE
  seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < $CUSTOMERS),
  h0 AS (SELECT id, (id * 2654435761) % 2147483647 AS h FROM seq),
  h1 AS (SELECT id, h, (h * h + 12345) % 2147483647 AS h1 FROM h0),
  h2 AS (SELECT *, (h1 * h1 + 12345) % 2147483647 AS h2 FROM h1),
  h3 AS (SELECT *, (h2 * h2 + 12345) % 2147483647 AS h3 FROM h2),
  h4 AS (SELECT *, (h3 * h3 + 12345) % 2147483647 AS h4 FROM h3),
  h5 AS (SELECT *, (h4 * h4 + 12345) % 2147483647 AS h5 FROM h4),
  h6 AS (SELECT *, (h5 * h5 + 12345) % 2147483647 AS h6 FROM h5),
  r AS (
    SELECT id,
      json_extract('["Anna","Ben","Clara","David","Elena","Felix","Greta","Hugo","Ines",
        "Jonas","Karin","Lukas","Maria","Noah","Olga","Paul","Rosa","Samuel","Tara","Yusuf",
        "Amelie","Liam","Sofia","Mateo","Emma","Oskar","Lea","Arjun","Mei","Kenji"]',
        '\$[' || ((h1 >> 16) % 30) || ']') AS first,
      json_extract('["Schmidt","Martin","Smith","Jansen","Garcia","Rossi","Nowak","Andersson",
        "Tanaka","Müller","Dubois","Jones","de Vries","López","Bianchi","Kowalski","Berg",
        "Sato","Fischer","Bernard","Taylor","Bakker","Moreno","Ricci","Lindqvist"]',
        '\$[' || ((h2 >> 16) % 25) || ']') AS last,
      -- Weighted: DE 25%, US 20%, FR 12%, GB 11%, NL 8%, ES 7%, IT 6%, PL 5%, SE 3%, JP 3%.
      CASE
        WHEN (h3 >> 16) % 100 < 25 THEN 'DE'
        WHEN (h3 >> 16) % 100 < 45 THEN 'US'
        WHEN (h3 >> 16) % 100 < 57 THEN 'FR'
        WHEN (h3 >> 16) % 100 < 68 THEN 'GB'
        WHEN (h3 >> 16) % 100 < 76 THEN 'NL'
        WHEN (h3 >> 16) % 100 < 83 THEN 'ES'
        WHEN (h3 >> 16) % 100 < 89 THEN 'IT'
        WHEN (h3 >> 16) % 100 < 94 THEN 'PL'
        WHEN (h3 >> 16) % 100 < 97 THEN 'SE'
        ELSE 'JP'
      END AS country,
      -- Signups spread over 2019-01-01 .. 2023-12-31, in id order.
      date('2019-01-01', '+' || ((id - 1) * 1826 / $CUSTOMERS) || ' days') AS signup_date,
      (h5 >> 16) % 100 < 85 AS is_active,
      -- 500.00 .. 25,000.00 in steps of 250, a few with cents.
      printf('%d.%02d', 500 + ((h6 >> 16) % 99) * 250,
             CASE WHEN (h6 >> 16) % 7 = 0 THEN (h4 >> 16) % 100 ELSE 0 END) AS credit_limit
    FROM h6
  )
INSERT INTO customers
SELECT id, first || ' ' || last,
       lower(replace(replace(replace(first || '.' || last, ' ', ''), 'ü', 'ue'), 'ó', 'o'))
         || id || '@example.' || CASE country WHEN 'US' THEN 'com' WHEN 'GB' THEN 'org'
                                  ELSE 'net' END,
       country, signup_date, is_active, credit_limit
FROM r;
CREATE INDEX customers_country ON customers (country);
COMMIT;
SQL

build "$data/orders.db" orders "$ORDERS" <<SQL
BEGIN;
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL,
  ordered_at TIMESTAMP NOT NULL,
  status TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price DECIMAL_TEXT(10,2) NOT NULL,
  total DECIMAL_TEXT(12,2) NOT NULL,
  note TEXT,
  items JSON_TEXT NOT NULL
);
WITH RECURSIVE
  seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < $ORDERS),
  h0 AS (SELECT id, (id * 2654435761) % 2147483647 AS h FROM seq),
  h1 AS (SELECT id, h, (h * h + 12345) % 2147483647 AS h1 FROM h0),
  h2 AS (SELECT *, (h1 * h1 + 12345) % 2147483647 AS h2 FROM h1),
  h3 AS (SELECT *, (h2 * h2 + 12345) % 2147483647 AS h3 FROM h2),
  h4 AS (SELECT *, (h3 * h3 + 12345) % 2147483647 AS h4 FROM h3),
  h5 AS (SELECT *, (h4 * h4 + 12345) % 2147483647 AS h5 FROM h4),
  h6 AS (SELECT *, (h5 * h5 + 12345) % 2147483647 AS h6 FROM h5),
  r AS (
    SELECT id,
      1 + ((h1 >> 8) % $CUSTOMERS) AS customer_id,
      -- Two years of orders from 2023-01-01 UTC, rising with id, ~10 min apart.
      1672531200 + id * 630 + (h2 >> 16) % 600 AS epoch,
      (h3 >> 16) % 100 AS s,
      -- 1 .. 10 items, mostly few: 1 (40%), 2 (25%), 3 (15%), 4..10 (20%).
      CASE WHEN (h4 >> 16) % 100 < 40 THEN 1
           WHEN (h4 >> 16) % 100 < 65 THEN 2
           WHEN (h4 >> 16) % 100 < 80 THEN 3
           ELSE 4 + (h4 >> 16) % 7 END AS quantity,
      -- Unit prices 1.99 .. 250.98, in cents.
      199 + (h5 >> 16) % 24900 AS cents,
      (h6 >> 16) % 100 AS n,
      (h5 >> 8) % 20000 AS sku
    FROM h6
  )
INSERT INTO orders
SELECT id, customer_id,
       datetime(epoch, 'unixepoch'),
       -- cancelled 6%, new 10%, paid 24%, shipped 60%.
       CASE WHEN s < 6 THEN 'cancelled' WHEN s < 16 THEN 'new' WHEN s < 40 THEN 'paid'
            ELSE 'shipped' END,
       quantity,
       printf('%d.%02d', cents / 100, cents % 100),
       printf('%d.%02d', cents * quantity / 100, cents * quantity % 100),
       -- 75% without a note.
       CASE WHEN n < 75 THEN NULL
            ELSE json_extract('["leave at the door","gift wrap please","call before delivery",
              "deliver after 5 pm","second floor, left door","invoice to the company address",
              "fragile","no plastic packaging"]', '\$[' || (n % 8) || ']') END,
       json_array(json_object('sku', printf('SKU-%05d', sku), 'qty', quantity,
                              'unit_price', printf('%d.%02d', cents / 100, cents % 100)))
FROM r;
CREATE INDEX orders_customer_id ON orders (customer_id);
COMMIT;
SQL
