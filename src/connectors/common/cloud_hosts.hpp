#pragma once
/// Managed database services recognised by their host names, for secure
/// defaults: a connection to one of them verifies the server's certificate and
/// host name unless the URL (or the client's environment) says otherwise.

#include <optional>
#include <string>
#include <string_view>

namespace polydb {

struct ManagedDatabase {
  std::string_view service;  ///< e.g. "Amazon RDS"
  /// Where the server's certificate chain comes from, for error hints: empty
  /// when the operating system's CA bundle already holds it.
  std::string_view ca_hint;
};

/// The managed service `host` belongs to (Amazon RDS/Aurora, Azure Database
/// for PostgreSQL/MySQL/MariaDB, Google Cloud SQL DNS names), or std::nullopt.
/// Case-insensitive; a trailing dot is ignored.
std::optional<ManagedDatabase> managed_database(std::string_view host);

/// OpenSSL's default CA bundle file (the system's trusted roots), or "" when
/// that file does not exist.
std::string default_ca_file();

}  // namespace polydb
