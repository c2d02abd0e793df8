#pragma once

// What every change writer (Connection::change_writer) shares: the key and
// version columns, checked once, and the changes of a batch that decide the
// outcome (a key changed twice in one batch ends as its last change, or its
// highest version, says), so that a backend can send one statement or
// request per key; and ChangeWriterBase, the apply/commit/abort bookkeeping
// around them, so that a backend writes only how it sends, commits and rolls
// back.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {

struct ChangeColumns {
  std::vector<size_t> key;        ///< the key columns' indexes in the schema
  std::optional<size_t> version;  ///< the version column's index, if any
};

/// The key (options.key, else the schema's primary key) and version columns
/// of `schema`. Throws Error(invalid_argument), naming `table` and `backend`:
/// no key, a key or version column the schema lacks, a version column that is
/// not int64 or is part of the key.
ChangeColumns change_columns(const Schema& schema, const ChangeOptions& options,
                             std::string_view table, std::string_view backend);

/// Throws Error(invalid_argument) when `changes` has another number of
/// columns than `schema`, the one the writer of `table` was opened with.
void check_change_columns(const ChangeBatch& changes, const Schema& schema, std::string_view table,
                          std::string_view backend);

/// The Error(invalid_argument) for apply() or commit() (`call`) on a change
/// writer of `table` that was aborted: by its caller, or (`failed`) by the
/// writer itself after a statement failed and rolled back.
Error unusable_change_writer(std::string_view call, std::string_view table, bool failed,
                             std::string_view backend);

/// Checks `changes` (one op per row, no NULL key cell, no NULL version) and
/// returns the rows that decide the outcome, in batch order: per key its
/// last change; with a version column, its change with the highest version
/// (the later one on a tie), which is what applying them one by one
/// conditionally would leave. Keys are equal when their cells are equal
/// value by value (text bytewise). Throws Error(invalid_argument).
std::vector<size_t> effective_changes(const ChangeBatch& changes, const ChangeColumns& columns,
                                      std::string_view backend);

/// A ChangeWriter made of what every backend does the same way and hooks for
/// what each does its own way. The base checks and reduces each batch
/// (check_change_columns, effective_changes) before any hook runs, so a batch
/// they refuse leaves the writer as it was; counts the changes (ChangeResult);
/// keeps the state (usable, aborted by the caller, or rolled back after a
/// failure: then apply() and commit() throw unusable_change_writer); and logs
/// on the connector's logger. A derived writer that holds a transaction calls
/// abort() in its destructor (the base cannot: the hooks are gone by then).
/// Single-threaded, like the ChangeWriter it implements.
class ChangeWriterBase : public ChangeWriter {
 public:
  void apply(const ChangeBatch& changes) final;
  ChangeResult commit() final;
  void abort() noexcept final;

 protected:
  /// `table` as the caller named it (for messages); `backend` names errors;
  /// `logger_name` is the connector's logger ("pg", "mysql", ...), a string
  /// literal. Throws what change_columns() throws.
  ChangeWriterBase(std::string_view table, const Schema& schema, const ChangeOptions& options,
                   std::string_view backend, std::string_view logger_name);

  /// Applies `rows` of `changes` (effective_changes(): one per key, in batch
  /// order). A backend with transactions sends inside send_or_roll_back().
  virtual void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) = 0;
  /// Makes what write_changes() applied since the last commit visible
  /// (COMMIT). A throw rolls back and leaves the writer unusable. Default:
  /// nothing, for backends where each change is visible once applied.
  virtual void commit_changes() {}
  /// Rolls back what was applied since the last commit and releases what the
  /// writer holds; runs once, from the first abort(). Default: nothing.
  virtual void roll_back() noexcept {}

  /// Runs `send`; when it throws, the writer rolls back (abort()) and is
  /// unusable afterwards, then the error propagates. For write_changes() of
  /// a backend whose failed statement ends the transaction: a half-applied
  /// batch must not be committed by a later commit().
  void send_or_roll_back(const std::function<void()>& send);

  const std::string& table() const noexcept { return table_; }
  const Schema& schema() const noexcept { return schema_; }
  const ChangeColumns& columns() const noexcept { return columns_; }
  std::string_view backend() const noexcept { return backend_; }
  /// Change rows applied before the current batch: row r of the batch is
  /// change number applied_rows() + r + 1 in messages.
  uint64_t applied_rows() const noexcept { return applied_rows_; }

 private:
  std::string table_;
  Schema schema_;
  ChangeColumns columns_;
  std::string_view backend_;
  std::string_view logger_name_;
  ChangeResult result_;
  uint64_t applied_rows_ = 0;
  bool aborted_ = false;
  bool failed_ = false;  // aborted by a failed statement, not by the caller
};

}  // namespace polydb
