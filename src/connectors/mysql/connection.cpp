#include "connectors/mysql/connection.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "connectors/mysql/errors.hpp"
#include "connectors/mysql/tls_probe.hpp"
#include "connectors/common/cloud_hosts.hpp"
#include "core/log.hpp"
#include "connectors/common/pushdown.hpp"
#include "connectors/common/snapshots.hpp"
#include "core/sql_names.hpp"
#include "connectors/common/table_errors.hpp"
#include "net/retry.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

// Transient failures to connect (refused, server restarting, too many
// connections) are retried this often, with exponential backoff and jitter.
constexpr int kConnectAttempts = 3;
constexpr std::chrono::milliseconds kFirstBackoff{100};

// Strict: a value that does not fit is an error, never silently truncated or
// turned into a zero date. No NO_BACKSLASH_ESCAPES: quote_string relies on it.
constexpr std::string_view kSessionSetup =
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,STRICT_TRANS_TABLES,NO_ZERO_DATE,"
    "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'";

constexpr std::string_view kKnownOptions =
    "ssl-mode, ssl-ca, ssl-cert, ssl-key, connect-timeout, read-timeout, write-timeout, charset, "
    "socket, zero-date, tinyint1-as-boolean, server-cursor";

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '-') c = '_';
  }
  return out;
}

unsigned parse_seconds(std::string_view key, const std::string& value, unsigned min) {
  unsigned v = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || v < min)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("option {}={} is not a whole number of seconds{}", key, value,
                            min ? " (at least 1)" : ""));
  return v;
}

bool parse_flag(std::string_view key, const std::string& value) {
  const std::string v = upper(value);
  if (v == "TRUE" || v == "1" || v == "YES" || v == "ON") return true;
  if (v == "FALSE" || v == "0" || v == "NO" || v == "OFF") return false;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("option {}={} is not a boolean (use true or false)", key, value));
}

bool is_integer_type(std::string_view data_type) {
  return data_type == "tinyint" || data_type == "smallint" || data_type == "mediumint" ||
         data_type == "int" || data_type == "integer" || data_type == "bigint";
}

// Whether a statement gets a server cursor. The server opens them for SELECT
// only; for other statements with a result (EXPLAIN, CHECK TABLE, CALL, ...)
// libmariadb reports "commands out of sync" when one was asked for, so those
// stream without one.
bool wants_cursor(std::string_view sql) {
  for (;;) {
    while (!sql.empty() &&
           (sql[0] == ' ' || sql[0] == '\n' || sql[0] == '\t' || sql[0] == '\r' || sql[0] == '('))
      sql.remove_prefix(1);
    if (!sql.starts_with("/*")) break;
    const auto end = sql.find("*/");
    if (end == std::string_view::npos) return false;
    sql.remove_prefix(end + 2);
  }
  std::string word;
  for (char c : sql) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return word == "SELECT" || word == "WITH" || word == "VALUES" || word == "TABLE";
}

std::string_view trim_statement(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == ';'))
    s.remove_suffix(1);
  return s;
}

// Key ranges of BIGINT UNSIGNED columns span more than int64.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// A decimal text as a 128-bit integer (integer columns only).
Int128 parse_int128(const std::string& text) {
  Int128 v = 0;
  size_t i = 0;
  const bool neg = !text.empty() && text[0] == '-';
  if (neg) ++i;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
  return neg ? -v : v;
}

Value int128_value(Int128 v) {
  if (v >= INT64_MIN && v <= INT64_MAX) return Value(static_cast<int64_t>(v));
  std::string digits;
  const bool neg = v < 0;
  UInt128 u = neg ? static_cast<UInt128>(-v) : static_cast<UInt128>(v);
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u);
  return Value(Decimal{(neg ? "-" : "") + digits});
}

void set_time(MYSQL_TIME& t, const DateTimeParts& p, enum_mysql_timestamp_type kind) {
  t = MYSQL_TIME{};
  t.year = p.year;
  t.month = p.month;
  t.day = p.day;
  t.hour = p.hour;
  t.minute = p.minute;
  t.second = p.second;
  t.second_part = p.micros;
  t.neg = p.negative;
  t.time_type = kind;
}

}  // namespace

