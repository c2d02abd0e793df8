#!/usr/bin/env bash
# Local database servers and cloud emulators for polydb's integration tests.
#
#   scripts/services.sh start  [SERVICE...]   start (idempotent) and wait until ready
#   scripts/services.sh stop   [SERVICE...]   stop; never fails if already stopped (trap-safe)
#   scripts/services.sh status [SERVICE...]   one line per service; exit 0 if all running, 3 if not
#   scripts/services.sh env    [SERVICE...]   connection URLs for the tests (see below)
#   scripts/services.sh clean                 stop all and delete their data and logs
#
# SERVICE: postgres mariadb dynamodb cosmos firestore s3 azure (default: all).
# Every server binds 127.0.0.1 only. Ports (environment, default; a running
# service's port is remembered, so later commands need not repeat it):
#   POLYDB_PG_PORT=55432  POLYDB_MYSQL_PORT=53306  POLYDB_DYNAMODB_PORT=58000
#   POLYDB_COSMOS_PORT=58081  POLYDB_FIRESTORE_PORT=58080  POLYDB_S3_PORT=59000
#   POLYDB_AZURE_PORT=50000
# Readiness timeout: POLYDB_SERVICES_TIMEOUT (default 60 s; firestore gets at least 120 s).
# Firestore runs the emulator's own start script from the Google Cloud CLI (what
# `gcloud emulators firestore start` runs, minus gcloud itself, which probes the GCE
# metadata server); POLYDB_FIRESTORE_VIA_GCLOUD=1 goes through gcloud instead, kept
# offline (CLOUDSDK_CONFIG=build/services/gcloud-config, no prompts/updates/reporting).
#
# `env` output format: one line per service, NAME='VALUE' -- the value always in single
# quotes (values never contain a quote), so the lines are valid shell and survive
#     eval "$(scripts/services.sh env | sed 's/^/export /')"
# or `set -a; . FILE; set +a`. Example:
#     POLYDB_TEST_POSTGRES_URL='postgresql://polydb:polydb@127.0.0.1:55432/polydb'
#
# State, logs and data live in build/services/ under the repository root, or in
# POLYDB_SERVICES_DIR when set (a second set of services beside the first: other
# ports and another directory):
#   <name>.pid   PID of the service (for the node emulators and firestore also the
#                process group id: they are started with setsid and stopped as a group)
#   <name>.log   the service's log
# PostgreSQL's data and socket live in a postgres-owned `mktemp -d` directory (the checkout
# may be below a directory the postgres user cannot enter); its data directory path is
# recorded in build/services/postgres.datadir (parent: POLYDB_PG_TMPDIR, default /tmp).
#
# Credentials: postgres superuser postgres/polydb, role polydb/polydb (SUPERUSER
# REPLICATION, owns database polydb); MariaDB user polydb/polydb ('127.0.0.1' and
# 'localhost', ALL PRIVILEGES on *.*), root via the socket without password; S3 keys
# S3RVER/S3RVER; Azurite's well-known devstoreaccount1 account.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SVC_DIR="$(realpath -m "${POLYDB_SERVICES_DIR:-$ROOT/build/services}")"
EMU_BIN="$ROOT/tools/emulators/node_modules/.bin"

# A started service's port is recorded in $SVC_DIR/<name>.port until it stops, so
# that `env`, `status` and `stop` find it without the port variable being set again.
recorded_port() { [ -s "$SVC_DIR/$1.port" ] && cat "$SVC_DIR/$1.port"; }
PG_PORT="${POLYDB_PG_PORT:-$(recorded_port postgres || echo 55432)}"
MYSQL_PORT="${POLYDB_MYSQL_PORT:-$(recorded_port mariadb || echo 53306)}"
DYNAMODB_PORT="${POLYDB_DYNAMODB_PORT:-$(recorded_port dynamodb || echo 58000)}"
COSMOS_PORT="${POLYDB_COSMOS_PORT:-$(recorded_port cosmos || echo 58081)}"
FIRESTORE_PORT="${POLYDB_FIRESTORE_PORT:-$(recorded_port firestore || echo 58080)}"
S3_PORT="${POLYDB_S3_PORT:-$(recorded_port s3 || echo 59000)}"
AZURE_PORT="${POLYDB_AZURE_PORT:-$(recorded_port azure || echo 50000)}"
TIMEOUT="${POLYDB_SERVICES_TIMEOUT:-60}"

