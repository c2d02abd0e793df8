// The state store in a SQLite file.
//
// This talks to SQLite's C API directly rather than through polydb::connect():
// the store must wait for another worker's write lock up to its own busy
// timeout and give up at once on a stop request (a busy handler and a progress
// handler, which a Connection does not expose), it re-runs the same few
// statements thousands of times (prepared once here), and it opens a plain
// path as given, without turning it into a URL with options.

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "core/log.hpp"
#include "engine/state/session.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::state {

namespace {

constexpr std::string_view kBackend = "sqlite";

template <auto Fn>
struct Free {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};
using DbHandle = std::unique_ptr<sqlite3, Free<&sqlite3_close_v2>>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, Free<&sqlite3_finalize>>;

// The file a `sqlite:` URL names, as the SQLite connector reads it:
// sqlite:///abs/x.db, sqlite://rel/x.db (host + path), sqlite:rel/x.db.
std::string path_of(std::string_view url) {
  if (url.size() < 7 || url.substr(6, 1) != ":" ||
      !std::equal(url.begin(), url.begin() + 6, "sqlite",
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
    return std::string(url);
  const Uri uri = Uri::parse(url);
  if (!uri.query.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{}: a state store file takes no options (give the path only; the "
                            "busy timeout is an open option)",
                            uri.to_string()));
  std::string path = uri.opaque || uri.host.empty() ? uri.path : uri.host + uri.path;
  if (path.empty() || path == ":memory:")
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} names no file for the state store (write sqlite:///absolute/"
                            "path/state.db or a path)",
                            uri.to_string()));
  return path;
}

class SqliteSession final : public Session {
 public:
  SqliteSession(std::string path, const OpenStateOptions& options)
      : path_(std::move(path)), busy_timeout_(options.busy_timeout), stop_(options.stop) {
    display_ = path_;
    std::error_code ec;
    const bool exists = std::filesystem::exists(path_, ec);
    if (!exists && !options.create_if_missing)
      throw Error(
          ErrorCode::not_found,
          fmt::format("no state store at {}: the file does not exist (check the path)", display_),
          std::string(kBackend));
    if (!exists) {
      const auto dir = std::filesystem::path(path_).parent_path();
      if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec)
          throw Error(ErrorCode::io,
                      fmt::format("cannot create the directory {} for the state store {}: {}",
                                  dir.string(), display_, ec.message()),
                      std::string(kBackend));
      }
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path_.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throw error(rc, "cannot open the state store");
    sqlite3_busy_handler(db_.get(), &SqliteSession::on_busy, this);
    // Lets a stop request end a long statement too (every ~1000 VM steps).
    sqlite3_progress_handler(db_.get(), 1000, &SqliteSession::on_progress, this);
    // WAL: readers never wait for the writer; synchronous=FULL: a commit is
    // on disk (WAL fsynced) when COMMIT returns, so it survives kill -9 and
    // a power loss. journal_mode is stored in the file; the others are per
    // connection.
    const auto mode = query("PRAGMA journal_mode = WAL", {});
    if (mode.empty() || mode[0].at(0).as<std::string>() != "wal")
      throw Error(ErrorCode::io,
                  fmt::format("{}: cannot switch the state store to WAL journal mode (is it on "
                              "a file system without shared memory, or read-only?)",
                              display_),
                  std::string(kBackend));
    execute("PRAGMA synchronous = FULL", {});
    execute("PRAGMA foreign_keys = ON", {});
  }

  const std::string& display() const noexcept override { return display_; }

