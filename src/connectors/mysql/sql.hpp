#pragma once

// The SQL text the MySQL connector sends: identifier quoting, DDL, pushed-down
// filters and ordering, LOAD DATA and upsert statements.
//
// Pure functions (no libmariadb), unit-tested without a server. Values never
// enter SQL text: filters append them to a parameter list bound to `?`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/mysql/types.hpp"
#include "polydb/filter.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::mysql {

/// `name` in backticks, embedded backticks doubled.
std::string quote_ident(std::string_view name);
/// 'text' as a string literal: quotes and backslashes escaped (polydb's
/// sessions never set NO_BACKSLASH_ESCAPES).
std::string quote_string(std::string_view text);

/// A table name split into database ("" = the connection's) and table.
struct TableName {
  std::string schema;
  std::string table;
  /// `schema`.`table` (or `table`), quoted for SQL text.
  std::string quoted() const;
  /// schema.table (or table), unquoted, for messages.
  std::string display() const;
};

/// A table's polydb schema plus the native details of each field
/// (columns[i] describes schema.fields[i]).
struct TableDescription {
  TableName name;  ///< as the server spells it
  Schema schema;
  std::vector<ColumnInfo> columns;
  bool is_view = false;
};

/// CREATE TABLE for `schema` (primary key included), InnoDB, utf8mb4.
/// `text_collation` as for column_ddl().
/// With `native`, each field's native_type where native_column_ddl() takes it.
std::string create_table_sql(const TableName& name, const Schema& schema,
                             std::string_view text_collation, bool native = false);

/// The staging table's own column that numbers its rows in load order.
inline constexpr std::string_view kStagingRowColumn = "_polydb_staging_row";

/// CREATE TEMPORARY TABLE `name` with the same native types as `columns`
/// (every column nullable) plus kStagingRowColumn, an AUTO_INCREMENT primary
/// key that numbers the rows as they are loaded: the staging table of an upsert.
std::string create_staging_sql(std::string_view name, const std::vector<ColumnInfo>& columns);

/// True when comparing the column in SQL is exactly polydb's bytewise string
/// comparison (a binary or no-pad binary collation).
bool is_bytewise_collation(std::string_view collation);
/// True for a PAD SPACE collation (trailing blanks insignificant): every one
/// but `binary`, MariaDB's `*_nopad_*` and MySQL 8's `*_0900_*`.
bool is_pad_space_collation(std::string_view collation);

/// How polydb compares a text column of MariaDB/MySQL collation
/// `collation` (COLLATION_NAME): binary for the bytewise ones, pad_space for
/// the other PAD SPACE ones, case_insensitive(_pad_space) for `*_ci`.
Collation collation_of(std::string_view collation);

/// Translates `filter` into SQL over `table`, appending literals to `params`
/// in placeholder order; std::nullopt when (part of) it cannot be evaluated by
/// the server exactly as polydb would (then polydb filters locally). Throws
/// Error(not_found) for a column the table does not have.
std::optional<std::string> filter_to_sql(const Filter& filter, const TableDescription& table,
                                         const TypeOptions& options, std::vector<Value>& params);

/// The ORDER BY expression for column `i` of `table`: text columns with a
/// collation that is not bytewise are ordered by their bytes, like polydb.
std::string order_expr(const TableDescription& table, size_t i);

/// One column of a LOAD DATA column list.
struct LoadColumn {
  std::string name;
  bool bit = false;  ///< a BIT column loaded from an integer's text (via a variable)
};
/// LOAD DATA LOCAL INFILE `file` INTO TABLE `target` in polydb's text format
/// (see append_load_data_cell).
std::string load_data_sql(const TableName& target, const std::vector<LoadColumn>& columns,
                          std::string_view file, std::string_view charset);

/// INSERT INTO `target` (columns) VALUES (?, ...), ... with `rows` row tuples.
std::string insert_sql(const TableName& target, const std::vector<std::string>& columns,
                       size_t rows);

/// INSERT INTO `target` SELECT ... FROM `staging` ORDER BY its load order
/// ON DUPLICATE KEY UPDATE for every non-key column (a no-op update when all
/// columns are keys): of staged rows that share a key, the last one wins.
std::string upsert_sql(const TableName& target, std::string_view staging,
                       const std::vector<std::string>& columns,
                       const std::vector<std::string>& key);

/// The WHERE condition selecting partition `index` of `count` by hashing the
/// columns `columns` (the primary key, or all columns when there is none).
std::string hash_partition_sql(const std::vector<std::string>& columns, uint32_t index,
                               uint32_t count);

}  // namespace polydb::mysql
