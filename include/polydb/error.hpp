#pragma once

/// polydb::Error — the one exception type every polydb call throws.
///
/// An Error carries a code (what kind of failure, used by callers to decide
/// what to do and by the CLI to choose an exit status), a message written for
/// the user (what failed and what to do about it), the backend that failed
/// (e.g. "sqlite", "postgresql"; empty for polydb's own checks) and the
/// backend's own words (`detail`), which the CLI shows with `--verbose`, and
/// the backend's structured error code (`native_code`) for callers that react
/// to one particular server error.
/// Messages and details never contain secrets: callers redact before throwing.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace polydb {

/// What kind of failure an Error reports.
enum class ErrorCode {
  connection,        ///< cannot reach the server, or the connection dropped
  auth,              ///< credentials rejected or missing
  not_found,         ///< table, column, database, file or connection name unknown
  invalid_argument,  ///< malformed input: URL, SQL, option, config
  type_mismatch,     ///< a value does not fit the target type/column
  throttled,         ///< the service asks us to slow down (retryable)
  timeout,           ///< an operation ran out of time (retryable)
  conflict,          ///< constraint or concurrency conflict
  unsupported,       ///< the backend cannot do what was asked
  io,                ///< local file system / disk error
  corruption,        ///< data failed a checksum or is unreadable
  cancelled,         ///< the user interrupted the operation
  internal,          ///< a bug in polydb
};

/// Stable lowercase name of a code, e.g. "not_found".
std::string_view to_string(ErrorCode code) noexcept;

/// The exception type of polydb. Copyable, thread-compatible.
class Error : public std::runtime_error {
 public:
  /// `message` says what failed and what to do; `backend` names the backend
  /// ("" for polydb itself); `detail` is the backend's own error text.
  Error(ErrorCode code, std::string message, std::string backend = {}, std::string detail = {});

  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& backend() const noexcept { return backend_; }
  const std::string& detail() const noexcept { return detail_; }

  /// The backend's own error code, as text; empty when the backend gave none
  /// (a transport failure, a check of polydb's own). Per backend:
  ///  - PostgreSQL and ODBC: the SQLSTATE, e.g. "23505";
  ///  - MySQL/MariaDB: the error number, e.g. "1062";
  ///  - SQLite: the extended result code, e.g. "1555" (SQLITE_CONSTRAINT_PRIMARYKEY);
  ///  - DynamoDB, Cosmos DB, Firestore and other HTTP services: "HTTP <status>"
  ///    followed by the service's error code when it sent one, e.g.
  ///    "HTTP 400 ResourceNotFoundException", "HTTP 409 Conflict",
  ///    "HTTP 404 NOT_FOUND"; an error a service reports inside a successful
  ///    response (a Firestore batch write) has the service code alone.
  const std::string& native_code() const noexcept { return native_code_; }
  Error& set_native_code(std::string code) noexcept {
    native_code_ = std::move(code);
    return *this;
  }

  /// This error with another message: code, backend, detail, native code and
  /// retryable() stay. For callers that add context ("column 'x': ...").
  Error with_message(std::string message) const;

  /// True when repeating the same operation later may succeed (throttling,
  /// timeouts, dropped connections). Overridable per error at construction.
  bool retryable() const noexcept { return retryable_; }
  Error& set_retryable(bool r) noexcept {
    retryable_ = r;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string message_;
  std::string backend_;
  std::string detail_;
  std::string native_code_;
  bool retryable_;
};

}  // namespace polydb
