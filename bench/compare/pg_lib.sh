# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the sourcing script
# PostgreSQL side of the server benchmarks (pg_copy.sh, bulk_tools.sh): sourced
# after lib.sh, not run.
#
# pg_setup URL: checks psql and the server; sets pg_url and pg_shown (the URL
# with its password masked) and defines pg / pg_value (psql on that URL),
# pg_generate N TABLE, pg_checksum TABLE and pg_rowhash TABLE.

pg_setup() {
  pg_url=$1
  pg_shown=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$pg_url")
  export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"  # no DROP ... IF EXISTS notices
  command -v psql >/dev/null || die "psql is missing (apt-get install postgresql-client)"
  pg_value -c 'SELECT 1' >/dev/null 2>&1 ||
    die "cannot connect to $pg_shown (is it running? scripts/services.sh status postgres)"
}

pg() { psql -X -q -v ON_ERROR_STOP=1 -d "$pg_url" "$@"; }
pg_value() { psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$pg_url" "$@"; }

# pg_generate N [TABLE]: (re)creates TABLE (default bench) with N rows of 10
# mixed-type columns. Deterministic values from a hash of id: h is Knuth's
# multiplicative hash mod the prime P = 2^31 - 1, g = h^2 + c mod P (products
# < 2^63); mysql_lib.sh and sqlite_copy.sh generate the same values.
pg_generate() {
  local n=$1 table=${2:-bench}
  echo "generating $n source rows in PostgreSQL table $table ..." >&2
  pg <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $table;
CREATE TABLE $table (
  id bigint PRIMARY KEY,
  qty integer NOT NULL,
  score double precision NOT NULL,
  code text NOT NULL,
  label text NOT NULL,
  amount numeric(12,2) NOT NULL,
  day date NOT NULL,
  at timestamp NOT NULL,
  flag boolean NOT NULL,
  comment text);
INSERT INTO $table
SELECT id,
       (g >> 12) % 1000,
       (h % 1000000) / 1000.0 - 250.5,
       'C' || lpad((id % 100000000)::text, 8, '0') || '-' || lpad(g::text, 10, '0'),
       substr('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod '
              || 'tempor incididunt ut labore et dolore magna aliqua',
              1 + (h % 60)::int, 30 + (g % 21)::int),
       ((h >> 4) % 1000000) + (g % 100) / 100.0,
       date '2020-01-01' + (h % 1826)::int,
       timestamp '2020-01-01' + (g % 157680000) * interval '1 second',
       (h >> 7) % 2 = 1,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g % 977 || ' for order ' || id END
FROM (SELECT id, h, (h * h + 12345) % 2147483647 AS g
      FROM (SELECT id, (id * 2654435761) % 2147483647 AS h
            FROM generate_series(1::bigint, $n) AS id) a) b;
VACUUM (FREEZE, ANALYZE) $table;
SQL
}

# pg_checksum TABLE: one line that a table and its copies share, whatever the
# engine (sqlite_checksum in lib.sh and mysql_checksum compute the same). `at`
# may be a timestamptz in a copy (pgloader makes DATETIME one): read in the
# session's time zone, UTC on the test server.
pg_checksum() {
  pg_value -c "
    SELECT count(*), sum(id), sum(qty), sum(round(score * 1000)::bigint), sum(length(code)),
           sum(length(label)), sum(amount * 100)::bigint, count(*) - count(comment),
           sum(length(comment)), sum(flag::int), sum(day - date '1970-01-01'),
           sum(extract(epoch FROM at))::bigint, min(day)::text, max(at)::timestamp::text
    FROM $1"
}

# pg_rowhash TABLE: a hash of every row's text, independent of row order (sum
# of the first 32 bits of each row's md5). PostgreSQL copies only.
pg_rowhash() {
  pg_value -c "
    SELECT sum(('x' || left(md5(concat_ws('|', id, qty, score, code, label, amount, day, at::timestamp,
                                          flag, coalesce(comment, '\\N'))), 8))::bit(32)::bigint)
    FROM $1"
}
