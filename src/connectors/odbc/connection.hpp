#pragma once

// The ODBC connection (private to the connector): SQL Server / Azure SQL
// through Microsoft's drivers or FreeTDS, and any other DBMS through its
// driver (PostgreSQL, MariaDB/MySQL, generic ANSI SQL).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/sql_read_setup.hpp"
#include "connectors/odbc/dialect.hpp"
#include "connectors/odbc/handles.hpp"
#include "connectors/odbc/socket_watch.hpp"
#include "connectors/odbc/types.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::odbc {

/// Small results (metadata) as text; NULL is nullopt.
using TextRows = std::vector<std::vector<std::optional<std::string>>>;

/// A table's schema plus the ODBC metadata of each field (columns[i] describes
/// schema.fields[i]).
struct TableDescription {
  TableName name;  ///< as the catalog spells it
  Schema schema;
  std::vector<ColumnMeta> columns;
  bool is_view = false;
};

/// The names of the drivers unixODBC knows (SQLDrivers).
std::vector<std::string> installed_drivers();

/// A connection to one database through an ODBC driver. Single-threaded;
/// readers and writers borrow it and must be destroyed before it.
///
/// Every call that may wait on the server runs inside io(): a call that
/// receives and sends nothing for the URL's `read-timeout` (else
/// ConnectOptions::read_timeout) throws Error(timeout), and a stop request on
/// ConnectOptions::stop ends a blocked call with Error(cancelled); both leave
/// the connection unusable. That needs the driver's socket, found right after
/// the connect (socket_watch.hpp); when it cannot be found (a DSN, a Unix
/// socket) only the driver's own timeouts apply and a stop request calls
/// SQLCancel on the statement in flight.
class OdbcConnection final : public Connection {
 public:
  /// Connects, retrying transient failures (08xxx, Azure SQL's transient
  /// native errors) with backoff until `options.timeout`.
  OdbcConnection(const Uri& uri, const ConnectOptions& options);
  ~OdbcConnection() override;
  OdbcConnection(const OdbcConnection&) = delete;
  OdbcConnection& operator=(const OdbcConnection&) = delete;

  std::string_view backend() const noexcept override { return "odbc"; }
  std::string display_url() const override { return display_; }
  Capabilities capabilities() const override;

  std::vector<TableInfo> list_tables() override;
  Schema describe(std::string_view table) override;
  /// The table as the catalog spells it when it exists, else resolve()'s table part.
  std::string own_table_name(std::string_view table) override;
  /// `name`, or `"name"` when it holds a '.' or starts with a quote.
  std::string table_reference(std::string_view name) const override;
  std::unique_ptr<BatchReader> scan(const ScanSpec& spec) override;
  std::unique_ptr<BatchReader> query(std::string_view text, std::span<const Value> params,
                                     const QueryOptions& options) override;
  uint64_t execute(std::string_view text, std::span<const Value> params) override;
  std::unique_ptr<BatchWriter> writer(std::string_view table, const Schema& schema,
                                      const WriteOptions& options) override;
  std::unique_ptr<ChangeWriter> change_writer(std::string_view table, const Schema& schema,
                                              const ChangeOptions& options) override;
  void create_table(std::string_view table, const Schema& schema) override;
  void drop_table(std::string_view table, bool if_exists) override;
  std::optional<uint64_t> count_rows(std::string_view table) override;
  PingResult ping() override;

  // For the reader and writer of this connector.
  const Dialect& dialect() const noexcept { return *dialect_; }
  SQLHDBC dbc() const noexcept { return dbc_.get(); }
  /// SQLGetInfo(SQL_DBMS_NAME), e.g. "PostgreSQL".
  const std::string& dbms_name() const noexcept { return dbms_name_; }
  /// The driver's file name, e.g. "psqlodbcw.so".
  const std::string& driver_name() const noexcept { return driver_name_; }
  /// Whether SQLGetData works on any column, bound ones included, of any row
  /// of a row array after SQLSetPos (SQL_GD_ANY_COLUMN | SQL_GD_BOUND |
  /// SQL_GD_BLOCK): readers then bind every column, large objects too.
  bool getdata_in_blocks() const noexcept { return getdata_in_blocks_; }
  /// Whether varchar and text columns read as SQL_C_BINARY come back as the
  /// server's UTF-8 bytes, unconverted (psqlODBC's Unicode driver, whose
  /// client encoding is UTF8): cheaper than SQL_C_WCHAR, which the driver
  /// widens to UTF-16 and the reader narrows back.
  bool raw_utf8_text() const noexcept { return raw_utf8_text_; }

