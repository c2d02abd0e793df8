# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the sourcing script
# postgres_fdw + mysql_fdw, the anchor of the cross-database benchmarks
# (federated.sh, tpch.sh): sourced after lib.sh, pg_lib.sh and mysql_lib.sh, not run.
#
# url_with_db URL DB   the URL naming database DB instead of its own
# sql_literal VALUE    VALUE as a quoted SQL string literal
# pg_url_parts URL     sets pg_user, pg_password, pg_host, pg_port from a postgresql:// URL
# fdw_database URL     creates the scratch database of URL afresh (on the server of
#                      pg_url, which must be another database of the same server)
# fdw_servers PG_DB    prints the SQL that creates, in the scratch database, both
#                      wrappers' servers and user mappings: pg_server reads database
#                      PG_DB of the PostgreSQL server (pg_url_parts), my_server the
#                      MariaDB server of mysql_setup (my_host, my_port, my_user, my_password).
#
# What fdw_servers sets, and why (an expert's setup):
#   postgres_fdw server: use_remote_estimate (the planner asks the remote
#     server for row counts and costs of each pushed-down scan instead of
#     guessing: it picks the right join order and sees how selective the
#     pushed filters are); fetch_size 10000 (rows per FETCH from the remote
#     cursor; the default 100 costs a round trip every 100 rows).
#   mysql_fdw server: fetch_size 10000 (default 100); use_remote_estimate
#     left off: against MariaDB 10.11, mysql_fdw 2.8's remote estimate is
#     1 row for any scan (MariaDB's own EXPLAIN says ~all rows), and
#     PostgreSQL then plans nested loops that send one remote query per outer
#     row; off, it assumes 1000 rows and plans hash joins.
# The caller then imports the foreign tables (IMPORT FOREIGN SCHEMA: the
# remote column types) and ANALYZEs the postgres_fdw ones (local statistics
# for the join estimates; mysql_fdw cannot ANALYZE). postgres_fdw pushes joins
# of tables of one server, WHERE clauses, aggregates, ORDER BY and LIMIT;
# mysql_fdw pushes WHERE clauses and the columns needed (and, from 2.9, joins
# of one server); everything across the two servers is done by PostgreSQL.

url_with_db() {
  [[ "$1" =~ ^([^/]*//[^/?]*)(/[^?]*)?(\?.*)?$ ]] || die "cannot parse the URL $(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1")"
  echo "${BASH_REMATCH[1]}/$2${BASH_REMATCH[3]}"
}

sql_literal() { local v=${1//\'/\'\'}; printf "'%s'" "$v"; }

pg_url_parts() {
  local re='^postgres(ql)?://([^:@/]*)(:([^@/]*))?@([^:/?]*)(:([0-9]+))?/'
  [[ "$1" =~ $re ]] || die "the PostgreSQL URL is not postgresql://USER:PASSWORD@HOST:PORT/DB"
  pg_user=$(my_decode "${BASH_REMATCH[2]}") pg_password=$(my_decode "${BASH_REMATCH[4]}")
  pg_host=${BASH_REMATCH[5]} pg_port=${BASH_REMATCH[7]:-5432}
}

fdw_database() {
  local db=${1##*/}
  db=${db%%\?*}
  pg -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
}

fdw_servers() {
  cat <<SQL
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION mysql_fdw;
CREATE SERVER pg_server FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host $(sql_literal "$pg_host"), port $(sql_literal "$pg_port"),
           dbname $(sql_literal "$1"), use_remote_estimate 'true', fetch_size '10000');
CREATE USER MAPPING FOR CURRENT_USER SERVER pg_server
  OPTIONS (user $(sql_literal "$pg_user"), password $(sql_literal "$pg_password"));
CREATE SERVER my_server FOREIGN DATA WRAPPER mysql_fdw
  OPTIONS (host $(sql_literal "$my_host"), port $(sql_literal "$my_port"),
           fetch_size '10000');
CREATE USER MAPPING FOR CURRENT_USER SERVER my_server
  OPTIONS (username $(sql_literal "$my_user"), password $(sql_literal "$my_password"));
SQL
}
