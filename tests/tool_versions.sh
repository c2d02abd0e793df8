#!/usr/bin/env bash
# The external tools the tests run (tests/test_tools.hpp, services_check.sh),
# each by its package's path, with its version: one line each, then a
# count. A missing tool fails here (exit 1), naming the package that
# scripts/install-deps.sh installs it from.
set -uo pipefail
cd "$(dirname "$0")/.."

PASSED=0
FAILED=0
# tool PATH PACKAGE VERSION-COMMAND...
tool() {
  local path="$1" package="$2"; shift 2
  if [ ! -x "$path" ]; then
    echo "FAIL $path: missing (install the package $package: scripts/install-deps.sh)"
    FAILED=$((FAILED + 1)); return
  fi
  local version
  version="$("$@" 2>&1 | head -n 1)" || true
  printf 'PASS %-34s %-24s %s\n' "$path" "($package)" "$version"
  PASSED=$((PASSED + 1))
}

tool /usr/bin/aws awscli /usr/bin/aws --version
tool /usr/bin/python3 python3 /usr/bin/python3 -c 'import botocore, sys; print("python", sys.version.split()[0], "botocore", botocore.__version__)'
tool /usr/bin/node nodejs /usr/bin/node --version
tool /usr/lib/postgresql/15/bin/psql postgresql-client-15 /usr/lib/postgresql/15/bin/psql --version
tool /usr/bin/mariadb mariadb-client /usr/bin/mariadb --version
tool /usr/bin/isql unixodbc /usr/bin/odbcinst --version
tool /usr/bin/openssl openssl /usr/bin/openssl version
tool /usr/bin/curl curl /usr/bin/curl --version
# The npm SDKs and emulators, pinned by tools/emulators/package-lock.json.
for pkg in @aws-sdk/client-dynamodb @azure/cosmos @azure/storage-blob @google-cloud/firestore \
           dynalite @vercel/cosmosdb-server s3rver azurite; do
  manifest="tools/emulators/node_modules/$pkg/package.json"
  if [ -f "$manifest" ]; then
    printf 'PASS %-34s %-24s %s\n' "npm $pkg" "(package-lock.json)" \
      "$(/usr/bin/node -p "require('./$manifest').version")"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL npm $pkg: missing (run scripts/install-deps.sh, which runs npm ci in tools/emulators)"
    FAILED=$((FAILED + 1))
  fi
done

echo "tools: $PASSED found, $FAILED missing"
[ "$FAILED" -eq 0 ]
