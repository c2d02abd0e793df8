#pragma once

/// The connector interface: one API over every backend polydb supports.
///
/// Obtain a Connection with polydb::connect(url_or_name). A Connection, and
/// every reader and writer it returns, is single-threaded (like the client
/// libraries underneath: libpq, libmariadb, curl easy handles): use one
/// connection per thread. Readers and writers borrow their connection and must
/// be destroyed before it. Every call may throw polydb::Error.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/batch.hpp"
#include "polydb/filter.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb {

class Config;
class Snapshot;

/// What a backend can do; tools consult this instead of checking backend names.
struct Capabilities {
  bool sql = false;              ///< query()/execute() take SQL
  bool transactions = false;     ///< writers commit atomically
  bool bulk_write = false;       ///< writer() has a bulk path
  bool filter_pushdown = false;  ///< scan() filters run in the backend
  bool limit_pushdown = false;  ///< scan() stops at ScanSpec::limit: in the backend, or by fetching no further page (ScanPlan::limit_pushed says which)
  bool order_pushdown = false;
  bool partitioned_scan = false;  ///< ScanSpec::partition splits work
  /// Reserved for change capture (the sync tool): no connector sets it yet,
  /// and there is no changes() method.
  bool changes = false;
  bool schemas = false;           ///< tables may be named schema.table
  /// snapshot() opens a snapshot that several reader connections share.
  bool shared_snapshot = false;
  /// A copy within one database should read and write through one connection:
  /// a second connection would wait on the first one's locks (SQLite files).
  /// False where one connection cannot stream a read and a write at once
  /// (PostgreSQL's COPY).
  bool single_connection_copy = false;
  /// scan() places NULLs as OrderBy::nulls_first asks.
  bool order_nulls = false;
  /// query() binds parameters by name (QueryOptions::param_names, e.g. "@x").
  bool named_parameters = false;
  /// WriteMode::replace swaps the new contents in atomically (readers see the
  /// old table or the new one). False: replace deletes the old contents, then
  /// writes (DynamoDB, Cosmos DB, Firestore): a failure in between leaves the
  /// table incomplete, so tools ask for explicit consent (copy --non-atomic).
  bool atomic_replace = false;
  /// scan() computes ScanSpec::aggregates itself (SQL backends).
  bool aggregate_pushdown = false;
  /// change_writer() applies change batches (upserts and removes by key,
  /// optionally conditional on a per-row version).
  bool change_writes = false;
  /// scan() readers report resume points (BatchReader::resume_point) and
  /// continue from one (ScanSpec::resume_from).
  bool resume_points = false;
};

/// A table or view.
struct TableInfo {
  std::string name;  ///< as accepted by describe()/scan(), e.g. "public.orders"
  std::string kind;  ///< "table" or "view"
};

struct OrderBy {
  std::string column;
  bool descending = false;
  /// Where NULLs go; std::nullopt = the backend's default. Honoured by
  /// backends with Capabilities::order_nulls.
  std::optional<bool> nulls_first;
};

/// Arithmetic over one row's columns, the argument of a ScanAggregate.
struct ScanExpr {
  enum class Kind { column, number, add, subtract, multiply, negate };
  Kind kind = Kind::column;
  /// column: its name; number: a decimal literal as written ("1", "0.05").
  std::string text;
  std::vector<ScanExpr> operands;  ///< add/subtract/multiply: two; negate: one

  static ScanExpr column(std::string name);
  static ScanExpr number(std::string literal);  ///< digits with at most one '.'
  static ScanExpr binary(Kind kind, ScanExpr a, ScanExpr b);
  static ScanExpr negation(ScanExpr a);
  /// SQL-like text for EXPLAIN.
  std::string to_string() const;
};

