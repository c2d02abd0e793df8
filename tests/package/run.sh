#!/usr/bin/env bash
# The installed polydb works from a downstream project (ctest: package_downstream).
#   run.sh <polydb build dir> <this folder> <C++ compiler> [cmake]
# 1. cmake --install the build into a temporary prefix;
# 2. configure, build and run this folder's project against it (find_package);
# 3. compile, link and run the same main.cpp with pkg-config --static.
# A sanitized build's package carries its sanitizer link flags (INTERFACE link
# options of polydb::polydb_core, and polydb.pc's Libs): neither step passes any.
set -euo pipefail

build=$1
here=$(cd "$2" && pwd)
cxx=$3
cmake=${4:-cmake}
source_dir=$(cd "$here/../.." && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/polydb-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "package test: $*" >&2; exit 1; }

# Each step's output goes to a log, shown when the step fails.
step() {
  [[ -n ${POLYDB_PACKAGE_TIMING:-} ]] && echo "$(date +%T) $1" >&2
  local name=$1
  shift
  if ! "$@" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    fail "$name failed: $*"
  fi
}

step install "$cmake" --install "$build" --prefix "$prefix"

# The package must stand alone: no path into the source or build tree.
if grep -rlF -e "$source_dir" -e "$(cd "$build" && pwd)" "$prefix" --include='*.cmake' --include='*.pc'; then
  fail "the installed package above refers to the source or build tree"
fi
[[ -f $prefix/include/polydb/connection.hpp ]] || fail "include/polydb/connection.hpp not installed"

# 2. CMake: find_package(polydb CONFIG REQUIRED) + polydb::polydb, nothing else.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# -Wl,--strip-debug: the dev build's archives carry ~1 GB of debug info, and
# writing it into each test program is most of this test's time.
step configure "$cmake" -S "$here" -B "$work/build" "${generator[@]}" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--strip-debug \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
found=$(sed -n 's/^polydb_DIR:PATH=//p' "$work/build/CMakeCache.txt")
[[ $found == "$prefix"/* ]] || fail "find_package(polydb) found '$found', not the package in $prefix"
step build "$cmake" --build "$work/build"
"$work/build/downstream" || fail "the downstream program built with CMake failed"

# 3. pkg-config, as a Makefile user would.
pcdir=$(dirname "$(find "$prefix" -name polydb.pc -print -quit)")
[[ -f $pcdir/polydb.pc ]] || fail "polydb.pc not installed"
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --static --cflags --libs polydb) ||
  fail "pkg-config --static --cflags --libs polydb failed"
# shellcheck disable=SC2086 # the flags are words
step pkg-config-build "$cxx" -std=c++20 "$here/main.cpp" -o "$work/downstream-pc" $flags \
  -Wl,--strip-debug
"$work/downstream-pc" || fail "the downstream program built with pkg-config failed"
