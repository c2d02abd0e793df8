#pragma once

// The PostgreSQL connection (private to the connector).

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connectors/common/sql_read_setup.hpp"
#include "connectors/postgres/errors.hpp"
#include "connectors/postgres/handles.hpp"
#include "connectors/postgres/types.hpp"
#include "core/io_wait.hpp"
#include "net/rds_auth.hpp"
#include "polydb/connection.hpp"
#include "polydb/secret.hpp"
#include "polydb/uri.hpp"

namespace polydb::postgres {

/// `"name"` with embedded quotes doubled.
std::string quote_ident(std::string_view name);
/// quote_ident of each name, joined by ", " (column lists).
std::string join_quoted(const std::vector<std::string>& names);

/// One way to read a table name the user wrote; schema empty = search_path.
struct NameCandidate {
  std::string schema;
  std::string table;
  friend bool operator==(const NameCandidate&, const NameCandidate&) = default;
};
/// The readings of `text`, most likely first: `orders`, `sales.orders`,
/// `"Sales"."Order.Lines"` ("" doubles a quote inside quotes). Unquoted
/// parts match exactly first, then folded to lower case as PostgreSQL does;
/// an unquoted `a.b` is also tried as one table named "a.b". Throws
/// Error(invalid_argument) for an empty name, an unterminated quote or more
/// than two parts.
std::vector<NameCandidate> parse_table_name(std::string_view text);

/// A resolved table.
struct TableName {
  std::string schema;
  std::string table;
  /// `"schema"."table"`, quoted for SQL text.
  std::string quoted() const;
};

/// libpq keywords for a URL: everything but the password, which stays a
/// Secret until the call to PQconnectdbParams.
struct ConnectParams {
  std::vector<std::pair<std::string, std::string>> keywords;
  Secret password;
  /// With `auth=aws-iam`: the RDS IAM token to make at each connect attempt
  /// (then `password` is empty and sslmode at least `require`).
  std::optional<net::RdsIamAuth> iam;
};
/// Maps `uri` (postgresql:// or postgres://) and `options` to libpq keywords.
/// The text to put in `COPY (...) TO STDOUT` for a query that COPY runs exactly
/// like the query itself: one SELECT, VALUES or TABLE statement (after blanks,
/// comments and parentheses), its trailing semicolon removed; std::nullopt for
/// anything else (WITH, DML, several statements, a semicolon inside).
std::optional<std::string> copyable_query(std::string_view sql);

/// The highest placeholder number ($N) in `sql`, 0 when there is none;
/// placeholders inside strings, quoted identifiers, dollar quotes and
/// comments do not count.
size_t highest_parameter(std::string_view sql);

/// Throws Error(invalid_argument) naming unknown or malformed query options.
ConnectParams connect_params(const Uri& uri, const ConnectOptions& options);

/// CREATE TABLE text for `name` from `schema` (types by declared_type(), or
/// with `native` each field's native_type where native_type_declarable();
/// NOT NULL, primary key). Throws Error(not_found) for an unknown key column.
std::string create_table_sql(const TableName& name, const Schema& schema, bool native = false);

/// What describe() knows, plus what the reader and writer need.
struct TableDesc {
  TableName name;
  Oid oid = 0;
  char relkind = 'r';  ///< r table, p partitioned, v view, m materialized view, f foreign
  Schema schema;
  std::vector<PgType> types;  ///< per field
};

/// Translates `filter` over the columns of `desc` into SQL with literals
/// (see sql_literal); std::nullopt when (part of) it cannot be pushed with
/// polydb's exact semantics.
std::optional<std::string> filter_to_sql(const Filter& filter, const TableDesc& desc,
                                         const QuoteLiteral& quote);

/// Row ranges for part `index` of `count` of a table.
/// - single integer primary key: `"k" >= lo AND "k" < hi` over [min, max];
/// - otherwise, for a plain table or materialized view: ctid block ranges
///   over `blocks` blocks; the last part is open-ended;
/// - otherwise part 0 reads everything and the others nothing.
/// `key_range` is the key's [min, max] (nullopt: empty table or no such key).
std::string partition_predicate(const TableDesc& desc, uint32_t index, uint32_t count,
                                std::optional<std::pair<int64_t, int64_t>> key_range,
                                uint64_t blocks);
/// The single integer primary key column of `desc`, if it has one.
std::optional<size_t> integer_key(const TableDesc& desc);

/// A libpq connection. Single-threaded, like libpq, and one command at a
/// time: a reader or writer that is streaming keeps it busy. Readers and
/// writers borrow it and must be destroyed first.
class PgConnection final : public Connection {
 public:
  /// Connects, retrying a refused or dropped connection a few times. Throws
  /// Error (connection, timeout, auth, not_found, invalid_argument).
  PgConnection(const Uri& uri, const ConnectOptions& options);