/// One aggregate a backend computes over the rows a scan's filter keeps.
/// Results follow polydb's query engine: count is an integer; sum adds exactly
/// (an integer for integers, a decimal otherwise); avg is a float64; min/max
/// keep the argument's type. NULL arguments are skipped; sum/avg/min/max of
/// no value is NULL.
struct ScanAggregate {
  enum class Fn { count_rows, count, sum, min, max, avg };
  Fn fn = Fn::count_rows;
  std::optional<ScanExpr> argument;  ///< every function but count_rows (count(*))
  std::string name;                  ///< the result column's name
  std::string to_string() const;     ///< "sum(a * b)"
  /// The type of the result over `table`'s columns (as above: integers stay
  /// int64 only where every column and literal of the argument is one).
  /// Throws Error(not_found) for a column `table` lacks, Error(unsupported)
  /// for an argument of columns that are not numbers (min/max: not a number
  /// or a date).
  Type result_type(const Schema& table) const;
};

/// What to read from a table. Columns empty = all columns in table order.
struct ScanSpec {
  std::string table;
  std::vector<std::string> columns;
  std::optional<Filter> filter;
  std::vector<OrderBy> order_by;
  std::optional<uint64_t> limit;
  /// Read only part `index` of `count` (parallel scans); {0, 1} = everything.
  struct Partition {
    uint32_t index = 0;
    uint32_t count = 1;
  } partition;
  size_t batch_rows = 4096;       ///< rows per batch at most
  size_t batch_bytes = 8u << 20;  ///< approximate byte cap per batch
  /// Memory for an ORDER BY that polydb evaluates itself (backends that cannot
  /// sort that way): beyond it, sorted runs go to a temporary file in $TMPDIR.
  size_t sort_memory_bytes = 64u << 20;
  /// As QueryOptions::exclusive: the caller runs nothing else on this
  /// connection until the reader is read to the end or destroyed, so a
  /// backend may read ahead on a thread of its own (ODBC: the next row array
  /// is fetched while the caller converts the previous one).
  bool exclusive = false;
  /// Aggregation, for backends with Capabilities::aggregate_pushdown: when
  /// `aggregates` is not empty, the scan returns one row per distinct
  /// combination of the `group_by` columns (one row in all without them):
  /// those columns, then the aggregates. The filter applies before grouping
  /// and must be evaluated by the backend entirely (Error(unsupported)
  /// otherwise); `columns`, `order_by`, `limit` and `partition` must be empty.
  std::vector<std::string> group_by;
  std::vector<ScanAggregate> aggregates;
  /// Continue an interrupted scan: the text a reader of the same spec
  /// returned from resume_point(); the new reader returns exactly the rows
  /// that reader had not returned yet. Empty = from the start. For backends
  /// with Capabilities::resume_points; others throw Error(unsupported) for a
  /// non-empty value. Error(invalid_argument) for a text the backend did not
  /// write (or wrote for another table or segment).
  std::string resume_from;
};

/// How a scan was executed: what the backend did and what polydb did locally.
struct ScanPlan {
  std::string native;  ///< the native query / API call sent
  bool columns_pushed = false;
  bool filter_pushed = false;  ///< false: polydb filters locally
  bool limit_pushed = false;
  bool order_pushed = false;
};

/// Streams a result as batches. Single-threaded; borrows its Connection.
class BatchReader {
 public:
  virtual ~BatchReader() = default;
  /// Schema of every batch this reader returns.
  virtual const Schema& schema() const = 0;
  /// The next batch (at most ScanSpec/QueryOptions batch_rows rows, never
  /// empty), or std::nullopt at the end. A dropped connection or any backend
  /// failure throws; a result is never silently cut short.
  virtual std::optional<Batch> next() = 0;
  /// What was pushed down (scan) or sent (query).
  virtual ScanPlan plan() const { return {}; }
  /// Where a scan with the same spec continues after the rows this reader
  /// has returned so far (in the batches next() handed out): an opaque text
  /// for ScanSpec::resume_from (the key of the last row, a DynamoDB
  /// LastEvaluatedKey, a Cosmos DB continuation, a Firestore cursor).
  /// nullopt when this reader cannot tell (the default; query() readers; an
  /// order that polydb sorts itself). At the end of the result it may still
  /// return a point: a scan resumed there returns nothing.
  virtual std::optional<std::string> resume_point() const { return std::nullopt; }
};