ConnectionOptions parse_options(const Uri& uri, std::chrono::milliseconds default_timeout,
                                std::chrono::milliseconds default_read_timeout) {
  ConnectionOptions o;
  o.connect_timeout_s =
      static_cast<unsigned>(std::max<int64_t>(1, (default_timeout.count() + 999) / 1000));
  // read-timeout bounds writes too, unless write-timeout says otherwise.
  o.read_timeout = o.write_timeout = read_timeout_option(uri, default_read_timeout);
  std::vector<std::string> unknown;
  bool ssl_mode_given = false;
  for (const auto& [key, value] : uri.query) {
    if (option_keys_equal(key, "ssl-mode")) {
      ssl_mode_given = true;
      const std::string m = upper(value);
      if (m == "DISABLED")
        o.ssl_mode = SslMode::disabled;
      else if (m == "PREFERRED")
        o.ssl_mode = SslMode::preferred;
      else if (m == "REQUIRED")
        o.ssl_mode = SslMode::required;
      else if (m == "VERIFY_CA")
        o.ssl_mode = SslMode::verify_ca;
      else if (m == "VERIFY_IDENTITY")
        o.ssl_mode = SslMode::verify_identity;
      else
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("unknown ssl-mode '{}' (use DISABLED, PREFERRED, REQUIRED, "
                                "VERIFY_CA or VERIFY_IDENTITY)",
                                value));
    } else if (option_keys_equal(key, "ssl-ca")) {
      o.ssl_ca = value;
    } else if (option_keys_equal(key, "ssl-cert")) {
      o.ssl_cert = value;
    } else if (option_keys_equal(key, "ssl-key")) {
      o.ssl_key = value;
    } else if (option_keys_equal(key, "connect-timeout")) {
      o.connect_timeout_s = parse_seconds(key, value, 1);
    } else if (option_keys_equal(key, "read-timeout")) {
      // Read above, by the rules every network backend shares.
    } else if (option_keys_equal(key, "write-timeout")) {
      o.write_timeout = std::chrono::seconds(parse_seconds(key, value, 0));
    } else if (option_keys_equal(key, "charset")) {
      std::string c = value;
      for (auto& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      // polydb strings are UTF-8: other character sets would hand it other bytes.
      if (c != "utf8mb4" && c != "utf8mb3" && c != "utf8")
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("charset={} is not supported: polydb exchanges text as UTF-8 "
                                "(use utf8mb4, or utf8mb3 for servers without it)",
                                value));
      o.charset = c;
    } else if (option_keys_equal(key, "socket")) {
      o.socket = value;
    } else if (option_keys_equal(key, "zero-date")) {
      const std::string z = upper(value);
      if (z == "NULL")
        o.types.zero_date_null = true;
      else if (z == "ERROR")
        o.types.zero_date_null = false;
      else
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("zero-date={} is not one of: error, null", value));
    } else if (option_keys_equal(key, "tinyint1-as-boolean")) {
      o.types.tinyint1_boolean = parse_flag(key, value);
    } else if (option_keys_equal(key, "server-cursor")) {
      o.server_cursor = parse_flag(key, value);
    } else if (!net::is_rds_iam_option(key)) {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const auto& n : unknown) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown option{} {} in {} (known: {})", unknown.size() > 1 ? "s" : "",
                            names, uri.to_string(), kKnownOptions));
  }
  // RDS IAM tokens are passwords: never without TLS.
  if ((o.iam = net::rds_iam_from_uri(uri, 3306)) && o.ssl_mode == SslMode::disabled)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{}: auth=aws-iam cannot be used with ssl-mode=DISABLED (the IAM token "
                            "is a password: use REQUIRED, VERIFY_CA or VERIFY_IDENTITY)",
                            uri.to_string()));
  if (o.iam && o.ssl_mode == SslMode::preferred) o.ssl_mode = SslMode::required;
  // Managed services (RDS, Azure, Cloud SQL): verify the certificate and the
  // host name unless the URL says otherwise.
  if (managed_database(uri.host) && !ssl_mode_given) {
    o.ssl_mode = SslMode::verify_identity;
    if (o.ssl_ca.empty()) o.ssl_ca = default_ca_file();
  }
  return o;
}

void Params::add(const Value& v) {
  Slot& s = slots_.emplace_back();
  MYSQL_BIND b;
  std::memset(&b, 0, sizeof b);
  const auto text = [&](std::string value, enum_field_types type) {
    s.s = std::move(value);
    s.length = static_cast<unsigned long>(s.s.size());
    b.buffer_type = type;
    b.buffer = s.s.data();
    b.buffer_length = s.length;
    b.length = &s.length;
  };
  const auto temporal = [&](const DateTimeParts& p, enum_field_types type,
                            enum_mysql_timestamp_type kind) {
    if (!storable_year(p))
      throw Error(ErrorCode::type_mismatch,
                  fmt::format("MySQL cannot store the date {} (years 0000-9999 only)", v.to_text()),
                  "mysql");
    set_time(s.t, p, kind);
    b.buffer_type = type;
    b.buffer = &s.t;
  };
  switch (v.type_id()) {
    case TypeId::null:
      b.buffer_type = MYSQL_TYPE_NULL;
      break;
    case TypeId::boolean:
    case TypeId::int64:
      s.i = v.holds<bool>() ? int64_t{v.as<bool>()} : v.as<int64_t>();
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &s.i;
      break;
    case TypeId::float64:
      s.d = v.as<double>();
      if (!std::isfinite(s.d))
        throw Error(ErrorCode::type_mismatch,
                    fmt::format("MySQL cannot store {} in a DOUBLE (convert or filter such values "
                                "first)",
                                format_double(s.d)),
                    "mysql");
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &s.d;
      break;
    // Bound as DECIMAL, the server compares and stores it exactly.
    case TypeId::decimal:
      text(v.as<Decimal>().text, MYSQL_TYPE_NEWDECIMAL);
      break;
    case TypeId::string:
      text(v.as<std::string>(), MYSQL_TYPE_STRING);
      break;
    case TypeId::bytes:
      text(v.as<Bytes>().data, MYSQL_TYPE_BLOB);
      break;
    case TypeId::json:
      text(v.as<Json>().text, MYSQL_TYPE_STRING);
      break;
    case TypeId::uuid:
      text(format_uuid(v.as<Uuid>()), MYSQL_TYPE_STRING);
      break;
    case TypeId::date:
      temporal(parts_from_date(v.as<Date>().days), MYSQL_TYPE_DATE, MYSQL_TIMESTAMP_DATE);
      break;
    case TypeId::time:
      temporal(parts_from_time(v.as<Time>().micros), MYSQL_TYPE_TIME, MYSQL_TIMESTAMP_TIME);
      break;
    case TypeId::timestamp:
      temporal(parts_from_timestamp(v.as<Timestamp>().micros), MYSQL_TYPE_DATETIME,
               MYSQL_TIMESTAMP_DATETIME);
      break;
    case TypeId::timestamp_tz:
      temporal(parts_from_timestamp(v.as<TimestampTz>().micros), MYSQL_TYPE_DATETIME,
               MYSQL_TIMESTAMP_DATETIME);
      break;
  }
  binds_.push_back(b);
}

