#!/usr/bin/env bash
# SQLite -> DynamoDB (the emulator): `polydb copy` against the AWS CLI's
# batch-write-item and the AWS SDK for JavaScript v3, in the same run (part of
# `make bench`).
#
# Usage: bench/compare/dynamodb_load.sh [POLYDB_BINARY]
#   POLYDB_BINARY defaults to build/release/src/cli/polydb
#   POLYDB_TEST_DYNAMODB_URL  the emulator (required; this script starts nothing:
#                             scripts/services.sh start dynamodb, then
#                             eval "$(scripts/services.sh env | sed 's/^/export /')")
#   POLYDB_BENCH_DYNAMODB_ITEMS=200000  items to load
#   POLYDB_BENCH_CLI_FILES=400          batch-write-item files the CLI loads (see below)
#   POLYDB_BENCH_DYNAMODB_PID           the emulator's process (default: the listener
#                                       on the endpoint's port)
#   POLYDB_BENCH_CONCURRENCY=4          BatchWriteItem calls in flight, polydb and Node alike
#
# The source is a SQLite table of ITEMS rows and 10 mixed columns (integer key,
# integer, real, two texts, decimal, date, timestamp, boolean, text with ~10%
# NULLs: the values of sqlite_copy.sh). Each loader writes the same items into
# a fresh table (names carry the process id) keyed by `id`:
#   polydb: polydb -q copy sqlite:///SRC bench_copy DYNAMO_URL&write-concurrency=C TABLE
#           --mode create (C BatchWriteItem calls of 25 in flight, on C
#           connections; SQLite read on another thread)
#   node:   bench/compare/dynamodb_batch_write.cjs, @aws-sdk/client-dynamodb
#           BatchWriteItem of 25 with the same concurrency C, reading pre-built
#           DynamoDB-JSON items (converting the rows is not timed for it, so it
#           is the conservative comparison)
#   aws:    the usual shell way: files of 25 PutRequests, one
#           `aws dynamodb batch-write-item --request-items file://F` per file.
#           8000 CLI processes would take over an hour here, so only the first
#           POLYDB_BENCH_CLI_FILES files are timed and the rate extrapolated to
#           ITEMS (printed as such).
# Reported: wall time and items/s of each, the ratios, polydb's client CPU (user +
# system of the polydb process) per item, its peak RSS, and the emulator's CPU
# seconds over each interval (from /proc/PID/stat): when the emulator is busy
# for most of the wall time, it is the bottleneck, not the client.
# Verified: the item count of every table, and items 1, ITEMS/2 and ITEMS read
# back with `aws dynamodb get-item` are equal across polydb's and Node's tables
# (numbers compared by value). The tables and files (build/bench/dynamodb_load/)
# are removed at the end, whatever happens.
set -euo pipefail

bench=dynamodb_load.sh
# shellcheck source=bench/compare/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/compare/dynamodb_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/dynamodb_lib.sh"
bench_init "${1:-}"
dynamo_setup
command -v node >/dev/null || die "node is missing (scripts/install-deps.sh installs it)"
export NODE_PATH="$root/tools/emulators/node_modules" NODE_NO_WARNINGS=1
node -e "require('@aws-sdk/client-dynamodb')" 2>/dev/null ||
  die "@aws-sdk/client-dynamodb is missing: run npm ci in tools/emulators (scripts/install-deps.sh does)"
cli_files=${POLYDB_BENCH_CLI_FILES:-400}
concurrency=${POLYDB_BENCH_CONCURRENCY:-4}
[[ "$concurrency" =~ ^[1-9][0-9]*$ ]] || die "POLYDB_BENCH_CONCURRENCY holds '$concurrency', not a count"
case "$url" in
  *\?*) write_url="$url&write-concurrency=$concurrency" ;;
  *) write_url="$url?write-concurrency=$concurrency" ;;
esac
((cli_files * 25 <= items)) || cli_files=$(((items + 24) / 25))

dir="$root/build/bench/dynamodb_load"
src="$dir/source.db"
t_polydb="bench_load_$$_polydb" t_node="bench_load_$$_node" t_cli="bench_load_$$_cli"
mkdir -p "$dir"
cleanup() {
  drop_tables "$t_polydb" "$t_node" "$t_cli"
  rm -rf "$dir"
}
trap cleanup EXIT

# timed_with_emulator NAME COMMAND...: timed, plus the emulator's CPU seconds
# over the same interval in $dir/NAME.emu.
timed_with_emulator() {
  local name=$1 before after
  shift
  before=$(emulator_cpu)
  timed "$dir/$name" "$@"
  after=$(emulator_cpu)
  awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f\n", b - a }' >"$dir/$name.emu"
}

print_header "aws:     $("$awscli" --version 2>&1 | head -n 1)" \
  "node:    $(node --version), @aws-sdk/client-dynamodb $(node -p "require('@aws-sdk/client-dynamodb/package.json').version")" \
  "server:  dynalite (pid $emulator_pid) at $endpoint"