struct QueryOptions {
  size_t batch_rows = 4096;
  size_t batch_bytes = 8u << 20;
  /// Names of the parameters, parallel to `params` ("@x" for `-p @x=5`);
  /// empty = positional. Only backends with Capabilities::named_parameters
  /// read it: check that capability before passing names (the CLI does).
  std::vector<std::string> param_names;
  /// The caller runs nothing else on this connection until the reader is read
  /// to the end or destroyed: a backend may then stream the result instead of
  /// keeping the connection free between batches (MySQL: no server cursor,
  /// whose temporary table costs the server a full copy of the result).
  bool exclusive = false;
};

/// What the requests of a connection have cost so far, for services that bill
/// per request (Cosmos DB request units). Summed over the connection and every
/// reader and writer it opened.
struct RequestCost {
  double total = 0;       ///< in `unit`
  std::string unit;       ///< e.g. "RU"
  uint64_t requests = 0;  ///< requests that reported a cost
};

/// How a writer treats the target table.
enum class WriteMode {
  create,   ///< create the table from the schema; error if it exists
  append,   ///< insert into an existing table (created when missing)
  /// Replace the contents: built aside and swapped in atomically where
  /// Capabilities::atomic_replace; elsewhere the old contents are deleted,
  /// then the new ones written (a failure in between leaves the table
  /// incomplete).
  replace,
  upsert,   ///< insert, or update rows whose key already exists
};
std::string_view to_string(WriteMode mode) noexcept;
/// "create"|"append"|"replace"|"upsert"; throws Error(invalid_argument).
WriteMode parse_write_mode(std::string_view text);

struct WriteOptions {
  WriteMode mode = WriteMode::append;
  std::vector<std::string> key;  ///< upsert key; defaults to the primary key
  /// Connection::backend() of the connection the batches come from ("" =
  /// unknown). A writer that creates the table on that same backend declares
  /// each column with the source's Field::native_type where that is a built-in
  /// type it can write (an integer stays integer, varchar(20) stays
  /// varchar(20)); otherwise it maps polydb types (docs/type-mapping.md).
  std::string source_backend;
};

struct WriteResult {
  uint64_t rows = 0;
};

/// Bulk writer. write() batches (schema as given to writer()), then commit().
/// Destroying a writer without commit() rolls back: the target is left as it
/// was before the writer was opened (for backends with transactions:
/// Capabilities::transactions). Without transactions, rows written stay.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  /// Throws Error: type_mismatch (a value the column cannot hold), conflict
  /// (a duplicate key outside upsert mode, a constraint), throttled,
  /// timeout, connection, cancelled (a stop request), and the backend's
  /// other errors (its own message in Error::detail, its code in
  /// Error::native_code).
  virtual void write(const Batch& batch) = 0;
  /// Makes the writes visible (and, in replace mode, swaps the table in).
  /// Throws what write() throws; on a throw nothing is committed where the
  /// backend has transactions.
  virtual WriteResult commit() = 0;
  /// Rolls back explicitly; safe to call more than once.
  virtual void abort() noexcept = 0;
};

/// What one change does to the row its key designates.
enum class ChangeOp : uint8_t {
  upsert,  ///< insert the row, or replace the stored row that has its key
  remove,  ///< delete the row that has the key (none: nothing happens)
};
std::string_view to_string(ChangeOp op) noexcept;

/// Changes to apply to one table, in order: row i of `rows` with ops[i]. An
/// upsert sets every column of the row; a remove reads only the key columns
/// (and the version column, if any): its other cells may be NULL.
struct ChangeBatch {
  Batch rows;                 ///< the schema given to change_writer()
  std::vector<ChangeOp> ops;  ///< one per row