MysqlConnection::MysqlConnection(const Uri& uri, const ConnectOptions& options)
    : options_(parse_options(uri, options.timeout, options.read_timeout)),
      uri_(uri),
      connect_options_(options),
      display_(uri.to_string()),
      stopper_(options.stop) {
  connect_options_.config = nullptr;
  // The whole connect, retries included, keeps to the connect timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.connect_timeout_s);
  // A timeout used the time there was: another attempt would exceed it.
  auto classify = [](const Error& e) {
    return net::RetryAdvice{.retry = e.retryable() && e.code() != ErrorCode::timeout};
  };
  net::RetryPolicy policy;
  policy.max_attempts = kConnectAttempts;
  policy.base_delay = kFirstBackoff;
  policy.deadline = std::chrono::seconds(options_.connect_timeout_s);
  net::RetryContext context;
  context.what = "connecting to " + display_;
  context.log_name = "mysql";
  context.stop = stopper_.token();
  try {
    if (stopper_.stopped()) throw stop_requested_error("mysql", display_);
    net::retry(policy, classify, [&] { connect_once(uri, deadline); }, context);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled && stopper_.stopped())
      throw stop_requested_error("mysql", display_);
    throw;
  }
  setup_session();
  logger("mysql")->info("connected to {} ({})", display_, server_version_);
}

MysqlConnection::~MysqlConnection() {
  // The stopper must not shut down a socket number the close frees for reuse.
  stopper_.detach();
  const SigpipeGuard guard(tls_);
  db_.reset();
}

void MysqlConnection::connect_once(const Uri& uri, std::chrono::steady_clock::time_point deadline) {
  // mysql_init() initialises the library on first use, which is not
  // thread-safe: do it once, under C++'s guarantee for function-local statics.
  // libmariadb's initialisation ignores SIGPIPE for the whole process, which
  // turns `polydb sql ... | head` into a full read of the result followed by
  // a failed write: put the program's own disposition back (SigpipeGuard
  // covers the writes that could raise it).
  static const bool library_ready = [] {
    struct sigaction before {};
    ::sigaction(SIGPIPE, nullptr, &before);
    const bool ok = mysql_library_init(0, nullptr, nullptr) == 0;
    ::sigaction(SIGPIPE, &before, nullptr);
    return ok;
  }();
  if (!library_ready) throw Error(ErrorCode::internal, "libmariadb failed to initialise", "mysql");
  stopper_.detach();
  db_.reset(mysql_init(nullptr));
  if (!db_) throw Error(ErrorCode::internal, "out of memory (mysql_init)", "mysql");
  MYSQL* m = db_.get();
  const auto& o = options_;
  // What is left of the connect timeout, in libmariadb's whole seconds.
  const auto left =
      std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
  const unsigned connect_timeout_s = static_cast<unsigned>(
      std::clamp<int64_t>(left.count(), 1, std::max<unsigned>(o.connect_timeout_s, 1)));
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout_s);
  // libmariadb counts whole seconds: round up, so that 0.5 s still limits.
  const auto whole_seconds = [](std::chrono::milliseconds d) {
    return static_cast<unsigned>(std::chrono::ceil<std::chrono::seconds>(d).count());
  };
  const unsigned read_timeout_s = whole_seconds(o.read_timeout);
  const unsigned write_timeout_s = whole_seconds(o.write_timeout);
  if (read_timeout_s) mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout_s);
  if (write_timeout_s) mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout_s);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, o.charset.c_str());
  unsigned int local_infile = 1;
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "polydb");
  // Our handler serves only the rows a writer is loading: a server asking for
  // any other local file is refused (libmariadb's default would read it).
  mysql_set_local_infile_handler(m, &infile_init, &infile_read, &infile_end, &infile_error, this);
  // libmariadb has no "encrypt, don't verify, fail without TLS" switch:
  // REQUIRED is checked after the handshake, below.
  my_bool enforce = o.ssl_mode != SslMode::disabled;
  my_bool verify = o.ssl_mode == SslMode::verify_ca || o.ssl_mode == SslMode::verify_identity;
  mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &enforce);
  mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  if (o.ssl_mode != SslMode::disabled) {
    if (!o.ssl_ca.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CA, o.ssl_ca.c_str());
    if (!o.ssl_cert.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CERT, o.ssl_cert.c_str());
    if (!o.ssl_key.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_KEY, o.ssl_key.c_str());
  }
  const std::string host = uri.host.empty() ? "localhost" : uri.host;
  const std::string database = uri.database();
  // RDS IAM: a fresh token at every attempt, sent by the cleartext plugin RDS asks for.
  const Secret token = o.iam ? net::generate_rds_auth_token(*o.iam) : Secret();
  const my_bool cleartext = o.iam.has_value();
  if (o.iam) mysql_optionsv(m, MYSQL_ENABLE_CLEARTEXT_PLUGIN, &cleartext);
  const std::string& password = o.iam ? token.reveal() : uri.password.reveal();
  const std::string what = "cannot connect to " + display_;
  // libmariadb sends the password without TLS when REQUIRED meets a server without it.
  if (o.iam && o.ssl_mode == SslMode::required && host != "localhost" &&
      !server_offers_tls(host, uri.port.value_or(3306), std::chrono::seconds(connect_timeout_s)))
    throw net::with_rds_iam_hint(make_error(
        2026, "", "the server does not offer TLS (SSL), which IAM authentication needs", what));
  const auto started = std::chrono::steady_clock::now();
  if (!mysql_real_connect(m, host.c_str(), uri.user.empty() ? nullptr : uri.user.c_str(),
                          password.empty() ? nullptr : password.c_str(),
                          database.empty() ? nullptr : database.c_str(), uri.port.value_or(3306),
                          o.socket.empty() ? nullptr : o.socket.c_str(), 0)) {
    const int saved_errno = errno;
    // libmariadb reports a connect or handshake that ran out of time as a
    // refused or lost connection, with errno ETIMEDOUT.
    const unsigned errnum = mysql_errno(m);
    if ((errnum == 2002 || errnum == 2003 || errnum == 2013 || errnum == 2055) &&
        (saved_errno == ETIMEDOUT ||
         std::chrono::steady_clock::now() - started >= std::chrono::seconds(connect_timeout_s))) {
      Error e = Error(ErrorCode::timeout,
                      fmt::format("timeout: {}: no answer within {} s; the host is unreachable or "
                                  "the server is stalled (connect-timeout={}; set "
                                  "?connect-timeout=SECONDS on the URL to wait longer)",
                                  what, connect_timeout_s, o.connect_timeout_s),
                      "mysql", fmt::format("MySQL error {}: {}", errnum, mysql_error(m)))
                    .set_retryable(true)
                    .set_native_code(std::to_string(errnum));
      db_.reset();
      throw e;
    }
    Error e = o.iam ? net::with_rds_iam_hint(error(what)) : error(what);
    db_.reset();
    throw e;
  }
  // libmariadb never puts TLS on a Unix socket ("localhost"), which is local anyway.
  if (o.ssl_mode == SslMode::required && host != "localhost" && !mysql_get_ssl_cipher(m)) {
    db_.reset();
    throw make_error(2026, "", "the server did not enable TLS, which ssl-mode=REQUIRED demands",
                     what);
  }
  tls_ = mysql_get_ssl_cipher(m) != nullptr;
  const int fd = static_cast<int>(mysql_get_socket(m));
  enable_tcp_keepalive(fd);
  stopper_.attach(fd);
}

