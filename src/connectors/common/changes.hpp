#pragma once

// What every change writer (Connection::change_writer) shares: the key and
// version columns, checked once, and the changes of a batch that decide the
// outcome (a key changed twice in one batch ends as its last change, or its
// highest version, says), so that a backend can send one statement or
// request per key.

#include <cstddef>
#include <optional>
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

}  // namespace polydb