  /// Appends one change: `row` (a value per column of `rows`) with `op`,
  /// keeping rows and ops in step. Throws what Batch::append_row throws.
  void append(ChangeOp op, std::span<const Value> row) {
    rows.append_row(row);
    ops.push_back(op);
  }
};

struct ChangeOptions {
  /// The columns that identify a row; empty = the schema's primary key.
  std::vector<std::string> key;
  /// Conditional apply (empty = unconditional): an int64 column of the
  /// schema, stored in the table too, holding each row's version (e.g. the
  /// source's commit position). An upsert replaces a stored row only when
  /// the stored version is NULL or lower than the incoming one (an equal
  /// version was applied already); a remove deletes a stored row only when
  /// its version is NULL or not higher than the remove's. A key that is not
  /// stored is always inserted by an upsert. So replaying a change stream
  /// from an earlier position never puts an older row over a newer one.
  /// (A remove leaves no version behind: an upsert older than it, replayed
  /// after it, inserts the row again; replays in stream order end right.)
  std::string version_column;
};

/// What a ChangeWriter applied since it opened.
struct ChangeResult {
  /// Every upsert given to apply(): those applied, those skipped as stale,
  /// and those a later change of the same key in the batch overrode.
  uint64_t upserts = 0;
  uint64_t removes = 0;  ///< likewise every remove, including keys that were not stored
};

/// Applies change batches to one table (the sync and migrate tools). Batches
/// take effect in order. Within a batch, the changes of one key reduce to one
/// that decides: the last one; with a version column, the one with the
/// highest version (the later one on a tie), applied by the version rules
/// above. So a remove at version 8 and an upsert at version 3 of one key in
/// one batch leave the key removed, whatever their order. Single-threaded;
/// borrows its Connection.
class ChangeWriter {
 public:
  virtual ~ChangeWriter() = default;
  /// Throws Error: invalid_argument (ops.size() differs from the rows, a NULL
  /// key or a NULL version), type_mismatch, conflict (a constraint other than
  /// the key), and the connection's errors.
  virtual void apply(const ChangeBatch& changes) = 0;
  /// Makes the changes applied since the last commit visible: atomically
  /// where Capabilities::transactions (a throw commits nothing), else each
  /// change is visible once applied and commit() only flushes. The writer
  /// stays usable: apply() and commit() again (one commit per chunk).
  virtual ChangeResult commit() = 0;
  /// Rolls back what was applied since the last commit (backends with
  /// transactions); safe to call more than once; the writer is unusable
  /// afterwards.
  virtual void abort() noexcept = 0;
};

/// Result of ping().
struct PingResult {
  std::chrono::microseconds latency{0};  ///< one round trip
  std::string server_version;
  std::string role;  ///< e.g. "primary", "replica", "embedded"
};

/// A live connection to one database. Move-only through unique_ptr;
/// single-threaded.
class Connection {
 public:
  virtual ~Connection() = default;

  /// Backend name, e.g. "sqlite".
  virtual std::string_view backend() const noexcept = 0;
  /// The connection URL with secrets redacted.
  virtual std::string display_url() const = 0;
  virtual Capabilities capabilities() const = 0;

  // Errors every method below may throw besides those it names: connection
  // (unreachable, dropped), auth, timeout (read-timeout, connect timeout),
  // throttled, cancelled (ConnectOptions::stop) and internal; a backend's
  // failure keeps its own text in Error::detail and its code (SQLSTATE,
  // errno, HTTP status) in Error::native_code.

  virtual std::vector<TableInfo> list_tables() = 0;
  /// Throws Error(not_found) for an unknown table.
  virtual Schema describe(std::string_view table) = 0;

