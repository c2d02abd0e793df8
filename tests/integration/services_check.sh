#!/usr/bin/env bash
# Smoke-check that each local test service really works, with its own client.
#
#   eval "$(scripts/services.sh env | sed 's/^/export /')"
#   tests/integration/services_check.sh
#
# Reads the POLYDB_TEST_*_URL variables printed by `scripts/services.sh env`. Prints
# `PASS <service>` or `FAIL <service>: <why>` per service, then `N passed, N failed`;
# exits 1 if any check failed (a missing variable is a failure).
set -uo pipefail

# Every request goes to 127.0.0.1: never through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
CURL=(curl --noproxy '*' -sS --connect-timeout 3 --max-time 10)

# Each client by its Debian package's path (scripts/install-deps.sh installs
# them): another `aws` or `psql` may come first on PATH.
AWS=/usr/bin/aws
PSQL=/usr/lib/postgresql/15/bin/psql
MARIADB=/usr/bin/mariadb
ISQL=/usr/bin/isql
export AWS_PAGER="" AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

PASSED=0
FAILED=0
pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
oneline() { tr '\n' ' ' | sed 's/  */ /g; s/ $//' | cut -c1-300; }

# url VAR: the variable's value, or empty
url() { printf '%s' "${!1:-}"; }
# query parameter: param URL NAME
param() { printf '%s' "$1" | sed -n "s/.*[?&]$2=\([^&]*\).*/\1/p"; }
# host:port after scheme://[user:pass@]
hostport() { printf '%s' "$1" | sed -n 's#^[a-z0-9]*://\([^@/]*@\)\{0,1\}\([^/?]*\).*#\2#p'; }

check_postgres() {
  local u; u="$(url POLYDB_TEST_POSTGRES_URL)"
  [ -n "$u" ] || { fail postgres "POLYDB_TEST_POSTGRES_URL is not set"; return; }
  [ -x "$PSQL" ] || { fail postgres "$PSQL not found (Debian package postgresql-client-15)"; return; }
  local hp host port out
  hp="$(hostport "$u")"; host="${hp%:*}"; port="${hp##*:}"
  # password (SCRAM) over TCP: no socket, no ~/.pgpass
  out="$(PGPASSWORD=polydb PGPASSFILE=/dev/null PGSSLMODE=disable PGCONNECT_TIMEOUT=5 \
         "$PSQL" -X -w -At -h "$host" -p "$port" -U polydb -d polydb \
              -c 'select 1' -c "select rolsuper and rolreplication from pg_roles where rolname = current_user" 2>&1)"
  if [ "$out" = $'1\nt' ]; then pass postgres; else fail postgres "$(printf '%s' "$out" | oneline)"; fi
}

check_mariadb() {
  local u; u="$(url POLYDB_TEST_MYSQL_URL)"
  [ -n "$u" ] || { fail mariadb "POLYDB_TEST_MYSQL_URL is not set"; return; }
  local client="$MARIADB"
  [ -x "$client" ] || { fail mariadb "$MARIADB not found (Debian package mariadb-client)"; return; }
  local hp host port out
  hp="$(hostport "$u")"; host="${hp%:*}"; port="${hp##*:}"
  out="$("$client" --no-defaults --protocol=TCP -h "$host" -P "$port" -upolydb -ppolydb \
         --connect-timeout=5 -N -B polydb -e 'select 1; SELECT @@local_infile' 2>&1)"
  if [ "$out" = $'1\n1' ]; then pass mariadb; else fail mariadb "expected 1 and @@local_infile=1, got: $(printf '%s' "$out" | oneline)"; fi
}

check_dynamodb() {
  local u ep out; u="$(url POLYDB_TEST_DYNAMODB_URL)"
  [ -n "$u" ] || { fail dynamodb "POLYDB_TEST_DYNAMODB_URL is not set"; return; }
  ep="$(param "$u" endpoint)"
  [ -x "$AWS" ] || { fail dynamodb "$AWS not found (Debian package awscli)"; return; }
  if out="$(AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
            "$AWS" --endpoint-url "$ep" --output json dynamodb list-tables 2>&1)" \
     && printf '%s' "$out" | grep -q '"TableNames"'; then
    pass dynamodb
  else
    fail dynamodb "aws dynamodb list-tables at $ep: $(printf '%s' "$out" | oneline)"
  fi
}