PG_BIN="${POLYDB_PG_BIN:-/usr/lib/postgresql/15/bin}"
S3_BUCKET="polydb-test"
ALL_SERVICES=(postgres mariadb dynamodb cosmos firestore s3 azure)

# Nothing here may go through a proxy: all traffic is to 127.0.0.1.
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
CURL=(curl --noproxy '*' -s -o /dev/null --connect-timeout 1 --max-time 3)

say() { printf '%-10s %s\n' "$1:" "$2"; }
err() { printf '%-10s ERROR: %s\n' "$1:" "$2" >&2; }

port_of() {
  case "$1" in
    postgres) echo "$PG_PORT" ;; mariadb) echo "$MYSQL_PORT" ;; dynamodb) echo "$DYNAMODB_PORT" ;;
    cosmos) echo "$COSMOS_PORT" ;; firestore) echo "$FIRESTORE_PORT" ;; s3) echo "$S3_PORT" ;;
    azure) echo "$AZURE_PORT" ;;
  esac
}
# A word that the service's command line contains: guards against a recycled PID.
pattern_of() {
  case "$1" in
    postgres) echo postgres ;; mariadb) echo mariadbd ;; dynamodb) echo dynalite ;;
    cosmos) echo cosmosdb-server ;; firestore) echo firestore ;; s3) echo s3rver ;; azure) echo azurite ;;
  esac
}
timeout_of() {
  if [ "$1" = firestore ] && [ "$TIMEOUT" -lt 120 ]; then echo 120; else echo "$TIMEOUT"; fi
}
pidfile() { echo "$SVC_DIR/$1.pid"; }
logfile() { echo "$SVC_DIR/$1.log"; }

read_pid() {  # read_pid SERVICE -> PID if the pid file holds a number
  local f; f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  local p; p="$(head -n1 "$f" 2>/dev/null | tr -dc '0-9')"
  [ -n "$p" ] && echo "$p"
}
pid_alive() {  # pid_alive PID PATTERN
  local pid="$1" pat="$2" state
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [ "$state" = Z ] && return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pat"
}
svc_alive() {  # the service's recorded process is alive
  local pid; pid="$(read_pid "$1")" || return 1
  pid_alive "$pid" "$(pattern_of "$1")"
}
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
http_code() {  # http_code URL [curl args...] -> HTTP status ("000" when no answer)
  local url="$1"; shift
  "${CURL[@]}" -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}
log_tail() {
  local svc="$1" f; f="$(logfile "$svc")"
  echo "----- last lines of $f -----" >&2
  tail -n 30 "$f" >&2 2>/dev/null || echo "(no log)" >&2
  echo "-----" >&2
}

as_root() { if [ "$(id -u)" -eq 0 ]; then return 0; else return 1; fi; }

# ---------------------------------------------------------------- PostgreSQL
as_pg() {  # run a command as the postgres user (when root), from a directory it can enter
  if as_root; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}
pg_datadir() {  # the recorded data directory, if it is initialised
  local f="$SVC_DIR/postgres.datadir" d
  [ -f "$f" ] || return 1
  d="$(head -n1 "$f")"
  [ -n "$d" ] && [ -f "$d/PG_VERSION" ] && echo "$d"
}
pg_sockdir() { echo "$(dirname "$1")/sock"; }
pg_running() {  # pg_running DATADIR
  as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}
