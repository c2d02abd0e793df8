#pragma once

// The decisions every SQL writer makes before its first row, made and worded
// once (sqlite, postgres, mysql, odbc): what a write mode does with the
// target, the schema a created table gets, which target column takes each
// source column, the upsert key, and the names of side tables. Each writer
// keeps only its own DDL and load path.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {

/// Throws Error(invalid_argument) when `source` has no columns to write.
void check_writable_source(const Schema& source, std::string_view table,
                           std::string_view backend);

/// Throws Error(invalid_argument) when `batch` has another number of columns
/// than the schema the writer was opened with.
void check_batch_columns(const Batch& batch, const Schema& source, std::string_view backend);

/// The Error(invalid_argument) for write() or commit() (`call`) on a bulk
/// writer of `table` that committed or aborted, or (`failed`) rolled back
/// after a failed write.
Error finished_writer(std::string_view call, std::string_view table, bool failed,
                      std::string_view backend);

/// What a writer does with the target table before it writes.
enum class TargetStep {
  write_existing,  ///< append/upsert into the table as it is
  create,          ///< create the table (create mode; append/upsert into a missing table)
  build_aside,     ///< replace: build a side table, swapped in at commit
};

/// The step for `mode` when the target does (not) exist. Throws
/// table_exists_error (conflict) for create mode and an existing table.
TargetStep target_step(WriteMode mode, bool exists, std::string_view table,
                       std::string_view where, std::string_view backend);

/// What a writer without transactions or side tables (the document stores)
/// does with its target before the first row. Plain data.
struct DirectTarget {
  bool create = false;      ///< create the table (create mode, or a missing table)
  bool clear = false;       ///< replace an existing table: delete its rows first (not atomic)
  bool keep_types = false;  ///< append/upsert into an existing table: values take its types
};

/// The DirectTarget for `mode` when the target does (not) exist. Throws
/// table_exists_error (conflict) for create mode and an existing table.
DirectTarget direct_target(WriteMode mode, bool exists, std::string_view table,
                           std::string_view where, std::string_view backend);

/// The schema a writer creates the table with: the source's columns, keyed
/// by WriteOptions::key when one is given, else by the source's primary key.
Schema schema_to_create(const Schema& source, const WriteOptions& options);

/// For each column of `source`, the index of the target column that takes it
/// (Schema::index_of: the backend's rules for names). Throws Error(not_found)
/// naming the missing column and the columns the table has, with `hint`:
/// Hint::replace_mode (bulk writers) also says that replace mode recreates
/// the table; any other hint (change writers, which cannot replace) only
/// names the columns.
std::vector<size_t> match_columns(const Schema& source, const Schema& target,
                                  std::string_view table, std::string_view backend,
                                  Hint hint = Hint::replace_mode);

/// The upsert key, spelled as the target spells its columns: WriteOptions::key
/// or the target's primary key. Throws Error(invalid_argument) when there is
/// none, or a key column is not among `written` (the target's names of the
/// written columns). `name_what` ends the no-key message: what to name
/// ("the key columns", "key columns that form a unique index").
std::vector<std::string> upsert_key(const WriteOptions& options, const Schema& target,
                                    const std::vector<std::string>& written,
                                    std::string_view table, std::string_view backend,
                                    std::string_view name_what = "the key columns");

/// `digits` random lowercase hex digits (8 or 16), for names of side and
/// staging tables.
std::string random_hex(size_t digits = 8);

/// `<prefix><table>_<suffix>`, with `table` cut (at a UTF-8 character
/// boundary) so that the whole name fits in `max_bytes`.
std::string side_table_name(std::string_view prefix, std::string_view table,
                            std::string_view suffix, size_t max_bytes);

}  // namespace polydb
