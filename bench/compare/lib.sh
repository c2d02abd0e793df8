# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the sourcing script
# Shared by the server benchmarks (pg_copy.sh, mysql_copy.sh): sourced, not run.
#
# Before sourcing, a script sets `bench` (its name, for messages). After
# sourcing it has: root, polydb (absolute path from $1), sizes (the row counts
# of POLYDB_BENCH_ROWS, default 1000000), measure (peak_rss.py) and the
# functions below. sqlite_copy.sh predates this file and keeps its own copy of
# timed/best.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
measure="$root/bench/compare/peak_rss.py"

die() { echo "$bench: $*" >&2; exit 1; }

# bench_init [POLYDB_BINARY]: the binary, the row counts, python3.
bench_init() {
  polydb=${1:-build/release/src/cli/polydb}
  [[ "$polydb" == /* ]] || polydb="$PWD/$polydb"
  [[ -x "$polydb" ]] ||
    die "no polydb binary at $polydb (cmake --preset release && ninja -C build/release polydb_cli_main)"
  command -v python3 >/dev/null || die "python3 is missing"
  command -v sqlite3 >/dev/null || die "the sqlite3 shell is missing (apt-get install sqlite3)"
  read -r -a sizes <<<"${POLYDB_BENCH_ROWS:-1000000}"
  ((${#sizes[@]} > 0)) || die "POLYDB_BENCH_ROWS is empty"
  local n
  for n in "${sizes[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "POLYDB_BENCH_ROWS holds '$n', not a positive row count"
  done
}

# require_url VAR SERVICE: the value of VAR, else a loud failure that says how
# to start the server (the scripts never start one themselves).
require_url() {
  local var=$1 service=$2
  [[ -n "${!var:-}" ]] && return 0
  cat >&2 <<EOF
$bench: $var is not set: no $service server to benchmark against.
  Start it and export its URL, then run this again:
    scripts/services.sh start $service
    eval "\$(scripts/services.sh env | sed 's/^/export /')"
  (make bench does both.)
EOF
  exit 1
}

# timed RESULT_FILE COMMAND...: runs COMMAND, leaves "SECONDS PEAK_RSS_KIB CPU_SECONDS"
# in RESULT_FILE; a failing command fails the script.
timed() {
  local result=$1
  shift
  python3 "$measure" -o "$result" -- "$@" || die "failed ($?): $*"
}

# best FILE...: the least wall time, the largest peak RSS, the least CPU time.
best() {
  awk 'NR == 1 || $1 < s { s = $1 } $2 > m { m = $2 } NR == 1 || $3 < c { c = $3 }
       END { print s, m, c }' "$@"
}

# print_header TOOL_VERSION_LINE...: what ran where, and how loaded the machine was.
print_header() {
  echo "polydb:  $("$polydb" version 2>&1 | head -n 1)"
  local line
  for line in "$@"; do echo "$line"; done
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; wall times suffer when it exceeds the CPUs)"
}

# The declarations polydb gives a SQLite copy of `bench` (from PostgreSQL or
# MySQL); the native SQLite copies get the same.
readonly SQLITE_COLUMNS='"id" INTEGER NOT NULL, "qty" INTEGER NOT NULL, "score" REAL NOT NULL,
  "code" TEXT NOT NULL, "label" TEXT NOT NULL, "amount" DECIMAL_TEXT(12,2) NOT NULL,
  "day" DATE NOT NULL, "at" TIMESTAMP NOT NULL, "flag" BOOLEAN NOT NULL, "comment" TEXT,
  PRIMARY KEY ("id")'

# sqlite_checksum FILE: the checksum line of table bench_copy in FILE, equal to
# the server's line for `bench` (pg_checksum, mysql_checksum) when the copy is.
sqlite_checksum() {
  sqlite3 -readonly -separator ' ' "$1" "
    SELECT count(*), sum(id), sum(qty), sum(CAST(round(score * 1000) AS INTEGER)),
           sum(length(code)), sum(length(label)),
           sum(CAST(round(CAST(amount AS REAL) * 100) AS INTEGER)), count(*) - count(comment),
           sum(length(comment)), sum(flag), sum(CAST(julianday(day) - 2440587.5 AS INTEGER)),
           sum(CAST(strftime('%s', at) AS INTEGER)), date(min(day)), datetime(max(at))
    FROM bench_copy"
}

# sqlite_sha3 FILE: SHA3-256 of every value of bench_copy with its storage class.
sqlite_sha3() {
  sqlite3 -readonly "$1" "SELECT hex(sha3_query('SELECT * FROM bench_copy ORDER BY id'))"
}

# verify WHAT WANT GOT: fails the script unless the two checksum lines are equal.
verify() {
  if [[ "$3" != "$2" ]]; then
    echo "$bench: VERIFICATION FAILED: $1 differs from the source" >&2
    echo "  source: $2" >&2
    echo "  copy:   $3" >&2
    exit 1
  fi
}

# Result lines, "LABEL ROWS POLYDB_S POLYDB_KIB POLYDB_CPU NATIVE_S NATIVE_KIB NATIVE_CPU",
# collected by add_result from the timed files of both runs and printed by print_results.
results=()
add_result() {  # add_result LABEL ROWS POLYDB_FILE... -- NATIVE_FILE...
  local label=$1 n=$2 p=() q=()
  shift 2
  while [[ $# -gt 0 && "$1" != -- ]]; do p+=("$1"); shift; done
  shift
  q=("$@")
  results+=("$label $n $(best "${p[@]}") $(best "${q[@]}")")
}

print_results() {
  echo
  printf '%-15s %9s | %8s %10s %8s %9s | %8s %10s %8s | %13s\n' \
    copy rows 'polydb s' 'rows/s' 'cpu s' 'peak RSS' 'native s' 'rows/s' 'cpu s' 'polydb/native'
  local line
  for line in "${results[@]}"; do
    awk -v l="$line" 'BEGIN {
      split(l, f, " "); n = f[2]; ps = f[3]; pk = f[4]; pc = f[5]; ns = f[6]; nc = f[8]
      printf "%-15s %9d | %8.2f %10.0f %8.2f %6.1f MB | %8.2f %10.0f %8.2f | %12.1f%%\n",
             f[1], n, ps, n / ps, pc, pk / 1024, ns, n / ns, nc, 100 * ns / ps }'
  done
  echo "(best of 2 runs each, interleaved; polydb/native = polydb rows/s / native rows/s;"
  echo " cpu s is the client processes' user + system time: the servers' work is not in it;"
  echo " no peak RSS for the native pipelines: peak_rss.py samples the shell that runs them,"
  echo " not its children, when they stay below its own ~14 MB)"
}

# verify_copies CHECKSUM_FN ROWHASH_FN WANT WANT_ROWS DB DB2: the server tables
# bench_copy (polydb) and bench_copy2 (native) and the SQLite files DB (polydb)
# and DB2 (native) all equal the source; exits loudly otherwise.
verify_copies() {
  local checksum=$1 rowhash=$2 want=$3 want_rows=$4 db=$5 db2=$6 table file
  for table in bench_copy bench_copy2; do
    verify "table $table" "$want" "$("$checksum" "$table")"
    verify "table $table (row hash)" "$want_rows" "$("$rowhash" "$table")"
  done
  for file in "$db" "$db2"; do
    verify "$file" "$want" "$(sqlite_checksum "$file")"
  done
  verify "$db2 (sha3 of all values, against polydb's $db)" "$(sqlite_sha3 "$db")" "$(sqlite_sha3 "$db2")"
  echo "verified: all four copies equal the source ($(cut -d' ' -f1-2 <<<"$want") ...)" >&2
}