void MysqlConnection::setup_session() {
  exec(kSessionSetup);
  server_version_ = mysql_get_server_info(db_.get());
  mariadb_ = server_version_.find("MariaDB") != std::string::npos;
  const unsigned long version = mysql_get_server_version(db_.get());
  // A bytewise, no-pad collation for the text columns polydb creates.
  if (mariadb_ && version >= 100200)
    text_collation_ = "utf8mb4_nopad_bin";
  else if (!mariadb_ && version >= 80000)
    text_collation_ = "utf8mb4_0900_bin";
  else
    text_collation_ = "utf8mb4_bin";  // older servers: pads, so 'a' = 'a '
}

Capabilities MysqlConnection::capabilities() const {
  Capabilities c;
  c.sql = c.transactions = c.bulk_write = true;
  c.filter_pushdown = c.limit_pushdown = c.order_pushdown = c.partitioned_scan = true;
  c.order_nulls = true;
  c.aggregate_pushdown = true;
  c.schemas = true;  // db.table
  c.shared_snapshot = true;
  c.atomic_replace = true;  // RENAME TABLE swaps the side table in
  c.change_writes = true;
  return c;
}

std::unique_ptr<Snapshot> MysqlConnection::snapshot(uint32_t n) {
  if (n == 0) throw Error(ErrorCode::invalid_argument, "a snapshot needs at least one reader");
  // Connect first: the lock below stops every writer, so hold it only for
  // as long as it takes to start the transactions.
  std::vector<std::unique_ptr<MysqlConnection>> readers;
  for (uint32_t k = 0; k < n; ++k) {
    auto& r = readers.emplace_back(std::make_unique<MysqlConnection>(uri_, connect_options_));
    r->exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  }
  MysqlConnection leader(uri_, connect_options_);
  // FLUSH TABLES WITH READ LOCK waits for running statements; give up after a
  // minute rather than the server's default of a year.
  leader.exec("SET SESSION lock_wait_timeout = 60");
  try {
    leader.exec("FLUSH TABLES WITH READ LOCK");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::auth) throw;
    throw Error(ErrorCode::unsupported,
                fmt::format("cannot open readers that share one snapshot of {}: FLUSH TABLES WITH "
                            "READ LOCK needs the RELOAD privilege (GRANT RELOAD ON *.* TO the "
                            "user, or copy without parallel workers)",
                            display_),
                "mysql", e.detail().empty() ? e.message() : e.detail());
  }
  // No transaction can commit while the lock is held: every reader's
  // snapshot starts at the same point. UNLOCK TABLES happens when `leader`
  // disconnects too, should a reader fail to start.
  for (auto& r : readers) r->exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
  leader.exec("UNLOCK TABLES");
  logger("mysql")->debug("{} readers share one snapshot", n);
  std::vector<std::unique_ptr<Connection>> out;
  for (auto& r : readers) out.push_back(std::move(r));
  return std::make_unique<PreopenedSnapshot>(std::move(out), "mysql");
}

Error MysqlConnection::error(std::string_view what) const {
  const int saved_errno = errno;
  MYSQL* m = db_.get();
  return failure(mysql_errno(m), mysql_sqlstate(m), mysql_error(m), what, saved_errno);
}

Error MysqlConnection::error(MYSQL_STMT* stmt, std::string_view what) const {
  const int saved_errno = errno;
  // A streamed fetch that loses the connection leaves the error on the
  // connection only.
  if (mysql_stmt_errno(stmt) == 0 && mysql_errno(db_.get()) != 0) {
    MYSQL* m = db_.get();
    return failure(mysql_errno(m), mysql_sqlstate(m), mysql_error(m), what, saved_errno);
  }
  return failure(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), what,
                 saved_errno);
}

