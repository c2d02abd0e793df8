#!/usr/bin/env bash
# SQLite -> SQLite table copy: `polydb copy` against the sqlite3 shell doing
# the same copy natively, in the same run (what `make bench` runs).
#
# Usage: bench/compare/sqlite_copy.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_BENCH_ROWS="1000000 5000000"  row counts to measure (override for a
#                                        quick run, e.g. POLYDB_BENCH_ROWS=100000)
#
# For each row count: builds (once, then reuses) a source database with a
# 10-column mixed-type table `bench`, then copies it into a fresh file
#   polydb: polydb -q copy sqlite:///SRC bench sqlite:///DST bench_copy
#                   --mode create --batch-size 10000
#   native: sqlite3 DST2: ATTACH SRC; BEGIN IMMEDIATE; CREATE TABLE bench_copy
#           (the same column declarations); INSERT INTO bench_copy SELECT *
#           FROM s.bench; COMMIT
# Both run with SQLite's defaults (rollback journal, synchronous=FULL), one
# transaction each. Each is run twice, interleaved; the faster run counts.
# Peak RSS is the largest of the runs (bench/compare/peak_rss.py). CPU time
# (user + system) is printed too: on a shared machine it is steadier than
# wall time, and so is the ratio computed from it.
#
# Both copies are verified against the source: row count, column sums and a
# SHA3-256 of every value with its storage class (the sqlite3 shell's
# sha3_query) must be equal, else the script fails. Data lives in
# build/bench/sqlite_copy/; sources are kept for the next run, copies deleted.
#
# Note: INSERT INTO t SELECT * FROM s.t between tables of identical shape is
# SQLite's "transfer optimization": it copies encoded records without decoding
# them. That is the native tool at its best, and the baseline here.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
polydb=${1:-build/release/src/cli/polydb}
[[ "$polydb" == /* ]] || polydb="$PWD/$polydb"
read -r -a sizes <<<"${POLYDB_BENCH_ROWS:-1000000 5000000}"
dir="$root/build/bench/sqlite_copy"
measure="$root/bench/compare/peak_rss.py"
readonly SOURCE_VERSION=1  # bump when the generated source data changes

die() { echo "sqlite_copy.sh: $*" >&2; exit 1; }
[[ -x "$polydb" ]] ||
  die "no polydb binary at $polydb (cmake --preset release && ninja -C build/release polydb_cli_main)"
command -v sqlite3 >/dev/null || die "the sqlite3 shell is missing (apt-get install sqlite3)"
command -v python3 >/dev/null || die "python3 is missing"
for n in "${sizes[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "POLYDB_BENCH_ROWS holds '$n', not a positive row count"
done
mkdir -p "$dir"

# The column declarations of the source and of the native copy. polydb creates
# its copy from the types it reads, which give the same declarations (id as a
# rowid alias, DECIMAL_TEXT for exact decimals, text dates and timestamps).
readonly COLUMNS='
  id INTEGER PRIMARY KEY,
  qty INTEGER NOT NULL,
  score REAL NOT NULL,
  code TEXT NOT NULL,
  label TEXT NOT NULL,
  amount DECIMAL_TEXT(12,2) NOT NULL,
  day DATE NOT NULL,
  at TIMESTAMP NOT NULL,
  flag BOOLEAN NOT NULL,
  comment TEXT'

tmp=""
trap 'if [[ -n "$tmp" ]]; then rm -f "$tmp" "$tmp-journal"; fi' EXIT

# source_db N: prints the path of a complete N-row source, building it if needed.
source_db() {
  local n=$1 out="$dir/source_$1.db" got
  got=$(sqlite3 -readonly "$out" "PRAGMA user_version; SELECT count(*) FROM bench;" 2>/dev/null |
        tr '\n' ' ') || true
  if [[ "$got" != "$SOURCE_VERSION $n " ]]; then
    echo "generating $n source rows in $out ..." >&2
    tmp="$out.tmp.$$"
    rm -f "$tmp" "$tmp-journal"
    # Deterministic values from a hash of id: h is Knuth's multiplicative
    # hash mod the prime P = 2^31 - 1, g = h^2 + c mod P (products < 2^63).
    sqlite3 -bail "$tmp" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TABLE bench ($COLUMNS);
WITH RECURSIVE
  seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < $n),
  a AS (SELECT id, (id * 2654435761) % 2147483647 AS h FROM seq),
  b AS (SELECT id, h, (h * h + 12345) % 2147483647 AS g FROM a)
INSERT INTO bench
SELECT id,
       (g >> 12) % 1000,
       (h % 1000000) / 1000.0 - 250.5,
       printf('C%08d-%010d', id % 100000000, g),
       substr('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod '
              || 'tempor incididunt ut labore et dolore magna aliqua', 1 + h % 60,
              30 + g % 21),
       printf('%d.%02d', (h >> 4) % 1000000, g % 100),
       date(1577836800 + (h % 1826) * 86400, 'unixepoch'),
       datetime(1577836800 + g % 157680000, 'unixepoch'),
       (h >> 7) % 2,
       CASE WHEN g % 10 = 0 THEN NULL ELSE printf('note %d for order %d', g % 977, id) END
FROM b;
COMMIT;
PRAGMA user_version = $SOURCE_VERSION;
SQL
    sync "$tmp"
    mv -f "$tmp" "$out"
    tmp=""
  fi
  echo "$out"
}

# checksum FILE TABLE: one line that two equal tables share. The temp view
# gives both tables the same query text, which sha3_query hashes too.
checksum() {
  sqlite3 -readonly -separator ' ' "$1" "
    CREATE TEMP VIEW checked AS SELECT * FROM \"$2\";
    SELECT count(*), sum(id), sum(qty), total(score), total(length(code)),
           total(length(label)), sum(CAST(replace(amount, '.', '') AS INTEGER)),
           count(comment), total(length(comment)), sum(flag), min(day), max(at)
    FROM checked;
    SELECT hex(sha3_query('SELECT * FROM checked ORDER BY id'));" | tr '\n' ' '
}

# timed RESULT_FILE COMMAND...: runs COMMAND, leaves "SECONDS PEAK_RSS_KIB CPU_SECONDS"
# in RESULT_FILE.
timed() {
  local result=$1
  shift
  python3 "$measure" -o "$result" -- "$@" ||
    die "failed ($?): $*"
}

native_sql() {
  printf "ATTACH '%s' AS s; BEGIN IMMEDIATE; CREATE TABLE bench_copy (%s); %s COMMIT;" \
    "${1//\'/\'\'}" "$COLUMNS" "INSERT INTO bench_copy SELECT * FROM s.bench;"
}

# best FILE...: the least wall time, the largest peak RSS, the least CPU time.
best() {
  awk 'NR == 1 || $1 < s { s = $1 } $2 > m { m = $2 } NR == 1 || $3 < c { c = $3 }
       END { print s, m, c }' "$@"
}

echo "polydb:  $("$polydb" version 2>&1 | head -n 1)"
echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1,2)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; wall times suffer when it exceeds the CPUs)"

results=()
for n in "${sizes[@]}"; do
  src=$(source_db "$n")
  want=$(checksum "$src" bench)
  dst="$dir/polydb_$n.db" dst2="$dir/native_$n.db"
  echo "copying $n rows (2 runs each) ..." >&2
  for run in 1 2; do
    rm -f "$dst" "$dst-journal" "$dst2" "$dst2-journal"
    timed "$dir/polydb_$n.$run" "$polydb" -q copy "sqlite://$src" bench "sqlite://$dst" bench_copy \
      --mode create --batch-size 10000
    timed "$dir/native_$n.$run" sqlite3 -bail "$dst2" "$(native_sql "$src")"
  done
  for copy in "$dst" "$dst2"; do
    got=$(checksum "$copy" bench_copy)
    if [[ "$got" != "$want" ]]; then
      echo "sqlite_copy.sh: VERIFICATION FAILED: $copy differs from $src" >&2
      echo "  source: $want" >&2
      echo "  copy:   $got" >&2
      exit 1
    fi
  done
  echo "verified: both copies equal the source (count, sums, sha3 $(awk '{ print $NF }' <<<"$want"))" >&2
  read -r p_s p_kb p_cpu <<<"$(best "$dir"/polydb_"$n".[12])"
  read -r n_s n_kb n_cpu <<<"$(best "$dir"/native_"$n".[12])"
  results+=("$n $p_s $p_kb $p_cpu $n_s $n_kb $n_cpu")
  rm -f "$dst" "$dst2" "$dir"/polydb_"$n".[12] "$dir"/native_"$n".[12]
done

echo
printf '%9s | %8s %10s %8s %9s | %8s %10s %8s %9s | %13s %13s\n' \
  rows 'polydb s' 'rows/s' 'cpu s' 'peak RSS' 'native s' 'rows/s' 'cpu s' 'peak RSS' \
  'polydb/native' 'by cpu time'
for line in "${results[@]}"; do
  awk -v l="$line" 'BEGIN {
    split(l, f, " "); n = f[1]; ps = f[2]; pk = f[3]; pc = f[4]; ns = f[5]; nk = f[6]; nc = f[7]
    printf "%9d | %8.2f %10.0f %8.2f %6.1f MB | %8.2f %10.0f %8.2f %6.1f MB | %12.1f%% %12.1f%%\n",
           n, ps, n / ps, pc, pk / 1024, ns, n / ns, nc, nk / 1024, 100 * ns / ps, 100 * nc / pc }'
done
echo "(best of 2 runs each; polydb/native = polydb throughput / native throughput)"