pg_write_pid() {
  local d="$1" p
  p="$(head -n1 "$d/postmaster.pid" 2>/dev/null | tr -dc '0-9')"
  [ -n "$p" ] && echo "$p" >"$(pidfile postgres)"
}
pg_ready() {
  local d; d="$(pg_datadir)" || return 1
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1
}
pg_init() {  # create and initialise a new data directory; prints its path
  local base data
  base="$(mktemp -d "${POLYDB_PG_TMPDIR:-/tmp}/polydb-pg.XXXXXX")" || return 1
  data="$base/data"
  if as_root; then chown postgres:postgres "$base" || return 1; fi
  chmod 700 "$base"
  printf 'polydb\n' >"$base/pwfile"
  if as_root; then chown postgres:postgres "$base/pwfile"; fi
  as_pg mkdir -m 700 "$data" "$base/sock" || return 1
  if ! as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 --pwfile="$base/pwfile" \
        >>"$(logfile postgres)" 2>&1; then
    rm -f "$base/pwfile"; return 1
  fi
  rm -f "$base/pwfile"
  echo "$data" >"$SVC_DIR/postgres.datadir"
  echo "$data"
}
pg_setup_sql() {
  local d="$1"
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_sockdir "$d")" -p "$PG_PORT" -U postgres -d postgres <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'polydb') THEN
    CREATE ROLE polydb LOGIN SUPERUSER REPLICATION PASSWORD 'polydb';
  ELSE
    ALTER ROLE polydb LOGIN SUPERUSER REPLICATION PASSWORD 'polydb';
  END IF;
END
$$;
SELECT 'CREATE DATABASE polydb OWNER polydb'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'polydb') \gexec
\c polydb
-- Here once, not by tests running side by side (two CREATE EXTENSION at once
-- can collide): the case-insensitive column tests use it.
CREATE EXTENSION IF NOT EXISTS citext;
SQL
}
start_postgres() {
  local d log; log="$(logfile postgres)"
  [ -x "$PG_BIN/pg_ctl" ] || { err postgres "$PG_BIN/pg_ctl not found (run scripts/install-deps.sh)"; return 1; }
  if as_root && ! id postgres >/dev/null 2>&1; then err postgres "no 'postgres' user"; return 1; fi
  if d="$(pg_datadir)" && pg_running "$d"; then
    pg_write_pid "$d"
    if pg_ready && pg_setup_sql "$d" >>"$log" 2>&1; then
      say postgres "already running on 127.0.0.1:$PG_PORT"; return 0
    fi
  else
    if port_open "$PG_PORT"; then err postgres "port $PG_PORT is already in use by another process"; return 1; fi
    if ! d="$(pg_datadir)"; then
      say postgres "initdb"
      d="$(pg_init)" || { err postgres "initdb failed"; log_tail postgres; return 1; }
    fi
    say postgres "starting on 127.0.0.1:$PG_PORT (data $d)"
    printf '=== start %s ===\n' "$(date '+%F %T')" >>"$log"
    # No -l: the server inherits this stdout/stderr, a file opened by us (the postgres
    # user need not be able to write to build/services).
    if ! as_pg "$PG_BIN/pg_ctl" -D "$d" -w -t "$(timeout_of postgres)" -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c wal_level=logical -c max_replication_slots=8 -c max_wal_senders=8 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -k $(pg_sockdir "$d")" start \
          </dev/null >>"$log" 2>&1; then
      err postgres "did not become ready within $(timeout_of postgres)s"; log_tail postgres
      stop_postgres >/dev/null 2>&1; return 1
    fi
    pg_write_pid "$d"
  fi
  local i
  for ((i = 0; i < 20; i++)); do pg_ready && break; sleep 0.5; done
  pg_ready || { err postgres "pg_isready fails on 127.0.0.1:$PG_PORT"; log_tail postgres; return 1; }
  if ! pg_setup_sql "$d" >>"$log" 2>&1; then
    err postgres "creating role/database polydb failed"; log_tail postgres; return 1
  fi
  say postgres "ready"
}
stop_postgres() {
  local d pid
  if d="$(pg_datadir)" && pg_running "$d"; then
    as_pg "$PG_BIN/pg_ctl" -D "$d" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_pg "$PG_BIN/pg_ctl" -D "$d" -m immediate -w -t 30 stop >/dev/null 2>&1
  fi
  if pid="$(read_pid postgres)" && pid_alive "$pid" postgres; then
    kill_tree "$pid" 0
  fi
  rm -f "$(pidfile postgres)"
}
clean_postgres() {
  local d
  if d="$(head -n1 "$SVC_DIR/postgres.datadir" 2>/dev/null)" && [ -n "$d" ]; then
    case "$(dirname "$d")" in */polydb-pg.*) rm -rf "$(dirname "$d")" ;; esac
  fi
}

