#pragma once

// The MySQL / MariaDB connection (private to the connector).

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/sql_read_setup.hpp"
#include "connectors/mysql/handles.hpp"
#include "connectors/mysql/sql.hpp"
#include "connectors/mysql/types.hpp"
#include "core/io_wait.hpp"
#include "net/rds_auth.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::mysql {

enum class SslMode { disabled, preferred, required, verify_ca, verify_identity };

/// What the URL's query options ask for (see docs/mysql.md).
struct ConnectionOptions {
  SslMode ssl_mode = SslMode::preferred;
  std::string ssl_ca, ssl_cert, ssl_key;
  unsigned connect_timeout_s = 10;
  /// How long one network read / write may wait for the server (0 = no
  /// limit): ConnectOptions::read_timeout unless the URL says otherwise.
  std::chrono::milliseconds read_timeout{300'000};
  std::chrono::milliseconds write_timeout{300'000};
  std::string charset = "utf8mb4";
  std::string socket;
  /// Readers use a read-only server cursor (the server materialises the
  /// result; other statements may run between batches). false: results stream
  /// straight from the query (nothing materialised, but the connection is busy
  /// until the reader is done).
  bool server_cursor = true;
  TypeOptions types;
  /// With `auth=aws-iam`: the RDS IAM token to make at each connect attempt
  /// (ssl_mode then at least required).
  std::optional<net::RdsIamAuth> iam;
};

/// Parses the options of `uri`. Throws Error(invalid_argument) naming every
/// unknown option and any bad value. `default_timeout` is ConnectOptions::timeout,
/// `default_read_timeout` ConnectOptions::read_timeout (for reads and writes).
ConnectionOptions parse_options(
    const Uri& uri, std::chrono::milliseconds default_timeout,
    std::chrono::milliseconds default_read_timeout = std::chrono::minutes(5));

/// Typed values bound to a prepared statement's `?` placeholders: an array of
/// MYSQL_BIND plus the storage they point into. Movable; not copyable.
class Params {
 public:
  Params() = default;
  Params(Params&&) = default;
  Params& operator=(Params&&) = default;

  /// Appends `v` as the next parameter. Throws Error(type_mismatch) for NaN
  /// and ±Infinity, which MySQL cannot hold.
  void add(const Value& v);
  void add_all(std::span<const Value> values) {
    for (const auto& v : values) add(v);
  }
  size_t size() const noexcept { return binds_.size(); }
  MYSQL_BIND* binds() noexcept { return binds_.data(); }
  void clear() noexcept {
    binds_.clear();
    slots_.clear();
  }

 private:
  struct Slot {
    int64_t i = 0;
    double d = 0;
    MYSQL_TIME t{};
    std::string s;
    unsigned long length = 0;
  };
  std::deque<Slot> slots_;  // a deque: binds_ point into it and it never relocates
  std::vector<MYSQL_BIND> binds_;
};

/// What the local-infile handler streams for one LOAD DATA LOCAL INFILE.
class LoadSource {
 public:
  virtual ~LoadSource() = default;
  /// The file name the statement names; the server must ask for exactly it.
  virtual std::string_view file_name() const = 0;
  /// Fills up to `len` bytes of `buf`; 0 at the end. May throw.
  virtual size_t read(char* buf, size_t len) = 0;
};

/// Keeps a write to a server that has closed the connection from killing the
/// process with SIGPIPE. libmariadb's own socket writes pass MSG_NOSIGNAL, but
/// over TLS OpenSSL writes to the socket itself: for such a call SIGPIPE is
/// blocked on the calling thread, and one that the call raised is discarded
/// (libpq's technique). `active` false: does nothing (plain connections).
class SigpipeGuard {
 public:
  explicit SigpipeGuard(bool active) noexcept;
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  bool active_ = false;
  bool was_pending_ = false;
};

/// A connection to one MySQL or MariaDB server. Single-threaded; readers and
/// writers borrow it and must be destroyed before it. A network read or write
/// that waits longer than the read timeout fails with Error(timeout); a stop
/// request on ConnectOptions::stop shuts the socket down, so that whatever
/// the connection is blocked in returns with Error(cancelled) (the connection
/// is unusable afterwards).
class MysqlConnection final : public Connection {
 public:
  MysqlConnection(const Uri& uri, const ConnectOptions& options);
  ~MysqlConnection() override;
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  std::string_view backend() const noexcept override { return "mysql"; }
  std::string display_url() const override { return display_; }
  Capabilities capabilities() const override;

  std::vector<TableInfo> list_tables() override;
  Schema describe(std::string_view table) override;
  /// The table as the server spells it when it exists, else resolve()'s table part.
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
  /// With `native`, columns keep the schema's MySQL native types where they can
  /// (create_table_sql()): a writer whose source is MySQL too.
  void create_table(std::string_view table, const Schema& schema, bool native);
  void drop_table(std::string_view table, bool if_exists) override;
  std::optional<uint64_t> count_rows(std::string_view table) override;
  std::optional<uint64_t> estimate_rows(std::string_view table) override;
  PingResult ping() override;
  /// mydumper's technique: a leader connection takes FLUSH TABLES WITH READ
  /// LOCK (it needs the RELOAD privilege), each reader starts a REPEATABLE
  /// READ transaction WITH CONSISTENT SNAPSHOT, then the leader unlocks and
  /// closes. Only InnoDB (transactional) tables read consistently.
  std::unique_ptr<Snapshot> snapshot(uint32_t readers) override;

  // For the reader and writer of this connector.
  MYSQL* db() const noexcept { return db_.get(); }
  const TypeOptions& type_options() const noexcept { return options_.types; }
  const std::string& charset() const noexcept { return options_.charset; }
  /// The collation polydb gives the text columns it creates (bytewise).
  const std::string& text_collation() const noexcept { return text_collation_; }
  bool is_mariadb() const noexcept { return mariadb_; }

  /// The Error for the connection's last failure; `what` says what polydb was
  /// doing. Call it right after the failing call: it reads errno to tell an
  /// idle timeout (Error(timeout)) from another lost connection, and reports
  /// Error(cancelled) for a connection that a stop request shut down.
  Error error(std::string_view what) const;
  /// The Error for a statement's last failure.
  Error error(MYSQL_STMT* stmt, std::string_view what) const;
  /// Guards one libmariadb call that may write (SigpipeGuard).
  SigpipeGuard io_guard() const noexcept { return SigpipeGuard(tls_); }
  /// True once a stop was requested on ConnectOptions::stop.
  bool stopped() const noexcept { return stopper_.stopped(); }

  /// Runs one statement without parameters (text protocol) and discards any
  /// result; returns the affected rows.
  uint64_t exec(std::string_view sql);
  /// Prepares `sql` as a server-side statement.
  StmtHandle prepare(std::string_view sql);
  /// Prepares `sql`, binds `params` (their count must match) and executes it;
  /// a result set, if any, is left to the caller. `cursor` asks for a
  /// read-only server cursor fetching `prefetch` rows per round trip.
  StmtHandle run(std::string_view sql, Params& params, bool cursor = false,
                 unsigned long prefetch = 0);
  /// Small results only (metadata): every cell as text, NULL as nullopt.
  std::vector<std::vector<std::optional<std::string>>> collect_text(
      std::string_view sql, std::span<const Value> params = {});

  /// Splits a user's table name ("t", "db.t"); a name with a dot that exists
  /// as such in the current database stays whole.
  TableName resolve(std::string_view table);
  bool exists(const TableName& name);
  /// Columns, native details and primary key; Error(not_found) naming
  /// `as_given` for an unknown table.
  TableDescription describe_table(const TableName& name, std::string_view as_given);

  /// Readers that stream a result without a server cursor hold the connection
  /// until they finish; any other statement meanwhile is refused with a clear
  /// error instead of libmariadb's silent flush of the pending rows.
  void begin_streaming(const void* owner) noexcept { streaming_owner_ = owner; }
  void end_streaming(const void* owner) noexcept {
    if (streaming_owner_ == owner) streaming_owner_ = nullptr;
  }
  void check_idle() const;
  /// For a reader destroyed before the end of a streamed result: asks the
  /// server to stop sending it (KILL QUERY from a second connection), so that
  /// closing the statement reads only what is already on its way instead of
  /// the whole rest. When that fails the socket is shut down and the
  /// connection is unusable afterwards. Never throws.
  void abandon_stream() noexcept;

  /// Runs LOAD DATA `sql`, serving `source` to the server's file request.
  /// Returns the affected rows, or std::nullopt when the server or library
  /// refuses LOAD DATA LOCAL INFILE (see is_local_infile_refused). Exceptions
  /// thrown by `source` are rethrown; other failures throw Error.
  std::optional<uint64_t> load_data(std::string_view sql, LoadSource& source);
  /// Whether LOAD DATA LOCAL INFILE may still be tried on this connection.
  bool local_infile_allowed() const noexcept { return local_infile_; }
  void forbid_local_infile() noexcept { local_infile_ = false; }

 private:
  void connect_once(const Uri& uri, std::chrono::steady_clock::time_point deadline);
  void setup_session();
  Error failure(unsigned errnum, std::string_view sqlstate, std::string_view native,
                std::string_view what, int saved_errno) const;

  // The local-infile callbacks (C, noexcept): they serve load_source_ only.
  static int infile_init(void** ptr, const char* filename, void* userdata) noexcept;
  static int infile_read(void* ptr, char* buf, unsigned int len) noexcept;
  static void infile_end(void* ptr) noexcept;
  static int infile_error(void* ptr, char* msg, unsigned int len) noexcept;

  ConnectionOptions options_;
  Uri uri_;                         ///< to open more connections to the same database
  ConnectOptions connect_options_;  ///< config cleared: the URL is already resolved
  std::string display_;
  // Declared before db_: it outlives the handle (the destructor detaches it
  // first). Mutable: error() detaches it once libmariadb has closed the socket,
  // whose number the process may reuse for another.
  mutable SocketStopper stopper_;
  MysqlHandle db_;
  bool tls_ = false;
  std::string text_collation_ = "utf8mb4_bin";
  std::string server_version_;
  bool mariadb_ = true;
  bool local_infile_ = true;
  const void* streaming_owner_ = nullptr;
  LoadSource* load_source_ = nullptr;
  std::exception_ptr load_error_;
  const char* load_error_text_ = nullptr;
};

/// A reader over one prepared statement. `schema` null: derived from the
/// result-set metadata (query()); otherwise the table's (scan()).
struct ReaderSetup : SqlReadSetup {
  std::string sql;
  Params params;
  bool cursor = true;  ///< a server cursor where the URL allows one (server-cursor)
};
std::unique_ptr<BatchReader> make_reader(MysqlConnection& conn, ReaderSetup setup);

std::unique_ptr<BatchWriter> make_writer(MysqlConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);

/// The change writer (changes.cpp): the key must be the table's primary key
/// or a unique index.
std::unique_ptr<ChangeWriter> make_change_writer(MysqlConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

}  // namespace polydb::mysql
