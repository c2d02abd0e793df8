#pragma once

// ODBC connection strings from polydb URLs (pure logic, unit-tested):
//  - sqlserver://user:pass@host:1433/db?encrypt=...&driver=...&authentication=...
//    builds a SQL Server connection string for the best installed driver;
//  - odbc://user:pass@/?dsn=NAME names a data source;
//  - odbc:///?connection-string=... passes a raw string through.
// Values are braced ({...}, '}' doubled) so that ';', '=' and braces in a
// password cannot end the attribute.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/secret.hpp"
#include "polydb/uri.hpp"

namespace polydb::odbc {

/// The SQL Server drivers polydb looks for, best first.
inline constexpr std::string_view kMsDriver18 = "ODBC Driver 18 for SQL Server";
inline constexpr std::string_view kMsDriver17 = "ODBC Driver 17 for SQL Server";
inline constexpr std::string_view kFreeTds = "FreeTDS";

/// `value` as an attribute value: in braces with '}' doubled when it holds
/// ';', '{' or '}' or starts or ends with a space, else as is (psqlODBC, for
/// one, keeps braces around a plain value as part of it).
std::string brace_value(std::string_view value);

/// One `key=value` pair of a connection string, value decoded (braces removed).
struct Attribute {
  std::string key;
  std::string value;
};
/// Splits a connection string into attributes (braced values may hold ';').
/// Throws Error(invalid_argument) for an unterminated brace; the message does
/// not quote the text (it may hold a password).
std::vector<Attribute> parse_connection_string(std::string_view text);
/// The value of attribute `key` (ASCII case-insensitive), if present.
std::optional<std::string> find_attribute(const std::vector<Attribute>& attrs, std::string_view key);

/// `text` with the values of credential attributes (PWD, Password,
/// Secret-looking keys) replaced by `***`, for messages and logs.
std::string redact_connection_string(std::string_view text);

/// What polydb hands to SQLDriverConnect, and what it may print about it.
struct ConnectionTarget {
  Secret text;         ///< the full connection string (holds the password)
  std::string driver;  ///< the driver chosen ("" when a DSN decides)
  std::string dialect;  ///< "sqlserver|postgresql|mysql|ansi" when forced by the URL, else ""
  std::chrono::seconds login_timeout{0};  ///< 0 = ConnectOptions::timeout
  /// The server the driver connects to, when the URL or connection string
  /// says (Server=, Port=): "" and nullopt for a DSN. Used to find the
  /// driver's socket (socket_watch.hpp).
  std::string host;
  std::optional<uint16_t> port;
  bool sqlserver = false;  ///< built from a sqlserver:// URL
};

/// True for 127.0.0.0/8, ::1 and "localhost": hosts where encryption is not
/// demanded by default.
bool is_loopback_host(std::string_view host);

/// Builds the connection string for `uri` (scheme odbc or sqlserver).
/// `read-timeout` is accepted and left to the connection (read_timeout_option).
/// `installed` lists the driver names SQLDrivers reported (used to choose a
/// SQL Server driver). Throws Error(invalid_argument) for unknown options or
/// bad values, Error(not_found) when no SQL Server driver is installed, and
/// Error(unsupported) for an authentication method the driver lacks.
ConnectionTarget build_connection_target(const Uri& uri, const std::vector<std::string>& installed);

/// Attributes polydb adds for a driver unless the string sets them already:
/// psqlODBC streams results with UseDeclareFetch=1;Fetch=N (it buffers the
/// whole result otherwise), reports booleans as SQL_BIT (BoolsAsChar=0) and
/// executes parameter arrays as one prepared statement (BatchSize=1);
/// MariaDB Connector/ODBC streams with OPTION=1048576 (NO_CACHE).
/// `fetch_rows` is N. Returns the string to append (may be empty).
std::string driver_defaults(std::string_view connection_string, size_t fetch_rows);

}  // namespace polydb::odbc
