#include "connectors/odbc/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "connectors/odbc/connstr.hpp"
#include "connectors/odbc/errors.hpp"
#include "connectors/odbc/params.hpp"
#include "connectors/odbc/text.hpp"
#include "core/encoding.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "connectors/common/pushdown.hpp"
#include "core/sql_names.hpp"
#include "connectors/common/table_errors.hpp"
#include "net/retry.hpp"

namespace polydb::odbc {

namespace {

static_assert(sizeof(SQLWCHAR) == sizeof(char16_t), "unixODBC's SQLWCHAR is UTF-16");

// Rows psqlODBC fetches per round trip with UseDeclareFetch (its cursor).
constexpr size_t kDriverFetchRows = 10000;
// Chunk size of SQLGetData on large values.
constexpr size_t kChunkBytes = 64u << 10;

SQLWCHAR* wide(std::u16string& s) { return reinterpret_cast<SQLWCHAR*>(s.data()); }

bool is_integer_sql_type(short t) {
  return t == SQL_TINYINT || t == SQL_SMALLINT || t == SQL_INTEGER || t == SQL_BIGINT;
}

// '_' and '%' in a catalog-function pattern argument matched literally.
std::string escape_pattern(std::string_view name, const std::string& escape) {
  if (escape.empty()) return std::string(name);
  std::string out;
  for (char c : name) {
    if (c == '_' || c == '%' || escape.find(c) != std::string::npos) out += escape;
    out += c;
  }
  return out;
}

// An optional catalog-function argument: nullptr means "any".
struct WideArg {
  std::optional<std::u16string> text;
  explicit WideArg(const std::optional<std::string>& s) {
    if (s) text = to_utf16(*s);
  }
  SQLWCHAR* ptr() { return text ? wide(*text) : nullptr; }
  SQLSMALLINT len() const { return text ? static_cast<SQLSMALLINT>(text->size()) : 0; }
};

}  // namespace

std::vector<std::string> installed_drivers() {
  SQLHENV raw = nullptr;
  if (!succeeded(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &raw))) return {};
  EnvHandle env(raw);
  SQLSetEnvAttr(raw, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  std::vector<std::string> out;
  SQLWCHAR name[512], attrs[2048];
  SQLSMALLINT name_len = 0, attrs_len = 0;
  SQLUSMALLINT dir = SQL_FETCH_FIRST;
  while (succeeded(SQLDriversW(raw, dir, name, 512, &name_len, attrs, 2048, &attrs_len))) {
    out.push_back(to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(name),
                                              std::min<SQLSMALLINT>(name_len, 511))));
    dir = SQL_FETCH_NEXT;
  }
  return out;
}

bool get_long_data(const OdbcConnection& conn, SQLHSTMT stmt, SQLUSMALLINT col, FetchKind kind,
                   std::string& out) {
  out.clear();
  const SQLSMALLINT c_type = kind == FetchKind::wtext    ? SQL_C_WCHAR
                             : kind == FetchKind::binary ? SQL_C_BINARY
                                                         : SQL_C_CHAR;
  const size_t terminator = kind == FetchKind::wtext ? 2 : kind == FetchKind::binary ? 0 : 1;
  static thread_local std::vector<char> chunk(kChunkBytes);
  std::u16string units;
  for (;;) {
    SQLLEN ind = 0;
    const SQLRETURN rc = SQLGetData(stmt, col, c_type, chunk.data(),
                                    static_cast<SQLLEN>(chunk.size()), &ind);
    if (rc == SQL_NO_DATA) break;
    conn.check(rc, stmt, "cannot read a large value");
    if (ind == SQL_NULL_DATA) return false;
    // Truncated (more to come): the chunk is full but for the terminator.
    const bool more = rc == SQL_SUCCESS_WITH_INFO &&
                      (ind == SQL_NO_TOTAL || static_cast<size_t>(ind) > chunk.size() - terminator);
    size_t got = more ? chunk.size() - terminator : static_cast<size_t>(ind);
    if (kind == FetchKind::wtext) {
      got &= ~size_t{1};
      units.append(reinterpret_cast<const char16_t*>(chunk.data()), got / 2);
    } else {
      out.append(chunk.data(), got);
    }
    if (!more) break;
  }
  if (kind == FetchKind::wtext) append_utf8(units.data(), units.size(), out);
  return true;
}

