#pragma once

/// polydb::Error — the one exception type every polydb call throws.
///
/// An Error carries a code (what kind of failure, used by callers to decide
/// what to do and by the CLI to choose an exit status), a message written for
/// the user (what failed and what to do about it), the backend that failed
/// (e.g. "sqlite", "postgresql"; empty for polydb's own checks) and the
/// backend's own words (`detail`), which the CLI shows with `--verbose`, and
/// the backend's structured error code (`native_code`) for callers that react
/// to one particular server error, and a `hint`: the remedy the message
/// suggests, as a key a front end can phrase in its own terms (the CLI names
/// its flags; the library's messages name none).
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

/// The remedy an Error's message suggests, for a front end that translates it
/// into its own words: the message says it in library terms ("write in
/// replace mode"), a front end adds how its user does that (the CLI: "add
/// --mode replace"). `none` when the message suggests nothing a front end
/// could phrase better.
enum class Hint {
  none,
  write_mode,         ///< the table exists: write in append, replace or upsert mode
  upsert_mode,        ///< a row with the key exists: write in upsert mode to update it
  replace_mode,       ///< the table's columns differ: replace the table to recreate it
  key_columns,        ///< name the key columns (WriteOptions::key)
  non_atomic,         ///< allow a replace that is not atomic (CopyOptions::non_atomic)
  list_tables,        ///< the connection's table list (Connection::list_tables) shows the names
  describe_table,     ///< the table's description (Connection::describe) lists its columns
  list_or_describe,   ///< the table list or a table's description shows what exists
  bind_params,        ///< bind a value to each placeholder of the statement
  typed_param,        ///< give the parameter an explicit type
  copy,               ///< copy the tables with a reader and a writer (engine::copy)
  read_and_write,     ///< read with Connection::query, write with a writer
  create_if_missing,  ///< connect with ConnectOptions::create_if_missing to create it
  max_remote_calls,   ///< raise FederationOptions::max_remote_calls
  attach,             ///< attach the connection under a name (Federation::attach)
  // The options of engine::copy that contradict each other or what the
  // source can do (a front end reports them as errors in its own options):
  drop_limit_or_parallel,  ///< a copy with parallel readers takes no limit: drop one
  drop_limit_or_chunks,    ///< a chunked copy takes no limit: drop the limit or the chunks
  create_or_unchunked,     ///< replace is not chunked: drop the table and create it, or copy whole
  chunked_copy,            ///< a job, resume, state store or chunk column needs a chunked copy
  one_reader_or_chunks,    ///< the source cannot share a scan: one reader, or a chunked copy
};

/// Stable lowercase name of a hint, e.g. "write_mode"; "" for none.
std::string_view to_string(Hint hint) noexcept;

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

  /// The remedy the message suggests, for a front end to phrase in its own
  /// terms; Hint::none when there is none.
  Hint hint() const noexcept { return hint_; }
  Error& set_hint(Hint hint) noexcept {
    hint_ = hint;
    return *this;
  }

  /// This error with another message: code, backend, detail, native code,
  /// hint and retryable() stay. For callers that add context ("column 'x': ...").
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
  Hint hint_ = Hint::none;
  bool retryable_;
};

}  // namespace polydb
