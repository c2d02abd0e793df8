#pragma once

/// The engine: moving rows from one connection into another, for every tool
/// that moves data (`polydb copy` today; migrate, sync and backup next).
///
///   polydb::engine::CopyOptions o;
///   o.table = "public.orders";
///   o.mode = polydb::WriteMode::create;
///   auto stats = polydb::engine::copy(*src, *dst, o);
///
/// Two commit disciplines:
///   - one transaction (the default): the target changes at the final commit
///     or not at all (for targets with transactions); `replace` swaps the new
///     contents in atomically where the target can (Capabilities); reads can
///     be spread over `parallel` snapshot connections;
///   - per chunk (`chunked`): the table is cut into chunks (key ranges or scan
///     segments) recorded in a state store (polydb/state.hpp); `parallel`
///     workers, in this process or in several processes sharing a PostgreSQL
///     store, claim chunks with a lease and commit each one on its own; a
///     killed job resumes (`resume`) where it stopped and ends with exactly
///     the source's rows.
///
/// Thread-safety: copy() uses the connections it is given from the calling
/// thread and opens any others it needs through the factories.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/filter.hpp"

namespace polydb::engine {

/// Where a running transfer stands; handed to ProgressSink::update().
struct Progress {
  uint64_t rows = 0;                   ///< rows written so far (committed or not)
  uint64_t bytes = 0;                  ///< sum of Batch::byte_size() so far
  std::optional<uint64_t> total_rows;  ///< rows to copy, when known
  uint64_t retries = 0;                ///< chunk attempts that failed and were retried
  uint64_t chunks_done = 0;            ///< chunked copies: chunks committed (all workers)
  uint64_t chunks_total = 0;           ///< chunked copies: chunks planned; 0 otherwise
  std::chrono::steady_clock::duration elapsed{};

  /// Rows per second so far (0 before the first second's data).
  double rows_per_second() const noexcept;
  /// Time left at the current rate; nullopt without a total or a rate.
  std::optional<std::chrono::seconds> eta() const noexcept;
};

/// Receives progress after every batch. Called from the thread that writes
/// (several worker threads for a chunked copy with parallel > 1: calls are
/// serialised by the engine); an implementation decides how often to show it.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void update(const Progress& progress) = 0;
};

/// What a finished copy did.
struct CopyStats {
  uint64_t rows = 0;   ///< rows committed into the target (by this process)
  uint64_t bytes = 0;  ///< sum of Batch::byte_size() of the batches read
  uint64_t batches = 0;
  uint64_t retries = 0;  ///< chunk attempts retried after a retryable error
  std::chrono::duration<double> elapsed{};  ///< from opening the source to the last commit
  std::string dst_table;  ///< the table written, as the destination reads table names
  /// Chunked copies: the job id in the state store, the chunks this process
  /// committed, and the chunks of the whole job.
  std::string job;
  uint64_t chunks = 0;
  uint64_t job_chunks = 0;
  uint64_t job_rows = 0;  ///< rows of every committed chunk of the job (all workers)
};

/// The most parallel readers or workers copy() accepts.
inline constexpr uint32_t kMaxParallel = 64;

/// Opens another connection to the same database as a given one (a worker's
/// own connection). Called on the thread that will use the connection.
using ConnectionFactory = std::function<std::unique_ptr<Connection>()>;

struct CopyOptions {
  // ---- what to copy ----
  std::string table;                 ///< source table, as the source reads table names
  std::vector<std::string> columns;  ///< empty = all, in table order
  std::optional<Filter> filter;
  std::optional<uint64_t> limit;     ///< not with parallel > 1 or chunked
  size_t batch_rows = 10'000;        ///< 1..1,000,000
  /// The destination table, as the destination reads table names; empty =
  /// the source table's own name (no schema, unquoted), written so that the
  /// destination reads exactly that name.
  std::string dst_table;
  WriteMode mode = WriteMode::append;
  std::vector<std::string> key;  ///< upsert key; default: the source's primary key
  /// Allow `replace` into a target that cannot swap atomically
  /// (Capabilities::atomic_replace false: it deletes, then writes).
  bool non_atomic = false;

  // ---- how ----
  /// One transaction: snapshot readers (the source needs partitioned scans
  /// and a shared snapshot). Chunked: worker threads, each with its own
  /// connections from the factories.
  uint32_t parallel = 1;