OdbcConnection::OdbcConnection(const Uri& uri, const ConnectOptions& options)
    : display_(uri.to_string()),
      watch_(read_timeout_option(uri, options.read_timeout), options.stop,
             [](void* stmt) { SQLCancel(stmt); }) {
  SQLHENV env = nullptr;
  if (!succeeded(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)))
    throw Error(ErrorCode::internal, "cannot allocate an ODBC environment (is unixODBC installed?)",
                "odbc");
  env_.reset(env);
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  ConnectionTarget target = build_connection_target(uri, installed_drivers());
  const std::string connection_string =
      target.text.reveal() + driver_defaults(target.text.reveal(), kDriverFetchRows);
  const auto login = target.login_timeout.count() > 0
                         ? target.login_timeout
                         : std::chrono::ceil<std::chrono::seconds>(options.timeout);
  logger("odbc")->debug("connecting with {}", redact_connection_string(connection_string));
  net::RetryPolicy policy;
  policy.max_attempts = 5;
  policy.base_delay = std::chrono::milliseconds(200);
  policy.max_delay = std::chrono::milliseconds(5000);
  policy.deadline = options.timeout;
  net::RetryContext context;
  context.what = "connecting to " + display_;
  context.log_name = "odbc";
  context.stop = options.stop;
  const SocketTarget socket_target{target.host, target.port};
  net::retry(policy, net::retry_if_retryable,
             [&] { connect_once(connection_string, login, socket_target); }, context);
  io(nullptr, [&] { setup_session(target.dialect); });
  logger("odbc")->info("connected to {} ({} {}, driver {}, {} dialect)", display_, dbms_name_,
                       dbms_version_, driver_name_, to_string(dialect_->kind()));
}

OdbcConnection::~OdbcConnection() {
  if (connected_) {
    // The rollback waits for the server: a stalled one ends it like any call.
    {
      const auto busy = this->busy();
      SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), SQL_ROLLBACK);
    }
    // The driver closes its socket: the number may be reused at once.
    watch_.detach();
    SQLDisconnect(dbc_.get());
  }
}

Error OdbcConnection::timed_out(const Error& e) const {
  // The driver's words ("server closed the connection unexpectedly") blame
  // the server for what the watch did: they go to the detail only.
  return Error(ErrorCode::timeout,
               idle_timeout_error("odbc", display_, watch_.idle_limit(), "a read or write")
                   .message(),
               "odbc", e.detail())
      .set_retryable(true)
      .set_native_code(e.native_code());
}

std::optional<Error> OdbcConnection::interruption(const Error& e) {
  // A driver reports a shut-down socket (or a cancel) as a communication
  // failure, a cancel, or a general error, never as what caused it.
  const ErrorCode c = e.code();
  const bool may_be_ours = c == ErrorCode::connection || c == ErrorCode::cancelled ||
                           c == ErrorCode::timeout || c == ErrorCode::internal ||
                           c == ErrorCode::io;
  if (!may_be_ours) return std::nullopt;
  if (watch_.stopped())
    return Error(ErrorCode::cancelled, stop_requested_error("odbc", display_).message(), "odbc",
                 e.detail());
  if (watch_.timed_out()) return timed_out(e);
  // The driver's own timeout (SQL_ATTR_CONNECTION_TIMEOUT, set to the same limit).
  if (c == ErrorCode::timeout && watch_.idle_limit().count() > 0 &&
      (e.native_code() == "HYT00" || e.native_code() == "HYT01"))
    return timed_out(e);
  // A lost connection may have taken the socket with it.
  if (c == ErrorCode::connection) watch_.forget_if_closed();
  return std::nullopt;
}