# ---------------------------------------------------------------- MariaDB
my_datadir() { echo "$SVC_DIR/mariadb"; }
my_socket() {  # unix socket paths are limited to ~107 bytes
  local s="$SVC_DIR/mariadb.sock"
  if [ "${#s}" -gt 100 ]; then
    s="${TMPDIR:-/tmp}/polydb-mariadb-$(printf '%s' "$SVC_DIR" | md5sum | cut -c1-12).sock"
  fi
  echo "$s"
}
# The packaged client by its path: another `mariadb` earlier on PATH is not ours.
my_root() { /usr/bin/mariadb --no-defaults -S "$(my_socket)" -uroot "$@"; }
my_ready() { my_root -N -e 'select 1' >/dev/null 2>&1; }
my_setup_sql() {
  my_root <<'SQL'
CREATE DATABASE IF NOT EXISTS polydb;
CREATE USER IF NOT EXISTS 'polydb'@'127.0.0.1' IDENTIFIED BY 'polydb';
CREATE USER IF NOT EXISTS 'polydb'@'localhost' IDENTIFIED BY 'polydb';
ALTER USER 'polydb'@'127.0.0.1' IDENTIFIED BY 'polydb';
ALTER USER 'polydb'@'localhost' IDENTIFIED BY 'polydb';
GRANT ALL PRIVILEGES ON *.* TO 'polydb'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'polydb'@'localhost' WITH GRANT OPTION;
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'polydb'@'127.0.0.1';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'polydb'@'localhost';
FLUSH PRIVILEGES;
SQL
}
start_mariadb() {
  local d log pid; d="$(my_datadir)"; log="$(logfile mariadb)"
  [ -x /usr/sbin/mariadbd ] \
    || { err mariadb "mariadbd not found (run scripts/install-deps.sh)"; return 1; }
  if svc_alive mariadb && my_ready; then
    my_setup_sql >>"$log" 2>&1
    say mariadb "already running on 127.0.0.1:$MYSQL_PORT"; return 0
  fi
  if ! svc_alive mariadb; then
    if port_open "$MYSQL_PORT"; then err mariadb "port $MYSQL_PORT is already in use by another process"; return 1; fi
    rm -f "$(pidfile mariadb)" "$(my_socket)"
    if [ ! -d "$d/mysql" ]; then
      say mariadb "mariadb-install-db"
      rm -rf "$d"; mkdir -p "$d"
      if ! /usr/bin/mariadb-install-db --no-defaults --datadir="$d" --user="$(id -un)" \
             --auth-root-authentication-method=normal --skip-test-db >>"$log" 2>&1; then
        err mariadb "mariadb-install-db failed"; log_tail mariadb; rm -rf "$d"; return 1
      fi
    fi
    say mariadb "starting on 127.0.0.1:$MYSQL_PORT"
    printf '=== start %s ===\n' "$(date '+%F %T')" >>"$log"
    local mariadbd=/usr/sbin/mariadbd
    setsid "$mariadbd" --no-defaults --datadir="$d" --socket="$(my_socket)" --port="$MYSQL_PORT" \
      --bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$(pidfile mariadb)" \
      --local-infile=1 --innodb-flush-log-at-trx-commit=0 --skip-name-resolve \
      --log-bin=mariadb-bin --binlog-format=ROW --server-id=1 \
      </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$(pidfile mariadb)"
  fi
  wait_ready mariadb my_ready || return 1
  if ! my_setup_sql >>"$log" 2>&1; then
    err mariadb "creating user/database polydb failed"; log_tail mariadb; return 1
  fi
  say mariadb "ready"
}