Error MysqlConnection::failure(unsigned errnum, std::string_view sqlstate, std::string_view native,
                               std::string_view what, int saved_errno) const {
  // A lost connection is closed: its socket number is free for reuse.
  if (db_ && !db_->net.pvio) stopper_.detach();
  // A client-side failure (2000-2999) after a stop request is the stopper's
  // doing: the socket was shut down under the call.
  if (errnum >= 2000 && errnum < 3000 && stopper_.stopped())
    return stop_requested_error("mysql", display_);
  // libmariadb reports a read or write that ran out of time as a lost
  // connection; its poll() left errno at ETIMEDOUT (as do TCP keepalives
  // that found the peer gone).
  const bool lost = errnum == 2006 || errnum == 2013 || errnum == 2055;
  if (lost && saved_errno == ETIMEDOUT) {
    const auto limit =
        options_.read_timeout.count() ? options_.read_timeout : options_.write_timeout;
    Error e = idle_timeout_error("mysql", display_, limit, "a read or write");
    return Error(e.code(), fmt::format("{} ({})", e.message(), what), "mysql",
                 fmt::format("MySQL error {}: {}", errnum, native))
        .set_retryable(true)
        .set_native_code(std::to_string(errnum));
  }
  return make_error(errnum, sqlstate, native, what);
}

SigpipeGuard::SigpipeGuard(bool active) noexcept {
  if (!active) return;
  sigset_t pipe, old, pending;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  if (pthread_sigmask(SIG_BLOCK, &pipe, &old) != 0) return;
  // Already blocked by the caller: leave the mask and any SIGPIPE to it.
  if (sigismember(&old, SIGPIPE)) return;
  active_ = true;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE);
}

SigpipeGuard::~SigpipeGuard() {
  if (!active_) return;
  const int saved_errno = errno;
  sigset_t pipe, pending;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
    const timespec zero{};
    while (sigtimedwait(&pipe, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
  errno = saved_errno;
}

void MysqlConnection::check_idle() const {
  if (streaming_owner_)
    throw Error(ErrorCode::invalid_argument,
                "a reader on this connection is still streaming its result (the server gave it "
                "no cursor); read it to the end or destroy it first, or use a second connection",
                "mysql");
}

void MysqlConnection::abandon_stream() noexcept {
  if (!db_ || stopper_.stopped()) return;  // shut down already: closing is quick
  const unsigned long id = mysql_thread_id(db_.get());
  try {
    ConnectOptions side = connect_options_;
    side.timeout = std::min<std::chrono::milliseconds>(side.timeout, std::chrono::seconds(5));
    MysqlConnection killer(uri_, side);
    killer.exec(fmt::format("KILL QUERY {}", id));
    logger("mysql")->debug("stopped the rest of a result from streaming (KILL QUERY {})", id);
  } catch (const std::exception& e) {
    logger("mysql")->warn(
        "cannot stop the rest of a result from streaming ({}): closing the connection instead",
        e.what());
    ::shutdown(static_cast<int>(mysql_get_socket(db_.get())), SHUT_RDWR);
  }
}

uint64_t MysqlConnection::exec(std::string_view sql) {
  check_idle();
  const auto guard = io_guard();
  logger("mysql")->debug("exec: {}", sql);
  MYSQL* m = db_.get();
  if (mysql_real_query(m, sql.data(), sql.size())) throw error("statement failed");
  if (mysql_field_count(m) == 0) return mysql_affected_rows(m);
  // A statement that returns rows (SHOW ..., SELECT through execute()): drain them.
  ResultHandle result(mysql_use_result(m));
  if (!result) throw error("cannot read the result");
  while (mysql_fetch_row(result.get())) {
  }
  if (mysql_errno(m)) throw error("cannot read the result");
  return 0;
}

StmtHandle MysqlConnection::prepare(std::string_view sql) {
  const auto guard = io_guard();
  StmtHandle stmt(mysql_stmt_init(db_.get()));
  if (!stmt) throw error("cannot create a statement");
  logger("mysql")->debug("prepare: {}", sql);
  sql = trim_statement(sql);
  if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()))
    throw error(stmt.get(), "cannot prepare SQL");
  return stmt;
}

StmtHandle MysqlConnection::run(std::string_view sql, Params& params, bool cursor,
                                unsigned long prefetch) {
  check_idle();
  StmtHandle stmt = prepare(sql);
  MYSQL_STMT* st = stmt.get();
  const unsigned long expected = mysql_stmt_param_count(st);
  if (expected != params.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the statement has {} parameter(s) but {} value(s) were given (give "
                            "one value per ? placeholder)",
                            expected, params.size()),
                "mysql")
        .set_hint(Hint::bind_params);
  if (expected && mysql_stmt_bind_param(st, params.binds()))
    throw error(st, "cannot bind parameters");
  if (cursor && options_.server_cursor && mysql_stmt_field_count(st) > 0 && wants_cursor(sql)) {
    unsigned long type = CURSOR_TYPE_READ_ONLY;
    mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
    if (prefetch) mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  }
  const auto guard = io_guard();
  if (mysql_stmt_execute(st)) throw error(st, "statement failed");
  return stmt;
}