void OdbcConnection::connect_once(const std::string& connection_string,
                                  std::chrono::seconds login_timeout, const SocketTarget& target) {
  SQLHDBC dbc = nullptr;
  if (!succeeded(SQLAllocHandle(SQL_HANDLE_DBC, env_.get(), &dbc)))
    throw Error(ErrorCode::internal, "cannot allocate an ODBC connection handle", "odbc");
  DbcHandle handle(dbc);
  SQLSetConnectAttr(dbc, SQL_ATTR_LOGIN_TIMEOUT,
                    reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(login_timeout.count())), 0);
  std::u16string cs = to_utf16(connection_string);
  SQLWCHAR out[1024];
  SQLSMALLINT out_len = 0;
  // The driver's socket is the TCP connection to the server that appears
  // during SQLDriverConnect. One ODBC connect at a time in the process, so
  // that two connections' sockets are not told apart by guesswork.
  static std::mutex connect_mutex;
  FoundSocket found;
  SQLRETURN rc;
  {
    std::lock_guard lock(connect_mutex);
    const std::set<ino_t> before = socket_inodes();
    rc = SQLDriverConnectW(dbc, nullptr, wide(cs), static_cast<SQLSMALLINT>(cs.size()), out, 1024,
                           &out_len, SQL_DRIVER_NOPROMPT);
    if (succeeded(rc)) found = find_driver_socket(before, target);
  }
  std::fill(cs.begin(), cs.end(), u'\0');  // the password, best effort
  if (!succeeded(rc))
    throw make_error(collect_diagnostics(SQL_HANDLE_DBC, dbc), "cannot connect to " + display_);
  std::memset(out, 0, sizeof out);
  dbc_ = std::move(handle);
  connected_ = true;
  if (found.fd >= 0) {
    watch_.attach(found.fd);
  } else {
    logger("odbc")->debug(
        "the driver's socket is unknown ({}): only the driver's own timeouts apply to {}, and a "
        "stop request calls SQLCancel",
        found.why_not, display_);
  }
  // Drivers that implement it end a call waiting longer than this themselves.
  if (const auto limit = watch_.idle_limit(); limit.count() > 0) {
    const auto seconds =
        static_cast<SQLULEN>(std::chrono::ceil<std::chrono::seconds>(limit).count());
    const SQLRETURN set = SQLSetConnectAttr(dbc_.get(), SQL_ATTR_CONNECTION_TIMEOUT,
                                            reinterpret_cast<SQLPOINTER>(seconds), 0);
    logger("odbc")->debug("SQL_ATTR_CONNECTION_TIMEOUT={} {}", seconds,
                          succeeded(set) ? "accepted" : "not supported by the driver");
  }
}

std::string OdbcConnection::info_text(SQLUSMALLINT info) {
  SQLWCHAR buf[512];
  SQLSMALLINT len = 0;
  if (!succeeded(SQLGetInfoW(dbc_.get(), info, buf, sizeof buf, &len))) return {};
  return to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(buf),
                                     std::min<size_t>(static_cast<size_t>(len) / 2, 511)));
}

void OdbcConnection::setup_session(const std::string& forced_dialect) {
  dbms_name_ = info_text(SQL_DBMS_NAME);
  dbms_version_ = info_text(SQL_DBMS_VER);
  driver_name_ = info_text(SQL_DRIVER_NAME);
  catalog_ = info_text(SQL_DATABASE_NAME);
  SQLUINTEGER getdata = 0;
  constexpr SQLUINTEGER kBlocks = SQL_GD_ANY_COLUMN | SQL_GD_BOUND | SQL_GD_BLOCK;
  // MariaDB Connector/ODBC 3.1 claims these but reads past its own buffer
  // when it truncates a bound wide-character LOB in SQLFetch (AddressSanitizer
  // in our tests): it keeps one row per fetch for such results.
  if (succeeded(SQLGetInfo(dbc_.get(), SQL_GETDATA_EXTENSIONS, &getdata, sizeof getdata, nullptr)))
    getdata_in_blocks_ =
        (getdata & kBlocks) == kBlocks && driver_name_.find("maodbc") == std::string::npos;
  raw_utf8_text_ = driver_name_.find("psqlodbcw") != std::string::npos;
  const DbmsKind kind = forced_dialect.empty() ? dbms_kind_from_name(dbms_name_)
                                               : parse_dbms_kind(forced_dialect).value();
  dialect_ = make_dialect(kind);
  for (const auto& sql : dialect_->session_setup()) exec(sql);
  if (const std::string q = dialect_->default_schema_sql(); !q.empty()) {
    const TextRows rows = collect_text(q);
    if (!rows.empty() && !rows[0].empty()) default_schema_ = rows[0][0].value_or("");
  }
}

Capabilities OdbcConnection::capabilities() const {
  Capabilities c;
  c.sql = c.transactions = c.bulk_write = true;
  c.filter_pushdown = c.limit_pushdown = c.order_pushdown = true;
  c.order_nulls = true;  // placed by Dialect::order_items
  c.partitioned_scan = true;
  c.schemas = true;
  // The swap (DROP + RENAME) runs in the writer's transaction: atomic where
  // DDL is transactional; MySQL commits each DDL statement on its own.
  c.atomic_replace = dialect_->kind() == DbmsKind::sqlserver ||
                     dialect_->kind() == DbmsKind::postgresql;
  c.change_writes = true;
  return c;
}

