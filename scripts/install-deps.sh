#!/usr/bin/env bash
# Install everything polydb needs to build and to run its integration tests.
#
#   scripts/install-deps.sh
#
# Idempotent and quick when everything is present:
#   1. asks dpkg-query which Debian packages are missing; only if some are, runs
#      `apt-get update` once and `apt-get install --no-install-recommends` for
#      exactly those (waiting for the dpkg lock if another apt/dpkg is running);
#   2. checks that the Firestore emulator (Google Cloud CLI component) is present;
#   3. runs `npm ci` in tools/emulators only when node_modules is missing or
#      package.json/package-lock.json changed since the last successful install.
#
# Must run as root (or with passwordless sudo) when packages are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMU_DIR="$ROOT/tools/emulators"
STAMP="$EMU_DIR/node_modules/.polydb-stamp"
LOCK_WAIT_SECONDS="${POLYDB_APT_LOCK_TIMEOUT:-900}"

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libpq-dev libmariadb-dev libcurl4-openssl-dev libssl-dev libzstd-dev
  unixodbc unixodbc-dev odbc-postgresql odbc-mariadb tdsodbc
  postgresql-15 postgresql-client-15 mariadb-server mariadb-client
  curl procps iproute2
  python3-botocore pgloader
  postgresql-15-mysql-fdw  # mysql_fdw for services.sh's PostgreSQL 15 (bench/compare/federated.sh)
  clang libclang-rt-14-dev  # libFuzzer for fuzz/ (make fuzz; a short run in make test)
)

# --- Node.js / npm: keep a Node >= 18 from another source (e.g. NodeSource),
# whose nodejs package already ships npm and conflicts with Debian's npm.
node_major() { node -e 'process.stdout.write(String(process.versions.node.split(".")[0]))' 2>/dev/null || echo 0; }
if command -v node >/dev/null 2>&1 && [ "$(node_major)" -ge 18 ]; then
  command -v npm >/dev/null 2>&1 || die "node $(node --version) is present but npm is not; install npm for that Node.js"
else
  PACKAGES+=(nodejs npm)
fi

# The tests' cross-checks run these tools by their packages' paths
# (tests/test_tools.hpp): Debian's AWS CLI at /usr/bin/aws whatever other
# `aws` may be on PATH, python3 with botocore, the PostgreSQL and MariaDB
# clients, unixODBC's isql, openssl.
PACKAGES+=(awscli python3 openssl)

# --- Java >= 17 for the Firestore emulator.
java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*".*/\1/p' | head -n1
}
JAVA_OK=0
if command -v java >/dev/null 2>&1; then
  jm="$(java_major)"; [ -n "$jm" ] && [ "$jm" -ge 17 ] && JAVA_OK=1
fi
[ "$JAVA_OK" = 1 ] || [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] || PACKAGES+=(openjdk-17-jre-headless)

# --- Which packages are missing? (one dpkg-query call)
missing_packages() {
  local installed
  installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null | awk '$2 == "ii" {print $1}' || true)"
  local p
  for p in "$@"; do
    grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

wait_for_apt_locks() {
  command -v fuser >/dev/null 2>&1 || return 0   # apt's own Lock::Timeout still applies
  local waited=0 said=0
  while fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1; do
    if [ "$said" = 0 ]; then say "waiting for another apt/dpkg to finish (up to ${LOCK_WAIT_SECONDS}s)"; said=1; fi
    [ "$waited" -ge "$LOCK_WAIT_SECONDS" ] && die "apt/dpkg lock still held after ${LOCK_WAIT_SECONDS}s"
    sleep 2; waited=$((waited + 2))
  done
}

APT_OPTS=(-o "DPkg::Lock::Timeout=$LOCK_WAIT_SECONDS" -o Dpkg::Use-Pty=0)
APT_UPDATED=0
apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  wait_for_apt_locks
  say "apt-get update"
  local log; log="$(mktemp)"
  if ! $SUDO apt-get "${APT_OPTS[@]}" update >"$log" 2>&1; then
    tail -n 20 "$log" >&2; rm -f "$log"; die "apt-get update failed"
  fi
  rm -f "$log"; APT_UPDATED=1
}
apt_install() {   # apt_install PKG... ; returns apt-get's status, prints its tail on failure
  wait_for_apt_locks
  local log rc=0; log="$(mktemp)"
  DEBIAN_FRONTEND=noninteractive $SUDO env DEBIAN_FRONTEND=noninteractive \
    apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "$@" >"$log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || tail -n 20 "$log" >&2
  rm -f "$log"; return "$rc"
}

mapfile -t MISSING < <(missing_packages "${PACKAGES[@]}")
if [ "${#MISSING[@]}" -eq 0 ]; then
  say "Debian packages: all ${#PACKAGES[@]} present"
else
  [ -z "$SUDO" ] && [ "$(id -u)" -ne 0 ] && die "missing packages (${MISSING[*]}) and not root"
  apt_update_once
  say "apt-get install ${MISSING[*]}"
  apt_install "${MISSING[@]}" || die "apt-get install failed for: ${MISSING[*]}"
fi

# --- Firestore emulator (from the Google Cloud CLI packages, not on Debian's mirrors).
firestore_emulator_present() {
  local g sdk
  if g="$(command -v gcloud 2>/dev/null)"; then
    sdk="$(dirname "$(dirname "$(readlink -f "$g")")")"
    [ -f "$sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" ] && return 0
  fi
  [ -f /usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar ]
}
if firestore_emulator_present; then
  say "Firestore emulator: present"
else
  say "Firestore emulator missing: trying apt-get install google-cloud-cli-firestore-emulator"
  apt_update_once
  if ! apt_install google-cloud-cli-firestore-emulator || ! firestore_emulator_present; then
    die "the Cloud Firestore emulator is not installed and cannot be installed from the configured apt sources.
  It comes with the Google Cloud CLI (Debian package google-cloud-cli-firestore-emulator from Google's own apt
  repository, which needs Java >= 17). Install it, then re-run this script."
  fi
fi

# --- Node emulators and clients.
[ -f "$EMU_DIR/package-lock.json" ] || die "$EMU_DIR/package-lock.json is missing"
if [ -d "$EMU_DIR/node_modules" ] && [ -f "$STAMP" ] \
   && [ ! "$EMU_DIR/package-lock.json" -nt "$STAMP" ] && [ ! "$EMU_DIR/package.json" -nt "$STAMP" ]; then
  say "npm packages (tools/emulators): up to date"
else
  say "npm ci in tools/emulators"
  log="$(mktemp)"
  if ! (cd "$EMU_DIR" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
    tail -n 30 "$log" >&2; rm -f "$log"; die "npm ci failed in tools/emulators"
  fi
  rm -f "$log"
  touch "$STAMP"
fi

say "done"