  std::vector<Row> query(const std::string& sql, std::span<const Value> params) override {
    sqlite3_stmt* st = prepare(sql, params);
    Reset reset{st};
    std::vector<Row> rows;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
      Row row;
      const int n = sqlite3_column_count(st);
      row.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) row.push_back(column(st, i));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) throw error(rc, "statement failed");
    return rows;
  }

  uint64_t execute(const std::string& sql, std::span<const Value> params) override {
    sqlite3_stmt* st = prepare(sql, params);
    Reset reset{st};
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) throw error(rc, "statement failed");
    return sqlite3_stmt_readonly(st) ? 0 : static_cast<uint64_t>(sqlite3_changes64(db_.get()));
  }

  void begin_write() override { execute("BEGIN IMMEDIATE", {}); }
  void commit() override { execute("COMMIT", {}); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_.get()) == 0)
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  std::vector<std::string> existing_tables() override {
    std::vector<std::string> out;
    for (const Row& r : query("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                              {}))
      out.push_back(r.at(0).as<std::string>());
    return out;
  }

  void prepare_migration() override {}

 private:
  struct Reset {
    sqlite3_stmt* st;
    ~Reset() {
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    }
  };

  // A cached statement with `params` bound to its $1..$n.
  sqlite3_stmt* prepare(const std::string& sql, std::span<const Value> params) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      StmtHandle st(raw);
      if (rc != SQLITE_OK) throw error(rc, "cannot prepare a statement");
      it = statements_.emplace(sql, std::move(st)).first;
    }
    sqlite3_stmt* st = it->second.get();
    // Parameters are named $1..$n: SQLite numbers named parameters by first
    // appearance, so each is bound by its name.
    const int count = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= count; ++i) {
      const char* name = sqlite3_bind_parameter_name(st, i);
      size_t k = 0;
      if (name && name[0] == '$') k = std::strtoul(name + 1, nullptr, 10);
      if (k < 1 || k > params.size())
        throw Error(ErrorCode::internal,
                    fmt::format("state store statement parameter {} has no value: {}",
                                name ? name : "?", sql));
      bind(st, i, params[k - 1]);
    }
    return st;
  }

  void bind(sqlite3_stmt* st, int i, const Value& v) {
    int rc = SQLITE_OK;
    if (v.is_null()) {
      rc = sqlite3_bind_null(st, i);
    } else if (v.holds<int64_t>()) {
      rc = sqlite3_bind_int64(st, i, v.as<int64_t>());
    } else if (v.holds<bool>()) {
      rc = sqlite3_bind_int(st, i, v.as<bool>() ? 1 : 0);
    } else if (v.holds<std::string>()) {
      const std::string& s = v.as<std::string>();
      rc = sqlite3_bind_text64(st, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      throw Error(ErrorCode::internal, fmt::format("the state store cannot bind a {} value",
                                                   polydb::to_string(v.type_id())));
    }
    if (rc != SQLITE_OK) throw error(rc, "cannot bind a parameter");
  }

  static Value column(sqlite3_stmt* st, int i) {
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_NULL:
        return Value();
      case SQLITE_INTEGER:
        return Value(static_cast<int64_t>(sqlite3_column_int64(st, i)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(st, i));
      default: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        return Value(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i))));
      }
    }
  }

  int step(sqlite3_stmt* st) {
    busy_since_.reset();
    return sqlite3_step(st);
  }

  // SQLite calls this while another connection holds the lock it needs;
  // 0 = give up (the statement fails with SQLITE_BUSY).
  static int on_busy(void* self, int) noexcept {
    auto* s = static_cast<SqliteSession*>(self);
    if (s->stop_.stop_requested()) return 0;
    const auto now = std::chrono::steady_clock::now();
    if (!s->busy_since_) s->busy_since_ = now;
    if (now - *s->busy_since_ >= s->busy_timeout_) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return 1;
  }

  static int on_progress(void* self) noexcept {
    return static_cast<SqliteSession*>(self)->stop_.stop_requested() ? 1 : 0;
  }

  Error error(int rc, std::string_view what) const {
    const std::string native = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
    const std::string detail =
        fmt::format("SQLite error {} ({}): {}", rc, sqlite3_errstr(rc), native);
    const std::string backend(kBackend);
    if (stop_.stop_requested() && ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_INTERRUPT))
      return Error(ErrorCode::cancelled,
                   fmt::format("{}: interrupted while waiting for the state store", display_),
                   backend, detail);
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Error(ErrorCode::timeout,
                     fmt::format("{}: another worker held the state store's lock for longer than "
                                 "the busy timeout ({} ms); retry, or give a longer timeout",
                                 display_, busy_timeout_.count()),
                     backend, detail)
            .set_retryable(true);
      case SQLITE_CANTOPEN:
        return Error(ErrorCode::io,
                     fmt::format("{}: {}: {} (check the path and its directory's permissions)",
                                 display_, what, native),
                     backend, detail);
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_AUTH:
        return Error(ErrorCode::io,
                     fmt::format("{}: {}: {} (the state store must be writable: check the "
                                 "file's permissions)",
                                 display_, what, native),
                     backend, detail);
      case SQLITE_FULL:
        return Error(ErrorCode::io,
                     fmt::format("{}: {}: the disk is full (free space and retry)", display_, what),
                     backend, detail);
      case SQLITE_IOERR:
        return Error(
            ErrorCode::io,
            fmt::format("{}: {}: {} (check the disk and the file system)", display_, what, native),
            backend, detail);
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return Error(
            ErrorCode::corruption,
            fmt::format("{}: {}: the file is not a SQLite database or is damaged", display_, what),
            backend, detail);
      case SQLITE_CONSTRAINT:
        return Error(ErrorCode::conflict, fmt::format("{}: {}: {}", display_, what, native),
                     backend, detail);
      default:
        return Error(ErrorCode::internal, fmt::format("{}: {}: {}", display_, what, native),
                     backend, detail);
    }
  }

  std::string path_;
  std::string display_;
  std::chrono::milliseconds busy_timeout_;
  std::stop_token stop_;
  std::optional<std::chrono::steady_clock::time_point> busy_since_;
  DbHandle db_;
  // Declared after db_: the statements are finalized before the database closes.
  std::unordered_map<std::string, StmtHandle> statements_;
};

// The SQLite column types hold UTC times as ISO 8601 text with milliseconds
// ('2026-01-31T12:34:56.789Z'): readable in sqlite3, and ordered as text.
Dialect sqlite_dialect() {
  Dialect d;
  d.backend = std::string(kBackend);
  d.now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
  d.id_column = "INTEGER PRIMARY KEY AUTOINCREMENT";
  d.integer = "INTEGER";
  d.timestamp = "TEXT";
  d.now_plus_ms = [](std::string_view ms) {
    return fmt::format(
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', {} / 1000.0))", ms);
  };
  d.read_time = [](const Value& v) {
    TimestampTz t;
    const std::string& text = v.as<std::string>();
    if (!read_timestamp_tz(text, t))
      throw Error(ErrorCode::corruption,
                  fmt::format("the state store holds '{}' where a UTC time belongs", text),
                  std::string(kBackend));
    return Clock::time_point(std::chrono::microseconds(t.micros));
  };
  return d;
}

}  // namespace

std::unique_ptr<StateStore> open_sqlite_store(std::string_view url,
                                              const OpenStateOptions& options) {
  auto session = std::make_unique<SqliteSession>(path_of(url), options);
  return make_sql_store(std::move(session), sqlite_dialect());
}

}  // namespace polydb::state
