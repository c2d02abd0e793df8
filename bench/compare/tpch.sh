#!/usr/bin/env bash
# TPC-H of our own (issue #23): the 22 queries over tables split across
# PostgreSQL and MariaDB, run by `polydb query` and by PostgreSQL over
# postgres_fdw + mysql_fdw on the same split, every answer checked against
# PostgreSQL holding all eight tables (the oracle); part of `make bench`.
#
# Usage: bench/compare/tpch.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_POSTGRES_URL, POLYDB_TEST_MYSQL_URL  the servers (required; this
#       script starts nothing: scripts/services.sh start postgres mariadb, then
#       eval "$(scripts/services.sh env | sed 's/^/export /')")
#   TPCH_SF=0.1            scale factor (0.01 for a quick check: some answers are then empty)
#   TPCH_VARIANTS="char varchar"  the schemas: the spec's CHAR(n) columns, or VARCHAR(n) for all
#   TPCH_QUERIES="1 ... 22"       the queries to run
#   TPCH_RUNS=2            timed runs of each query and engine (interleaved; the best counts)
#   TPCH_TIMEOUT=300       seconds a query may take, per run and engine
#   TPCH_FDW=1             0: no fdw runs (polydb against the oracle only)
#   TPCH_SQLITE=1          0: leave out the correctness-only run with nation in SQLite
#   TPCH_EXPLAIN=1         0: leave out the plans printed for the queries where polydb is
#                          slower than fdw (PostgreSQL's EXPLAIN VERBOSE with each wrapper's
#                          remote SQL, polydb's query --explain --analyze); all: every query
# The servers need the mysql_fdw extension for PostgreSQL 15 (Debian package
# postgresql-15-mysql-fdw; postgres_fdw comes with PostgreSQL). Tools, from
# Debian packages (scripts/install-deps.sh): /usr/bin/python3, /usr/bin/timeout,
# /usr/bin/sqlite3, psql, mariadb.
#
# Data: tpch/dbgen.py, a deterministic generator written from the spec (no TPC
# kit here; what it reproduces is in its header), into
# build/bench/tpch/data/sf<SF>/*.tsv, kept and reused while dbgen.py is unchanged.
# Schema: tpch/schema.sql (the spec's types: CHAR(n), VARCHAR(n), DECIMAL(15,2),
# DATE, INTEGER; primary keys) and tpch/indexes.sql (foreign-key indexes); the
# VARCHAR variant has VARCHAR(n) wherever the spec says CHAR(n). Per variant V
# and scale factor, database polydb_tpch_<SF>_<V> (SF with _ for .), loaded with
# the native bulk loaders (psql \copy, LOAD DATA LOCAL INFILE), ANALYZEd:
#   PostgreSQL: all eight tables (the oracle), and schemas pg and my of views
#     (SELECT * FROM the table: PostgreSQL inlines them) that give the oracle
#     the names the other engines use;
#   MariaDB: customer, nation, region, supplier (default charset and collation).
# The split mirrors issue #23's report: lineitem, orders, partsupp and part in
# PostgreSQL (polydb attaches the oracle database as pg and reads them there),
# customer, nation, region and supplier in MariaDB (attached as my). The
# databases stay for the next run (a fingerprint of the data and schema in
# every table's comment says whether they are current); DROP DATABASE them to remove.
#
# Queries: tpch/queries/qNN.sql, one text per query for all three engines (the
# tables named pg.lineitem, my.nation, ...; no interval, extract, :: or DATE
# literals: dates are compared as 'YYYY-MM-DD' strings computed from the spec's
# validation parameters; the year of a date is substr(cast(d as varchar(10)), 1, 4);
# q15's view is a CTE; q11's FRACTION is 0.0001 / SF, put in by this script).
#   oracle  psql --csv -f qNN.sql on the oracle database
#   fdw     psql --csv -f qNN.sql on a scratch database with foreign tables pg.*
#           (postgres_fdw, the oracle database) and my.* (mysql_fdw, the MariaDB
#           database), set up as fdw_lib.sh says (remote estimates, fetch_size,
#           ANALYZE); dropped at the end
#   polydb  polydb --format csv query --attach pg=... --attach my=... "SQL"
# Each run is a new process (psql: a new session, so both wrappers connect
# afresh, as polydb does); the three engines take turns, query by query, and
# the runs go round the 22 queries TPCH_RUNS times; the fastest run counts.
# A run that fails or exceeds TPCH_TIMEOUT (psql: statement_timeout) is not
# repeated. Peak RSS is polydb's (peak_rss.py), the largest of its runs.
#
# Verification: tpch/compare.py checks each fdw and polydb answer against the
# oracle's (the header; the rows in order; every value as text, except numbers,
# equal to 9 significant digits, and, in the CHAR variant, result columns taken
# from a CHAR(n) column that polydb reads from MariaDB, which it shows without
# the blanks the oracle pads with: its header says why). The SQLite run
# (TPCH_SQLITE, correctness only: fdw cannot read SQLite) loads nation into a
# SQLite file with the sqlite3 shell (the variant's CREATE TABLE, .import of the
# .tsv: values as generated, without blanks) and runs each query once more
# through polydb with my.nation replaced by lite.nation.
# The table at the end has, per variant and query, the oracle's row count, the
# best times, fdw/polydb, polydb's peak RSS and each engine's verdict (yes, DIFF,
# error, timeout). A polydb answer that differs, a polydb error or timeout makes
# the script exit 1 after the table; an fdw one is reported but does not. The
# answers, errors, differences and plans stay in build/bench/tpch/sf<SF>/<variant>/
# (qNN.<engine>.csv, .err, .diff, qNN.plans.txt; sql/qNN.sql as run) until the next run.
set -euo pipefail

