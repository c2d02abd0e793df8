#pragma once

// The SQL a database behind ODBC speaks: one Dialect per DBMS (SQL Server,
// PostgreSQL, MySQL/MariaDB, and generic ANSI SQL for any other driver),
// chosen from SQLGetInfo(SQL_DBMS_NAME) or the URL's dialect= option.
//
// Pure functions (no ODBC calls), unit-tested on the generated text. Values
// never enter SQL text: statements use `?` placeholders; identifiers are quoted.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/filter.hpp"
#include "polydb/type.hpp"

namespace polydb::odbc {

enum class DbmsKind { sqlserver, postgresql, mysql, ansi };

/// "sqlserver", "postgresql", "mysql", "ansi".
std::string_view to_string(DbmsKind kind) noexcept;
/// The kind for SQLGetInfo(SQL_DBMS_NAME): "Microsoft SQL Server" (also what
/// FreeTDS reports for Azure SQL), "PostgreSQL", "MySQL", "MariaDB"; ansi otherwise.
DbmsKind dbms_kind_from_name(std::string_view dbms_name) noexcept;
/// The kind named by a URL's dialect= option (as to_string prints it).
std::optional<DbmsKind> parse_dbms_kind(std::string_view text) noexcept;

/// A table name split into schema ("" = the connection's default) and table.
struct TableName {
  std::string schema;
  std::string table;
  /// schema.table (or table), unquoted, for messages.
  std::string display() const { return schema.empty() ? table : schema + "." + table; }
};

/// The parts of a SELECT, rendered (quoted) already.
struct SelectParts {
  std::string columns;             ///< "a, b"
  std::string from;                ///< quoted table
  std::vector<std::string> where;  ///< conjuncts, joined with AND
  std::vector<std::string> order;  ///< "expr [DESC]" items
  std::optional<uint64_t> limit;
};

/// How a value of a polydb type is bound as a parameter.
enum class ParamStyle {
  native,  ///< its own C type (SQL_C_SBIGINT, SQL_C_TYPE_TIMESTAMP, ...)
  text,    ///< its text form, as UTF-16 (cast by the placeholder where the server needs it)
};

/// What the scan planner knows about a column beyond its polydb type.
struct ColumnTraits {
  short sql_type = 0;  ///< SQL_* data type reported by the driver
  std::string type_name;  ///< the native type name, lowercase ("jsonb", "nvarchar")
};

/// SQL text generation for one DBMS. Stateless and thread-safe.
class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual DbmsKind kind() const noexcept = 0;

  /// `name` as a quoted identifier ("x" with "" doubled; SQL Server [x] with
  /// ]] doubled; MySQL `x` with `` doubled).
  virtual std::string quote_ident(std::string_view name) const;
  std::string quote_table(const TableName& name) const;

  /// SELECT with the dialect's row limit (LIMIT, TOP / OFFSET FETCH, FETCH FIRST).
  virtual std::string select_sql(const SelectParts& parts) const;
  /// The column type CREATE TABLE uses for `type` (`in_key`: part of the
  /// primary key, where some DBMSs need a bounded type). Throws
  /// Error(unsupported) for a decimal the DBMS cannot hold.
  virtual std::string column_type(Type type, bool in_key) const = 0;
  /// A column comment that marks the polydb type where the native type
  /// cannot (MySQL: uuid and timestamp_tz, as the native connector does); "" otherwise.
  virtual std::string column_comment(Type type) const;
  /// CREATE TABLE with every column and the primary key.
  std::string create_table_sql(const TableName& name, const Schema& schema) const;
  /// DROP TABLE.
  std::string drop_table_sql(const TableName& name) const;
  /// A statement counting the rows of `name`.
  virtual std::string count_sql(const TableName& name) const;

  /// How a value of type `id` is bound, and the placeholder for it into a
  /// column of native type `native_type` ("?" or e.g. "CAST(? AS jsonb)").
  virtual ParamStyle param_style(TypeId id) const;
  virtual std::string placeholder(TypeId id, std::string_view native_type) const;
  /// False when the DBMS's floating-point columns hold neither NaN nor ±Infinity.
  virtual bool stores_non_finite() const { return false; }

  /// INSERT INTO name (columns) VALUES (placeholders), (placeholders), ...:
  /// `rows` rows of `placeholders` (one row's).
  std::string insert_sql(const TableName& name, const std::vector<std::string>& columns,
                         const std::vector<std::string>& placeholders, size_t rows = 1) const;
  /// One statement that inserts rows or updates the row with the same `key`
  /// (MERGE, ON CONFLICT, ON DUPLICATE KEY UPDATE), taking `rows` rows of
  /// `placeholders` (more than one only where max_rows_per_statement allows).
  /// By default change_upsert_sql without a version column.
  virtual std::string upsert_sql(const TableName& name, const std::vector<std::string>& columns,
                                 const std::vector<std::string>& key,
                                 const std::vector<std::string>& placeholders,
                                 size_t rows = 1) const;
  /// How many rows one INSERT (or, with `upsert`, one upsert) statement of
  /// `columns` columns may carry: within the DBMS's parameter and VALUES
  /// limits; 1 where the dialect has no multi-row form.
  virtual size_t max_rows_per_statement(size_t columns, bool upsert) const;
  /// True when a multi-row upsert fails on a key met twice in the statement
  /// (PostgreSQL's ON CONFLICT DO UPDATE), where row-by-row execution lets
  /// the later row win: the writer then sends such rows one by one.
  virtual bool upsert_meets_key_once() const { return true; }