# ---------------------------------------------------------------- emulators
dynamodb_ready() { [ "$(http_code "http://127.0.0.1:$DYNAMODB_PORT/")" != 000 ]; }
cosmos_ready() { [ "$(http_code "https://127.0.0.1:$COSMOS_PORT/" -k)" != 000 ]; }
firestore_ready() {
  [ "$(curl --noproxy '*' -s --connect-timeout 1 --max-time 3 "http://127.0.0.1:$FIRESTORE_PORT/" 2>/dev/null)" = "Ok" ]
}
s3_ready() {
  # the bucket must exist: s3rver answers anonymous requests; 200 on the bucket listing
  [ "$(http_code "http://127.0.0.1:$S3_PORT/$S3_BUCKET")" = 200 ]
}
azure_ready() {
  grep -q "successfully listens" "$(logfile azure)" 2>/dev/null && port_open "$AZURE_PORT"
}

firestore_script() {  # the emulator's own start script, from the Google Cloud CLI
  local g sdk
  for sdk in "${POLYDB_GCLOUD_SDK_ROOT:-}" \
             "$( g="$(command -v gcloud 2>/dev/null)" && dirname "$(dirname "$(readlink -f "$g")")")" \
             /usr/lib/google-cloud-sdk /usr/share/google-cloud-sdk /opt/google-cloud-sdk; do
    [ -n "$sdk" ] && [ -x "$sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator" ] \
      && { echo "$sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"; return 0; }
  done
  return 1
}
java_for_firestore() {  # prefer a Java >= 17
  local j m
  for j in "${JAVA:-}" "$(command -v java 2>/dev/null)" /usr/lib/jvm/java-21-openjdk-amd64/bin/java \
           /usr/lib/jvm/java-17-openjdk-amd64/bin/java; do
    [ -n "$j" ] && [ -x "$j" ] || continue
    m="$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
    [ -n "$m" ] && [ "$m" -ge 17 ] && { echo "$j"; return 0; }
  done
  return 1
}

# launch_emulator SERVICE CMD... : start CMD in its own session/process group
launch_emulator() {
  local svc="$1"; shift
  local log; log="$(logfile "$svc")"
  printf '=== start %s ===\n' "$(date '+%F %T')" >>"$log"
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo "$!" >"$(pidfile "$svc")"
}

start_emulator() {
  local svc="$1" port; port="$(port_of "$svc")"
  if svc_alive "$svc" && "${svc}_ready"; then
    say "$svc" "already running on 127.0.0.1:$port"; return 0
  fi
  if ! svc_alive "$svc"; then
    rm -f "$(pidfile "$svc")"
    if port_open "$port"; then err "$svc" "port $port is already in use by another process"; return 1; fi
    case "$svc" in
      dynamodb|cosmos|s3|azure)
        local bin
        case "$svc" in
          dynamodb) bin=dynalite ;; cosmos) bin=cosmosdb-server ;; s3) bin=s3rver ;; azure) bin=azurite-blob ;;
        esac
        [ -x "$EMU_BIN/$bin" ] || { err "$svc" "$EMU_BIN/$bin not found (run scripts/install-deps.sh)"; return 1; }
        ;;
    esac
    say "$svc" "starting on 127.0.0.1:$port"
    case "$svc" in
      dynamodb)
        # Through tools/emulators/dynalite-server.js: dynalite itself dies when a
        # client drops a request half-way (the fault-injection tests do).
        launch_emulator dynamodb /usr/bin/node "$ROOT/tools/emulators/dynalite-server.js" \
          --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 ;;
      cosmos)
        launch_emulator cosmos "$EMU_BIN/cosmosdb-server" -p "$port" --host 127.0.0.1 ;;
      s3)
        mkdir -p "$SVC_DIR/s3"
        launch_emulator s3 "$EMU_BIN/s3rver" -d "$SVC_DIR/s3" -a 127.0.0.1 -p "$port" \
          --configure-bucket "$S3_BUCKET" ;;
      azure)
        mkdir -p "$SVC_DIR/azurite"
        : >"$(logfile azure)"   # readiness looks for this run's "successfully listens"
        launch_emulator azure "$EMU_BIN/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
          --location "$SVC_DIR/azurite" --skipApiVersionCheck --disableTelemetry ;;
      firestore)
        local script java
        java="$(java_for_firestore)" || { err firestore "no Java >= 17 found (run scripts/install-deps.sh)"; return 1; }
        if [ "${POLYDB_FIRESTORE_VIA_GCLOUD:-0}" != 1 ] && script="$(firestore_script)"; then
          # The emulator's own start script, as `gcloud emulators firestore start` runs it,
          # without gcloud itself (which probes the GCE metadata server on start).
          JAVA="$java" launch_emulator firestore "$script" start --host=127.0.0.1 --port="$port" \
            --database-mode=firestore-native
        elif command -v gcloud >/dev/null 2>&1; then
          mkdir -p "$SVC_DIR/gcloud-config"
          printf 'False' >"$SVC_DIR/gcloud-config/gce"   # never probe the metadata server
          CLOUDSDK_CONFIG="$SVC_DIR/gcloud-config" CLOUDSDK_CORE_DISABLE_PROMPTS=1 \
          CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1 CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true \
          CLOUDSDK_METRICS_ENVIRONMENT=polydb CLOUDSDK_CORE_PROJECT=polydb-test GCE_METADATA_HOST=127.0.0.1:9 \
          CLOUDSDK_EMULATOR_FIRESTORE_HOST_PORT="127.0.0.1:$port" JAVA="$java" \
            launch_emulator firestore gcloud emulators firestore start --host-port="127.0.0.1:$port"
        else
          err firestore "Cloud Firestore emulator not found (google-cloud-cli-firestore-emulator; run scripts/install-deps.sh)"
          return 1
        fi ;;
    esac
  fi
  wait_ready "$svc" "${svc}_ready" || return 1
  say "$svc" "ready"
}