  /// Runs `fn` as a call that may wait on the server (see the class comment);
  /// `stmt` (may be null) is the statement a stop request cancels when the
  /// socket is unknown. An Error `fn` throws after the idle limit or a stop
  /// request ended it becomes Error(timeout) or Error(cancelled). Nests, and
  /// may run on a reader's prefetch thread while the caller waits in another.
  template <class Fn>
  decltype(auto) io(SQLHSTMT stmt, Fn&& fn) {
    const auto busy = this->busy(stmt);
    try {
      return std::forward<Fn>(fn)();
    } catch (const Error& e) {
      if (auto why = interruption(e)) throw *why;
      throw;
    }
  }
  /// What io() does without the error translation, for cleanup that throws nothing.
  [[nodiscard]] SocketWatch::Busy busy(SQLHSTMT stmt = nullptr) { return watch_.busy(stmt); }
  /// The Error(cancelled) or Error(timeout) that explains `e` when a stop
  /// request or the idle limit ended the call that failed, else nullopt.
  std::optional<Error> interruption(const Error& e);
  /// interruption(e), or `e`.
  Error interrupted(const Error& e) { return interruption(e).value_or(e); }

  /// A new statement handle. Throws Error on failure.
  StmtHandle new_statement();
  /// A new statement with `sql` prepared (logged at debug); `what` heads the
  /// error when the driver refuses it. Throws Error.
  StmtHandle prepare(std::string_view sql, std::string_view what);
  /// Throws the Error for a failed call on `stmt` (unless `rc` succeeded).
  void check(SQLRETURN rc, SQLHSTMT stmt, std::string_view what) const;
  /// Runs `sql` with `params`; returns the affected rows (0 for results).
  uint64_t exec(std::string_view sql, std::span<const Value> params = {});
  /// Small results only (metadata): every cell as text.
  TextRows collect_text(std::string_view sql, std::span<const Value> params = {});

  /// Autocommit off (a transaction starts) or on (after commit/rollback).
  void set_autocommit(bool on);
  /// SQLEndTran: commit (true) or roll back (false).
  void end_transaction(bool commit);
  /// Rolls back and restores autocommit; logs instead of throwing.
  void rollback_quietly() noexcept;

  /// Splits a user's table name ("t", "schema.t"; quoted parts as
  /// core/sql_names.hpp reads them: `"a.b"`, `[dbo].[x.y]`).
  TableName resolve(std::string_view table) const;
  /// The table as the catalog has it, or nullopt.
  std::optional<TableInfo> find(const TableName& name);
  /// Columns, native details and primary key; Error(not_found) naming
  /// `as_given` for an unknown table.
  TableDescription describe_table(const TableName& name, std::string_view as_given);

 private:
  Error timed_out(const Error& e) const;
  void connect_once(const std::string& connection_string, std::chrono::seconds login_timeout,
                    const SocketTarget& target);
  void setup_session(const std::string& forced_dialect);
  std::string info_text(SQLUSMALLINT info);
  /// Catalog/schema arguments for catalog functions on `name`.
  std::pair<std::optional<std::string>, std::optional<std::string>> catalog_scope(
      const TableName& name) const;
  void add_details(TableDescription& d);
  void add_numeric_details(TableDescription& d);
  /// Appends the WHERE condition (and its parameters) of one partition.
  void add_partition(const TableDescription& d, const ScanSpec::Partition& part,
                     std::vector<std::string>& where, std::vector<Value>& params);

  EnvHandle env_;
  DbcHandle dbc_;
  bool connected_ = false;
  std::unique_ptr<Dialect> dialect_;
  std::string display_;
  std::string dbms_name_, dbms_version_, driver_name_;
  bool getdata_in_blocks_ = false;
  bool raw_utf8_text_ = false;
  std::string default_schema_;  ///< "" when the DBMS has none (MySQL)
  std::string catalog_;         ///< current catalog (MySQL: the database)
  // Last: its threads and stop callback end before the handles they touch.
  SocketWatch watch_;
};

/// Every row of `stmt`'s result, each cell as text (for metadata).
TextRows fetch_text_rows(const OdbcConnection& conn, SQLHSTMT stmt);

/// Reads column `col` of the current row with SQLGetData in 64 KiB chunks
/// into `out` (UTF-8 for wtext, bytes for binary, text for ascii); false for NULL.
bool get_long_data(const OdbcConnection& conn, SQLHSTMT stmt, SQLUSMALLINT col, FetchKind kind,
                   std::string& out);

/// A reader over one executed statement. `schema` null: derived from the
/// result's metadata (query()); otherwise the table's (scan()).
struct ReaderSetup : SqlReadSetup {
  std::string sql;
  std::vector<Value> params;
  /// Fill the next row array in a thread of its own while the caller consumes
  /// the previous one: only when nothing else runs on the connection meanwhile
  /// (QueryOptions::exclusive).
  bool prefetch = false;
};
std::unique_ptr<BatchReader> make_reader(OdbcConnection& conn, ReaderSetup setup);

std::unique_ptr<BatchWriter> make_writer(OdbcConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);

/// The change writer (changes.cpp): the key must be the table's primary key
/// or a unique index.
std::unique_ptr<ChangeWriter> make_change_writer(OdbcConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

}  // namespace polydb::odbc