  /// The table's own name: what `table`, as this connection reads table
  /// names, designates, without its schema or database and unquoted
  /// (`public.orders` -> `orders`, `"we""ird"` -> `we"ird`, `"dot.ted"` ->
  /// `dot.ted`), spelled as the backend stores it when the table exists.
  /// `polydb copy` names its destination table after it by default. The
  /// default returns `table` unchanged: for backends that take table names
  /// literally. Throws Error(invalid_argument) for a name that does not parse.
  virtual std::string own_table_name(std::string_view table) { return std::string(table); }
  /// The text that designates the table named exactly `name` (an own name,
  /// as own_table_name() returns) in this connection's default schema or
  /// database: `name` itself, or quoted where this connection's table-name
  /// syntax would read it otherwise (a '.', a leading quote). The default
  /// returns `name` unchanged. Never throws but for allocation.
  virtual std::string table_reference(std::string_view name) const { return std::string(name); }

  /// Reads a table with pushdown. The result always honours the whole spec,
  /// pushed or not. Throws Error: not_found (table, column), invalid_argument
  /// (a spec the reader cannot honour: a partition out of range, a bad
  /// filter), unsupported (a comparison polydb cannot make with the
  /// backend's semantics, e.g. a case-insensitive one beyond ASCII).
  virtual std::unique_ptr<BatchReader> scan(const ScanSpec& spec) = 0;
  /// Runs a native query (SQL for SQL engines) with bound parameters.
  /// Throws Error: invalid_argument (the backend refuses the text; a
  /// parameter count that does not match the placeholders), not_found (a
  /// table it names), type_mismatch (a parameter the backend cannot take).
  virtual std::unique_ptr<BatchReader> query(std::string_view text,
                                             std::span<const Value> params = {},
                                             const QueryOptions& options = {}) = 0;
  /// Runs a native statement; returns the affected row count. Throws what
  /// query() throws, and conflict (a constraint the statement breaks).
  virtual uint64_t execute(std::string_view text, std::span<const Value> params = {}) = 0;

  /// A writer into `table`, as `options.mode` says. Throws Error: conflict
  /// (create mode and the table exists), not_found (append/upsert into a
  /// table that cannot be created here), invalid_argument (no key for an
  /// upsert, columns that do not match the table), type_mismatch.
  virtual std::unique_ptr<BatchWriter> writer(std::string_view table, const Schema& schema,
                                              const WriteOptions& options) = 0;
  /// A writer of change batches into the existing `table` (whose columns
  /// `schema` names, a subset of the table's, the key and version column
  /// included). Throws Error: unsupported (Capabilities::change_writes
  /// false: the default), not_found (the table or a column), invalid_argument
  /// (no key, a key or version column missing from `schema`, a version
  /// column that is not int64).
  virtual std::unique_ptr<ChangeWriter> change_writer(std::string_view table,
                                                      const Schema& schema,
                                                      const ChangeOptions& options);
  /// Creates `table` from `schema` (with its primary key). Error(conflict) if it exists.
  virtual void create_table(std::string_view table, const Schema& schema) = 0;
  /// Error(not_found) for a missing table unless `if_exists`.
  virtual void drop_table(std::string_view table, bool if_exists = false) = 0;
  /// Number of rows, when the backend can tell cheaply or exactly; nullopt
  /// when it cannot. Error(not_found) for a missing table.
  virtual std::optional<uint64_t> count_rows(std::string_view table) = 0;
  /// A cheap estimate of the number of rows from the backend's statistics
  /// (PostgreSQL pg_class.reltuples, MySQL information_schema.TABLES,
  /// DynamoDB's ItemCount, ...), without reading the table; nullopt when the
  /// backend keeps none (the default). May be stale; for planning only.
  virtual std::optional<uint64_t> estimate_rows(std::string_view table) {
    (void)table;
    return std::nullopt;
  }
  /// The rows of `table` that `filter` keeps, as the backend's planner
  /// estimates them from its column statistics (PostgreSQL: EXPLAIN over
  /// pg_statistic), without reading the table; nullopt when the backend has
  /// no such estimate (the default) or cannot evaluate the filter.
  virtual std::optional<uint64_t> estimate_matches(std::string_view table, const Filter& filter) {
    (void)table;
    (void)filter;
    return std::nullopt;
  }

