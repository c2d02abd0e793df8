# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the sourcing script
# MySQL/MariaDB side of the server benchmarks (mysql_copy.sh, bulk_tools.sh):
# sourced after lib.sh, not run.
#
# mysql_setup URL DIR: checks the client and the server; sets my_client (the
# mariadb or mysql client), my_cnf (a client option file DIR/client.cnf with the
# URL's parts, mode 600: no password in argv; mysql_cleanup removes it),
# my_shown (the URL with its password masked) and my_user, my_password,
# my_host, my_port, my_database; defines my / my_value (the client with that
# file), mysql_generate N [TABLE], mysql_checksum TABLE and mysql_rowhash TABLE.

mysql_setup() {
  local url=$1 re
  my_cnf="$2/client.cnf"
  my_shown=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$url")
  my_client=$(command -v mariadb || command -v mysql) ||
    die "the mariadb (or mysql) client is missing (apt-get install mariadb-client)"
  re='^(mysql|mariadb)://(([^:@/]*)(:([^@/]*))?@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?(\?.*)?$'
  [[ "$url" =~ $re ]] || die "not a mysql://USER:PASSWORD@HOST:PORT/DB URL: $my_shown"
  my_user=$(my_decode "${BASH_REMATCH[3]}") my_password=$(my_decode "${BASH_REMATCH[5]}")
  my_host=${BASH_REMATCH[6]:-localhost} my_port=${BASH_REMATCH[8]:-3306}
  my_database=$(my_decode "${BASH_REMATCH[10]}")
  [[ -n "$my_database" ]] || die "the URL names no database: $my_shown"
  my_host=${my_host#\[} my_host=${my_host%\]}
  (
    umask 077
    # database under [mysql] only: mariadb-import refuses it under [client].
    printf '[client]\nhost=%s\nport=%s\nuser=%s\npassword=%s\n[mysql]\ndatabase=%s\n' \
      "$my_host" "$my_port" "$(my_quote "$my_user")" "$(my_quote "$my_password")" \
      "$(my_quote "$my_database")" >"$my_cnf"
  )
  my_value -e 'SELECT 1' >/dev/null 2>&1 ||
    die "cannot connect to $my_shown (is it running? scripts/services.sh status mariadb)"
}

mysql_cleanup() {  # mysql_cleanup TABLE...: drops the tables, removes the option file
  if [[ -f "${my_cnf:-}" ]]; then
    my -e "DROP TABLE IF EXISTS $(IFS=,; echo "$*")" >/dev/null 2>&1 || true
    rm -f "$my_cnf"
  fi
}

my_decode() { printf '%b' "${1//%/\\x}"; }
my_quote() { local v=${1//\\/\\\\}; printf '"%s"' "${v//\"/\\\"}"; }
my() { "$my_client" --defaults-extra-file="$my_cnf" "$@"; }
my_value() { my --batch --skip-column-names "$@" | tr '\t' ' '; }

# mysql_generate N [TABLE]: (re)creates the InnoDB TABLE (default bench) with N
# rows: the values of pg_generate (pg_lib.sh). Ids come from k digit tables, 10^k >= N.
mysql_generate() {
  local n=$1 table=${2:-bench} k=1 digits ids from i
  while ((10 ** k < n)); do k=$((k + 1)); done
  digits='(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL
            SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL
            SELECT 8 UNION ALL SELECT 9)'
  ids="1" from=""
  for ((i = 0; i < k; i++)); do
    ids+=" + $((10 ** i)) * d$i.d"
    from+="${from:+ CROSS JOIN }$digits d$i"
  done
  echo "generating $n source rows in MySQL table $table ..." >&2
  my >/dev/null <<SQL
DROP TABLE IF EXISTS $table;
CREATE TABLE $table (
  id BIGINT NOT NULL PRIMARY KEY,
  qty INT NOT NULL,
  score DOUBLE NOT NULL,
  code VARCHAR(32) NOT NULL,
  label VARCHAR(64) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  day DATE NOT NULL,
  at DATETIME NOT NULL,
  flag BOOLEAN NOT NULL,
  comment VARCHAR(64) NULL
) ENGINE = InnoDB;
INSERT INTO $table
SELECT id,
       (g >> 12) % 1000,
       (h % 1000000) / 1000.0 - 250.5,
       CONCAT('C', LPAD(id % 100000000, 8, '0'), '-', LPAD(g, 10, '0')),
       SUBSTR(CONCAT('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ',
                     'tempor incididunt ut labore et dolore magna aliqua'),
              1 + h % 60, 30 + g % 21),
       ((h >> 4) % 1000000) + (g % 100) / 100,
       DATE '2020-01-01' + INTERVAL (h % 1826) DAY,
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (g % 157680000) SECOND,
       (h >> 7) % 2,
       CASE WHEN g % 10 = 0 THEN NULL ELSE CONCAT('note ', g % 977, ' for order ', id) END
FROM (SELECT id, h, (h * h + 12345) % 2147483647 AS g
      FROM (SELECT id, (id * 2654435761) % 2147483647 AS h
            FROM (SELECT $ids AS id FROM $from) AS n
            WHERE id <= $n) AS a) AS b
ORDER BY id;
ANALYZE TABLE $table;
SQL
}

# mysql_checksum TABLE: the line pg_checksum and sqlite_checksum print for an equal table.
mysql_checksum() {
  my_value -e "
    SELECT COUNT(*), SUM(id), SUM(qty), CAST(SUM(ROUND(score * 1000)) AS SIGNED),
           SUM(CHAR_LENGTH(code)), SUM(CHAR_LENGTH(label)), CAST(SUM(amount * 100) AS SIGNED),
           COUNT(*) - COUNT(comment), SUM(CHAR_LENGTH(comment)), SUM(flag),
           SUM(TO_DAYS(day) - TO_DAYS('1970-01-01')),
           SUM(TIMESTAMPDIFF(SECOND, '1970-01-01', at)), CAST(MIN(day) AS CHAR),
           DATE_FORMAT(MAX(at), '%Y-%m-%d %H:%i:%s')
    FROM $1"
}

# mysql_rowhash TABLE: a hash of every row's text, independent of row order (sum
# of the first 32 bits of each row's MD5) and of the DATETIME precision of the
# copy. MySQL copies only.
mysql_rowhash() {
  my_value -e "
    SELECT SUM(CONV(LEFT(MD5(CONCAT_WS('|', id, qty, score, code, label, amount, day,
                                       DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s'), flag,
                                       IFNULL(comment, '\\\\N'))), 8), 16, 10))
    FROM $1"
}
