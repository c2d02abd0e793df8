#include "connectors/sqlite/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <limits>
#include <system_error>

#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "connectors/common/pushdown.hpp"
#include "connectors/common/snapshots.hpp"
#include "core/sql_names.hpp"
#include "connectors/common/table_errors.hpp"
#include "polydb/error.hpp"

namespace polydb::sqlite {

std::string quote_ident(std::string_view name) { return double_quoted(name); }

std::string TableName::quoted() const {
  return schema.empty() ? quote_ident(table) : quote_ident(schema) + "." + quote_ident(table);
}

std::string TableName::reference() const { return table_reference_text({schema, table}); }

namespace {

std::string file_path(const Uri& uri) {
  if (uri.opaque) return uri.path;
  // sqlite:///abs/path.db -> "/abs/path.db"; sqlite://rel.db -> "rel.db".
  return uri.host.empty() ? uri.path : uri.host + uri.path;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' ||
                        s.front() == '\r' || s.front() == ';'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' ||
                        s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

void bind_params(SqliteConnection& conn, sqlite3_stmt* st, std::span<const Value> params) {
  const int expected = sqlite3_bind_parameter_count(st);
  if (static_cast<size_t>(expected) != params.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the statement has {} parameter(s) but {} value(s) were given "
                            "(give one value per ? or $N placeholder)",
                            expected, params.size()),
                "sqlite")
        .set_hint(Hint::bind_params);
  for (size_t i = 0; i < params.size(); ++i) bind_value(st, static_cast<int>(i) + 1, params[i]);
  (void)conn;
}

bool pushable_type(TypeId t) {
  // Decimals are stored as text and JSON has no order: comparing them in
  // SQLite would not match polydb's semantics, so they are filtered locally.
  return t != TypeId::decimal && t != TypeId::json && t != TypeId::null;
}

struct SqliteOptions {
  std::string mode = "rw";
  int busy_timeout_ms = 5000;
};

// The URL's options; unknown ones and bad values are refused, as the network
// backends do, so that a typo (busy_timout) never goes unnoticed.
SqliteOptions parse_options(const Uri& uri, std::string_view display) {
  SqliteOptions o;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : uri.query) {
    if (option_keys_equal(key, "mode")) {
      if (value != "ro" && value != "rw" && value != "rwc")
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("{}: unknown mode '{}' (use ro, rw or rwc)", display, value));
      o.mode = value;
    } else if (option_keys_equal(key, "busy_timeout")) {
      int ms = -1;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (value.empty() || r.ec != std::errc{} || r.ptr != value.data() + value.size() || ms < 0)
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("{}: busy_timeout={} is not a number of milliseconds (0 to {})",
                                display, value, std::numeric_limits<int>::max()));
      o.busy_timeout_ms = ms;
    } else if (option_keys_equal(key, "read-timeout")) {
      // Every backend may be handed the network read timeout; a file has no
      // network to wait for. Checked, then ignored.
      (void)read_timeout_option(uri, std::chrono::milliseconds(0));
    } else {
      unknown.push_back("'" + key + "'");
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const auto& n : unknown) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown option{} {} in {} (SQLite URLs take: {})",
                            unknown.size() > 1 ? "s" : "", names, display, kKnownOptions));
  }
  return o;
}

}  // namespace

SqliteConnection::SqliteConnection(const Uri& uri, const ConnectOptions& options) : uri_(uri) {
  display_ = uri.to_string();
  const std::string path = file_path(uri);
  if (path.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} names no database file (write sqlite:///absolute/path.db, "
                            "sqlite:relative/path.db or sqlite::memory:)",
                            display_));
  const SqliteOptions opts = parse_options(uri, display_);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  bool create = options.create_if_missing;
  if (opts.mode == "ro")
    flags = (flags & ~SQLITE_OPEN_READWRITE) | SQLITE_OPEN_READONLY;
  else if (opts.mode == "rwc")
    create = true;
  const bool memory = path == ":memory:";
  memory_ = memory;
  if (!memory) {
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    if (!existed && !create)
      throw Error(ErrorCode::not_found,
                  fmt::format("cannot open {}: the file '{}' does not exist (check the path; "
                              "add ?mode=rwc to create it)",
                              display_, path),
                  "sqlite");
    created_ = !existed && create && (flags & SQLITE_OPEN_READWRITE);
    path_ = path;
  }
  if (create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  try {
    check(rc, db_.get(), "cannot open " + display_);
    sqlite3_busy_timeout(db_.get(), opts.busy_timeout_ms);
    // Reading the schema proves that the file is a database (open is lazy).
    exec("SELECT count(*) FROM sqlite_schema");
  } catch (...) {
    remove_if_created_and_empty();
    throw;
  }
  logger("sqlite")->info("opened {}{}", display_, created_ ? " (a new file)" : "");
}

