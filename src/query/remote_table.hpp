#pragma once

// The virtual-table module behind Federation: one RemoteTable per remote
// table a query has named, plans chosen by SQLite through xBestIndex, and
// cursors that stream the backend's batches or probe a local copy.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/query.hpp"
#include "query/join_pushdown.hpp"
#include "query/key_index.hpp"

namespace polydb::query {

class Engine;

/// One comparison a plan pushes: argv[i] of xFilter is its value.
struct PlanTerm {
  int column = 0;
  CompareOp op = CompareOp::eq;
  bool in_list = false;   ///< `column IN (...)`, all values at once
  bool lookup = false;    ///< value changes per probe (a join or correlated value)
  /// `column LIKE pattern` on a join view (join_view.hpp: like_column):
  /// sent where the backend can keep a superset of the rows, which SQLite
  /// then checks itself.
  bool like = false;
  std::string shown;      ///< the value known at plan time, or "?"
};

/// A local copy of (part of) a remote table: in memory with a hash index
/// while it is small, else in the engine's cache database (on disk) with a
/// B-tree index.
struct LocalCopy {
  std::string table;                ///< in the cache database ("" in memory)
  std::string signature;            ///< the constant arguments it was built for
  std::vector<std::string> columns; ///< the remote columns it holds, in order
  // In memory: the batches as read, and the rows of each key.
  bool in_memory = false;
  std::vector<Batch> batches;
  KeyIndex index;                   ///< key -> rows (batch << 32 | row)
  std::vector<uint64_t> all;        ///< every row, for probes without keys
  uint64_t generation = 0;          ///< changes when the copy is rebuilt
  /// Key batching: the copy holds only the rows of these values of the first
  /// lookup column (append_key encoding); unset when it holds every row.
  std::optional<std::unordered_set<std::string>> covered;
};

/// The lookup keys a discovery pass saw for one plan: sent afterwards as IN
/// lists instead of copying the whole table.
struct KeyLog {
  std::string signature;          ///< the constant arguments of the probes
  std::vector<Filter> constant;   ///< their conditions, pushed with the keys
  std::string column;             ///< the lookup column sent as IN lists
  std::vector<Value> values;      ///< distinct values of `column`, first seen first
  std::unordered_set<std::string> seen;
  std::string rejected;           ///< why the keys are not batched ("" if they are)
};

/// What SQLite may ask of a remote table, and what happened when it did.
struct Plan {
  int id = 0;                       ///< idxNum
  std::vector<PlanTerm> terms;      ///< argv order
  int limit_arg = -1;               ///< argv index of LIMIT
  int offset_arg = -1;              ///< argv index of OFFSET
  std::vector<OrderBy> order;       ///< consumed ORDER BY
  uint64_t columns_used = 0;        ///< SQLite's colUsed mask
  bool lookup = false;
  double estimated_rows = 0;        ///< rows the constant conditions keep
  std::string key;                  ///< what SQLite asked, to reuse a plan
  // Run-time state, reset for each query.
  uint64_t executions = 0;
  std::optional<LocalCopy> copy;
  std::optional<KeyLog> key_log;
  std::string choice;               ///< why key batching was or was not used
  /// An aggregate view's constant conditions in its first run of a query:
  /// every later run must have the same (else SQLite would be combining
  /// aggregates of different rows, e.g. one per value of an IN list).
  std::optional<std::string> aggregate_conditions;
  RemoteAccess stats;
};

/// What the backend of an aggregate view computes (aggregate_pushdown.hpp).
/// The view's columns are the group columns, then the aggregates, then the
/// table's other columns, HIDDEN: conditions on those are sent with the
/// aggregate query (the backend filters before it groups), never checked by
/// SQLite, and a plan that cannot send one is refused.
struct AggregateView {
  std::vector<std::string> group_by;
  std::vector<ScanAggregate> aggregates;
  size_t first_hidden = 0;  ///< index of the first hidden column
};

/// What the backend of a join view joins (join_pushdown.hpp). The view's
/// columns are JoinSpec::columns, in order.
struct JoinView {
  JoinSpec spec;
  std::vector<std::string> member_display;  ///< "pg.orders o", per member
  std::vector<std::string> member_table;    ///< RemoteTable::display of each member
  std::vector<double> member_rows;          ///< each member's estimated rows
};

/// A remote table as a virtual table.
struct RemoteTable {
  Engine* engine = nullptr;
  Connection* conn = nullptr;  ///< for metadata; scans go through Engine::scan
  std::string attachment;      ///< the key of its attachment
  std::string display;  ///< "pg.orders"
  std::string name;     ///< as the connector names it
  Schema schema;
  Capabilities caps;
  double estimated_rows = 1e5;
  /// The backend's estimates of rows kept by constant filters, by filter text.
  std::unordered_map<std::string, std::optional<double>> estimates;
  std::deque<Plan> plans;
  /// Set for an aggregate view of the table `name`.
  std::optional<AggregateView> aggregate;
  /// Set for a join view: `name` is the view's, scans go to scan_join().
  std::optional<JoinView> join;
};

/// Whether a discovery pass may pay off for a statement using the plans
/// `used` (idxNum values): a lookup plan probes a big table and the scans
/// that drive the probes are estimated much smaller.
bool worth_discovering(const std::vector<std::unique_ptr<RemoteTable>>& tables,
                       const std::vector<int>& used);

/// After a discovery pass: fetches the logged keys of each lookup plan in IN
/// lists where that is cheaper than a whole copy; when `aborted` (with the
/// reason), forgets what the pass recorded so that the query runs as usual.
/// Returns whether it fetched keys.
bool end_discovery(RemoteTable& t, const std::string& aborted);

/// Registers the module "polydb_remote" on `db`; CREATE VIRTUAL TABLE ...
/// USING polydb_remote(N) then binds to engine.table(N).
void register_module(sqlite3* db, Engine& engine);

/// What Engine offers the module.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual RemoteTable& table(size_t id) = 0;
  /// Counts one remote call; throws Error when the budget is spent.
  virtual void count_remote_call(const RemoteTable& t) = 0;
  /// Throws Error(cancelled) when the user asked to stop.
  virtual void check_cancel() = 0;
  /// Remembers what a SQLite callback threw (the first one of a statement
  /// wins), to rethrow it as polydb::Error once SQLite has returned.
  virtual void keep_error(std::exception_ptr e) noexcept = 0;
  /// Opens a scan of `t` on a connection of its attachment that no other
  /// open reader uses (a join of two tables of one database streams both).
  virtual std::unique_ptr<BatchReader> scan(RemoteTable& t, const ScanSpec& spec) = 0;
  virtual int next_plan_id() = 0;
  virtual sqlite3* cache_db() = 0;
  virtual size_t batch_rows() const = 0;
  virtual size_t copy_memory_bytes() const = 0;
  /// A discovery pass runs the statement once with lookups answering
  /// nothing but logging their keys, and scans recorded for the real run.
  virtual bool discovering() const = 0;
  virtual const std::string& discovery_aborted() const = 0;  ///< why, or ""
  virtual void abort_discovery(const std::string& why) = 0;
};

}  // namespace polydb::query