StmtHandle OdbcConnection::new_statement() {
  SQLHSTMT stmt = nullptr;
  const SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_STMT, dbc_.get(), &stmt);
  if (!succeeded(rc))
    throw make_error(collect_diagnostics(SQL_HANDLE_DBC, dbc_.get()), "cannot create a statement");
  return StmtHandle(stmt);
}

StmtHandle OdbcConnection::prepare(std::string_view sql, std::string_view what) {
  logger("odbc")->debug("prepare: {}{}", sql.substr(0, 300), sql.size() > 300 ? " ..." : "");
  StmtHandle stmt = new_statement();
  std::u16string text = to_utf16(sql);
  check(SQLPrepareW(stmt.get(), wide(text), static_cast<SQLINTEGER>(text.size())), stmt.get(),
        what);
  return stmt;
}

void OdbcConnection::check(SQLRETURN rc, SQLHSTMT stmt, std::string_view what) const {
  if (succeeded(rc)) return;
  if (rc == SQL_INVALID_HANDLE)
    throw Error(ErrorCode::internal, fmt::format("{}: invalid ODBC handle", what), "odbc");
  throw make_error(collect_diagnostics(SQL_HANDLE_STMT, stmt), what);
}

uint64_t OdbcConnection::exec(std::string_view sql, std::span<const Value> params) {
  logger("odbc")->debug("exec: {}", sql);
  StmtHandle stmt = new_statement();
  return io(stmt.get(), [&]() -> uint64_t {
    std::u16string text = to_utf16(sql);
    SQLRETURN rc;
    ValueParams bound;
    if (params.empty()) {
      rc = SQLExecDirectW(stmt.get(), wide(text), static_cast<SQLINTEGER>(text.size()));
    } else {
      check(SQLPrepareW(stmt.get(), wide(text), static_cast<SQLINTEGER>(text.size())), stmt.get(),
            "cannot prepare SQL");
      bound.bind(stmt.get(), params, *dialect_);
      rc = SQLExecute(stmt.get());
    }
    if (rc == SQL_NO_DATA) return 0;  // a searched UPDATE/DELETE that matched nothing
    check(rc, stmt.get(), "statement failed");
    SQLLEN count = 0;
    SQLRowCount(stmt.get(), &count);
    return count > 0 ? static_cast<uint64_t>(count) : 0;
  });
}

TextRows OdbcConnection::collect_text(std::string_view sql, std::span<const Value> params) {
  logger("odbc")->debug("query: {}", sql);
  StmtHandle stmt = new_statement();
  return io(stmt.get(), [&]() -> TextRows {
    std::u16string text = to_utf16(sql);
    ValueParams bound;
    check(SQLPrepareW(stmt.get(), wide(text), static_cast<SQLINTEGER>(text.size())), stmt.get(),
          "cannot prepare SQL");
    if (!params.empty()) bound.bind(stmt.get(), params, *dialect_);
    const SQLRETURN rc = SQLExecute(stmt.get());
    if (rc == SQL_NO_DATA) return {};
    check(rc, stmt.get(), "query failed");
    return fetch_text_rows(*this, stmt.get());
  });
}

TextRows fetch_text_rows(const OdbcConnection& conn, SQLHSTMT stmt) {
  TextRows rows;
  SQLSMALLINT n = 0;
  conn.check(SQLNumResultCols(stmt, &n), stmt, "cannot read the result");
  if (n <= 0) return rows;
  std::string cell;
  for (;;) {
    const SQLRETURN rc = SQLFetch(stmt);
    if (rc == SQL_NO_DATA) break;
    conn.check(rc, stmt, "cannot read the result");
    auto& row = rows.emplace_back();
    for (SQLSMALLINT c = 1; c <= n; ++c) {
      if (get_long_data(conn, stmt, static_cast<SQLUSMALLINT>(c), FetchKind::wtext, cell))
        row.emplace_back(cell);
      else
        row.emplace_back();
    }
  }
  return rows;
}