SqliteConnection::~SqliteConnection() { remove_if_created_and_empty(); }

void SqliteConnection::remove_if_created_and_empty() noexcept {
  if (!created_) return;
  created_ = false;
  bool empty = true;
  if (db_) {
    // A transaction left open rolls back first, as closing would.
    if (sqlite3_get_autocommit(db_.get()) == 0)
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "SELECT count(*) FROM sqlite_schema", -1, &raw, nullptr) ==
        SQLITE_OK) {
      StmtHandle st(raw);
      // Unreadable: keep the file rather than guess.
      empty = sqlite3_step(st.get()) == SQLITE_ROW && sqlite3_column_int64(st.get(), 0) == 0;
    } else {
      sqlite3_finalize(raw);
      empty = false;
    }
    db_.reset();
  }
  if (!empty) return;
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"})
    std::filesystem::remove(path_ + suffix, ec);
  logger("sqlite")->info("removed {}: this connection created it and it holds no table", display_);
}

Capabilities SqliteConnection::capabilities() const {
  Capabilities c;
  c.sql = c.transactions = c.bulk_write = true;
  c.filter_pushdown = c.limit_pushdown = c.order_pushdown = c.partitioned_scan = true;
  c.order_nulls = true;
  c.schemas = true;  // attached databases: aux.table
  c.single_connection_copy = true;  // a second connection would wait on this one's locks
  c.shared_snapshot = !memory_;
  c.atomic_replace = true;
  c.change_writes = true;
  return c;
}

std::unique_ptr<Snapshot> SqliteConnection::snapshot(uint32_t n) {
  if (n == 0) throw Error(ErrorCode::invalid_argument, "a snapshot needs at least one reader");
  if (memory_)
    throw Error(ErrorCode::unsupported,
                fmt::format("{} is an in-memory database: another connection would see another "
                            "database (read it with one connection)",
                            display_),
                "sqlite");
  std::string journal;
  {
    StmtHandle st = prepare("PRAGMA journal_mode");
    if (sqlite3_step(st.get()) == SQLITE_ROW)
      journal = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
  }
  // A reader's snapshot is fixed by its first read. In WAL mode writers go on
  // committing beside readers: hold the write lock until every reader has
  // read once. In the other modes the first reader's shared lock already
  // keeps every commit out.
  std::vector<std::unique_ptr<SqliteConnection>> readers;
  for (uint32_t k = 0; k < n; ++k)
    readers.push_back(std::make_unique<SqliteConnection>(uri_, ConnectOptions{}));
  std::optional<SqliteConnection> leader;
  if (journal == "wal") {
    leader.emplace(uri_, ConnectOptions{});
    try {
      leader->exec("BEGIN IMMEDIATE");
    } catch (const Error& e) {
      if (uri_.option("mode") != "ro") throw;
      throw Error(ErrorCode::unsupported,
                  fmt::format("cannot open readers that share one snapshot of {}: a read-only "
                              "connection cannot hold off writers of a WAL database (open it "
                              "without mode=ro, or read it with one connection)",
                              display_),
                  "sqlite", e.message());
    }
  }
  for (auto& r : readers) r->exec("BEGIN; SELECT count(*) FROM sqlite_schema");
  if (leader) leader->exec("ROLLBACK");
  std::vector<std::unique_ptr<Connection>> out;
  for (auto& r : readers) out.push_back(std::move(r));
  return std::make_unique<PreopenedSnapshot>(std::move(out), "sqlite");
}

StmtHandle SqliteConnection::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  StmtHandle stmt(raw);
  check(rc, db_.get(), "cannot prepare SQL");
  if (!stmt)
    throw Error(ErrorCode::invalid_argument, "the SQL text holds no statement", "sqlite");
  if (tail && !trim(std::string_view(tail, sql.data() + sql.size() - tail)).empty())
    throw Error(ErrorCode::invalid_argument,
                "the SQL text holds more than one statement (run them one at a time)", "sqlite");
  logger("sqlite")->debug("prepared: {}", sql);
  return stmt;
}