std::vector<std::vector<std::optional<std::string>>> MysqlConnection::collect_text(
    std::string_view sql, std::span<const Value> values) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  if (values.empty()) {
    check_idle();
    const auto guard = io_guard();
    MYSQL* m = db_.get();
    logger("mysql")->debug("query: {}", sql);
    if (mysql_real_query(m, sql.data(), sql.size())) throw error("query failed");
    ResultHandle result(mysql_store_result(m));
    if (!result) {
      if (mysql_errno(m)) throw error("cannot read the result");
      return rows;
    }
    const unsigned n = mysql_num_fields(result.get());
    while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
      const unsigned long* lengths = mysql_fetch_lengths(result.get());
      auto& out = rows.emplace_back();
      for (unsigned i = 0; i < n; ++i)
        out.push_back(row[i] ? std::optional<std::string>(std::string(row[i], lengths[i]))
                             : std::nullopt);
    }
    return rows;
  }
  Params params;
  params.add_all(values);
  StmtHandle stmt = run(sql, params);
  MYSQL_STMT* st = stmt.get();
  const unsigned n = mysql_stmt_field_count(st);
  if (n == 0) return rows;
  std::vector<MYSQL_BIND> binds(n);
  std::vector<std::string> bufs(n, std::string(256, '\0'));
  std::vector<unsigned long> lengths(n);
  std::vector<my_bool> nulls(n);
  for (unsigned i = 0; i < n; ++i) {
    std::memset(&binds[i], 0, sizeof(MYSQL_BIND));
    binds[i].buffer_type = MYSQL_TYPE_STRING;
    binds[i].buffer = bufs[i].data();
    binds[i].buffer_length = static_cast<unsigned long>(bufs[i].size());
    binds[i].length = &lengths[i];
    binds[i].is_null = &nulls[i];
  }
  if (mysql_stmt_bind_result(st, binds.data())) throw error(st, "cannot bind the result");
  const auto guard = io_guard();
  for (;;) {
    const int rc = mysql_stmt_fetch(st);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) throw error(st, "cannot read the result");
    auto& out = rows.emplace_back();
    for (unsigned i = 0; i < n; ++i) {
      if (nulls[i]) {
        out.emplace_back();
      } else if (lengths[i] > bufs[i].size()) {
        std::string big(lengths[i], '\0');
        MYSQL_BIND b = binds[i];
        b.buffer = big.data();
        b.buffer_length = lengths[i];
        if (mysql_stmt_fetch_column(st, &b, i, 0)) throw error(st, "cannot read the result");
        out.emplace_back(std::move(big));
      } else {
        out.emplace_back(bufs[i].substr(0, lengths[i]));
      }
    }
  }
  return rows;
}

TableName MysqlConnection::resolve(std::string_view table) {
  if (auto q = parse_quoted_table_name(table, "mysql"))
    return TableName{std::move(q->schema), std::move(q->table)};
  TableName plain{"", std::string(table)};
  const auto dot = table.find('.');
  if (dot == std::string_view::npos || exists(plain)) return plain;
  return TableName{std::string(table.substr(0, dot)), std::string(table.substr(dot + 1))};
}

std::string MysqlConnection::own_table_name(std::string_view table) {
  const TableName name = resolve(table);
  if (!exists(name)) return name.table;
  return describe_table(name, table).name.table;
}

std::string MysqlConnection::table_reference(std::string_view name) const {
  return table_reference_text({"", std::string(name)});
}

bool MysqlConnection::exists(const TableName& name) {
  const Value schema = name.schema.empty() ? Value() : Value(name.schema);
  const std::vector<Value> params{schema, name.table};
  for (const auto& row :
       collect_text("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
                    params))
    if (row[0] == name.table) return true;
  return false;
}

TableDescription MysqlConnection::describe_table(const TableName& name, std::string_view as_given) {
  const Value schema = name.schema.empty() ? Value() : Value(name.schema);
  std::vector<Value> params{schema, name.table};
  // information_schema compares names case-insensitively: keep the exact match.
  const auto tables = collect_text(
      "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE "
      "TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
      params);
  const std::vector<std::optional<std::string>>* found = nullptr;
  for (const auto& row : tables)
    if (row[1] == name.table) found = &row;
  if (!found && tables.size() == 1) found = &tables[0];
  if (!found)
    throw no_table_error(as_given, display_, "mysql");
  TableDescription d;
  d.name = TableName{found->at(0).value_or(""), found->at(1).value_or("")};
  d.is_view = found->at(2) == "VIEW";
  params = {Value(d.name.schema), Value(d.name.table)};
  const auto columns = collect_text(
      "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, "
      "COLLATION_NAME, COLUMN_COMMENT, IS_NULLABLE FROM information_schema.COLUMNS WHERE "
      "TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
      params);
  for (const auto& row : columns) {
    if (row[0] != d.name.table) continue;
    ColumnInfo c;
    c.name = row[1].value_or("");
    c.data_type = row[2].value_or("");
    c.column_type = row[3].value_or("");
    c.charset = row[4].value_or("");
    c.collation = row[5].value_or("");
    c.comment = row[6].value_or("");
    c.nullable = row[7] == "YES";
    d.columns.push_back(std::move(c));
  }
  if (mariadb_) {
    // MariaDB's JSON is LONGTEXT plus a column-level CHECK (json_valid(col)).
    try {
      for (const auto& row :
           collect_text("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
                        "information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND "
                        "TABLE_NAME = ? AND LEVEL = 'Column'",
                        params)) {
        if (row[0] != d.name.table || !row[1] || !row[2]) continue;
        for (auto& c : d.columns)
          if (c.name == *row[1] && *row[2] == "json_valid(" + quote_ident(c.name) + ")")
            c.json_check = true;
      }
    } catch (const Error& e) {
      // Servers before 10.2.22 lack these columns: JSON then reads as text.
      logger("mysql")->debug("no JSON check constraints: {}", e.message());
    }
  }
  for (const auto& c : d.columns) {
    Field f;
    f.name = c.name;
    f.type = type_from_column(c, options_.types);
    f.nullable = c.nullable;
    // With zero-date=null a NOT NULL date column may still read as NULL.
    if (options_.types.zero_date_null &&
        (f.type.id == TypeId::date || f.type.id == TypeId::timestamp ||
         f.type.id == TypeId::timestamp_tz))
      f.nullable = true;
    f.native_type = c.column_type;
    if (f.type.id == TypeId::string) {
      f.collation = collation_of(c.collation);
      if (is_case_insensitive(f.collation)) f.collation_name = c.collation;
    }
    d.schema.fields.push_back(std::move(f));
  }
  for (const auto& row :
       collect_text("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
                    "TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY "
                    "ORDINAL_POSITION",
                    params))
    if (row[0] == d.name.table && row[1]) d.schema.primary_key.push_back(*row[1]);
  return d;
}

Schema MysqlConnection::describe(std::string_view table) {
  return describe_table(resolve(table), table).schema;
}