  std::string_view backend() const noexcept override { return kBackend; }
  std::string display_url() const override { return display_; }
  Capabilities capabilities() const override;

  std::vector<TableInfo> list_tables() override;
  Schema describe(std::string_view table) override;
  /// The existing table's name as pg_class spells it, else the table part of
  /// the first reading of parse_table_name().
  std::string own_table_name(std::string_view table) override;
  /// `name`, or quote_ident(name) when it holds a '.' or a '"'.
  std::string table_reference(std::string_view name) const override;
  std::unique_ptr<BatchReader> scan(const ScanSpec& spec) override;
  std::unique_ptr<BatchReader> query(std::string_view text, std::span<const Value> params,
                                     const QueryOptions& options) override;
  uint64_t execute(std::string_view text, std::span<const Value> params) override;
  std::unique_ptr<BatchWriter> writer(std::string_view table, const Schema& schema,
                                      const WriteOptions& options) override;
  /// COPY into a staging table, then one upsert and one delete per batch
  /// (changes.cpp). The key must be the primary key or a unique index.
  std::unique_ptr<ChangeWriter> change_writer(std::string_view table, const Schema& schema,
                                              const ChangeOptions& options) override;
  void create_table(std::string_view table, const Schema& schema) override;
  void drop_table(std::string_view table, bool if_exists) override;
  std::optional<uint64_t> count_rows(std::string_view table) override;
  std::optional<uint64_t> estimate_rows(std::string_view table) override;
  std::optional<uint64_t> estimate_matches(std::string_view table, const Filter& filter) override;
  PingResult ping() override;
  /// A connection of the Snapshot's own exports a REPEATABLE READ snapshot
  /// (pg_export_snapshot) and keeps the exporting transaction open for as
  /// long as the Snapshot lives; every reader is a new connection that
  /// imports it with SET TRANSACTION SNAPSHOT (any number of them).
  std::unique_ptr<Snapshot> snapshot(uint32_t readers) override;
  /// A new connection in a read-only transaction on the exported snapshot `id`.
  std::unique_ptr<PgConnection> import_snapshot(const std::string& id) const;

  // For the reader and writer of this connector.
  PGconn* pg() const noexcept { return conn_.get(); }
  /// Runs `sql` with text parameters (nullopt = NULL) and text results;
  /// throws an Error saying `what` unless the command succeeds.
  PgResult run(std::string_view sql, std::span<const std::optional<std::string>> params = {},
               std::string_view what = "statement failed");
  /// Resolves a user's table name; nullopt when no table or view matches.
  std::optional<TableDesc> find_table(std::string_view table);
  /// find_table() or Error(not_found) naming the table.
  TableDesc describe_table(std::string_view table);
  /// Where a new table named `table` goes: its schema (current_schema() when
  /// the name has none) and name.
  TableName new_table_name(std::string_view table);
  /// Resolves type OIDs (domains, enums, arrays, extension types) into
  /// types_, asking the catalog once per connection for each new OID.
  void resolve_types(std::span<const Oid> oids);
  /// The SQL literal quoter of this connection (PQescapeLiteral).
  QuoteLiteral quoter() const;
  /// Readers and writers mark the connection busy while they stream: libpq
  /// can run one command at a time. Throws Error(invalid_argument) when busy.
  void ensure_idle() const;
  void set_busy(bool busy) noexcept { busy_ = busy; }

