#pragma once

/// polydb::Error — the one exception type every polydb call throws.
///
/// An Error carries a code (what kind of failure, used by callers to decide
/// what to do and by the CLI to choose an exit status), a message written for
/// the user (what failed and what to do about it), the backend that failed
/// (e.g. "sqlite", "postgresql"; empty for polydb's own checks) and the
/// backend's own words (`detail`), which the CLI shows with `--verbose`.
/// Messages and details never contain secrets: callers redact before throwing.

#include <stdexcept>
#include <string>
#include <string_view>

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
  bool retryable_;
};

}  // namespace polydb