bench=tpch.sh
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

python=/usr/bin/python3
tpch="$root/bench/compare/tpch"
sf=${TPCH_SF:-0.1}
read -r -a variants <<<"${TPCH_VARIANTS:-char varchar}"
read -r -a query_numbers <<<"${TPCH_QUERIES:-$(seq -s ' ' 1 22)}"
runs=${TPCH_RUNS:-2}
timeout_s=${TPCH_TIMEOUT:-300}
with_fdw=${TPCH_FDW:-1}
with_sqlite=${TPCH_SQLITE:-1}
explain=${TPCH_EXPLAIN:-1}
[[ -x "$python" ]] || die "$python is missing (apt-get install python3)"
[[ -x /usr/bin/timeout ]] || die "/usr/bin/timeout is missing (apt-get install coreutils)"
if ! [[ "$sf" =~ ^[0-9]+(\.[0-9]+)?$ ]] || ! awk -v s="$sf" 'BEGIN { exit !(s > 0 && s <= 100) }'; then
  die "TPCH_SF holds '$sf', not a scale factor in (0, 100]"
fi
[[ "$runs" =~ ^[1-9]$ ]] || die "TPCH_RUNS holds '$runs', not 1 .. 9"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "TPCH_TIMEOUT holds '$timeout_s', not a number of seconds"
((${#variants[@]} > 0)) || die "TPCH_VARIANTS is empty"
for v in "${variants[@]}"; do
  [[ "$v" == char || "$v" == varchar ]] || die "TPCH_VARIANTS holds '$v': want char and/or varchar"
done
queries=()
for n in "${query_numbers[@]}"; do
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((10#$n < 1 || 10#$n > 22)); then
    die "TPCH_QUERIES holds '$n', not 1 .. 22"
  fi
  queries+=("$(printf 'q%02d' "$((10#$n))")")
done

pg_tables=(lineitem orders partsupp part)
my_tables=(customer nation region supplier)
all_tables=(region nation part supplier partsupp customer orders lineitem)
sf_tag=${sf//./_}
data="$root/build/bench/tpch/data/sf$sf"
dir="$root/build/bench/tpch/sf$sf"
fdw_prefix="polydb_tpch_fdw_$$"
mkdir -p "$data" "$dir"

cleanup() {  # the data databases stay (see above)
  if [[ -n "${pg_base:-}" ]]; then
    local pg_url=$pg_base v
    for v in "${variants[@]}"; do
      pg -c "DROP DATABASE IF EXISTS ${fdw_prefix}_$v WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  rm -f ${my_cnf:+"$my_cnf"}
}
trap cleanup EXIT

# The fingerprint of the data and schema: what a database must hold to be reused.
generator_hash=$(sha256sum <"$tpch/dbgen.py" | cut -c1-12)
schema_hash=$(cat "$tpch/dbgen.py" "$tpch/schema.sql" "$tpch/indexes.sql" | sha256sum | cut -c1-12)
fingerprint() { echo "polydb tpch v1: sf=$sf variant=$1 data=$schema_hash"; }

# generate: the .tsv files of this scale factor, unless they are there already.
generate() {
  if [[ "$(cat "$data/stamp" 2>/dev/null)" == "$generator_hash" ]]; then
    echo "data: build/bench/tpch/data/sf$sf already generated, kept" >&2
    return
  fi
  echo "generating TPC-H data at scale factor $sf (tpch/dbgen.py) ..." >&2
  rm -f "$data"/*.tsv "$data/stamp"
  "$python" "$tpch/dbgen.py" --sf "$sf" "$data"
  echo "$generator_hash" >"$data/stamp"
}

# schema_of VARIANT TABLE...: the CREATE TABLE statements of the tables, with
# VARCHAR(n) for CHAR(n) in the varchar variant, then their indexes.
schema_of() {
  local variant=$1 t
  shift
  for t in "$@"; do
    awk -v t="$t" 'BEGIN { RS = "" } $0 ~ "^CREATE TABLE " t " [(]" { print $0 "\n" }' "$tpch/schema.sql"
  done | if [[ "$variant" == varchar ]]; then sed -E 's/(^|[^A-Z])CHAR\(/\1VARCHAR(/g'; else cat; fi
}
indexes_of() {
  local t
  for t in "$@"; do grep -E "^CREATE INDEX [a-z_]+ ON $t " "$tpch/indexes.sql" || true; done
}

# char_columns TABLE...: the CHAR(n) columns of the tables (spec types), comma-separated.
char_columns() {
  schema_of char "$@" | awk '$2 ~ /^CHAR\(/ { printf "%s%s", sep, $1; sep = "," }'
}

# pg_ready / my_ready VARIANT: every table of the variant's database carries
# the fingerprint (set once loaded and indexed).
pg_loaded() {
  [[ "$(pg_value -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'public' AND c.relkind = 'r'
                         AND obj_description(c.oid, 'pg_class') = $(sql_literal "$(fingerprint "$1")")")" \
      == "${#all_tables[@]}" ]]
}
my_loaded() {
  [[ "$(my_value -e "SELECT COUNT(*) FROM information_schema.TABLES
                      WHERE TABLE_SCHEMA = DATABASE()
                        AND TABLE_COMMENT = $(sql_literal "$(fingerprint "$1")")")" \
      == "${#my_tables[@]}" ]]
}

# load_pg VARIANT: the oracle database (pg_url): all tables, then the views of
# schemas pg and my.
load_pg() {
  local variant=$1 t fp
  fp=$(sql_literal "$(fingerprint "$variant")")
  echo "loading the $variant tables into PostgreSQL database ${pg_url##*/} (psql \\copy) ..." >&2
  {
    echo "DROP SCHEMA IF EXISTS pg CASCADE; DROP SCHEMA IF EXISTS my CASCADE;"
    echo "DROP TABLE IF EXISTS $(IFS=,; echo "${all_tables[*]}");"
    schema_of "$variant" "${all_tables[@]}"
    for t in "${all_tables[@]}"; do echo "\\copy $t FROM '$data/$t.tsv'"; done
    indexes_of "${all_tables[@]}"
    echo "CREATE SCHEMA pg; CREATE SCHEMA my;"
    for t in "${pg_tables[@]}"; do echo "CREATE VIEW pg.$t AS SELECT * FROM public.$t;"; done
    for t in "${my_tables[@]}"; do echo "CREATE VIEW my.$t AS SELECT * FROM public.$t;"; done
    for t in "${all_tables[@]}"; do echo "VACUUM (FREEZE, ANALYZE) $t;"; done
    for t in "${all_tables[@]}"; do echo "COMMENT ON TABLE $t IS $fp;"; done
  } | pg >/dev/null
}

# load_my VARIANT: MariaDB's tables of the split (my_cnf names the database).
load_my() {
  local variant=$1 t fp
  fp=$(sql_literal "$(fingerprint "$variant")")
  echo "loading the $variant tables into MariaDB database $my_database (LOAD DATA LOCAL INFILE) ..." >&2
  {
    echo "DROP TABLE IF EXISTS $(IFS=,; echo "${my_tables[*]}");"
    schema_of "$variant" "${my_tables[@]}"
    for t in "${my_tables[@]}"; do
      echo "LOAD DATA LOCAL INFILE $(sql_literal "$data/$t.tsv") INTO TABLE $t;"
    done
    indexes_of "${my_tables[@]}"
    for t in "${my_tables[@]}"; do echo "ANALYZE TABLE $t;"; done
    for t in "${my_tables[@]}"; do echo "ALTER TABLE $t COMMENT = $fp;"; done
  } | my --local-infile=1 >/dev/null
}

# fdw_setup VARIANT: the scratch database with the foreign tables pg.* and my.*.
fdw_setup() {
  local variant=$1 t
  echo "setting up postgres_fdw + mysql_fdw in scratch database ${fdw_url##*/} ..." >&2
  fdw_database "$fdw_url"
  local pg_url=$fdw_url
  pg >/dev/null <<SQL
$(fdw_servers "$db")
CREATE SCHEMA pg;
IMPORT FOREIGN SCHEMA public LIMIT TO ($(IFS=,; echo "${pg_tables[*]}")) FROM SERVER pg_server INTO pg;
CREATE SCHEMA my;
IMPORT FOREIGN SCHEMA $db LIMIT TO ($(IFS=,; echo "${my_tables[*]}")) FROM SERVER my_server INTO my;
$(for t in "${pg_tables[@]}"; do echo "ANALYZE pg.$t;"; done)
SQL
}

# prepare QUERY: the query's SQL without its comment lines, q11's FRACTION put
# in, in $out/sql/QUERY.sql (and, for the SQLite run, QUERY.lite.sql).
prepare() {
  local qn=$1 fraction
  fraction=$(awk -v s="$sf" 'BEGIN { printf "%.10g", 0.0001 / s }')
  grep -v '^--' "$tpch/queries/$qn.sql" | sed "s/@FRACTION@/$fraction/g" >"$out/sql/$qn.sql"
  sed -E 's/\bmy\.nation\b/lite.nation/g' "$out/sql/$qn.sql" >"$out/sql/$qn.lite.sql"
}

# unpadded QUERY: the result columns the comparison takes as unpadded
# (compare.py): in the char variant, those that are, or are aliases ("x as y")
# of, CHAR(n) columns of MariaDB's tables. (In the SQLite run, nation's CHAR(25)
# values are SQLite's, stored as loaded: without blanks too.)
unpadded() {
  [[ "$variant" == char ]] || return 0
  "$python" - "$(char_columns "${my_tables[@]}")" "$out/sql/$1.sql" <<'PY'
import re, sys
cols = set(sys.argv[1].split(","))
sql = open(sys.argv[2]).read().lower()
for m in re.finditer(r"\b(?:\w+\.)?(\w+)\s+as\s+(\w+)", sql):
    if m.group(1) in cols:
        cols.add(m.group(2))
print(",".join(sorted(cols)))
PY
}

# run ENGINE QUERY RUN: one timed run; the answer in $out/QUERY.ENGINE.csv, the
# times in .runN, stderr in .err; the verdict (ok, error, timeout) in .status.
run() {
  local engine=$1 qn=$2 n=$3 base="$out/$2.$1" rc=0 cmd
  case "$engine" in
    oracle) cmd=(/usr/bin/timeout -k 10 $((timeout_s + 30)) psql -X -q --csv -v ON_ERROR_STOP=1
                 -d "$oracle_url" -f "$out/sql/$qn.sql") ;;
    fdw) cmd=(/usr/bin/timeout -k 10 $((timeout_s + 30)) psql -X -q --csv -v ON_ERROR_STOP=1
              -d "$fdw_url" -f "$out/sql/$qn.sql") ;;
    polydb) cmd=(/usr/bin/timeout -k 10 "$timeout_s" "$polydb" -q --format csv query
                 --attach "pg=$oracle_url" --attach "my=$my_url" "$(<"$out/sql/$qn.sql")") ;;
    sqlite) cmd=(/usr/bin/timeout -k 10 "$timeout_s" "$polydb" -q --format csv query
                 --attach "pg=$oracle_url" --attach "my=$my_url" --attach "lite=sqlite:///$out/lite.db"
                 "$(<"$out/sql/$qn.lite.sql")") ;;
  esac
  local options=$PGOPTIONS  # psql only: polydb's own sessions keep the user's settings
  [[ "$engine" == oracle || "$engine" == fdw ]] && options+=" -c statement_timeout=${timeout_s}s"
  PGOPTIONS=$options "$python" "$measure" -o "$base.run$n" -- "${cmd[@]}" >"$base.csv" 2>"$base.err" ||
    rc=$?
  if ((rc == 0)); then
    echo ok >"$base.status"
  else
    rm -f "$base.run$n"
    if ((rc == 124 || rc == 137)) || grep -q 'statement timeout' "$base.err"; then
      echo timeout >"$base.status"
    else
      echo error >"$base.status"
    fi
    echo "  $qn $engine run $n: $(cat "$base.status") (exit $rc): $(head -c 300 "$base.err" | tr '\n' ' ')" >&2
  fi
}

# check ENGINE QUERY: compares the engine's answer with the oracle's; the
# verdict (yes, DIFF) in .status, the difference in .diff.
check() {
  local engine=$1 qn=$2 base="$out/$2.$1"
  [[ "$(cat "$base.status")" == ok && "$(cat "$out/$qn.oracle.status")" == ok ]] || return 0
  local flags=(--unpadded "$( [[ "$engine" == fdw ]] || unpadded "$qn")")
  if "$python" "$tpch/compare.py" "${flags[@]}" "$out/$qn.oracle.csv" "$base.csv" >"$base.diff"; then
    rm -f "$base.diff"
  else
    echo DIFF >"$base.status"
    echo "  $qn $engine: the answer differs from the oracle's ($base.diff)" >&2
  fi
}

# due ENGINE QUERY: whether the engine runs the query (again): not after a failure.
due() { [[ ! -f "$out/$2.$1.status" || "$(cat "$out/$2.$1.status")" == ok ]]; }

pg_setup "$POLYDB_TEST_POSTGRES_URL"
pg_base=$pg_url
pg_url_parts "$pg_base"
mysql_setup "$POLYDB_TEST_MYSQL_URL" "$dir"
print_header "psql:    $(psql --version | head -n 1)" \
  "servers: PostgreSQL $(pg_value -c 'SHOW server_version') at $pg_shown," \
  "         MariaDB $(my_value -e 'SELECT VERSION()') at $my_shown" \
  "data:    TPC-H scale factor $sf (tpch/dbgen.py), variants ${variants[*]}, ${#queries[@]} queries" \
  "split:   PostgreSQL ${pg_tables[*]}; MariaDB ${my_tables[*]}"
generate

failed=()      # "VARIANT QUERY ENGINE VERDICT" of every polydb failure
fdw_failed=()
summary=()     # the tables, printed at the end
for variant in "${variants[@]}"; do
  db="polydb_tpch_${sf_tag}_$variant"
  out="$dir/$variant"
  rm -rf "$out"
  mkdir -p "$out/sql"
  oracle_url=$(url_with_db "$pg_base" "$db")
  my_url=$(url_with_db "$POLYDB_TEST_MYSQL_URL" "$db")
  fdw_url=$(url_with_db "$pg_base" "${fdw_prefix}_$variant")

  pg_url=$pg_base
  pg <<<"SELECT 'CREATE DATABASE $db' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \\gexec"
  pg_setup "$oracle_url"
  if pg_loaded "$variant"; then echo "PostgreSQL $db: already loaded, kept" >&2; else load_pg "$variant"; fi
  mysql_setup "$POLYDB_TEST_MYSQL_URL" "$dir"
  my -e "CREATE DATABASE IF NOT EXISTS $db"
  mysql_setup "$my_url" "$dir"
  if my_loaded "$variant"; then echo "MariaDB $db: already loaded, kept" >&2; else load_my "$variant"; fi
  [[ "$with_fdw" == 1 ]] && fdw_setup "$variant"
  pg_url=$oracle_url

  echo "untimed: one read of each table to warm the servers' caches ..." >&2
  for t in "${all_tables[@]}"; do pg_value -c "SELECT count(*) FROM $t" >/dev/null; done
  for t in "${my_tables[@]}"; do my_value -e "SELECT COUNT(*) FROM $t" >/dev/null; done

  engines=(oracle)
  [[ "$with_fdw" == 1 ]] && engines+=(fdw)
  engines+=(polydb)
  echo "$variant: ${#queries[@]} queries, ${engines[*]}, $runs runs each, interleaved ..." >&2
  for qn in "${queries[@]}"; do prepare "$qn"; done
  for ((n = 1; n <= runs; n++)); do
    for qn in "${queries[@]}"; do
      for engine in "${engines[@]}"; do
        due "$engine" "$qn" || continue
        run "$engine" "$qn" "$n"
        [[ "$engine" == oracle ]] || check "$engine" "$qn"
      done
    done
  done

  if [[ "$with_sqlite" == 1 ]]; then
    echo "$variant: correctness-only run with nation in SQLite (sqlite3 .import) ..." >&2
    {
      schema_of "$variant" nation
      printf '.mode tabs\n.import %s nation\n' "$data/nation.tsv"
    } | /usr/bin/sqlite3 -bail "$out/lite.db"
    for qn in "${queries[@]}"; do
      run sqlite "$qn" 1
      check sqlite "$qn"
    done
  fi

  # The table of this variant.
  table=$(printf '%-5s %6s | %8s | %8s %9s %10s %9s | %6s %6s' \
    query rows 'oracle s' 'fdw s' 'polydb s' 'fdw/polydb' 'peak RSS' fdw polydb)
  [[ "$with_sqlite" == 1 ]] && table+=$(printf ' %7s' sqlite)
  table+=$'\n'
  log_sum=0 n_ratio=0 rss_max=0 slower=()
  for qn in "${queries[@]}"; do
    rows=- os=- fs=- ps=- ratio=- rss=- fv=- pv=- sv=-
    [[ "$(cat "$out/$qn.oracle.status")" == ok ]] && rows=$(($("$python" -c \
      'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' \
      "$out/$qn.oracle.csv") - 1))
    ls "$out/$qn.oracle.run"* >/dev/null 2>&1 && read -r os _ _ <<<"$(best "$out/$qn.oracle.run"*)"
    if [[ "$with_fdw" == 1 ]]; then
      fv=$(cat "$out/$qn.fdw.status")
      [[ "$fv" == ok ]] && fv=yes
      ls "$out/$qn.fdw.run"* >/dev/null 2>&1 && read -r fs _ _ <<<"$(best "$out/$qn.fdw.run"*)"
      [[ "$fv" == yes ]] || fdw_failed+=("$variant $qn fdw $fv")
    fi
    pv=$(cat "$out/$qn.polydb.status")
    [[ "$pv" == ok ]] && pv=yes
    if ls "$out/$qn.polydb.run"* >/dev/null 2>&1; then
      read -r ps pk _ <<<"$(best "$out/$qn.polydb.run"*)"
      rss=$(awk -v k="$pk" 'BEGIN { printf "%.1f MB", k / 1024 }')
      ((pk > rss_max)) && rss_max=$pk
    fi
    [[ "$pv" == yes ]] || failed+=("$variant $qn polydb $pv")
    if [[ "$with_sqlite" == 1 ]]; then
      sv=$(cat "$out/$qn.sqlite.status")
      [[ "$sv" == ok ]] && sv=yes
      [[ "$sv" == yes ]] || failed+=("$variant $qn sqlite $sv")
    fi
    if [[ "$fs" != - && "$ps" != - ]]; then  # both answered (if not both the oracle's answer)
      ratio=$(awk -v f="$fs" -v p="$ps" 'BEGIN { printf "%.2fx", f / p }')
      log_sum=$(awk -v s="$log_sum" -v f="$fs" -v p="$ps" 'BEGIN { printf "%.9f", s + log(f / p) }')
      n_ratio=$((n_ratio + 1))
      awk -v f="$fs" -v p="$ps" 'BEGIN { exit !(p > f) }' && slower+=("$qn")
    fi
    table+=$(printf '%-5s %6s | %8s | %8s %9s %10s %9s | %6s %6s' "$qn" "$rows" "$os" "$fs" "$ps" \
      "$ratio" "$rss" "$fv" "$pv")
    [[ "$with_sqlite" == 1 ]] && table+=$(printf ' %7s' "$sv")
    table+=$'\n'
  done
  geomean=-
  ((n_ratio > 0)) && geomean=$(awk -v s="$log_sum" -v n="$n_ratio" 'BEGIN { printf "%.2fx", exp(s / n) }')
  table+="geomean fdw/polydb over the $n_ratio queries both answered: $geomean; polydb peak RSS $(awk -v k="$rss_max" 'BEGIN { printf "%.1f MB", k / 1024 }')"$'\n'
  table+="polydb slower than fdw: ${slower[*]:-none}"$'\n'
  goal=met
  [[ "$table" == *DIFF* || "$table" == *error* || "$table" == *timeout* ]] && goal="NOT met"
  ((${#slower[@]} == 0 && rss_max <= 512 * 1024 && n_ratio == ${#queries[@]})) || goal="NOT met"
  awk -v s="$log_sum" -v n="$n_ratio" 'BEGIN { exit !(n > 0 && exp(s / n) >= 3) }' || goal="NOT met"
  table+="goal (issue #23: every answer the oracle's, geomean fdw/polydb >= 3x, no query slower"
  table+=" than fdw, peak RSS <= 512 MB): $goal"$'\n'
  summary+=("$variant" "$table")

  if [[ "$explain" != 0 && "$with_fdw" == 1 ]]; then
    plans=()
    if [[ "$explain" == all ]]; then plans=("${queries[@]}"); else plans=(${slower[@]+"${slower[@]}"}); fi
    for qn in ${plans[@]+"${plans[@]}"}; do
      {
        echo "=== $variant $qn: PostgreSQL over the wrappers (EXPLAIN VERBOSE; Remote SQL is what each sends)"
        psql -X -q -At -v ON_ERROR_STOP=1 -d "$fdw_url" \
          -c "EXPLAIN (VERBOSE, COSTS OFF) $(<"$out/sql/$qn.sql")" 2>&1 | grep -v '^ *Output: ' | sed 's/^/  /'
        echo "=== $variant $qn: polydb query --explain --analyze (condensed by tpch/plan.py)"
        "$polydb" -q --format csv query --explain --analyze --attach "pg=$oracle_url" \
          --attach "my=$my_url" "$(<"$out/sql/$qn.sql")" 2>&1 | "$python" "$tpch/plan.py" || true
      } >"$out/$qn.plans.txt"
    done
  fi
  [[ "$with_fdw" == 1 ]] && pg -c "DROP DATABASE IF EXISTS ${fdw_prefix}_$variant WITH (FORCE)" >/dev/null
done

for ((i = 0; i < ${#summary[@]}; i += 2)); do
  echo
  echo "TPC-H SF $sf, ${summary[i]} variant:"
  printf '%s' "${summary[i + 1]}"
done
echo "(best of $runs runs each, interleaved; fdw = psql on PostgreSQL over postgres_fdw + mysql_fdw;"
echo " fdw/polydb > 1: polydb is faster; rows = the oracle's result rows; peak RSS is polydb's;"
echo " fdw, polydb, sqlite: the answer equals the oracle's (yes), differs (DIFF), error, timeout"
echo " after ${timeout_s} s; sqlite = polydb with nation in SQLite, untimed)"

if [[ "$explain" != 0 ]]; then
  for variant in "${variants[@]}"; do
    for f in "$dir/$variant"/q*.plans.txt; do
      [[ -f "$f" ]] && { echo; cat "$f"; }
    done
  done
fi

if ((${#fdw_failed[@]} > 0)); then
  echo
  echo "fdw answers that are not the oracle's (reported, not failing the bench):"
  printf '  %s\n' "${fdw_failed[@]}"
fi
if ((${#failed[@]} > 0)); then
  echo
  echo "$bench: FAILED: polydb's answer is not the oracle's:" >&2
  for f in "${failed[@]}"; do
    read -r variant qn engine verdict <<<"$f"
    base="$dir/$variant/$qn.$engine"
    echo "--- $variant $qn ($engine): $verdict" >&2
    case "$verdict" in
      DIFF) sed 's/^/  /' "$base.diff" >&2 ;;
      *) head -n 5 "$base.err" | sed 's/^/  /' >&2 ;;
    esac
    echo "  files: $base.csv, $dir/$variant/$qn.oracle.csv, $dir/$variant/sql/$qn.sql" >&2
  done
  exit 1
fi
echo "verified: every polydb answer equals the oracle's" >&2