void SqliteConnection::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  check(rc, db_.get(), "SQLite statement failed");
}

TableName SqliteConnection::resolve(std::string_view table) {
  if (auto q = parse_quoted_table_name(table, "sqlite"))
    return TableName{std::move(q->schema), std::move(q->table)};
  TableName plain{"", std::string(table)};
  const auto dot = table.find('.');
  if (dot == std::string_view::npos || exists(plain)) return plain;
  return TableName{std::string(table.substr(0, dot)), std::string(table.substr(dot + 1))};
}

std::string SqliteConnection::own_table_name(std::string_view table) {
  const TableName name = resolve(table);
  auto st = prepare(
      fmt::format("SELECT name FROM {}.sqlite_schema WHERE type IN ('table','view') AND name = ?1 "
                  "COLLATE NOCASE ORDER BY name = ?1 DESC LIMIT 1",
                  quote_ident(name.schema.empty() ? "main" : name.schema)));
  sqlite3_bind_text(st.get(), 1, name.table.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st.get());
  check(rc, db_.get(), "cannot read the schema");
  if (rc == SQLITE_ROW) return reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
  return name.table;
}

std::string SqliteConnection::table_reference(std::string_view name) const {
  return table_reference_text({"", std::string(name)});
}

bool SqliteConnection::exists(const TableName& name) {
  auto st = prepare(fmt::format(
      "SELECT 1 FROM {}.sqlite_schema WHERE type IN ('table','view') AND name = ?1",
      quote_ident(name.schema.empty() ? "main" : name.schema)));
  sqlite3_bind_text(st.get(), 1, name.table.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st.get());
  check(rc, db_.get(), "cannot read the schema");
  return rc == SQLITE_ROW;
}

std::vector<TableInfo> SqliteConnection::list_tables() {
  auto st = prepare(
      "SELECT name, type FROM sqlite_schema WHERE type IN ('table','view') "
      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  std::vector<TableInfo> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW)
    out.push_back({reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)),
                   reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1))});
  check(rc, db_.get(), "cannot list tables");
  return out;
}

Schema SqliteConnection::describe(std::string_view table) {
  const TableName name = resolve(table);
  auto st = prepare(
      "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1, ?2) ORDER BY cid");
  sqlite3_bind_text(st.get(), 1, name.table.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.get(), 2, name.schema.empty() ? "main" : name.schema.c_str(), -1,
                    SQLITE_TRANSIENT);
  Schema schema;
  std::vector<std::pair<int, std::string>> pk;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    Field f;
    f.name = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
    const char* decl = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
    f.native_type = decl ? decl : "";
    f.type = type_from_declared(f.native_type);
    f.collation = column_collation(name, f.name);
    const int pkpos = sqlite3_column_int(st.get(), 3);
    f.nullable = sqlite3_column_int(st.get(), 2) == 0 && pkpos == 0;
    if (pkpos > 0) pk.emplace_back(pkpos, f.name);
    schema.fields.push_back(std::move(f));
  }
  check(rc, db_.get(), "cannot describe table");
  if (schema.fields.empty()) throw no_table(table);
  std::sort(pk.begin(), pk.end());
  for (auto& [pos, col] : pk) schema.primary_key.push_back(col);
  // A rowid alias (INTEGER PRIMARY KEY) can never hold NULL.
  return schema;
}

std::optional<std::string> compare_to_sql(const Filter& f, const Schema& schema,
                                          std::vector<Value>& params) {
  const Field& field = schema.field(f.column);
  const std::string col = quote_ident(field.name);
  if (f.op == CompareOp::is_null) return col + " IS NULL";
  if (f.op == CompareOp::is_not_null) return col + " IS NOT NULL";
  if (!pushable_type(field.type.id)) return std::nullopt;
  std::vector<Value> literals;
  for (const auto& v : f.values) {
    try {
      literals.push_back(coerce_value(v, field.type));
    } catch (const Error&) {
      return std::nullopt;  // evaluated locally, with polydb's comparison rules
    }
  }
  if (f.op == CompareOp::in) {
    if (literals.empty()) return "0";
    std::string out = col + " IN (";
    for (size_t i = 0; i < literals.size(); ++i) {
      params.push_back(std::move(literals[i]));
      out += fmt::format("{}?{}", i ? ", " : "", params.size());
    }
    return out + ")";
  }
  if (literals.empty()) return std::nullopt;
  params.push_back(std::move(literals[0]));
  return fmt::format("{} {} ?{}", col, to_sql(f.op), params.size());
}