  // ---- chunked (per-chunk commits, resumable) ----
  bool chunked = false;
  /// The state store URL (polydb/state.hpp); empty = state::default_state_url().
  std::string state;
  /// The job: empty = a new job (a generated id); otherwise that job, created
  /// when missing and joined when it exists with the same spec (several
  /// workers, or a resume). Error(conflict) when it exists with another spec.
  std::string job;
  /// Continue the newest unfinished copy job of the state store with the same
  /// spec when `job` is empty; Error(not_found) when there is none.
  bool resume = false;
  /// The column chunks are cut by (an integer or text column with an index,
  /// ideally the key); empty = the source's single-column integer or text
  /// primary key, else the source's own scan segments
  /// (Capabilities::partitioned_scan). Integer keys are cut into equal spans,
  /// text keys at boundaries sampled in the source's order (docs/state.md).
  std::string chunk_by;
  uint64_t chunk_rows = 100'000;  ///< rows per chunk, roughly
  /// Inside a chunk, commit every `checkpoint_rows` rows (at the first batch
  /// end past it) and record where the chunk stands, so that an interrupted
  /// chunk continues there instead of at its start. 0 = one commit per chunk.
  /// Key-range chunks continue after the last key written (when the key is
  /// the primary key; ranges of another column restart); segments only
  /// where the source reports resume points (Capabilities::resume_points),
  /// else they restart.
  uint64_t checkpoint_rows = 50'000;
  std::chrono::milliseconds lease{60'000};  ///< a dead worker's chunk is taken over after it
  uint32_t max_attempts = 3;  ///< per chunk, for retryable errors
  std::string worker;         ///< this worker's name in the store; empty = host:pid

  // ---- runtime ----
  /// Interrupts the copy (and, through the connections opened with it, any
  /// blocking wait) with Error(cancelled). The connections given to copy()
  /// should be opened with the same token (ConnectOptions::stop).
  std::stop_token stop;
  ProgressSink* progress = nullptr;
};

/// Copies `options.table` of `src` into `dst`: checks the request (the source
/// table and every column named exist, the modes and options fit the
/// backends), creates or replaces the destination table as `mode` says (with
/// the source's primary key and, on the same backend, its native column
/// types), and streams batches from the reader(s) to the writer(s). Memory
/// stays bounded by a few batches per reader.
///
/// `src` and `dst` may be the same object (a copy within one database that
/// the backend wants done on one connection: Capabilities::single_connection_copy).
/// `open_src` / `open_dst` open further connections for chunked workers
/// (parallel > 1); without them a chunked copy runs one worker.
///
/// Errors: invalid_argument (options out of range or contradicting each
/// other), not_found (table, column, job), unsupported (what the backends
/// cannot do, e.g. parallel reads without a shared snapshot, replace into a
/// non-atomic target without non_atomic); an error of options that
/// contradict each other or the backends carries a Hint naming the remedy
/// (Hint::drop_limit_or_parallel, Hint::non_atomic, ...), conflict (the target exists in
/// create mode; a job with another spec), cancelled (stop requested: the
/// message says what stays in the target), and the connections' errors. On
/// any error of a one-transaction copy, the writer is aborted first.
CopyStats copy(Connection& src, Connection& dst, const CopyOptions& options,
               const ConnectionFactory& open_src = {}, const ConnectionFactory& open_dst = {});

/// The checks copy() makes of the options alone: in range and consistent with
/// each other, without a connection. Throws Error(invalid_argument); options
/// that contradict each other carry a Hint naming the remedy.
void check_options(const CopyOptions& options);

/// The checks copy() makes of the request and the source alone (options in
/// range and consistent, a parallel copy's source able to split its scan and
/// share a snapshot, the source table and every column named exist);
/// returns the source table's schema. A caller that opens the destination
/// itself calls it first, so that a mistyped source fails before the target
/// is touched (a new database file created).
Schema check_source(Connection& src, const CopyOptions& options);

/// The same, connecting to both URLs (or config names) with `connect`.
CopyStats copy(std::string_view src_url, std::string_view dst_url, const CopyOptions& options,
               const ConnectOptions& connect = {});

}  // namespace polydb::engine
