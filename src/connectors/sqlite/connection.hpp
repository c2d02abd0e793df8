#pragma once

// The SQLite connection (private to the connector).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/sql_read_setup.hpp"
#include "connectors/sqlite/handles.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::sqlite {

/// `"name"` with embedded quotes doubled.
std::string quote_ident(std::string_view name);

/// A table name split into SQLite schema ("main", "temp", an attached name or
/// empty) and table.
struct TableName {
  std::string schema;
  std::string table;
  /// `"schema"."table"` (or `"table"`), quoted for SQL text.
  std::string quoted() const;
  /// The text that SqliteConnection::resolve() reads back as this name.
  std::string reference() const;
};

/// The URL options a SQLite URL takes, for messages.
inline constexpr std::string_view kKnownOptions = "mode, busy_timeout, read-timeout";

class SqliteConnection final : public Connection {
 public:
  /// Opens the file of `uri`. Throws Error(invalid_argument) for a URL that
  /// names no file, an unknown option or a bad option value, Error(not_found)
  /// for a missing file unless `options.create_if_missing` or `mode=rwc`.
  SqliteConnection(const Uri& uri, const ConnectOptions& options);
  /// Closes the database. A file this connection created (it did not exist
  /// when it opened) and that holds no table, view, index or trigger when it
  /// closes is removed, with its -journal, -wal and -shm files: a failed or
  /// interrupted first write leaves nothing behind. A file that existed is
  /// never removed.
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  std::string_view backend() const noexcept override { return "sqlite"; }
  std::string display_url() const override { return display_; }
  Capabilities capabilities() const override;

  std::vector<TableInfo> list_tables() override;
  Schema describe(std::string_view table) override;
  /// The table part of resolve(table), spelled as sqlite_schema stores it
  /// when the table exists (SQLite compares names case-insensitively).
  std::string own_table_name(std::string_view table) override;
  /// `name`, or `"name"` when it holds a '.' or starts with a quote.
  std::string table_reference(std::string_view name) const override;
  std::unique_ptr<BatchReader> scan(const ScanSpec& spec) override;
  std::unique_ptr<BatchReader> query(std::string_view text, std::span<const Value> params,
                                     const QueryOptions& options) override;
  uint64_t execute(std::string_view text, std::span<const Value> params) override;
  std::unique_ptr<BatchWriter> writer(std::string_view table, const Schema& schema,
                                      const WriteOptions& options) override;
  /// Prepared upsert and delete statements in one transaction (changes.cpp).
  std::unique_ptr<ChangeWriter> change_writer(std::string_view table, const Schema& schema,
                                              const ChangeOptions& options) override;
  void create_table(std::string_view table, const Schema& schema) override;
  void drop_table(std::string_view table, bool if_exists) override;
  std::optional<uint64_t> count_rows(std::string_view table) override;
  std::optional<uint64_t> estimate_rows(std::string_view table) override;
  PingResult ping() override;
  /// Each reader is a new connection in a read transaction that began with a
  /// first read. In WAL mode a helper holds the write lock (BEGIN IMMEDIATE)
  /// while the readers start, so no commit lands between their snapshots;
  /// in rollback-journal mode the first reader's shared lock keeps every
  /// commit out until the readers end. Error(unsupported) for :memory:
  /// (another connection is another database) and for a read-only (mode=ro)
  /// database in WAL mode.
  std::unique_ptr<Snapshot> snapshot(uint32_t readers) override;

  // For the reader and writer of this connector.
  sqlite3* db() const noexcept { return db_.get(); }
  /// Prepares one statement; throws an Error that quotes `what` or the SQL.
  StmtHandle prepare(std::string_view sql);
  /// Runs parameterless SQL (may hold several statements).
  void exec(std::string_view sql);
  /// Resolves a user's table name: `t`, `main.t`, `aux.t`; `a.b` is the
  /// table named "a.b" when it exists, else table b of schema a; quoted
  /// parts (`"dot.ted"`, `main."we""ird"`) as core/sql_names.hpp reads them.
  TableName resolve(std::string_view table);
  bool exists(const TableName& name);
  /// resolve(), throwing no_table() when the table does not exist.
  TableName existing(std::string_view table);
  Error no_table(std::string_view table) const;
  /// pad_space for a column declared `COLLATE RTRIM`, nocase for `COLLATE
  /// NOCASE`, else binary (views and expressions too: see docs/query.md).
  Collation column_collation(const TableName& name, const std::string& column) const;

 private:
  void remove_if_created_and_empty() noexcept;

  DbHandle db_;
  Uri uri_;  ///< to open more connections to the same file
  std::string display_;
  std::string path_;  ///< the database file ("" for :memory:)
  bool memory_ = false;
  bool created_ = false;  ///< this connection created the file
};

/// Reader over a prepared statement whose parameters are bound. When
/// `schema` is null, the schema comes from the declared column types or, for
/// expressions, from the first row's storage classes.
struct ReaderSetup : SqlReadSetup {
  StmtHandle stmt;
  /// For result columns without a declared type: a type from the first
  /// row's value, or std::nullopt for the storage class's (may be empty).
  std::function<std::optional<Type>(sqlite3_value*)> type_of_value;
};
std::unique_ptr<BatchReader> make_reader(SqliteConnection& conn, ReaderSetup setup);

std::unique_ptr<BatchWriter> make_writer(SqliteConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);

std::unique_ptr<ChangeWriter> make_change_writer(SqliteConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

/// Renders one comparison of a scan filter in SQLite SQL over `schema`,
/// appending its literals to `params`; std::nullopt when SQLite would not
/// evaluate it exactly as polydb does (see connectors/common/pushdown.hpp).
std::optional<std::string> compare_to_sql(const Filter& leaf, const Schema& schema,
                                          std::vector<Value>& params);

}  // namespace polydb::sqlite