  /// The change writer's upsert (Connection::change_writer): as upsert_sql,
  /// but with a `version` column (non-empty) a stored row is replaced only
  /// when its version is NULL or lower than the incoming row's; an absent
  /// key is always inserted. `key` holds the key columns, unique per
  /// statement (the writer sends each key once).
  virtual std::string change_upsert_sql(const TableName& name,
                                        const std::vector<std::string>& columns,
                                        const std::vector<std::string>& key,
                                        const std::string& version,
                                        const std::vector<std::string>& placeholders,
                                        size_t rows = 1) const;
  /// DELETE of the row with the key (`key` = `key_placeholders`); with a
  /// `version` column (non-empty) only when the stored version IS NULL or <=
  /// the bound one (the last placeholder, "?").
  std::string change_remove_sql(const TableName& name, const std::vector<std::string>& key,
                                const std::vector<std::string>& key_placeholders,
                                const std::string& version) const;

  /// Whether CREATE/DROP/RENAME roll back with the transaction they ran in.
  virtual bool transactional_ddl() const { return true; }
  /// The statements that put `aside` in the place of `target` (dropping the
  /// old table when `target_exists`), run at commit. With transactional DDL
  /// they run inside the writer's transaction; otherwise after its commit,
  /// and the first one must swap atomically.
  virtual std::vector<std::string> swap_sql(const TableName& target, const TableName& aside,
                                            bool target_exists) const;
  /// The longest identifier the DBMS accepts.
  virtual size_t max_identifier() const { return 128; }

  /// Statements to run once per connection: UTC session time zone, strict modes.
  virtual std::vector<std::string> session_setup() const { return {}; }
  /// A query returning one row with the connection's default schema; "" when
  /// the DBMS has no schemas within a database (MySQL: databases are catalogs).
  virtual std::string default_schema_sql() const { return ""; }
  /// True when a table's "schema" is an ODBC catalog (MySQL databases).
  virtual bool schema_is_catalog() const { return false; }

  /// The left-hand side polydb compares column `quoted` (of polydb type
  /// `type`) with for `op`, when the server evaluates that comparison exactly
  /// as polydb does (bytewise strings, doubles as doubles); nullopt otherwise.
  virtual std::optional<std::string> comparable(const std::string& quoted, Type type,
                                                const ColumnTraits& traits, CompareOp op) const;
  /// How the server compares a text column's values (Field::collation):
  /// pad_space where trailing blanks are insignificant.
  virtual Collation collation(const ColumnTraits&) const { return Collation::binary; }
  /// The placeholder a comparison binds its literal to ("?" by default).
  virtual std::string compare_placeholder(Type type) const;
  /// A whole comparison leaf `col op ?`, `col IN (?, ?)`, `col IS NULL`, or
  /// nullopt (not pushed). `values` literals are appended by the caller.
  std::optional<std::string> compare_sql(const std::string& quoted, Type type,
                                         const ColumnTraits& traits, CompareOp op,
                                         size_t values) const;
  /// ORDER BY expression giving polydb's order (bytewise for strings).
  virtual std::string order_expr(const std::string& quoted, Type type) const;
  /// Where the DBMS sorts NULLs when not told: true = as the lowest value
  /// (first ascending, last descending: SQL Server, MySQL), false = as the
  /// highest (PostgreSQL), nullopt = unknown (ANSI: always spelled out).
  virtual std::optional<bool> nulls_sort_low() const { return std::nullopt; }
  /// The ORDER BY items for one sort key: order_expr [DESC], preceded by a
  /// NULL-placement term (`CASE WHEN col IS NULL THEN 0 ELSE 1 END`, which
  /// every SQL dialect reads; SQL Server has no NULLS FIRST/LAST) when
  /// `nulls_first` asks for other than the DBMS's own placement.
  std::vector<std::string> order_items(const std::string& quoted, Type type, bool descending,
                                       std::optional<bool> nulls_first) const;
  /// WHERE condition selecting hash partition `index` of `count` over
  /// `columns` (quoted); nullopt when the dialect has no hash function.
  virtual std::optional<std::string> hash_partition_sql(const std::vector<std::string>& columns,
                                                        uint32_t index, uint32_t count) const;
};

/// The dialect for `kind`.
std::unique_ptr<Dialect> make_dialect(DbmsKind kind);
std::unique_ptr<Dialect> make_sqlserver_dialect();
std::unique_ptr<Dialect> make_postgresql_dialect();
std::unique_ptr<Dialect> make_mysql_dialect();

/// Joins quoted names with ", " (each prefixed by `prefix`).
std::string join_list(const std::vector<std::string>& items, std::string_view prefix = "");

}  // namespace polydb::odbc