  // libpq runs in non-blocking mode: these replace its blocking calls, and
  // every wait they do on the socket ends after the idle timeout
  // (ConnectOptions::read_timeout, `read-timeout`) with Error(timeout), or at a
  // stop request (ConnectOptions::stop) with Error(cancelled); the connection
  // is then abandoned (io.cpp).
  /// Sends what libpq has queued.
  void flush_output();
  /// The next result of the command in progress; null once it is complete.
  PgResult next_result();
  /// Collects the results of the command just sent, as PQexec does: the first
  /// error, else the last result; returns at once on a COPY state.
  PgResult finish_command();
  /// PQexec: sends `sql` (one or more statements) and finishes it.
  PgResult exec(const std::string& sql);
  /// PQgetCopyData: the length of the next CopyData message in `*buffer`,
  /// -1 at the end of the COPY, -2 on failure.
  int get_copy_data(char** buffer);
  /// PQputCopyData / PQputCopyEnd, flushed; false when libpq failed.
  bool put_copy_data(const char* data, int size);
  bool put_copy_end(const char* error_message);
  /// Reads and discards whatever the running command still sends (COPY data,
  /// results), so that the connection can run the next command; abandons the
  /// connection when that fails. Never throws.
  void drain() noexcept;
  /// Cancels the running command (PQcancel) and drains it; abandons instead
  /// when a stop was requested. Never throws.
  void cancel_and_drain(bool copy_out) noexcept;
  /// Shuts the socket down after a timeout or a stop, so that no later call
  /// waits; the server rolls back. The connection is unusable afterwards.
  void abandon() noexcept;

 private:
  struct BoundParams;
  /// Prepares `sql` as the unnamed statement and describes it: the result
  /// carries the result columns; a wrong parameter count is an Error.
  PgResult prepare(const std::string& sql, const BoundParams& params, std::string_view what);

  /// Waits (bounded) until the socket is ready; throws and abandons on a
  /// timeout or a stop. `doing` names the wait in the timeout's message.
  void wait_for(FdEvent event, std::string_view doing);
  /// Connects with PQconnectStartParams/PQconnectPoll, bounded by
  /// `connect_timeout` and the stop token; true when connected.
  bool connect_once(const char* const* keys, const char* const* values,
                    std::chrono::milliseconds connect_timeout);

  PgConn conn_;
  Uri uri_;  ///< to open more connections to the same database
  ConnectOptions options_;  ///< config cleared: the URL is already resolved
  std::string display_;
  std::unordered_map<Oid, PgType> types_;
  bool busy_ = false;
  std::chrono::milliseconds read_timeout_{0};
  bool abandoned_ = false;
};

/// Everything a reader needs besides the running command.
struct ReaderSetup : SqlReadSetup {
  std::vector<PgType> types;  ///< per field: how each arrives
  bool is_query = false;  ///< a query() result, not a table scan: for messages
};

/// Runs `copy_sql` (COPY ... TO STDOUT (FORMAT binary)) and streams it.
std::unique_ptr<BatchReader> make_copy_reader(PgConnection& conn, const std::string& copy_sql,
                                              ReaderSetup setup);
/// Streams the single-row-mode result of a query already sent on `conn`.
std::unique_ptr<BatchReader> make_row_reader(PgConnection& conn, ReaderSetup setup);

std::unique_ptr<BatchWriter> make_writer(PgConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);

std::unique_ptr<ChangeWriter> make_change_writer(PgConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

}  // namespace polydb::postgres