std::unique_ptr<BatchReader> SqliteConnection::scan(const ScanSpec& spec) {
  refuse_resume_from(spec, backend());
  const TableName name = resolve(spec.table);
  const Schema full = describe(spec.table);
  check_partition(spec.partition);
  auto schema = std::make_shared<Schema>(project(full, spec.columns));
  std::string cols;
  for (const auto& f : schema->fields) cols += (cols.empty() ? "" : ", ") + quote_ident(f.name);

  ReaderSetup setup;
  std::vector<Value> params;
  FilterPushdown pushed;
  if (spec.filter)
    pushed = push_conjuncts(
        *spec.filter, [&](const Filter& leaf) { return compare_to_sql(leaf, full, params); },
        &params);
  check_residual_columns(pushed.residual, *schema);
  std::vector<std::string> where = std::move(pushed.sql);
  std::optional<Filter> residual = std::move(pushed.residual);
  if (spec.partition.count > 1) {
    // Split the rowid space into equal ranges: each partition is a range scan.
    auto st = prepare(fmt::format("SELECT min(rowid), max(rowid) FROM {}", name.quoted()));
    check(sqlite3_step(st.get()), db_.get(), "cannot partition " + std::string(spec.table));
    const int64_t lo = sqlite3_column_int64(st.get(), 0);
    const int64_t hi = sqlite3_column_int64(st.get(), 1);
    const auto& part = spec.partition;
    params.emplace_back(range_split(lo, hi, part.index, part.count));
    where.push_back(fmt::format("rowid >= ?{}", params.size()));
    if (part.index + 1 < part.count) {
      params.emplace_back(range_split(lo, hi, part.index + 1, part.count));
      where.push_back(fmt::format("rowid < ?{}", params.size()));
    }
  }
  std::string sql = fmt::format("SELECT {} FROM {}", cols, name.quoted());
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  if (!spec.order_by.empty()) {
    sql += " ORDER BY ";
    for (size_t i = 0; i < spec.order_by.size(); ++i) {
      const Field& f = full.field(spec.order_by[i].column);
      std::string expr = quote_ident(f.name);
      if (f.type.id == TypeId::decimal) expr = "CAST(" + expr + " AS REAL)";
      const auto& nulls = spec.order_by[i].nulls_first;
      sql += (i ? ", " : "") + expr + (spec.order_by[i].descending ? " DESC" : "") +
             (!nulls ? "" : *nulls ? " NULLS FIRST" : " NULLS LAST");
    }
  }
  if (spec.limit && !residual) sql += fmt::format(" LIMIT {}", *spec.limit);

  setup.stmt = prepare(sql);
  for (size_t i = 0; i < params.size(); ++i)
    bind_value(setup.stmt.get(), static_cast<int>(i) + 1, params[i]);
  setup.residual = std::move(residual);
  setup.set_scan(spec, std::move(schema), sql);
  return make_reader(*this, std::move(setup));
}

std::unique_ptr<BatchReader> SqliteConnection::query(std::string_view text,
                                                     std::span<const Value> params,
                                                     const QueryOptions& options) {
  ReaderSetup setup;
  setup.stmt = prepare(text);
  bind_params(*this, setup.stmt.get(), params);
  setup.set_query(options, text);
  return make_reader(*this, std::move(setup));
}

uint64_t SqliteConnection::execute(std::string_view text, std::span<const Value> params) {
  auto st = prepare(text);
  bind_params(*this, st.get(), params);
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
  }
  check(rc, db_.get(), "statement failed");
  // Only DML changes count; DDL leaves sqlite3_changes at the last DML's value.
  return sqlite3_stmt_readonly(st.get()) || sqlite3_column_count(st.get()) > 0
             ? 0
             : static_cast<uint64_t>(sqlite3_changes64(db_.get()));
}