std::vector<TableInfo> MysqlConnection::list_tables() {
  // Without a current database, every user database's tables, as db.table.
  const auto rows = collect_text(
      "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, DATABASE() FROM information_schema.TABLES "
      "WHERE TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED') AND (TABLE_SCHEMA = "
      "DATABASE() OR (DATABASE() IS NULL AND TABLE_SCHEMA NOT IN ('information_schema', "
      "'mysql', 'performance_schema', 'sys'))) ORDER BY TABLE_SCHEMA, TABLE_NAME");
  std::vector<TableInfo> out;
  for (const auto& row : rows) {
    const std::string schema = row[0].value_or(""), table = row[1].value_or("");
    out.push_back(
        {row[3] == schema ? table : schema + "." + table, row[2] == "VIEW" ? "view" : "table"});
  }
  // information_schema sorts by a case-insensitive collation: sort bytewise.
  std::sort(out.begin(), out.end(),
            [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
  return out;
}

std::unique_ptr<BatchReader> MysqlConnection::scan(const ScanSpec& spec) {
  refuse_resume_from(spec, backend());
  const TableDescription d = describe_table(resolve(spec.table), spec.table);
  const Schema& full = d.schema;
  check_partition(spec.partition);
  std::vector<Value> params;
  FilterPushdown pushed;
  if (spec.filter)
    pushed = push_conjuncts(
        *spec.filter,
        [&](const Filter& leaf) { return filter_to_sql(leaf, d, options_.types, params); },
        &params);
  if (!spec.aggregates.empty()) {
    // avg() of a decimal keeps 4 more digits and rounds; of a double it
    // averages in floating point, as polydb does.
    const AggregateDialect dialect{[](std::string_view n) { return quote_ident(n); },
                                   [](const std::string& arg) { return "(" + arg + " + 0e0)"; },
                                   {}};
    const std::string sql =
        aggregate_sql(spec, full, d.name.quoted(), pushed.sql, pushed.residual, dialect);
    QueryOptions options;
    options.batch_rows = spec.batch_rows;
    options.batch_bytes = spec.batch_bytes;
    options.exclusive = spec.exclusive;
    return aggregate_reader(query(sql, params, options), spec, full);
  }
  auto schema = std::make_shared<Schema>(project(full, spec.columns));
  std::string cols;
  for (const auto& f : schema->fields) cols += (cols.empty() ? "" : ", ") + quote_ident(f.name);

  ReaderSetup setup;
  check_residual_columns(pushed.residual, *schema);
  std::vector<std::string> where = std::move(pushed.sql);
  setup.residual = std::move(pushed.residual);
  if (spec.partition.count > 1) {
    const auto key_info =
        full.primary_key.size() == 1 ? &d.columns.at(*full.index_of(full.primary_key[0])) : nullptr;
    if (key_info && is_integer_type(key_info->data_type)) {
      // An integer key: equal ranges of the key, each an index range scan.
      const std::string key = quote_ident(key_info->name);
      const auto bounds =
          collect_text(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", key, d.name.quoted()));
      if (!bounds.empty() && bounds[0][0] && bounds[0][1]) {
        const Int128 lo = parse_int128(*bounds[0][0]), hi = parse_int128(*bounds[0][1]);
        const Int128 span = hi - lo + 1, n = spec.partition.count;
        const Int128 step = span / n, rem = span % n;
        const auto bound = [&](uint32_t k) { return lo + step * k + std::min<Int128>(k, rem); };
        params.push_back(int128_value(bound(spec.partition.index)));
        where.push_back(key + " >= ?");
        if (spec.partition.index + 1 < spec.partition.count) {
          params.push_back(int128_value(bound(spec.partition.index + 1)));
          where.push_back(key + " < ?");
        }
      }
    } else {
      std::vector<std::string> hashed = full.primary_key;
      if (hashed.empty())
        for (const auto& f : full.fields) hashed.push_back(f.name);
      where.push_back(hash_partition_sql(hashed, spec.partition.index, spec.partition.count));
    }
  }
  std::string sql = fmt::format("SELECT {} FROM {}", cols, d.name.quoted());
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  if (!spec.order_by.empty()) {
    sql += " ORDER BY ";
    for (size_t i = 0; i < spec.order_by.size(); ++i) {
      const size_t idx = *full.index_of(full.field(spec.order_by[i].column).name);
      const OrderBy& o = spec.order_by[i];
      // MySQL puts NULLs first ascending and last descending; anything else
      // sorts on IS NULL first.
      if (o.nulls_first && *o.nulls_first == o.descending)
        sql += (i ? ", (" : "(") + order_expr(d, idx) + " IS NULL)" +
               (*o.nulls_first ? " DESC" : "") + ", ";
      else if (i)
        sql += ", ";
      sql += order_expr(d, idx) + (o.descending ? " DESC" : "");
    }
  }
  if (spec.limit && !setup.residual) sql += fmt::format(" LIMIT {}", *spec.limit);

  setup.sql = sql;
  setup.params.add_all(params);
  setup.set_scan(spec, std::move(schema), sql);
  return make_reader(*this, std::move(setup));
}

std::unique_ptr<BatchReader> MysqlConnection::query(std::string_view text,
                                                    std::span<const Value> params,
                                                    const QueryOptions& options) {
  ReaderSetup setup;
  setup.sql = std::string(text);
  setup.params.add_all(params);
  setup.set_query(options, text);
  setup.cursor = !options.exclusive;
  return make_reader(*this, std::move(setup));
}

uint64_t MysqlConnection::execute(std::string_view text, std::span<const Value> params) {
  // Without parameters the text protocol runs what cannot be prepared, too.
  if (params.empty()) return exec(trim_statement(text));
  Params bound;
  bound.add_all(params);
  StmtHandle stmt = run(text, bound);
  MYSQL_STMT* st = stmt.get();
  if (mysql_stmt_field_count(st) == 0) return mysql_stmt_affected_rows(st);
  // Rows returned by a statement run for its effect are read and dropped.
  const auto guard = io_guard();
  while (true) {
    const int rc = mysql_stmt_fetch(st);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) throw error(st, "cannot read the result");
  }
  return 0;
}

std::unique_ptr<BatchWriter> MysqlConnection::writer(std::string_view table, const Schema& schema,
                                                     const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> MysqlConnection::change_writer(std::string_view table,
                                                             const Schema& schema,
                                                             const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

void MysqlConnection::create_table(std::string_view table, const Schema& schema) {
  create_table(table, schema, false);
}

void MysqlConnection::create_table(std::string_view table, const Schema& schema, bool native) {
  const TableName name = resolve(table);
  check_schema_creatable(table, schema);
  if (exists(name)) throw table_exists_error(table, display_, "mysql");
  exec(create_table_sql(name, schema, text_collation_, native));
}

void MysqlConnection::drop_table(std::string_view table, bool if_exists) {
  const TableName name = resolve(table);
  if (!exists(name)) {
    if (if_exists) return;
    throw Error(ErrorCode::not_found, fmt::format("no table '{}' in {} to drop", table, display_),
                "mysql");
  }
  const TableDescription d = describe_table(name, table);
  exec((d.is_view ? "DROP VIEW " : "DROP TABLE ") + d.name.quoted());
}

std::optional<uint64_t> MysqlConnection::count_rows(std::string_view table) {
  const TableName name = resolve(table);
  if (!exists(name))
    throw no_table_error(table, display_, "mysql");
  const auto rows = collect_text("SELECT COUNT(*) FROM " + name.quoted());
  return std::stoull(rows.at(0).at(0).value_or("0"));
}

std::optional<uint64_t> MysqlConnection::estimate_rows(std::string_view table) {
  const TableName name = resolve(table);
  if (!exists(name))
    throw no_table_error(table, display_, "mysql");
  // InnoDB's estimate from index statistics; NULL for views.
  const std::vector<Value> params{name.schema.empty() ? Value() : Value(name.schema), name.table};
  const auto rows = collect_text(
      "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
      "COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
      params);
  if (rows.empty() || !rows[0][0]) return std::nullopt;
  // InnoDB refreshes its statistics in the background: a table just loaded
  // (or renamed into place) can say 0 rows for a while, so 0 means "unknown"
  // rather than "empty".
  const uint64_t n = std::stoull(*rows[0][0]);
  if (n == 0) return std::nullopt;
  return n;
}

PingResult MysqlConnection::ping() {
  const auto start = std::chrono::steady_clock::now();
  const auto rows = collect_text("SELECT VERSION(), @@read_only");
  PingResult r;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.server_version = rows.at(0).at(0).value_or("");
  const bool read_only = rows.at(0).at(1) == "1";
  const unsigned long version = mysql_get_server_version(db_.get());
  const bool new_syntax = mariadb_ ? version >= 100501 : version >= 80022;
  bool replica = false;
  try {
    replica = !collect_text(new_syntax ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS").empty();
  } catch (const Error& e) {
    // Needs REPLICATION CLIENT (or SLAVE MONITOR); without it the role comes from read_only.
    logger("mysql")->debug("cannot read the replica status: {}", e.message());
  }
  r.role = replica ? "replica" : read_only ? "read-only" : "primary";
  return r;
}

std::optional<uint64_t> MysqlConnection::load_data(std::string_view sql, LoadSource& source) {
  check_idle();
  logger("mysql")->debug("load: {}", sql);
  MYSQL* m = db_.get();
  const auto guard = io_guard();
  load_source_ = &source;
  load_error_ = nullptr;
  load_error_text_ = nullptr;
  const int rc = mysql_real_query(m, sql.data(), sql.size());
  load_source_ = nullptr;
  // What the source or a callback threw, as the Error it stands for.
  if (load_error_) rethrow_as_error(std::exchange(load_error_, nullptr));
  if (rc) {
    if (is_local_infile_refused(mysql_errno(m))) return std::nullopt;
    throw error("LOAD DATA failed");
  }
  return mysql_affected_rows(m);
}

int MysqlConnection::infile_init(void** ptr, const char* filename, void* userdata) noexcept {
  auto* self = static_cast<MysqlConnection*>(userdata);
  *ptr = self;
  try {
    callback_fault_point(CCallback::mysql_infile_init);
    if (!self->load_source_ || !filename || self->load_source_->file_name() != filename) {
      self->load_error_text_ =
          "the server asked for a local file polydb did not offer (refused: polydb only sends "
          "the rows it is writing)";
      return 1;
    }
    return 0;
  } catch (...) {
    self->load_error_ = std::current_exception();
    self->load_error_text_ = "polydb could not start sending rows after an error";
    return 1;
  }
}

int MysqlConnection::infile_read(void* ptr, char* buf, unsigned int len) noexcept {
  auto* self = static_cast<MysqlConnection*>(ptr);
  try {
    callback_fault_point(CCallback::mysql_infile_read);
    return static_cast<int>(self->load_source_->read(buf, len));
  } catch (...) {
    self->load_error_ = std::current_exception();
    self->load_error_text_ = "polydb stopped sending rows after an error";
    return -1;
  }
}

void MysqlConnection::infile_end(void*) noexcept {}

int MysqlConnection::infile_error(void* ptr, char* msg, unsigned int len) noexcept {
  const auto* self = static_cast<const MysqlConnection*>(ptr);
  const char* text = self && self->load_error_text_ ? self->load_error_text_ : "unknown error";
  if (len) {
    std::strncpy(msg, text, len - 1);
    msg[len - 1] = '\0';
  }
  return 2000;  // CR_UNKNOWN_ERROR
}

}  // namespace polydb::mysql