echo "generating $items rows and their DynamoDB items ..." >&2
sqlite_source "$src" "$items"
python3 "$root/bench/compare/dynamodb_items.py" "$src" ndjson "$dir/items.ndjson"
python3 "$root/bench/compare/dynamodb_items.py" "$src" requests "$dir/requests" "$t_cli" "$cli_files"

echo "loading $items items with polydb ..." >&2
timed_with_emulator polydb "$polydb" -q copy "sqlite://$src" bench_copy "$write_url" "$t_polydb" \
  --mode create --key id
echo "loading $items items with the Node SDK ..." >&2
create_id_table "$t_node"
timed_with_emulator node node "$root/bench/compare/dynamodb_batch_write.cjs" \
  "$endpoint" "$region" "$t_node" "$dir/items.ndjson" "$concurrency"
echo "loading $((cli_files * 25)) items with $cli_files aws batch-write-item calls ..." >&2
create_id_table "$t_cli"
# shellcheck disable=SC2016  # expanded by the inner shell
timed_with_emulator cli bash -c 'set -euo pipefail
  for f in "$3"/*.json; do
    "$1" --endpoint-url "$2" dynamodb batch-write-item --request-items "file://$f" >/dev/null
  done' _ "$awscli" "$endpoint" "$dir/requests"

echo "verifying ..." >&2
for t in "$t_polydb:$items" "$t_node:$items" "$t_cli:$((cli_files * 25))"; do
  got=$(item_count "${t%%:*}")
  [[ "$got" == "${t##*:}" ]] || die "VERIFICATION FAILED: table ${t%%:*} holds $got items, not ${t##*:}"
done
for id in 1 $((items / 2)) "$items"; do
  a=$(aws_dynamodb get-item --table-name "$t_polydb" --key "{\"id\":{\"N\":\"$id\"}}" --output json)
  b=$(aws_dynamodb get-item --table-name "$t_node" --key "{\"id\":{\"N\":\"$id\"}}" --output json)
  python3 - "$a" "$b" <<'PY' || die "VERIFICATION FAILED: item $id differs between polydb and the Node SDK"
import json, sys
from decimal import Decimal
def norm(av):
    (kind, v), = av.items()
    return (kind, Decimal(v)) if kind == "N" else (kind, v)
a, b = (json.loads(x)["Item"] for x in sys.argv[1:3])
sys.exit(0 if {k: norm(v) for k, v in a.items()} == {k: norm(v) for k, v in b.items()} else 1)
PY
done
echo "verified: item counts, and items 1, $((items / 2)), $items equal between polydb and Node" >&2

read -r p_s p_kib p_cpu <"$dir/polydb"
read -r n_s _ n_cpu <"$dir/node"
read -r c_s _ c_cpu <"$dir/cli"
p_emu=$(<"$dir/polydb.emu") n_emu=$(<"$dir/node.emu") c_emu=$(<"$dir/cli.emu")
echo
echo "concurrency: $concurrency BatchWriteItem calls in flight for polydb and Node; the CLI runs one at a time"
awk -v n="$items" -v cn="$((cli_files * 25))" -v cf="$cli_files" \
  -v ps="$p_s" -v pk="$p_kib" -v pc="$p_cpu" -v pe="$p_emu" \
  -v ns="$n_s" -v nc="$n_cpu" -v ne="$n_emu" -v cs="$c_s" -v cc="$c_cpu" -v ce="$c_emu" 'BEGIN {
  printf "%-22s %9s %9s %10s %9s %11s %9s\n", "loader", "items", "wall s", "items/s", "cpu s", "emulator s", "emu busy"
  printf "%-22s %9d %9.2f %10.0f %9.2f %11.2f %8.0f%%\n", "polydb copy", n, ps, n / ps, pc, pe, 100 * pe / ps
  printf "%-22s %9d %9.2f %10.0f %9.2f %11.2f %8.0f%%\n", "node sdk", n, ns, n / ns, nc, ne, 100 * ne / ns
  printf "%-22s %9d %9.2f %10.0f %9.2f %11.2f %8.0f%%\n", "aws cli (sample)", cn, cs, cn / cs, cc, ce, 100 * ce / cs
  printf "%-22s %9d %9.2f %10s   (extrapolated from %d of %d files)\n", "aws cli (all, est.)", n, cs * n / cn, "", cf, (n + 24) / 25
  printf "\npolydb / node sdk: %.2fx items/s   (goal >= 1)\n", (n / ps) / (n / ns)
  printf "polydb / aws cli:  %.1fx items/s   (goal >= 5)\n", (n / ps) / (cn / cs)
  printf "polydb client CPU: %.1f us/item (user+sys %.2f s for %d items); wall %.1f us/item\n", 1e6 * pc / n, pc, n, 1e6 * ps / n
  printf "polydb peak RSS:   %.1f MB (goal <= 256 MB)\n", pk / 1024
  printf "emulator CPU while polydb loaded: %.2f s of %.2f s wall (%.0f%%): ", pe, ps, 100 * pe / ps
  if (pe / ps > 0.8) print "the emulator (single-threaded) is the bottleneck"; else print "the emulator is not saturated"
}'
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