std::unique_ptr<BatchWriter> SqliteConnection::writer(std::string_view table,
                                                      const Schema& schema,
                                                      const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> SqliteConnection::change_writer(std::string_view table,
                                                              const Schema& schema,
                                                              const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

void SqliteConnection::create_table(std::string_view table, const Schema& schema) {
  const TableName name = resolve(table);
  check_schema_creatable(table, schema);
  if (exists(name))
    throw table_exists_error(table, display_, "sqlite");
  std::string sql = "CREATE TABLE " + name.quoted() + " (";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    sql += (i ? ", " : "") + quote_ident(f.name) + " " + declared_type(f.type);
    if (!f.nullable) sql += " NOT NULL";
    // Text keeps the comparison rule SQLite has for it: char(n)'s blank
    // padding (RTRIM), SQLite's own NOCASE. (An engine's case-insensitive
    // collation has no SQLite equal: such columns compare bytewise here.)
    if (f.type.id == TypeId::string && f.collation == Collation::pad_space) sql += " COLLATE RTRIM";
    if (f.type.id == TypeId::string && f.collation == Collation::nocase) sql += " COLLATE NOCASE";
  }
  if (!schema.primary_key.empty()) {
    sql += ", PRIMARY KEY (";
    for (size_t i = 0; i < schema.primary_key.size(); ++i)
      sql += (i ? ", " : "") + quote_ident(schema.field(schema.primary_key[i]).name);
    sql += ")";
  }
  sql += ")";
  exec(sql);
}

void SqliteConnection::drop_table(std::string_view table, bool if_exists) {
  const TableName name = resolve(table);
  if (!exists(name)) {
    if (if_exists) return;
    throw Error(ErrorCode::not_found,
                fmt::format("no table '{}' in {} to drop", table, display_), "sqlite");
  }
  exec("DROP TABLE " + name.quoted());
}

Collation SqliteConnection::column_collation(const TableName& name,
                                             const std::string& column) const {
  const char* collseq = nullptr;
  const int rc = sqlite3_table_column_metadata(
      db_.get(), name.schema.empty() ? "main" : name.schema.c_str(), name.table.c_str(),
      column.c_str(), nullptr, &collseq, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK || !collseq) return Collation::binary;
  if (sqlite3_stricmp(collseq, "RTRIM") == 0) return Collation::pad_space;
  if (sqlite3_stricmp(collseq, "NOCASE") == 0) return Collation::nocase;
  return Collation::binary;
}

Error SqliteConnection::no_table(std::string_view table) const {
  return no_table_error(table, display_, "sqlite");
}

TableName SqliteConnection::existing(std::string_view table) {
  TableName name = resolve(table);
  if (!exists(name)) throw no_table(table);
  return name;
}

std::optional<uint64_t> SqliteConnection::count_rows(std::string_view table) {
  const TableName name = existing(table);
  auto st = prepare("SELECT count(*) FROM " + name.quoted());
  check(sqlite3_step(st.get()), db_.get(), "cannot count rows");
  return static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0));
}

std::optional<uint64_t> SqliteConnection::estimate_rows(std::string_view table) {
  const TableName name = existing(table);
  // The largest rowid: one B-tree descent. Views and WITHOUT ROWID tables have none.
  sqlite3_stmt* raw = nullptr;
  const std::string sql = "SELECT max(rowid) FROM " + name.quoted();
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return std::nullopt;
  }
  StmtHandle st(raw);
  if (sqlite3_step(st.get()) != SQLITE_ROW || sqlite3_column_type(st.get(), 0) == SQLITE_NULL)
    return sqlite3_column_type(st.get(), 0) == SQLITE_NULL ? std::optional<uint64_t>(0)
                                                           : std::nullopt;
  return static_cast<uint64_t>(std::max<sqlite3_int64>(0, sqlite3_column_int64(st.get(), 0)));
}

PingResult SqliteConnection::ping() {
  const auto start = std::chrono::steady_clock::now();
  auto st = prepare("SELECT sqlite_version()");
  check(sqlite3_step(st.get()), db_.get(), "ping failed");
  PingResult r;
  r.server_version = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.role = sqlite3_db_readonly(db_.get(), "main") == 1 ? "embedded (read-only)" : "embedded";
  return r;
}

}  // namespace polydb::sqlite
