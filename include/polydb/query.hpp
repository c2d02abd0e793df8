#pragma once

/// polydb::Federation — one SQL statement over tables of many databases.
///
/// Each attached connection is a schema of an embedded SQLite engine: its
/// tables appear as `name.table` (and `name.schema.table` for backends with
/// schemas). Remote tables are SQLite virtual tables over the connector
/// interface: the columns a query uses, its comparisons (=, <, <=, >, >=,
/// <>, IN, IS [NOT] NULL), LIMIT and ORDER BY are pushed into the backend's
/// scan, and a table that a join probes repeatedly is copied once into a
/// local indexed store instead of being asked once per row. Everything else
/// (joins, GROUP BY, window functions, ...) is SQLite.
///
/// ```cpp
/// polydb::Federation fed;
/// fed.attach("pg", "postgresql://app@127.0.0.1/shop");
/// fed.attach("my", "mysql://app@127.0.0.1/crm");
/// auto r = fed.query("SELECT c.country, SUM(o.amount) FROM pg.orders o "
///                    "JOIN my.customers c ON c.id = o.customer_id GROUP BY 1");
/// while (auto batch = r->next()) ...
/// ```
///
/// A Federation is single-threaded and runs one query at a time: read a
/// reader to the end (or destroy it) before starting the next query.

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
#include "polydb/connection.hpp"
#include "polydb/value.hpp"

namespace polydb {

class Config;

struct FederationOptions {
  /// Every connection of the config is attached under its name (connected
  /// only when a query uses one of its tables). May be null.
  const Config* config = nullptr;
  std::chrono::milliseconds connect_timeout{10'000};
  /// Abort a query that would make more remote calls than this (a remote
  /// call is one scan sent to a backend: one native query or API read).
  std::optional<uint64_t> max_remote_calls;
  /// A stop request ends the query with Error(cancelled): it is polled
  /// between batches and while SQLite works, and goes to every connection the
  /// federation opens (ConnectOptions::stop), so that it also interrupts a
  /// remote read that is waiting on the network. Default: never stopped.
  std::stop_token stop;
  /// ConnectOptions::read_timeout of every connection the federation opens.
  std::chrono::milliseconds read_timeout{300'000};
  size_t batch_rows = 4096;
  /// A table read into a local copy for a join stays in memory (hash index)
  /// up to this many bytes, and moves to a temporary file beyond.
  size_t local_copy_memory_bytes = 64u << 20;
  /// Joins that probe a big table from a small side send the small side's
  /// keys as IN lists (BatchGetItem on DynamoDB) instead of copying the big
  /// table: a discovery pass runs the statement once with the probes only
  /// logging their keys, then the query runs over what was fetched.
  bool key_batching = true;
  /// A SELECT that aggregates one table of a SQL backend (sum, count, avg,
  /// min, max; with or without GROUP BY) has the backend compute the
  /// aggregates, when the answer stays what SQLite would give (docs/query.md).
  bool aggregate_pushdown = true;
  /// Joins of tables of one PostgreSQL, MariaDB/MySQL or SQLite attachment
  /// by inner-join equalities run in that backend as one query (a join
  /// view, docs/query.md); false: SQLite joins the tables itself.
  bool join_pushdown = true;
};

/// How one remote table was read by a query (one row of --explain).
struct RemoteAccess {
  std::string table;     ///< "pg.orders"
  std::string access;    ///< "scan" or "lookup (customer_id)"
  std::string columns;   ///< pushed projection, comma-separated
  std::string filter;    ///< pushed filter ('?' for values known only at run time)
  std::string limit;     ///< pushed limit, "" when none
  std::string order;     ///< pushed ORDER BY, "" when none
  std::string strategy;  ///< after a run: "remote", "remote, then local copy indexed on (...)"
  std::string native;    ///< after a run: the last native query / API call sent
  uint64_t remote_calls = 0;
  uint64_t rows_fetched = 0;  ///< rows received from the backend
  uint64_t probes = 0;        ///< times SQLite asked this table for rows
  double seconds = 0;         ///< time spent waiting on the backend
};

/// A query plan: SQLite's steps, and per remote table what was pushed down.
struct FederatedPlan {
  std::vector<std::string> steps;  ///< SQLite's EXPLAIN QUERY PLAN lines, indented
  std::vector<RemoteAccess> tables;
};

class Federation {
 public:
  explicit Federation(FederationOptions options = {});
  ~Federation();
  Federation(const Federation&) = delete;
  Federation& operator=(const Federation&) = delete;

  /// Attaches a connection URL or config connection name under `name`
  /// ([A-Za-z_][A-Za-z0-9_]*, not main or temp); it connects on first use.
  /// Replaces a config connection of the same name. Throws
  /// Error(invalid_argument) for a bad name or a name attached twice.
  void attach(std::string_view name, std::string_view url_or_name);
  /// Attaches an open connection (owned from now on).
  void attach(std::string_view name, std::unique_ptr<Connection> conn);

  /// Runs one SQL statement (SQLite's dialect). `params` bind to ?/?N (or to
  /// :name/@name/$name placeholders when `param_names` is given, one per
  /// value). Errors name the backend and table they come from.
  std::unique_ptr<BatchReader> query(std::string_view sql, std::span<const Value> params = {},
                                     std::span<const std::string> param_names = {});

  /// The plan of `sql` without running it; with `analyze`, runs it (rows are
  /// discarded) and fills in strategies, native calls, counts and times.
  FederatedPlan explain(std::string_view sql, std::span<const Value> params = {},
                        std::span<const std::string> param_names = {}, bool analyze = false);

  /// Remote calls made by the last query so far.
  uint64_t remote_calls() const noexcept;
  /// Per remote table, what the last query did so far (as explain(analyze)).
  std::vector<RemoteAccess> last_accesses() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace polydb