void OdbcConnection::set_autocommit(bool on) {
  const auto busy = this->busy();
  const SQLRETURN rc = SQLSetConnectAttr(
      dbc_.get(), SQL_ATTR_AUTOCOMMIT,
      reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF)),
      0);
  if (!succeeded(rc))
    throw interrupted(make_error(collect_diagnostics(SQL_HANDLE_DBC, dbc_.get()),
                                 on ? "cannot end the transaction" : "cannot start a transaction"));
}

void OdbcConnection::end_transaction(bool commit) {
  const auto busy = this->busy();
  const SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), commit ? SQL_COMMIT : SQL_ROLLBACK);
  if (!succeeded(rc))
    throw interrupted(make_error(collect_diagnostics(SQL_HANDLE_DBC, dbc_.get()),
                                 commit ? "commit failed" : "rollback failed"));
}

void OdbcConnection::rollback_quietly() noexcept {
  const auto busy = this->busy();
  if (!succeeded(SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), SQL_ROLLBACK)))
    logger("odbc")->warn("rollback failed (the server rolls back when the connection closes)");
  SQLSetConnectAttr(dbc_.get(), SQL_ATTR_AUTOCOMMIT,
                    reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_AUTOCOMMIT_ON)), 0);
}

TableName OdbcConnection::resolve(std::string_view table) const {
  if (auto q = parse_quoted_table_name(table, "odbc"))
    return TableName{std::move(q->schema), std::move(q->table)};
  const auto dot = table.find('.');
  if (dot == std::string_view::npos) return TableName{"", std::string(table)};
  return TableName{std::string(table.substr(0, dot)), std::string(table.substr(dot + 1))};
}

std::pair<std::optional<std::string>, std::optional<std::string>> OdbcConnection::catalog_scope(
    const TableName& name) const {
  if (dialect_->schema_is_catalog())
    return {name.schema.empty() ? catalog_ : name.schema, std::nullopt};
  const std::string& schema = name.schema.empty() ? default_schema_ : name.schema;
  return {std::nullopt, schema.empty() ? std::nullopt : std::optional(schema)};
}