# wait_ready SERVICE CHECK : wait until CHECK succeeds; fail early if the process died
wait_ready() {
  local svc="$1" check="$2" limit start
  limit="$(timeout_of "$svc")"; start=$SECONDS
  while ! "$check"; do
    if ! svc_alive "$svc"; then
      err "$svc" "exited during start-up"; log_tail "$svc"; stop_one "$svc" >/dev/null 2>&1; return 1
    fi
    if (( SECONDS - start >= limit )); then
      err "$svc" "not ready on 127.0.0.1:$(port_of "$svc") after ${limit}s"; log_tail "$svc"
      stop_one "$svc" >/dev/null 2>&1; return 1
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- stopping
group_alive() { [ -n "$(ps -o pid= -g "$1" 2>/dev/null)" ]; }
# kill_tree PID USE_GROUP : SIGTERM (the group when PID leads one), wait, then SIGKILL
kill_tree() {
  local pid="$1" group="$2" i
  if [ "$group" = 1 ] && [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do group_alive "$pid" || return 0; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null
    for ((i = 0; i < 25; i++)); do group_alive "$pid" || return 0; sleep 0.2; done
  else
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
    for ((i = 0; i < 25; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  fi
  return 1
}
stop_one() {
  local svc="$1" pid
  case "$svc" in
    postgres) stop_postgres ;;
    *)
      if pid="$(read_pid "$svc")" && pid_alive "$pid" "$(pattern_of "$svc")"; then
        # mariadbd: SIGTERM is a clean shutdown; the emulators: their whole process group
        kill_tree "$pid" 1 || err "$svc" "process $pid did not exit"
      fi
      rm -f "$(pidfile "$svc")"
      [ "$svc" = mariadb ] && rm -f "$(my_socket)"
      ;;
  esac
  return 0
}

# ---------------------------------------------------------------- commands
env_line() {
  case "$1" in
    postgres)  echo "POLYDB_TEST_POSTGRES_URL='postgresql://polydb:polydb@127.0.0.1:$PG_PORT/polydb'" ;;
    mariadb)   echo "POLYDB_TEST_MYSQL_URL='mysql://polydb:polydb@127.0.0.1:$MYSQL_PORT/polydb'" ;;
    dynamodb)  echo "POLYDB_TEST_DYNAMODB_URL='dynamodb://us-east-1?endpoint=http://127.0.0.1:$DYNAMODB_PORT'" ;;
    cosmos)    echo "POLYDB_TEST_COSMOS_URL='cosmos://127.0.0.1:$COSMOS_PORT/polydb?endpoint=https://127.0.0.1:$COSMOS_PORT&insecure-skip-tls-verify=true'" ;;
    firestore) echo "POLYDB_TEST_FIRESTORE_URL='firestore://polydb-test/(default)?emulator=127.0.0.1:$FIRESTORE_PORT'" ;;
    s3)        echo "POLYDB_TEST_S3_URL='s3://$S3_BUCKET?endpoint=http://127.0.0.1:$S3_PORT&region=us-east-1'" ;;
    azure)     echo "POLYDB_TEST_AZURE_URL='azblob://devstoreaccount1/polydb-test?endpoint=http://127.0.0.1:$AZURE_PORT/devstoreaccount1'" ;;
  esac
}
is_ready() {
  case "$1" in
    postgres) pg_ready ;; mariadb) my_ready ;; *) "${1}_ready" ;;
  esac
}
status_one() {
  local svc="$1" port pid=""; port="$(port_of "$svc")"
  local alive=1
  if [ "$svc" = postgres ]; then
    local d; d="$(pg_datadir)" && pg_running "$d" && alive=0
    [ "$alive" = 0 ] && pg_write_pid "$d"
  else
    svc_alive "$svc" && alive=0
  fi
  pid="$(read_pid "$svc" 2>/dev/null || true)"
  if [ "$alive" = 0 ]; then
    if is_ready "$svc"; then
      printf '%-10s running  127.0.0.1:%s (pid %s)\n' "$svc" "$port" "$pid"; return 0
    fi
    printf '%-10s running  127.0.0.1:%s (pid %s, NOT ready)\n' "$svc" "$port" "$pid"; return 1
  fi
  printf '%-10s stopped  127.0.0.1:%s\n' "$svc" "$port"; return 1
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"; [ $# -gt 0 ] && shift
  local services=("$@") s
  [ ${#services[@]} -eq 0 ] && services=("${ALL_SERVICES[@]}")
  for s in "${services[@]}"; do
    case " ${ALL_SERVICES[*]} " in *" $s "*) ;; *) echo "unknown service: $s (known: ${ALL_SERVICES[*]})" >&2; exit 2 ;; esac
  done
  case "$cmd" in
    start)
      for s in "${services[@]}"; do
        case "$(port_of "$s")" in
          ''|*[!0-9]*) echo "invalid port for $s: '$(port_of "$s")'" >&2; exit 2 ;;
        esac
        if [ "$(port_of "$s")" -lt 1 ] || [ "$(port_of "$s")" -gt 65535 ]; then
          echo "invalid port for $s: $(port_of "$s")" >&2; exit 2
        fi
      done
      mkdir -p "$SVC_DIR" || exit 1
      local pids=() rc=0 i t0=$SECONDS
      # all services start in parallel; each one's messages go to a file shown afterwards
      for s in "${services[@]}"; do
        (
          case "$s" in
            postgres) start_postgres ;; mariadb) start_mariadb ;; *) start_emulator "$s" ;;
          esac && port_of "$s" >"$SVC_DIR/$s.port"
        ) >"$SVC_DIR/.start-$s.out" 2>&1 &
        pids+=("$!")
      done
      for i in "${!services[@]}"; do
        s="${services[$i]}"
        wait "${pids[$i]}" || rc=1
        cat "$SVC_DIR/.start-$s.out"; rm -f "$SVC_DIR/.start-$s.out"
      done
      if [ "$rc" -ne 0 ]; then
        echo "services: start FAILED (see above); stop them with: scripts/services.sh stop" >&2
        exit 1
      fi
      echo "services: all ready in $((SECONDS - t0))s (${services[*]})"
      ;;
    stop)
      [ -d "$SVC_DIR" ] || exit 0
      local pids=()
      for s in "${services[@]}"; do stop_one "$s" & pids+=("$!"); done
      for i in "${pids[@]}"; do wait "$i"; done
      for s in "${services[@]}"; do rm -f "$SVC_DIR/$s.port"; done
      echo "services: stopped (${services[*]})"
      exit 0
      ;;
    status)
      local rc=0
      for s in "${services[@]}"; do status_one "$s" || rc=3; done
      exit "$rc"
      ;;
    env)
      for s in "${services[@]}"; do env_line "$s"; done
      ;;
    clean)
      "${BASH_SOURCE[0]}" stop >/dev/null
      clean_postgres
      rm -rf "$SVC_DIR"
      echo "services: cleaned $SVC_DIR"
      ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