  virtual PingResult ping() = 0;

  /// The cost of the requests made so far; nullopt for backends that report
  /// none (the default). Thread-safe for connectors whose writers use threads.
  virtual std::optional<RequestCost> request_cost() const { return std::nullopt; }

  /// Opens a snapshot of the database for `readers` (>= 1) reader
  /// connections: Snapshot::open_reader() returns NEW connections that all
  /// read the database as it was at one point in time, so that partitioned
  /// scans spread over them (one per thread) add up to one consistent read.
  /// `this` connection is not changed and may keep working.
  ///
  /// Throws Error(invalid_argument) for readers == 0; Error(unsupported) when
  /// the backend cannot share a snapshot (Capabilities::shared_snapshot false,
  /// the default) or the server refuses what it needs (e.g. MySQL without the
  /// RELOAD privilege); and the backend's errors for failures to connect.
  virtual std::unique_ptr<Snapshot> snapshot(uint32_t readers);
  /// snapshot(n), then its n readers. Throws what snapshot() throws.
  std::vector<std::unique_ptr<Connection>> open_snapshot_readers(uint32_t n);
};

/// One consistent point in time of a database, shared by reader connections
/// (Connection::snapshot). Single-threaded.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  /// A NEW connection that reads the snapshot: it sits in a read-only
  /// transaction (ending the connection ends it). Use it for reading only
  /// (scan, query, describe). Readers outlive the Snapshot. Throws
  /// Error(invalid_argument) once the readers the snapshot was opened for
  /// have all been taken, for backends that must start them together
  /// (MySQL, SQLite; PostgreSQL opens any number, while the Snapshot
  /// lives), and the backend's errors for failures to connect.
  virtual std::unique_ptr<Connection> open_reader() = 0;
  /// The backend's name for the snapshot, for logs (PostgreSQL: the
  /// exported snapshot id); empty where it has none.
  virtual std::string id() const { return {}; }
};

/// Options for connect().
struct ConnectOptions {
  const Config* config = nullptr;  ///< resolves connection names; may be null
  std::chrono::milliseconds timeout{10'000};
  /// Create the database when it does not exist (embedded backends: the file).
  /// Off by default so that a mistyped path is an error, not a new empty database.
  bool create_if_missing = false;
  /// How long one network read or write may go without receiving or sending
  /// a byte before it fails with Error(timeout): a stalled server or a
  /// half-open connection that TCP keepalives have not caught yet. Zero = no
  /// limit. The URL option `read-timeout=SECONDS` (every network backend)
  /// overrides it for one connection.
  std::chrono::milliseconds read_timeout{300'000};
  /// A stop request interrupts whatever the connection (and every reader,
  /// writer and snapshot connection opened from it) is doing or waiting for
  /// (a blocked read or write, a connect, a retry's backoff) within about a
  /// second: the call throws Error(cancelled). A transaction in progress is
  /// rolled back by the server when the connection closes; the connection is
  /// unusable afterwards. Default: never stopped.
  std::stop_token stop;
};

/// Opens a connection from a URL (`sqlite:///x.db`, `postgresql://...`) or a
/// connection name from `options.config`. A path to an existing SQLite file
/// (`orders.db`) is accepted too. Throws Error: invalid_argument for a
/// malformed URL or unknown scheme (listing the known ones), not_found for an
/// unknown name, and the backend's errors for failures to connect.
std::unique_ptr<Connection> connect(std::string_view url_or_name,
                                    const ConnectOptions& options = {});

}  // namespace polydb