std::vector<TableInfo> OdbcConnection::list_tables() {
  return io(nullptr, [&]() -> std::vector<TableInfo> {
    StmtHandle stmt = new_statement();
    WideArg catalog(dialect_->schema_is_catalog() ? std::optional(catalog_) : std::nullopt);
    std::u16string all = u"%", types = u"TABLE,VIEW";
    check(SQLTablesW(stmt.get(), catalog.ptr(), catalog.len(), nullptr, 0, wide(all), SQL_NTS,
                     wide(types), SQL_NTS),
          stmt.get(), "cannot list the tables");
    std::vector<TableInfo> out;
    for (const auto& row : fetch_text_rows(*this, stmt.get())) {
      const std::string schema = row.at(1).value_or(""), table = row.at(2).value_or("");
      const std::string type = row.at(3).value_or("");
      const std::string s = ascii_lower(schema);
      if (s == "pg_catalog" || s == "information_schema" || s == "sys" || s == "pg_toast") continue;
      if (type != "TABLE" && type != "VIEW" && type != "BASE TABLE") continue;
      const bool local = schema.empty() || schema == default_schema_;
      out.push_back({local ? table : schema + "." + table, type == "VIEW" ? "view" : "table"});
    }
    std::sort(out.begin(), out.end(),
              [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
    return out;
  });
}

std::string OdbcConnection::own_table_name(std::string_view table) {
  const TableName name = resolve(table);
  if (auto found = find(name)) return found->name;
  return name.table;
}

std::string OdbcConnection::table_reference(std::string_view name) const {
  return table_reference_text({"", std::string(name)});
}

std::optional<TableInfo> OdbcConnection::find(const TableName& name) {
  return io(nullptr, [&]() -> std::optional<TableInfo> {
    StmtHandle stmt = new_statement();
    auto [cat, sch] = catalog_scope(name);
    const std::string escape = info_text(SQL_SEARCH_PATTERN_ESCAPE);
    WideArg catalog(cat);
    WideArg schema(sch ? std::optional(escape_pattern(*sch, escape)) : std::nullopt);
    std::u16string table = to_utf16(escape_pattern(name.table, escape));
    check(SQLTablesW(stmt.get(), catalog.ptr(), catalog.len(), schema.ptr(), schema.len(),
                     wide(table), static_cast<SQLSMALLINT>(table.size()), nullptr, 0),
          stmt.get(), "cannot look up the table");
    for (const auto& row : fetch_text_rows(*this, stmt.get())) {
      if (row.at(2) != name.table) continue;
      if (sch && row.at(1) && *row.at(1) != *sch) continue;
      const std::string type = row.at(3).value_or("");
      return TableInfo{row.at(2).value_or(""), type == "VIEW" ? "view" : "table"};
    }
    return std::nullopt;
  });
}

TableDescription OdbcConnection::describe_table(const TableName& name, std::string_view as_given) {
  return io(nullptr, [&]() -> TableDescription {
    const auto found = find(name);
    if (!found)
      throw no_table_error(as_given, display_, "odbc");
    TableDescription d;
    d.name = name;
    d.is_view = found->kind == "view";
    auto [cat, sch] = catalog_scope(name);
    const std::string escape = info_text(SQL_SEARCH_PATTERN_ESCAPE);
    {
      StmtHandle stmt = new_statement();
      WideArg catalog(cat);
      WideArg schema(sch ? std::optional(escape_pattern(*sch, escape)) : std::nullopt);
      std::u16string table = to_utf16(escape_pattern(name.table, escape)), cols = u"%";
      check(SQLColumnsW(stmt.get(), catalog.ptr(), catalog.len(), schema.ptr(), schema.len(),
                        wide(table), static_cast<SQLSMALLINT>(table.size()), wide(cols), SQL_NTS),
            stmt.get(), "cannot read the columns");
      std::vector<std::pair<int64_t, ColumnMeta>> cols_found;
      for (const auto& row : fetch_text_rows(*this, stmt.get())) {
        if (row.at(2) != name.table || (sch && row.at(1) && *row.at(1) != *sch)) continue;
        ColumnMeta c;
        c.name = row.at(3).value_or("");
        c.sql_type = static_cast<short>(std::stoi(row.at(4).value_or("0")));
        c.type_name = ascii_lower(row.at(5).value_or(""));
        c.column_size = std::stoll(row.at(6).value_or("0"));
        c.decimal_digits = static_cast<short>(std::stoi(row.at(8).value_or("0")));
        c.nullable = row.at(10).value_or("1") != "0";
        c.remarks = row.at(11).value_or("");
        const int64_t ordinal = row.size() > 16 ? std::stoll(row[16].value_or("0")) : 0;
        cols_found.emplace_back(ordinal, std::move(c));
      }
      std::stable_sort(cols_found.begin(), cols_found.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [ordinal, c] : cols_found) d.columns.push_back(std::move(c));
    }
    add_details(d);
    for (const auto& c : d.columns) {
      Field f{c.name, type_from_column(c, dialect_->kind()), c.nullable, native_type_text(c)};
      if (f.type.id == TypeId::string) f.collation = dialect_->collation({c.sql_type, c.type_name});
      d.schema.fields.push_back(std::move(f));
    }
    StmtHandle stmt = new_statement();
    WideArg catalog(cat), schema(sch);
    std::u16string table = to_utf16(name.table);
    check(SQLPrimaryKeysW(stmt.get(), catalog.ptr(), catalog.len(), schema.ptr(), schema.len(),
                          wide(table), static_cast<SQLSMALLINT>(table.size())),
          stmt.get(), "cannot read the primary key");
    std::vector<std::pair<int, std::string>> key;
    for (const auto& row : fetch_text_rows(*this, stmt.get()))
      if (row.at(2) == name.table && row.at(3))
        key.emplace_back(std::stoi(row.at(4).value_or("0")), *row.at(3));
    std::sort(key.begin(), key.end());
    for (auto& [seq, col] : key) d.schema.primary_key.push_back(col);
    return d;
  });
}

void OdbcConnection::add_details(TableDescription& d) {
  if (dialect_->kind() == DbmsKind::postgresql) return add_numeric_details(d);
  if (dialect_->kind() != DbmsKind::mysql) return;
  // What SQLColumns does not say: COLUMN_TYPE (tinyint(1) is a boolean) and
  // MariaDB's JSON, a LONGTEXT with a CHECK (json_valid(col)).
  const std::vector<Value> params{d.name.schema.empty() ? Value() : Value(d.name.schema),
                                  Value(d.name.table)};
  TextRows rows;
  try {
    rows = collect_text(
        "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, (SELECT COUNT(*) FROM "
        "information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND "
        "k.TABLE_NAME = c.TABLE_NAME AND k.CONSTRAINT_NAME = c.COLUMN_NAME AND k.CHECK_CLAUSE = "
        "CONCAT('json_valid(`', c.COLUMN_NAME, '`)')) FROM information_schema.COLUMNS c WHERE "
        "c.TABLE_SCHEMA = COALESCE(?, DATABASE()) AND c.TABLE_NAME = ?",
        params);
  } catch (const Error& e) {
    logger("odbc")->debug("no column details: {}", e.message());
    return;
  }
  for (const auto& row : rows)
    for (auto& c : d.columns)
      if (row.at(0) == c.name) {
        c.full_type = row.at(1).value_or("");
        c.json_check = row.at(2).value_or("0") != "0";
      }
}

void OdbcConnection::add_numeric_details(TableDescription& d) {
  // psqlODBC reports an unconstrained NUMERIC as numeric(28,6); the catalog knows better.
  const std::vector<Value> params{d.name.schema.empty() ? Value() : Value(d.name.schema),
                                  Value(d.name.table)};
  const TextRows rows = collect_text(
      "SELECT column_name, numeric_precision, numeric_scale FROM information_schema.columns "
      "WHERE table_schema = COALESCE(?, current_schema()) AND table_name = ? AND data_type = "
      "'numeric'",
      params);
  for (const auto& row : rows)
    for (auto& c : d.columns)
      if (row.at(0) == c.name) {
        c.column_size = row.at(1) ? std::stoll(*row.at(1)) : 0;
        c.decimal_digits = static_cast<short>(row.at(2) ? std::stoi(*row.at(2)) : 0);
      }
}

Schema OdbcConnection::describe(std::string_view table) {
  return describe_table(resolve(table), table).schema;
}

std::unique_ptr<BatchReader> OdbcConnection::scan(const ScanSpec& spec) {
  refuse_resume_from(spec, backend());
  const TableDescription d = describe_table(resolve(spec.table), spec.table);
  const Schema& full = d.schema;
  check_partition(spec.partition);
  auto schema = std::make_shared<Schema>(project(full, spec.columns));
  std::vector<std::string> cols;
  for (const auto& f : schema->fields) cols.push_back(dialect_->quote_ident(f.name));
  ReaderSetup setup;
  FilterPushdown pushed;
  if (spec.filter)
    pushed = push_conjuncts(
        *spec.filter,
        [&](const Filter& leaf) -> std::optional<std::string> {
          const Field& field = full.field(leaf.column);
          const ColumnMeta& meta = d.columns.at(*full.index_of(field.name));
          std::vector<Value> literals;
          for (const auto& v : leaf.values) {
            try {
              literals.push_back(coerce_value(v, field.type));
            } catch (const Error&) {
              return std::nullopt;  // polydb's own comparison rules decide locally
            }
          }
          auto sql = dialect_->compare_sql(dialect_->quote_ident(field.name), field.type,
                                           {meta.sql_type, meta.type_name}, leaf.op,
                                           literals.size());
          if (sql && leaf.op != CompareOp::is_null && leaf.op != CompareOp::is_not_null)
            for (auto& v : literals) setup.params.push_back(std::move(v));
          return sql;
        },
        &setup.params);
  check_residual_columns(pushed.residual, *schema);
  SelectParts parts;
  parts.columns = join_list(cols);
  parts.from = dialect_->quote_table(d.name);
  parts.where = std::move(pushed.sql);
  setup.residual = std::move(pushed.residual);
  if (spec.partition.count > 1) add_partition(d, spec.partition, parts.where, setup.params);
  for (const auto& o : spec.order_by) {
    const Field& f = full.field(o.column);
    for (auto& item :
         dialect_->order_items(dialect_->quote_ident(f.name), f.type, o.descending, o.nulls_first))
      parts.order.push_back(std::move(item));
  }
  if (spec.limit && !setup.residual) parts.limit = spec.limit;
  setup.sql = dialect_->select_sql(parts);
  setup.set_scan(spec, std::move(schema), setup.sql);
  setup.prefetch = spec.exclusive;
  return make_reader(*this, std::move(setup));
}

void OdbcConnection::add_partition(const TableDescription& d, const ScanSpec::Partition& part,
                                   std::vector<std::string>& where, std::vector<Value>& params) {
  const Schema& full = d.schema;
  const ColumnMeta* key =
      full.primary_key.size() == 1 ? &d.columns.at(*full.index_of(full.primary_key[0])) : nullptr;
  if (key && is_integer_sql_type(key->sql_type)) {
    // An integer key: near-equal ranges of it, each an index range scan.
    const std::string k = dialect_->quote_ident(key->name);
    const TextRows bounds = collect_text(
        fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", k, dialect_->quote_table(d.name)));
    if (bounds.empty() || !bounds[0][0] || !bounds[0][1]) {
      if (part.index > 0) where.push_back("(1=0)");  // empty table: all in part 0
      return;
    }
    const int64_t lo = std::stoll(*bounds[0][0]), hi = std::stoll(*bounds[0][1]);
    if (part.index > 0) {
      where.push_back(k + " >= ?");
      params.push_back(range_split(lo, hi, part.index, part.count));
    }
    if (part.index + 1 < part.count) {
      where.push_back(k + " < ?");
      params.push_back(range_split(lo, hi, part.index + 1, part.count));
    }
    return;
  }
  std::vector<std::string> hashed;
  for (const auto& c : full.primary_key.empty() ? std::vector<std::string>{} : full.primary_key)
    hashed.push_back(dialect_->quote_ident(c));
  if (hashed.empty())
    for (const auto& f : full.fields) hashed.push_back(dialect_->quote_ident(f.name));
  const auto cond = dialect_->hash_partition_sql(hashed, part.index, part.count);
  if (!cond)
    throw Error(ErrorCode::unsupported,
                fmt::format("cannot split '{}' into partitions on {}: it has no integer primary "
                            "key and the {} dialect has no hash function (scan without "
                            "partitions)",
                            d.name.display(), display_, to_string(dialect_->kind())),
                "odbc");
  where.push_back(*cond);
}

std::unique_ptr<BatchReader> OdbcConnection::query(std::string_view text,
                                                   std::span<const Value> params,
                                                   const QueryOptions& options) {
  ReaderSetup setup;
  setup.sql = std::string(text);
  setup.params.assign(params.begin(), params.end());
  setup.set_query(options, text);
  setup.prefetch = options.exclusive;
  return make_reader(*this, std::move(setup));
}

uint64_t OdbcConnection::execute(std::string_view text, std::span<const Value> params) {
  return exec(text, params);
}

std::unique_ptr<BatchWriter> OdbcConnection::writer(std::string_view table, const Schema& schema,
                                                    const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> OdbcConnection::change_writer(std::string_view table,
                                                            const Schema& schema,
                                                            const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

void OdbcConnection::create_table(std::string_view table, const Schema& schema) {
  const TableName name = resolve(table);
  check_schema_creatable(table, schema);
  if (find(name)) throw table_exists_error(table, display_, "odbc");
  exec(dialect_->create_table_sql(name, schema));
}

void OdbcConnection::drop_table(std::string_view table, bool if_exists) {
  const TableName name = resolve(table);
  const auto found = find(name);
  if (!found) {
    if (if_exists) return;
    throw Error(ErrorCode::not_found, fmt::format("no table '{}' in {} to drop", table, display_),
                "odbc");
  }
  exec((found->kind == "view" ? "DROP VIEW " : "DROP TABLE ") + dialect_->quote_table(name));
}

std::optional<uint64_t> OdbcConnection::count_rows(std::string_view table) {
  const TableName name = resolve(table);
  if (!find(name))
    throw no_table_error(table, display_, "odbc");
  const TextRows rows = collect_text(dialect_->count_sql(name));
  return std::stoull(rows.at(0).at(0).value_or("0"));
}

PingResult OdbcConnection::ping() {
  std::string sql = "SELECT 1";
  switch (dialect_->kind()) {
    case DbmsKind::postgresql:
      sql = "SELECT CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE 'primary' END";
      break;
    case DbmsKind::mysql:
      sql = "SELECT CASE WHEN @@read_only THEN 'read-only' ELSE 'primary' END";
      break;
    case DbmsKind::sqlserver:
      sql = "SELECT CASE WHEN DATABASEPROPERTYEX(DB_NAME(), 'Updateability') = 'READ_ONLY' "
            "THEN 'read-only' ELSE 'primary' END";
      break;
    case DbmsKind::ansi:
      break;
  }
  const auto start = std::chrono::steady_clock::now();
  const TextRows rows = collect_text(sql);
  PingResult r;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.server_version = dbms_name_ + " " + dbms_version_;
  r.role = dialect_->kind() == DbmsKind::ansi ? "unknown" : rows.at(0).at(0).value_or("unknown");
  return r;
}

}  // namespace polydb::odbc