check_cosmos() {
  local u ep out; u="$(url POLYDB_TEST_COSMOS_URL)"
  [ -n "$u" ] || { fail cosmos "POLYDB_TEST_COSMOS_URL is not set"; return; }
  ep="$(param "$u" endpoint)"
  # self-signed, expired certificate: verification is off (insecure-skip-tls-verify=true in the URL)
  out="$("${CURL[@]}" -k "$ep/" 2>&1)"
  printf '%s' "$out" | grep -q '"_dbs"' \
    || { fail cosmos "GET $ep/ did not return the account document: $(printf '%s' "$out" | oneline)"; return; }
  out="$("${CURL[@]}" -k "$ep/dbs" 2>&1)"
  if printf '%s' "$out" | grep -q '"Databases"'; then pass cosmos
  else fail cosmos "GET $ep/dbs did not list databases: $(printf '%s' "$out" | oneline)"; fi
}

check_firestore() {
  local u host out; u="$(url POLYDB_TEST_FIRESTORE_URL)"
  [ -n "$u" ] || { fail firestore "POLYDB_TEST_FIRESTORE_URL is not set"; return; }
  host="$(param "$u" emulator)"
  out="$("${CURL[@]}" "http://$host/" 2>&1)"
  [ "$out" = "Ok" ] || { fail firestore "GET http://$host/ answered '$(printf '%s' "$out" | oneline)', not 'Ok'"; return; }
  # a real REST round trip: list documents of an (empty) collection
  out="$("${CURL[@]}" -w '\n%{http_code}' "http://$host/v1/projects/polydb-test/databases/(default)/documents/services_check" 2>&1)"
  if [ "$(printf '%s' "$out" | tail -n1)" = 200 ]; then pass firestore
  else fail firestore "REST list documents failed: $(printf '%s' "$out" | oneline)"; fi
}

check_s3() {
  local u ep bucket out; u="$(url POLYDB_TEST_S3_URL)"
  [ -n "$u" ] || { fail s3 "POLYDB_TEST_S3_URL is not set"; return; }
  ep="$(param "$u" endpoint)"
  bucket="$(printf '%s' "$u" | sed -n 's#^s3://\([^/?]*\).*#\1#p')"
  [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$ep/" 2>/dev/null)" != 000 ] \
    || { fail s3 "no HTTP answer from $ep/"; return; }
  [ -x "$AWS" ] || { fail s3 "$AWS not found (Debian package awscli)"; return; }
  if out="$(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
            "$AWS" --endpoint-url "$ep" s3 ls "s3://$bucket" 2>&1)"; then
    pass s3
  else
    fail s3 "aws s3 ls s3://$bucket at $ep: $(printf '%s' "$out" | oneline)"
  fi
}

check_azure() {
  local u ep code; u="$(url POLYDB_TEST_AZURE_URL)"
  [ -n "$u" ] || { fail azure "POLYDB_TEST_AZURE_URL is not set"; return; }
  ep="$(param "$u" endpoint)"
  # unauthenticated: any HTTP answer (Azurite says 4xx) shows the blob service is up
  code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$ep?comp=list" 2>/dev/null)"
  if [ -n "$code" ] && [ "$code" != 000 ]; then pass azure
  else fail azure "no HTTP answer from $ep"; fi
}

# ODBC: unixODBC's isql through psqlODBC and MariaDB Connector/ODBC to the
# servers above; FreeTDS registered (no SQL Server runs here).
check_odbc() {
  [ -x "$ISQL" ] || { fail odbc "$ISQL not found (Debian package unixodbc)"; return; }
  local pg my out
  pg="$(hostport "$(url POLYDB_TEST_POSTGRES_URL)")"; my="$(hostport "$(url POLYDB_TEST_MYSQL_URL)")"
  [ -n "$pg" ] && [ -n "$my" ] || { fail odbc "POLYDB_TEST_POSTGRES_URL / POLYDB_TEST_MYSQL_URL not set"; return; }
  out="$(echo 'select 1' | "$ISQL" -b -k "Driver={PostgreSQL Unicode};Server=${pg%:*};Port=${pg##*:};Database=polydb;Uid=polydb;Pwd=polydb" 2>&1 &&
         echo 'select 1' | "$ISQL" -b -k "Driver={MariaDB Unicode};Server=${my%:*};Port=${my##*:};Database=polydb;User=polydb;Password=polydb" 2>&1)"
  if [ "$(printf '%s' "$out" | grep -c '^1 rows fetched')" = 2 ] && /usr/bin/odbcinst -q -d 2>/dev/null | grep -qx '\[FreeTDS\]'; then
    pass odbc
  else
    fail odbc "isql through psqlODBC and MariaDB Connector/ODBC, FreeTDS registered: $(printf '%s' "$out" | oneline)"
  fi
}

check_postgres
check_mariadb
check_odbc
check_dynamodb
check_cosmos
check_firestore
check_s3
check_azure

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
