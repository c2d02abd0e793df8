#pragma once

// The external programs the tests run, each by the path where its Debian
// package installs it. scripts/install-deps.sh installs every one of these
// packages unconditionally, so a test never runs whatever happens to be first
// on PATH (another `aws` or `python3` may shadow the Debian one, with other
// behaviour). tests/tool_versions.sh prints their versions at the start of
// `make test`.

namespace polydb::test_tools {

/// Debian `awscli` (2.9 on Debian 12, with python3-botocore 1.29): the wire
/// format cross-checks of the SigV4 signer compare with this version.
inline constexpr const char* kAws = "/usr/bin/aws";
/// Debian `python3` with `python3-botocore` (the RDS IAM token cross-check).
inline constexpr const char* kPython3 = "/usr/bin/python3";
/// `nodejs` (Debian's, or a newer one that install-deps.sh keeps); the npm SDKs
/// it runs come from tools/emulators/package-lock.json.
inline constexpr const char* kNode = "/usr/bin/node";
/// Debian `postgresql-client-15`.
inline constexpr const char* kPsql = "/usr/lib/postgresql/15/bin/psql";
/// Debian `mariadb-client`.
inline constexpr const char* kMariadb = "/usr/bin/mariadb";
/// Debian `openssl`.
inline constexpr const char* kOpenssl = "/usr/bin/openssl";

}  // namespace polydb::test_tools
