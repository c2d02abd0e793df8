#pragma once

// The state store's view of its database (private to src/engine/state/): one
// connection, statements with $1..$n parameters, explicit write transactions.
// The SQLite file and the PostgreSQL database each implement it; the store's
// logic (sql_store.cpp) and its schema (schema.cpp) are written once over it.

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/state.hpp"
#include "polydb/value.hpp"

namespace polydb::state {

using Row = std::vector<Value>;

/// What differs between the two databases in the SQL the store runs.
struct Dialect {
  /// "sqlite" or "postgresql".
  std::string backend;
  /// Put before every table name: "" (SQLite) or `"polydb_state".`.
  std::string prefix;
  /// The current time as the column type of timestamps holds it.
  std::string now;
  /// Appended to the SELECT that picks a chunk to claim (PostgreSQL:
  /// FOR UPDATE SKIP LOCKED; SQLite's write transaction already excludes
  /// every other writer).
  std::string skip_locked;
  /// Appended to a SELECT of a job row that a write transaction then changes
  /// the children of (PostgreSQL: FOR UPDATE, serialising two planners).
  std::string lock_row;
  /// Column types.
  std::string id_column;  ///< an integer primary key that numbers new rows
  std::string integer;    ///< a 64-bit integer
  std::string timestamp;  ///< a point in time, UTC
  /// SQL for the current time plus `ms_param` (a parameter such as "$3"
  /// holding milliseconds), as the timestamp column type holds it.
  std::function<std::string(std::string_view ms_param)> now_plus_ms;
  /// A timestamp column's value read back.
  std::function<Clock::time_point(const Value&)> read_time;

  /// `sql` with {p} (the table prefix), {now}, {skip_locked}, {lock_row},
  /// {id}, {int} and {ts} replaced.
  std::string expand(std::string_view sql) const;
};

/// One connection to the store's database. Single-threaded. Errors are
/// polydb::Error; their messages name the store (its display URL).
class Session {
 public:
  virtual ~Session() = default;

  /// The store's URL for messages, without secrets.
  virtual const std::string& display() const noexcept = 0;
  /// Runs one statement with parameters $1..$n (`params[0]` is $1) and
  /// returns the rows it produced (RETURNING included).
  virtual std::vector<Row> query(const std::string& sql, std::span<const Value> params = {}) = 0;
  /// Runs one statement; returns how many rows it inserted, updated or deleted.
  virtual uint64_t execute(const std::string& sql, std::span<const Value> params = {}) = 0;
  /// Starts a transaction that will write: SQLite BEGIN IMMEDIATE (takes the
  /// write lock now, waiting up to the busy timeout), PostgreSQL BEGIN.
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  /// Rolls back the open transaction, if any. Never throws.
  virtual void rollback() noexcept = 0;
  /// The names of the tables (and views) in the store's schema or file.
  virtual std::vector<std::string> existing_tables() = 0;
  /// Inside a write transaction, before the schema is created or changed:
  /// makes concurrent openers of the same store wait for this one
  /// (PostgreSQL: a transaction-level advisory lock, then CREATE SCHEMA IF
  /// NOT EXISTS; SQLite: nothing, BEGIN IMMEDIATE excluded them).
  virtual void prepare_migration() = 0;
};

/// A write transaction that rolls back unless committed.
class WriteTransaction {
 public:
  explicit WriteTransaction(Session& s) : s_(s) { s_.begin_write(); }
  ~WriteTransaction() {
    if (!done_) s_.rollback();
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit() {
    done_ = true;
    s_.commit();
  }

 private:
  Session& s_;
  bool done_ = false;
};

/// The schema version this polydb writes (schema.cpp).
int current_schema_version() noexcept;
/// Creates or upgrades the store's tables; Error(unsupported) for a store of
/// a newer schema, Error(invalid_argument) for a file or schema that holds
/// other tables but no state store. Returns the version it found (0 = none).
int open_schema(Session& s, const Dialect& d);

/// The store over an open session (sql_store.cpp).
std::unique_ptr<StateStore> make_sql_store(std::unique_ptr<Session> session, Dialect dialect);

/// The two backends (sqlite_store.cpp, postgres_store.cpp). `url` is the
/// text open_state_store() was given.
std::unique_ptr<StateStore> open_sqlite_store(std::string_view url,
                                              const OpenStateOptions& options);
std::unique_ptr<StateStore> open_postgres_store(std::string_view url,
                                                const OpenStateOptions& options);

/// A job id: `kind-YYYYMMDDTHHMMSSZ-xxxxxxxx` (UTC time, 8 random hex digits).
std::string generate_job_id(std::string_view kind, Clock::time_point now);

/// The polydb that writes schemas ("polydb 0.1.0"), recorded in the store.
std::string_view polydb_release() noexcept;

}  // namespace polydb::state
