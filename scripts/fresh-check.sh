#!/usr/bin/env bash
# A newcomer's first steps, checked on this machine before a user meets them:
# clones the repository's committed HEAD into a temporary folder with a copy of
# ../shared beside it (as CI lays it out), and runs the README's two commands
# there (`make run`, then `make test`) with PATH reduced to the system's own
# directories and a minimal environment. A tool that only works because you
# installed it by hand, or because another version sits earlier on your PATH
# (an `aws` in ~/.local/bin or a pyenv shim), fails here first.
#
#   scripts/fresh-check.sh [--keep] [--ref REV] [--decoys] [-- CTEST-ARGS...]
#
#   --keep     keep the temporary folder (its path is printed)
#   --decoys   put another `aws`, `psql`, `mariadb`, `mysql` and `sqlite3` first on
#              PATH (each says it is a decoy and fails): the machine of a user
#              who installed other versions; every test must call the packaged
#              tool by its path
#   --ref REV  check REV instead of HEAD (committed work only: uncommitted
#              changes are never part of a fresh clone)
#   CTEST-ARGS go to ctest through `make test CTEST_ARGS=...`, e.g.
#              `-- --schedule-random` or `-- --repeat until-fail:3`
#
# The services run on their own ports (the defaults + 1), so a running
# development set on the default ports is left alone. The ccache in $HOME is
# shared, as on a developer's machine that built before.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KEEP=0
REF=HEAD
DECOYS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; shift ;;
    --ref) REF="$2"; shift 2 ;;
    --decoys) DECOYS=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "fresh-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/polydb-fresh.XXXXXX")"
cleanup() {
  if [ "$KEEP" = 1 ]; then
    echo "fresh-check: kept $WORK"
  else
    # Stop whatever the clone's services left running before removing it.
    [ -x "$WORK/polydb/scripts/services.sh" ] && "$WORK/polydb/scripts/services.sh" stop >/dev/null 2>&1
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

echo "fresh-check: cloning $(git -C "$ROOT" rev-parse --short "$REF") into $WORK/polydb"
git clone -q --no-hardlinks "$ROOT" "$WORK/polydb"
git -C "$WORK/polydb" checkout -q "$(git -C "$ROOT" rev-parse "$REF")"
if [ -d "$ROOT/../shared" ]; then
  cp -a "$ROOT/../shared" "$WORK/shared"
  chmod -R a-w "$WORK/shared"   # read-only, as CI lays it out
else
  echo "fresh-check: WARNING: no ../shared beside the checkout; tests that read it will fail" >&2
fi

SYSTEM_PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ "$DECOYS" = 1 ]; then
  mkdir -p "$WORK/decoys"
  for tool in aws psql mariadb mysql sqlite3; do
    printf '#!/bin/sh\necho "decoy %s 99.9 (not the packaged one): $*" >&2\nexit 3\n' "$tool" \
      >"$WORK/decoys/$tool"
    chmod +x "$WORK/decoys/$tool"
  done
  SYSTEM_PATH="$WORK/decoys:$SYSTEM_PATH"
fi
run_clean() {
  env -i HOME="$HOME" USER="${USER:-root}" LANG=C.UTF-8 TERM=dumb PATH="$SYSTEM_PATH" CI=true \
    POLYDB_PG_PORT=55433 POLYDB_MYSQL_PORT=53307 POLYDB_DYNAMODB_PORT=58001 \
    POLYDB_COSMOS_PORT=58082 POLYDB_FIRESTORE_PORT=58083 POLYDB_S3_PORT=59001 \
    POLYDB_AZURE_PORT=50001 \
    bash -c 'cd "$1" && shift && "$@"' _ "$WORK/polydb" "$@"
}

start=$(date +%s)
echo "fresh-check: make run (PATH=$SYSTEM_PATH)"
run_clean make run
echo "fresh-check: make test"
run_clean make test CTEST_ARGS="$*"
echo "fresh-check: passed in $(( $(date +%s) - start )) s"
