#!/usr/bin/env bash
# Builds polydb with backends switched off (CMake options POLYDB_WITH_<BACKEND>)
# and checks each build: it compiles and links (libraries, polydb, every test
# binary), and each URL scheme of a left-out backend fails with an error
# naming its option.
# `make check-options`; not part of `make test` (minutes, not seconds).
#
#   scripts/check-options.sh [CONFIG...]
# CONFIG is "all-off" (every optional backend off at once) or the name of one
# backend to leave out (postgres, mysql, odbc, dynamodb, cosmos, firestore);
# default: all-off, then each backend alone.
#
# The builds share one directory, build/options, reconfigured per CONFIG; it
# uses the dev preset's flags (Debug + ASan/UBSan) so that ccache serves every
# object but registry.cpp. The all-off build also runs its unit tests and the
# downstream package test (a package without the left-out libraries).
set -euo pipefail
cd "$(dirname "$0")/.."

backends=(POSTGRES MYSQL ODBC DYNAMODB COSMOS FIRESTORE)
dir=build/options
dev_cli=build/dev/src/cli/polydb

if [[ $# -eq 0 ]]; then
  set -- all-off postgres mysql odbc dynamodb cosmos firestore
fi

# Every scheme of a full build, from the error of an unknown one ("supported: a://, b://").
[[ -x $dev_cli ]] || { echo "check-options: $dev_cli missing: run make build first" >&2; exit 1; }
all_schemes=$({ "$dev_cli" ping nosuch://x 2>&1 || true; } | sed -n 's/.*supported: \([^)]*\)).*/\1/p' |
  tr -d ' ' | tr ',' '\n' | sed 's,://$,,')
[[ -n $all_schemes ]] || { echo "check-options: cannot read the scheme list from $dev_cli" >&2; exit 1; }

failures=0
for config in "$@"; do
  flags=()
  for b in "${backends[@]}"; do
    lower=${b,,}
    if [[ $config == all-off || $config == "$lower" ]]; then
      flags+=("-DPOLYDB_WITH_$b=OFF")
    else
      flags+=("-DPOLYDB_WITH_$b=ON")
    fi
  done
  [[ $config == all-off || " ${backends[*],,} " == *" $config "* ]] ||
    { echo "check-options: unknown configuration '$config'" >&2; exit 2; }
  echo "== check-options: $config (${flags[*]})"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOLYDB_SANITIZE=ON \
    -DPOLYDB_BUILD_BENCH=OFF -DPOLYDB_BUILD_TESTS=ON "${flags[@]}" >/dev/null
  cmake --build "$dir"

  # Each scheme of a left-out backend: the error names the backend's option
  # (no connection is tried: the connector is not there). The schemes of the
  # backends built are what the dev build's tests open.
  cli=$dir/src/cli/polydb
  for scheme in $all_schemes; do
    case $scheme in
      sqlite*) continue ;;
      postgresql | postgres) owner=postgres ;;
      mysql | mariadb) owner=mysql ;;
      odbc | sqlserver | mssql) owner=odbc ;;
      *) owner=$scheme ;;
    esac
    [[ $config == all-off || $config == "$owner" ]] || continue
    out=$("$cli" ping "$scheme://u@h/db" 2>&1 || true)
    if [[ $out != *"POLYDB_WITH_${owner^^}=ON"* ]]; then
      echo "FAIL $config: $scheme:// does not name POLYDB_WITH_${owner^^}: $out"
      failures=$((failures + 1))
    else
      echo "   $scheme:// -> $out"
    fi
  done

  if [[ $config == all-off ]]; then
    ctest --test-dir "$dir" -L unit -j 2 --output-on-failure -Q || failures=$((failures + 1))
    ctest --test-dir "$dir" -R '^package_downstream$' --output-on-failure ||
      failures=$((failures + 1))
  fi
done

if [[ $failures -ne 0 ]]; then
  echo "check-options: $failures failure(s)" >&2
  exit 1
fi
echo "check-options: every configuration builds, and left-out backends name their option"
