#include "connectors/postgres/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "connectors/postgres/errors.hpp"
#include "connectors/common/cloud_hosts.hpp"
#include "core/encoding.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "core/sql_names.hpp"
#include "connectors/common/table_errors.hpp"
#include "connectors/common/pushdown.hpp"
#include "net/retry.hpp"
#include "polydb/error.hpp"

namespace polydb::postgres {

std::string quote_ident(std::string_view name) { return double_quoted(name); }

std::string join_quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + quote_ident(n);
  return out;
}

std::string TableName::quoted() const { return quote_ident(schema) + "." + quote_ident(table); }

namespace {

constexpr int kConnectAttempts = 3;

[[noreturn]] void bad_name(std::string_view text, std::string_view why) {
  throw Error(ErrorCode::invalid_argument,
              fmt::format("bad table name '{}': {} (write table, schema.table or "
                          "\"Schema\".\"Table\")",
                          text, why));
}

// A listed name must read back as the same table: quote a part only when the
// plain form would be split or misread.
std::string list_part(std::string_view name) {
  return name.find_first_of(".\"") == std::string_view::npos ? std::string(name)
                                                             : quote_ident(name);
}

// The options a user may put in the URL's query, passed to libpq as is.
constexpr std::string_view kPassThrough[] = {"sslmode",
                                             "sslrootcert",
                                             "sslcert",
                                             "sslkey",
                                             "sslcrl",
                                             "sslpassword",
                                             "passfile",
                                             "connect_timeout",
                                             "application_name",
                                             "options",
                                             "target_session_attrs",
                                             "keepalives",
                                             "keepalives_idle",
                                             "keepalives_interval",
                                             "keepalives_count",
                                             "tcp_user_timeout",
                                             "channel_binding",
                                             "gssencmode",
                                             "host",
                                             "port"};

void check_choice(std::string_view option, std::string_view value,
                  std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed)
    if (value == a) return;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw Error(ErrorCode::invalid_argument,
              fmt::format("bad {} '{}' in the URL (use one of: {})", option, value, list));
}

void check_integer(std::string_view option, std::string_view value) {
  int v = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || v < 0)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("bad {} '{}' in the URL (expected a whole number of seconds)", option, value));
}

uint64_t parse_count(const char* text) {
  uint64_t v = 0;
  if (text) std::from_chars(text, text + std::strlen(text), v);
  return v;
}

// polydb's comparison rules (filter.cpp compare_values) for a literal against
// a column of type `col`: a string literal is read as the column's type; a
// naive timestamp against timestamp_tz is UTC; numbers compare across int64,
// float64 and decimal, which SQL does the same way when each literal keeps
// its own type. Anything else is not comparable: filtered locally.
std::optional<Value> pushable_literal(const Value& v, Type col) {
  const TypeId have = v.type_id();
  if (have == TypeId::null || have == col.id) return v;
  auto numeric = [](TypeId t) {
    return t == TypeId::int64 || t == TypeId::float64 || t == TypeId::decimal;
  };
  if (numeric(have) && numeric(col.id)) return v;
  try {
    if (have == TypeId::string) return parse_value(v.as<std::string>(), col);
    if (have == TypeId::timestamp && col.id == TypeId::timestamp_tz) return coerce_value(v, col);
  } catch (const Error&) {
    return std::nullopt;
  }
  return std::nullopt;
}

// Server notices go to the log, not to libpq's default of stderr. A C
// callback: nothing may escape it.
void log_notice(void*, const PGresult* res) noexcept {
  try {
    callback_fault_point(CCallback::pg_notice);
    const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    std::string_view text = PQresultErrorMessage(res);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (severity && std::string_view(severity) == "WARNING")
      logger("pg")->warn("server: {}", text);
    else
      logger("pg")->debug("server: {}", text);
  } catch (...) {
    // A notice that cannot be logged is dropped: the statement it came with is fine.
  }
}

// RDS IAM tokens are passwords: never without TLS (sslmode=require at least).
void require_tls_for_iam(std::vector<std::pair<std::string, std::string>>& kw, const Uri& uri) {
  auto it = std::find_if(kw.begin(), kw.end(), [](const auto& p) { return p.first == "sslmode"; });
  if (it == kw.end()) it = kw.emplace(kw.end(), "sslmode", "require");
  if (it->second == "disable")
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{}: auth=aws-iam cannot be used with sslmode=disable (the IAM token "
                            "is a password: use sslmode=require, verify-ca or verify-full)",
                            uri.to_string()));
  if (it->second == "allow" || it->second == "prefer") it->second = "require";
}

}  // namespace

std::vector<NameCandidate> parse_table_name(std::string_view text) {
  if (text.empty()) bad_name(text, "it is empty");
  std::vector<NameCandidate> out;
  auto add = [&](NameCandidate c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
  };
  if (text.find('"') == std::string_view::npos) {
    const auto dot = text.find('.');
    if (dot != std::string_view::npos)
      add({std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))});
    add({"", std::string(text)});
    if (dot != std::string_view::npos)
      add({ascii_lower(text.substr(0, dot)), ascii_lower(text.substr(dot + 1))});
    add({"", ascii_lower(text)});
    return out;
  }
  struct Part {
    std::string text;
    bool quoted = false;
  };
  std::vector<Part> parts;
  size_t i = 0;
  while (true) {
    Part p;
    if (i < text.size() && text[i] == '"') {
      p.quoted = true;
      bool closed = false;
      for (++i; i < text.size();) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            p.text += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        p.text += text[i++];
      }
      if (!closed) bad_name(text, "a quote is not closed");
    } else {
      while (i < text.size() && text[i] != '.') {
        if (text[i] == '"') bad_name(text, "a quote in the middle of a name");
        p.text += text[i++];
      }
    }
    if (p.text.empty()) bad_name(text, "an empty part");
    parts.push_back(std::move(p));
    if (i == text.size()) break;
    if (text[i] != '.') bad_name(text, "text after a closing quote");
    ++i;
  }
  if (parts.size() > 2) bad_name(text, "more than two parts");
  auto fold = [](const Part& p) { return p.quoted ? p.text : ascii_lower(p.text); };
  if (parts.size() == 2) {
    add({parts[0].text, parts[1].text});
    add({fold(parts[0]), fold(parts[1])});
  } else {
    add({"", parts[0].text});
    add({"", fold(parts[0])});
  }
  return out;
}

size_t highest_parameter(std::string_view sql) {
  const auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  size_t highest = 0;
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {  // -- comment
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {  // nested /* */ comments
      int depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '\'' || c == '"') {  // 'string' (E'...' with escapes) or "identifier"
      const bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !ident(sql[i - 2]));
      ++i;
      while (i < n) {
        if (escapes && sql[i] == '\\') {
          i += 2;
        } else if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            i += 2;  // doubled quote
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (c == '$' && (i == 0 || !ident(sql[i - 1]))) {
      size_t j = i + 1;
      if (j < n && std::isdigit(static_cast<unsigned char>(sql[j]))) {  // $N
        size_t value = 0;
        while (j < n && std::isdigit(static_cast<unsigned char>(sql[j])))
          value = std::min<size_t>(value * 10 + static_cast<size_t>(sql[j++] - '0'), 1u << 20);
        highest = std::max(highest, value);
        i = j;
        continue;
      }
      // $tag$ ... $tag$ (the tag may be empty)
      while (j < n && sql[j] != '$' && ident(sql[j])) ++j;
      if (j < n && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j - i + 1);
        const size_t end = sql.find(tag, j + 1);
        i = end == std::string_view::npos ? n : end + tag.size();
        continue;
      }
      ++i;
    } else if (ident(c)) {  // a word: a '$' inside it is not a placeholder
      while (i < n && ident(sql[i])) ++i;
    } else {
      ++i;
    }
  }
  return highest;
}

std::optional<std::string> copyable_query(std::string_view sql) {
  size_t i = 0;
  // Leading blanks, comments and parentheses, then the first keyword.
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return std::nullopt;
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      if (i == std::string_view::npos) return std::nullopt;
      i += 2;
    } else {
      break;
    }
  }
  size_t end = i;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  std::string word(sql.substr(i, end - i));
  for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (word != "SELECT" && word != "VALUES" && word != "TABLE") return std::nullopt;
  // One statement: a semicolon is only allowed as the last character.
  std::string_view body = sql;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
    body.remove_suffix(1);
  if (!body.empty() && body.back() == ';') body.remove_suffix(1);
  if (body.find(';') != std::string_view::npos) return std::nullopt;
  return std::string(body);
}

ConnectParams connect_params(const Uri& uri, const ConnectOptions& options) {
  ConnectParams out;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : uri.query) {
    bool known = false;
    for (auto k : kPassThrough) known = known || option_keys_equal(key, k);
    known = known || net::is_rds_iam_option(key) || option_keys_equal(key, "read-timeout");
    if (!known) unknown.push_back("'" + key + "'");
  }
  if (!unknown.empty()) {
    std::string names, known;
    for (const auto& u : unknown) names += (names.empty() ? "" : ", ") + u;
    for (auto k : kPassThrough) known += (known.empty() ? "" : ", ") + std::string(k);
    known += ", read-timeout, auth, region, profile";
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown option{} {} in {} (PostgreSQL URLs take: {})",
                            unknown.size() > 1 ? "s" : "", names, uri.to_string(), known));
  }
  auto& kw = out.keywords;
  if (!uri.host.empty()) kw.emplace_back("host", uri.host);
  if (uri.port) kw.emplace_back("port", std::to_string(*uri.port));
  if (const std::string db = uri.database(); !db.empty()) kw.emplace_back("dbname", db);
  if (!uri.user.empty()) kw.emplace_back("user", uri.user);
  for (auto k : kPassThrough) {
    auto v = uri.option(k);
    if (!v) continue;
    if ((k == "host" && !uri.host.empty()) || (k == "port" && uri.port))
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("{} gives the {} twice (in the URL and as ?{}=)", uri.to_string(), k, k));
    if (k == "sslmode")
      check_choice(k, *v, {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"});
    if (k == "target_session_attrs")
      check_choice(k, *v,
                   {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"});
    if (k == "connect_timeout") check_integer(k, *v);
    kw.emplace_back(std::string(k), *v);
  }
  auto has = [&](std::string_view k) {
    return std::any_of(kw.begin(), kw.end(), [&](const auto& p) { return p.first == k; });
  };
  // Managed services (RDS, Azure, Cloud SQL): verify the certificate and the
  // host name unless the URL or PGSSLMODE / PGSSLROOTCERT say otherwise.
  if (managed_database(uri.host) && !has("sslmode") && !std::getenv("PGSSLMODE")) {
    kw.emplace_back("sslmode", "verify-full");
    if (std::string ca = default_ca_file();
        !has("sslrootcert") && !std::getenv("PGSSLROOTCERT") && !ca.empty())
      kw.emplace_back("sslrootcert", std::move(ca));
  }
  if (!has("application_name")) kw.emplace_back("application_name", "polydb");
  if (!has("connect_timeout")) {
    // libpq counts whole seconds; round up so that a short timeout is not 0 (= forever).
    const auto ms = std::max<int64_t>(options.timeout.count(), 1);
    kw.emplace_back("connect_timeout", std::to_string((ms + 999) / 1000));
  }
  // A peer that vanishes without closing the connection (host down, network
  // cut) is noticed within about two minutes instead of the OS's two hours.
  // Probes are answered by the server's kernel: long queries are unaffected.
  if (!has("keepalives_idle")) kw.emplace_back("keepalives_idle", "60");
  if (!has("keepalives_interval")) kw.emplace_back("keepalives_interval", "10");
  if (!has("keepalives_count")) kw.emplace_back("keepalives_count", "6");
  // Text travels as UTF-8 whatever the server's or the environment's encoding.
  kw.emplace_back("client_encoding", "UTF8");
  out.password = uri.password;
  if ((out.iam = net::rds_iam_from_uri(uri, 5432))) require_tls_for_iam(kw, uri);
  return out;
}

std::optional<size_t> integer_key(const TableDesc& desc) {
  if (desc.schema.primary_key.size() != 1) return std::nullopt;
  const auto idx = desc.schema.index_of(desc.schema.primary_key[0]);
  if (!idx) return std::nullopt;
  const Codec c = desc.types[*idx].codec;
  if (c == Codec::int2 || c == Codec::int4 || c == Codec::int8) return idx;
  return std::nullopt;
}

std::string partition_predicate(const TableDesc& desc, uint32_t index, uint32_t count,
                                std::optional<std::pair<int64_t, int64_t>> key_range,
                                uint64_t blocks) {
  if (count <= 1) return "TRUE";
  if (const auto key = integer_key(desc)) {
    if (!key_range) return index == 0 ? "TRUE" : "FALSE";  // empty table
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const int64_t lo = key_range->first, hi = key_range->second;
    // Split span = hi - lo + 1 keys into `count` parts; span may be 2^64, so
    // work from hi - lo, which always fits in 64 unsigned bits.
    const uint64_t diff = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    const uint64_t q = diff / count, r = diff % count;
    const uint64_t step = r + 1 == count ? q + 1 : q, rem = r + 1 == count ? 0 : r + 1;
    const auto bound = [&](uint32_t k) {
      return static_cast<int64_t>(static_cast<uint64_t>(lo) + step * k +
                                  std::min<uint64_t>(k, rem));
    };
    const std::string col = quote_ident(desc.schema.fields[*key].name);
    // The first and last parts are open-ended: rows inserted meanwhile are
    // still read exactly once.
    std::string out;
    if (index > 0) out = fmt::format("{} >= '{}'::int8", col, bound(index));
    if (index + 1 < count)
      out += fmt::format("{}{} < '{}'::int8", out.empty() ? "" : " AND ", col, bound(index + 1));
    return out;
  }
  if (desc.relkind == 'r' || desc.relkind == 'm') {
    const uint64_t step = blocks / count, rem = blocks % count;
    const auto bound = [&](uint32_t k) { return step * k + std::min<uint64_t>(k, rem); };
    std::string out;
    if (index > 0) out = fmt::format("ctid >= '({},0)'::tid", bound(index));
    if (index + 1 < count)
      out += fmt::format("{}ctid < '({},0)'::tid", out.empty() ? "" : " AND ", bound(index + 1));
    return out;
  }
  return index == 0 ? "TRUE" : "FALSE";
}

namespace {
// A column as ORDER BY names it: text in "C" (bytewise) order, as its ordered
// comparisons are made (compare_to_sql), so that a scan ordered by a column
// and one filtered on it agree whatever the column's collation; a
// case-insensitive type orders by its own rules, as it compares.
std::string order_expr(const TableDesc& desc, const std::string& column) {
  const Field& field = desc.schema.field(column);  // throws not_found
  const PgType& type = desc.types[*desc.schema.index_of(column)];
  std::string col = quote_ident(field.name);
  if (field.type.id == TypeId::string && type.comparable && !is_case_insensitive(type.collation))
    col += " COLLATE \"C\"";
  return col;
}

std::optional<std::string> compare_to_sql(const Filter& f, const TableDesc& desc,
                                          const QuoteLiteral& quote) {
  const Field& field = desc.schema.field(f.column);  // throws not_found
  const PgType& type = desc.types[*desc.schema.index_of(f.column)];
  std::string col = quote_ident(field.name);
  if (f.op == CompareOp::is_null) return col + " IS NULL";
  if (f.op == CompareOp::is_not_null) return col + " IS NOT NULL";
  if (!type.comparable) return std::nullopt;
  std::vector<std::string> literals;
  for (const auto& v : f.values) {
    auto lit = pushable_literal(v, field.type);
    if (!lit) return std::nullopt;
    // char(n) compares ignoring trailing blanks, as polydb's pad_space does:
    // the literal is a bpchar too (bpchar = bpchar, which the planner has
    // statistics and indexes for; bpchar = text would cast the column), its
    // own trailing blanks removed.
    const bool pad = type.collation == Collation::pad_space && lit->type_id() == TypeId::string;
    if (pad) lit = Value(std::string(without_trailing_blanks(lit->as<std::string>())));
    auto sql = sql_literal(*lit, quote);
    if (!sql) return std::nullopt;
    if (pad) sql = quote(lit->as<std::string>()) + "::bpchar";
    // citext = text would compare as text: the literal is the column's type.
    const bool engine_rules = is_case_insensitive(type.collation);
    if (engine_rules && lit->type_id() == TypeId::string)
      sql = quote(lit->as<std::string>()) + "::" + type.name;
    literals.push_back(std::move(*sql));
  }
  const bool ordered = f.op == CompareOp::lt || f.op == CompareOp::le || f.op == CompareOp::gt ||
                       f.op == CompareOp::ge;
  // polydb orders strings bytewise: the "C" collation does the same. A
  // case-insensitive type orders by its own rules, as the server has them.
  if (ordered && field.type.id == TypeId::string && !is_case_insensitive(type.collation))
    col += " COLLATE \"C\"";
  if (f.op == CompareOp::in) {
    if (literals.empty()) return "FALSE";
    std::string out = col + " IN (";
    for (size_t i = 0; i < literals.size(); ++i) out += (i ? ", " : "") + literals[i];
    return out + ")";
  }
  if (literals.empty()) return std::nullopt;
  std::string out = fmt::format("{} {} {}", col, to_sql(f.op), literals[0]);
  // PostgreSQL sorts NaN above every number; polydb never calls NaN greater.
  if ((f.op == CompareOp::gt || f.op == CompareOp::ge) && field.type.id == TypeId::float64)
    out = fmt::format("({} AND {} <> 'NaN'::float8)", out, quote_ident(field.name));
  return out;
}
}  // namespace

std::optional<std::string> filter_to_sql(const Filter& f, const TableDesc& desc,
                                         const QuoteLiteral& quote) {
  return polydb::filter_to_sql(f,
                               [&](const Filter& leaf) { return compare_to_sql(leaf, desc, quote); });
}

PgConnection::PgConnection(const Uri& uri, const ConnectOptions& options)
    : uri_(uri), options_(options), display_(uri.to_string()) {
  options_.config = nullptr;
  read_timeout_ = read_timeout_option(uri, options.read_timeout);
  const ConnectParams params = connect_params(uri, options);
  std::chrono::milliseconds connect_timeout{0};
  for (const auto& [k, v] : params.keywords)
    if (k == "connect_timeout") connect_timeout = std::chrono::seconds(std::stoll(v));
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params.keywords) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  // Without a password in the URL, libpq reads PGPASSWORD or the passfile.
  const size_t password_index = keys.size();
  if (!params.password.empty() || params.iam) {
    keys.push_back("password");
    values.push_back(params.password.reveal().c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  Secret token;  // RDS IAM: a fresh one at every attempt (each lives 15 minutes)
  auto attempt = [&] {
    if (params.iam) {
      token = net::generate_rds_auth_token(*params.iam);
      values[password_index] = token.reveal().c_str();
    }
    if (connect_once(keys.data(), values.data(), connect_timeout)) return;
    Error e = conn_ ? make_connect_error(PQerrorMessage(conn_.get()), display_)
                    : make_connect_error("timeout expired", display_);
    if (params.iam) e = net::with_rds_iam_hint(e);
    conn_.reset();
    throw e;
  };
  // Only failures that a moment may cure (refused, dropped, server
  // starting); a timeout already waited connect_timeout.
  auto classify = [](const Error& e) {
    return net::RetryAdvice{.retry = e.retryable() && e.code() == ErrorCode::connection};
  };
  net::RetryPolicy policy;
  policy.max_attempts = kConnectAttempts;
  policy.max_delay = std::chrono::milliseconds(2000);
  policy.deadline = std::chrono::milliseconds(0);  // each attempt has connect_timeout
  net::RetryContext context;
  context.what = "connecting to " + display_;
  context.log_name = "pg";
  context.stop = options_.stop;
  try {
    net::retry(policy, classify, attempt, context);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled && options_.stop.stop_requested())
      throw stop_requested_error(kBackend, display_);
    throw;
  }
  PQsetNoticeReceiver(conn_.get(), &log_notice, nullptr);
  // Non-blocking: every wait goes through wait_for(), bounded (io.cpp).
  if (PQsetnonblocking(conn_.get(), 1) != 0)
    throw make_error(nullptr, conn_.get(), "cannot switch the connection to non-blocking mode");
  logger("pg")->info("connected to {} (server {})", display_, PQserverVersion(conn_.get()));
}

bool PgConnection::connect_once(const char* const* keys, const char* const* values,
                                std::chrono::milliseconds connect_timeout) {
  conn_.reset(PQconnectStartParams(keys, values, 0));
  if (!conn_) throw Error(ErrorCode::internal, "libpq could not allocate a connection");
  if (PQstatus(conn_.get()) == CONNECTION_BAD) return false;
  // libpq's connect_timeout applies only to its blocking connect: enforce it
  // here, for the whole attempt (every host of a multi-host URL).
  const auto deadline = std::chrono::steady_clock::now() + connect_timeout;
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) return false;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                             std::chrono::steady_clock::now());
    if (connect_timeout.count() > 0 && left.count() <= 0) {
      conn_.reset();
      return false;
    }
    if (connect_timeout.count() == 0) left = std::chrono::milliseconds(0);
    const FdEvent event = status == PGRES_POLLING_READING ? FdEvent::read : FdEvent::write;
    switch (wait_fd(PQsocket(conn_.get()), event, left, options_.stop)) {
      case FdWait::ready:
        break;
      case FdWait::timed_out:
        conn_.reset();
        return false;
      case FdWait::stopped:
        conn_.reset();
        throw stop_requested_error(kBackend, display_);
    }
    status = PQconnectPoll(conn_.get());
  }
  return true;
}

Capabilities PgConnection::capabilities() const {
  Capabilities c;
  c.sql = c.transactions = c.bulk_write = true;
  c.filter_pushdown = c.limit_pushdown = c.order_pushdown = c.partitioned_scan = true;
  c.order_nulls = true;
  c.aggregate_pushdown = true;
  c.schemas = c.shared_snapshot = true;
  c.atomic_replace = true;
  c.change_writes = true;
  return c;
}

namespace {

// An exported snapshot stays importable for as long as the exporting
// transaction is open: the Snapshot holds that connection, and every reader
// is a new connection that imports it.
class PgSnapshot final : public Snapshot {
 public:
  PgSnapshot(std::unique_ptr<PgConnection> exporter, std::string id)
      : exporter_(std::move(exporter)), id_(std::move(id)) {}

  std::unique_ptr<Connection> open_reader() override { return exporter_->import_snapshot(id_); }
  std::string id() const override { return id_; }

 private:
  std::unique_ptr<PgConnection> exporter_;
  std::string id_;
};

}  // namespace

std::unique_ptr<Snapshot> PgConnection::snapshot(uint32_t readers) {
  if (readers == 0) throw Error(ErrorCode::invalid_argument, "a snapshot needs at least one reader");
  auto exporter = std::make_unique<PgConnection>(uri_, options_);
  exporter->run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {},
                "cannot start a snapshot transaction");
  PgResult res =
      exporter->run("SELECT pg_catalog.pg_export_snapshot()", {}, "cannot export a snapshot");
  std::string id = PQgetvalue(res.get(), 0, 0);
  logger("pg")->debug("exported snapshot {}", id);
  return std::make_unique<PgSnapshot>(std::move(exporter), std::move(id));
}

std::unique_ptr<PgConnection> PgConnection::import_snapshot(const std::string& id) const {
  auto r = std::make_unique<PgConnection>(uri_, options_);
  r->run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {},
         "cannot start a snapshot transaction");
  // SET TRANSACTION SNAPSHOT takes no bind parameters: quote the id.
  r->run("SET TRANSACTION SNAPSHOT " + r->quoter()(id), {}, "cannot import the snapshot");
  return r;
}

void PgConnection::ensure_idle() const {
  if (busy_)
    throw Error(ErrorCode::invalid_argument,
                "the connection is busy streaming a result or a write (finish or destroy the "
                "reader or writer first, or open a second connection)",
                std::string(kBackend));
}

PgResult PgConnection::run(std::string_view sql, std::span<const std::optional<std::string>> params,
                           std::string_view what) {
  ensure_idle();
  const std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  logger("pg")->debug("{}", text);
  PgResult res;
  if (PQsendQueryParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0))
    res = finish_command();
  const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    throw make_error(res.get(), conn_.get(), what);
  return res;
}

QuoteLiteral PgConnection::quoter() const {
  PGconn* c = conn_.get();
  return [c](std::string_view s) {
    PgMemory quoted(PQescapeLiteral(c, s.data(), s.size()));
    if (!quoted) throw make_error(nullptr, c, "cannot quote a literal");
    return std::string(quoted.get());
  };
}

void PgConnection::resolve_types(std::span<const Oid> oids) {
  std::vector<Oid> missing;
  for (Oid o : oids) {
    if (types_.count(o)) continue;
    if (builtin_codec(o))
      types_.emplace(o, builtin_type(o));
    else if (std::find(missing.begin(), missing.end(), o) == missing.end())
      missing.push_back(o);
  }
  if (missing.empty()) return;
  std::string list = "{";
  for (size_t i = 0; i < missing.size(); ++i) list += (i ? "," : "") + std::to_string(missing[i]);
  list += "}";
  // Follow domains down to their base type (a domain may sit on a domain).
  const std::optional<std::string> params[] = {list};
  PgResult res =
      run("WITH RECURSIVE d(oid, cur, depth) AS ("
          "  SELECT t, t, 0 FROM unnest($1::pg_catalog.oid[]) AS t"
          "  UNION ALL"
          "  SELECT d.oid, ty.typbasetype, d.depth + 1 FROM d"
          "  JOIN pg_catalog.pg_type ty ON ty.oid = d.cur WHERE ty.typtype = 'd' AND d.depth < 16)"
          " SELECT d.oid, b.oid, b.typtype, b.typcategory, b.typelem,"
          " pg_catalog.format_type(d.oid, NULL), b.typname"
          " FROM d JOIN pg_catalog.pg_type b ON b.oid = d.cur WHERE b.typtype <> 'd'",
          params, "cannot read type information");
  std::vector<CatalogType> facts;
  std::vector<Oid> elements;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    CatalogType f;
    f.oid = static_cast<Oid>(parse_count(PQgetvalue(res.get(), r, 0)));
    f.base = static_cast<Oid>(parse_count(PQgetvalue(res.get(), r, 1)));
    f.typtype = PQgetvalue(res.get(), r, 2)[0];
    f.category = PQgetvalue(res.get(), r, 3)[0];
    f.element = static_cast<Oid>(parse_count(PQgetvalue(res.get(), r, 4)));
    f.name = PQgetvalue(res.get(), r, 5);
    f.base_name = PQgetvalue(res.get(), r, 6);
    if (f.category == 'A' && f.element != 0 && !types_.count(f.element) &&
        std::find(missing.begin(), missing.end(), f.element) == missing.end())
      elements.push_back(f.element);
    facts.push_back(std::move(f));
  }
  // Array elements are scalars (or domains, enums): one more level at most.
  if (!elements.empty()) resolve_types(elements);
  for (const auto& f : facts) {
    const PgType* element = nullptr;
    if (f.category == 'A' && f.element != 0) {
      auto it = types_.find(f.element);
      if (it != types_.end()) element = &it->second;
    }
    types_.emplace(f.oid, type_from_catalog(f, element));
  }
  for (Oid o : missing)
    if (!types_.count(o)) types_.emplace(o, builtin_type(o));  // unknown: unsupported
}

std::optional<TableDesc> PgConnection::find_table(std::string_view table) {
  for (const auto& c : parse_table_name(table)) {
    const std::optional<std::string> params[] = {c.schema, c.table};
    PgResult res =
        run("SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = $2::text AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
            " AND CASE WHEN $1::text = '' THEN n.nspname = ANY (pg_catalog.current_schemas(true))"
            " ELSE n.nspname = $1::text END"
            " ORDER BY pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)"
            " LIMIT 1",
            params, fmt::format("cannot look up table '{}'", table));
    if (PQntuples(res.get()) == 0) continue;
    TableDesc d;
    d.oid = static_cast<Oid>(parse_count(PQgetvalue(res.get(), 0, 0)));
    d.name = {PQgetvalue(res.get(), 0, 1), PQgetvalue(res.get(), 0, 2)};
    d.relkind = PQgetvalue(res.get(), 0, 3)[0];
    const std::optional<std::string> rel[] = {std::to_string(d.oid)};
    PgResult cols =
        run("SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull,"
            " pg_catalog.format_type(a.atttypid, a.atttypmod),"
            " (SELECT k.ord FROM pg_catalog.pg_index i,"
            "   unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)"
            "   WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = a.attnum)"
            " FROM pg_catalog.pg_attribute a"
            " WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY a.attnum",
            rel, fmt::format("cannot describe table '{}'", table));
    const int n = PQntuples(cols.get());
    std::vector<Oid> oids;
    for (int r = 0; r < n; ++r)
      oids.push_back(static_cast<Oid>(parse_count(PQgetvalue(cols.get(), r, 1))));
    resolve_types(oids);
    std::vector<std::pair<uint64_t, std::string>> pk;
    for (int r = 0; r < n; ++r) {
      Field f;
      f.name = PQgetvalue(cols.get(), r, 0);
      const int32_t typmod =
          static_cast<int32_t>(std::strtol(PQgetvalue(cols.get(), r, 2), nullptr, 10));
      const PgType& t = types_.at(oids[static_cast<size_t>(r)]);
      f.type = polydb_type(t, typmod);
      f.nullable = PQgetvalue(cols.get(), r, 3)[0] != 't';
      f.native_type = PQgetvalue(cols.get(), r, 4);
      f.collation = t.collation;
      if (is_case_insensitive(t.collation)) f.collation_name = t.name;
      if (!PQgetisnull(cols.get(), r, 5))
        pk.emplace_back(parse_count(PQgetvalue(cols.get(), r, 5)), f.name);
      d.types.push_back(t);
      d.schema.fields.push_back(std::move(f));
    }
    std::sort(pk.begin(), pk.end());
    for (auto& [pos, name] : pk) d.schema.primary_key.push_back(std::move(name));
    return d;
  }
  return std::nullopt;
}

TableDesc PgConnection::describe_table(std::string_view table) {
  auto d = find_table(table);
  if (!d)
    throw Error(ErrorCode::not_found,
                fmt::format("no table or view '{}' in {} (the connection's table list shows "
                            "the names; names are case-sensitive; write schema.table outside the "
                            "search_path)",
                            table, display_),
                std::string(kBackend))
        .set_hint(Hint::list_tables);
  return std::move(*d);
}

TableName PgConnection::new_table_name(std::string_view table) {
  if (auto d = find_table(table)) return d->name;
  const std::vector<NameCandidate> candidates = parse_table_name(table);
  const NameCandidate& c = candidates.front();
  if (!c.schema.empty()) {
    // `Sales.orders` goes into schema "Sales" if it exists, else "sales".
    for (const auto& other : candidates) {
      if (other.schema.empty()) continue;
      const std::optional<std::string> params[] = {other.schema};
      PgResult res = run("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1::text", params,
                         "cannot look up the schema");
      if (PQntuples(res.get()) > 0) return {other.schema, other.table};
    }
    return {c.schema, c.table};  // CREATE TABLE reports the missing schema
  }
  PgResult res = run("SELECT pg_catalog.current_schema()", {}, "cannot read the current schema");
  if (PQgetisnull(res.get(), 0, 0))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("no schema to create '{}' in: the search_path names no existing "
                            "schema (write schema.table)",
                            table),
                std::string(kBackend));
  return {PQgetvalue(res.get(), 0, 0), c.table};
}

std::string PgConnection::own_table_name(std::string_view table) {
  if (auto d = find_table(table)) return d->name.table;
  return parse_table_name(table).front().table;
}

std::string PgConnection::table_reference(std::string_view name) const { return list_part(name); }

std::vector<TableInfo> PgConnection::list_tables() {
  PgResult res =
      run("SELECT n.nspname, c.relname, c.relkind, n.nspname = pg_catalog.current_schema()"
          " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
          " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition"
          " AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
          " ORDER BY 1, 2",
          {}, "cannot list tables");
  std::vector<TableInfo> out;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    const std::string schema = PQgetvalue(res.get(), r, 0);
    const std::string table = PQgetvalue(res.get(), r, 1);
    const char kind = PQgetvalue(res.get(), r, 2)[0];
    const bool current = PQgetvalue(res.get(), r, 3)[0] == 't';
    out.push_back({current ? list_part(table) : list_part(schema) + "." + list_part(table),
                   kind == 'v' || kind == 'm' ? "view" : "table"});
  }
  return out;
}

Schema PgConnection::describe(std::string_view table) { return describe_table(table).schema; }

std::unique_ptr<BatchReader> PgConnection::scan(const ScanSpec& spec) {
  refuse_resume_from(spec, backend());
  const TableDesc desc = describe_table(spec.table);
  check_partition(spec.partition);
  // Push what PostgreSQL evaluates exactly like polydb; keep the rest local.
  const QuoteLiteral quote = quoter();
  FilterPushdown pushed;
  if (spec.filter)
    pushed = push_conjuncts(*spec.filter,
                            [&](const Filter& leaf) { return compare_to_sql(leaf, desc, quote); });
  if (!spec.aggregates.empty()) {
    const AggregateDialect dialect{[](std::string_view n) { return quote_ident(n); },
                                   [](const std::string& arg) { return arg; },
                                   [](const std::string& col) { return col + "::int8"; }};
    const std::string sql = aggregate_sql(spec, desc.schema, desc.name.quoted(), pushed.sql,
                                          pushed.residual, dialect);
    QueryOptions options;
    options.batch_rows = spec.batch_rows;
    options.batch_bytes = spec.batch_bytes;
    return aggregate_reader(query(sql, {}, options), spec, desc.schema);
  }
  ReaderSetup setup;
  auto schema = std::make_shared<Schema>(project(desc.schema, spec.columns));
  std::vector<size_t> picked;
  for (const auto& f : schema->fields) picked.push_back(*desc.schema.index_of(f.name));
  schema->fields.clear();
  std::string cols;
  for (size_t i : picked) {
    Field f = desc.schema.fields[i];
    PgType t = desc.types[i];
    std::string expr = quote_ident(f.name);
    if (t.codec == Codec::unsupported) {
      // No binary decoder: the server renders its text form.
      expr += "::text";
      t.codec = Codec::text;
    }
    cols += (cols.empty() ? "" : ", ") + expr;
    schema->fields.push_back(std::move(f));
    setup.types.push_back(std::move(t));
  }

  check_residual_columns(pushed.residual, *schema);
  std::vector<std::string> where = std::move(pushed.sql);
  std::optional<Filter> residual = std::move(pushed.residual);
  if (spec.partition.count > 1) {
    std::optional<std::pair<int64_t, int64_t>> range;
    uint64_t blocks = 0;
    if (const auto key = integer_key(desc)) {
      const std::string k = quote_ident(desc.schema.fields[*key].name);
      PgResult res =
          run(fmt::format("SELECT min({0})::int8, max({0})::int8 FROM {1}", k, desc.name.quoted()),
              {}, fmt::format("cannot partition '{}'", spec.table));
      if (!PQgetisnull(res.get(), 0, 0))
        range.emplace(std::strtoll(PQgetvalue(res.get(), 0, 0), nullptr, 10),
                      std::strtoll(PQgetvalue(res.get(), 0, 1), nullptr, 10));
    } else {
      const std::optional<std::string> rel[] = {std::to_string(desc.oid)};
      PgResult res =
          run("SELECT pg_catalog.pg_relation_size($1::pg_catalog.oid) /"
              " pg_catalog.current_setting('block_size')::int8",
              rel, fmt::format("cannot partition '{}'", spec.table));
      blocks = parse_count(PQgetvalue(res.get(), 0, 0));
    }
    where.push_back(
        partition_predicate(desc, spec.partition.index, spec.partition.count, range, blocks));
  }
  std::string sql = fmt::format("SELECT {} FROM {}", cols, desc.name.quoted());
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  if (!spec.order_by.empty()) {
    sql += " ORDER BY ";
    for (size_t i = 0; i < spec.order_by.size(); ++i)
      sql += (i ? ", " : "") + order_expr(desc, spec.order_by[i].column) +
             (spec.order_by[i].descending ? " DESC" : "") +
             (!spec.order_by[i].nulls_first ? ""
              : *spec.order_by[i].nulls_first ? " NULLS FIRST"
                                              : " NULLS LAST");
  }
  if (spec.limit && !residual) sql += fmt::format(" LIMIT {}", *spec.limit);
  const std::string copy = "COPY (" + sql + ") TO STDOUT (FORMAT binary)";

  setup.residual = std::move(residual);
  setup.set_scan(spec, std::move(schema), copy);
  return make_copy_reader(*this, copy, std::move(setup));
}

// Parameters in the form PQexecPrepared takes. Strings and JSON go as text of
// unknown type, so that the server reads them as whatever the context needs
// (a date, an enum, varchar); every other value goes in binary as its own type.
struct PgConnection::BoundParams {
  std::vector<Oid> types;
  std::vector<std::string> storage;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  explicit BoundParams(std::span<const Value> params) {
    storage.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      const TypeId id = v.type_id();
      types.push_back(param_oid(id));
      if (id == TypeId::null) {
        storage.emplace_back();
        values.push_back(nullptr);
        lengths.push_back(0);
        formats.push_back(0);
        continue;
      }
      if (id == TypeId::string || id == TypeId::json) {
        storage.push_back(id == TypeId::string ? v.as<std::string>() : v.as<Json>().text);
        if (storage.back().find('\0') != std::string::npos)
          throw Error(ErrorCode::type_mismatch,
                      fmt::format("parameter ${} holds a NUL byte, which PostgreSQL text cannot "
                                  "store (pass it as bytes)",
                                  i + 1),
                      std::string(kBackend));
        values.push_back(storage.back().c_str());
        lengths.push_back(static_cast<int>(storage.back().size()));
        formats.push_back(0);
        continue;
      }
      Column scratch{Type(id)};
      scratch.append(v);
      std::string field;
      encode_field(builtin_type(types.back()), scratch, 0, field);
      storage.push_back(field.substr(4));  // without the length prefix
      values.push_back(storage.back().data());
      lengths.push_back(static_cast<int>(storage.back().size()));
      formats.push_back(1);
    }
  }
};

PgResult PgConnection::prepare(const std::string& sql, const BoundParams& params,
                               std::string_view what) {
  ensure_idle();
  logger("pg")->debug("prepare: {}", sql);
  const size_t given = params.types.size();
  auto count_error = [&](size_t used) {
    return Error(ErrorCode::invalid_argument,
                 fmt::format("the statement has {} parameter(s) but {} value(s) were given (give "
                             "one value per $N placeholder)",
                             used, given),
                 std::string(kBackend))
        .set_hint(Hint::bind_params);
  };
  PgResult prep;
  if (PQsendPrepare(conn_.get(), "", sql.c_str(), static_cast<int>(given), params.types.data()))
    prep = finish_command();
  if (!prep || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
    // An extra value of no declared type fails the prepare ("could not
    // determine data type of parameter $2"): say what is wrong instead.
    if (const size_t used = highest_parameter(sql); prep && used < given) throw count_error(used);
    throw make_error(prep.get(), conn_.get(), what);
  }
  PgResult desc;
  if (PQsendDescribePrepared(conn_.get(), "")) desc = finish_command();
  if (!desc || PQresultStatus(desc.get()) != PGRES_COMMAND_OK)
    throw make_error(desc.get(), conn_.get(), what);
  // The server counts max(values given, highest $N): it would ignore extra values.
  const auto described = static_cast<size_t>(PQnparams(desc.get()));
  const size_t used = described > given ? described : highest_parameter(sql);
  if (used != given) throw count_error(used);
  return desc;
}

std::unique_ptr<BatchReader> PgConnection::query(std::string_view text,
                                                 std::span<const Value> params,
                                                 const QueryOptions& options) {
  const BoundParams bound(params);
  const std::string sql(text);
  const PgResult desc = prepare(sql, bound, "cannot run the query");
  ReaderSetup setup;
  auto schema = std::make_shared<Schema>();
  const int nfields = PQnfields(desc.get());
  std::vector<Oid> oids;
  for (int i = 0; i < nfields; ++i) oids.push_back(PQftype(desc.get(), i));
  resolve_types(oids);
  for (int i = 0; i < nfields; ++i) {
    const PgType& t = types_.at(oids[static_cast<size_t>(i)]);
    Field f;
    f.name = PQfname(desc.get(), i);
    if (t.codec == Codec::unsupported)
      throw Error(ErrorCode::unsupported,
                  fmt::format("result column '{}' has type {}, which polydb cannot read yet "
                              "(cast it in the query, e.g. {}::text)",
                              f.name, t.name, f.name),
                  std::string(kBackend));
    f.type = polydb_type(t, PQfmod(desc.get(), i));
    f.native_type = t.name;
    f.collation = t.collation;
    if (is_case_insensitive(t.collation)) f.collation_name = t.name;
    schema->fields.push_back(std::move(f));
    setup.types.push_back(t);
  }
  setup.schema = std::move(schema);
  setup.set_query(options, sql);
  setup.is_query = true;
  // Binary COPY streams several times faster than single-row mode (one
  // PGresult per row); COPY takes no parameters, hence only without them.
  if (const auto body = copyable_query(sql); body && params.empty() && nfields > 0)
    return make_copy_reader(*this, "COPY (\n" + *body + "\n) TO STDOUT (FORMAT binary)",
                            std::move(setup));
  if (!PQsendQueryPrepared(conn_.get(), "", static_cast<int>(bound.values.size()),
                           bound.values.data(), bound.lengths.data(), bound.formats.data(), 1))
    throw make_error(nullptr, conn_.get(), "cannot send the query");
  // One row per PGresult: memory stays bounded by the batch, not the result.
  PQsetSingleRowMode(conn_.get());
  return make_row_reader(*this, std::move(setup));
}

uint64_t PgConnection::execute(std::string_view text, std::span<const Value> params) {
  const BoundParams bound(params);
  prepare(std::string(text), bound, "statement failed");
  PgResult res;
  if (PQsendQueryPrepared(conn_.get(), "", static_cast<int>(bound.values.size()),
                          bound.values.data(), bound.lengths.data(), bound.formats.data(), 0))
    res = finish_command();
  const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
    drain();
    throw Error(ErrorCode::unsupported,
                "COPY FROM STDIN / TO STDOUT cannot run through execute() (copy tables with a "
                "reader and a writer, or COPY to a server-side file)",
                std::string(kBackend))
        .set_hint(Hint::copy);
  }
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw make_error(res.get(), conn_.get(), "statement failed");
  // Rows changed by INSERT/UPDATE/DELETE/MERGE/COPY; SELECT's row count is not
  // a change, and DDL reports nothing.
  const std::string_view status = PQcmdStatus(res.get());
  if (status.starts_with("SELECT")) return 0;
  return parse_count(PQcmdTuples(res.get()));
}

std::unique_ptr<BatchWriter> PgConnection::writer(std::string_view table, const Schema& schema,
                                                  const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> PgConnection::change_writer(std::string_view table,
                                                          const Schema& schema,
                                                          const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

std::string create_table_sql(const TableName& name, const Schema& schema, bool native) {
  std::string sql = "CREATE TABLE " + name.quoted() + " (";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    sql += (i ? ", " : "") + quote_ident(f.name) + " " +
           (native && native_type_declarable(f.native_type) ? f.native_type
                                                            : declared_type(f.type));
    if (!f.nullable) sql += " NOT NULL";
  }
  if (!schema.primary_key.empty()) {
    sql += ", PRIMARY KEY (";
    for (size_t i = 0; i < schema.primary_key.size(); ++i)
      sql += (i ? ", " : "") + quote_ident(schema.field(schema.primary_key[i]).name);
    sql += ")";
  }
  return sql + ")";
}

void PgConnection::create_table(std::string_view table, const Schema& schema) {
  check_schema_creatable(table, schema);
  if (find_table(table))
    throw table_exists_error(table, display_, std::string(kBackend));
  const TableName name = new_table_name(table);
  run(create_table_sql(name, schema), {}, fmt::format("cannot create table '{}'", table));
}

void PgConnection::drop_table(std::string_view table, bool if_exists) {
  const auto d = find_table(table);
  if (!d) {
    if (if_exists) return;
    throw Error(ErrorCode::not_found, fmt::format("no table '{}' in {} to drop", table, display_),
                std::string(kBackend));
  }
  const std::string_view what = d->relkind == 'v'   ? "VIEW"
                                : d->relkind == 'm' ? "MATERIALIZED VIEW"
                                : d->relkind == 'f' ? "FOREIGN TABLE"
                                                    : "TABLE";
  run(fmt::format("DROP {} {}", what, d->name.quoted()), {},
      fmt::format("cannot drop '{}'", table));
}

std::optional<uint64_t> PgConnection::count_rows(std::string_view table) {
  const TableDesc d = describe_table(table);
  PgResult res = run("SELECT count(*) FROM " + d.name.quoted(), {},
                     fmt::format("cannot count the rows of '{}'", table));
  return parse_count(PQgetvalue(res.get(), 0, 0));
}

std::optional<uint64_t> PgConnection::estimate_rows(std::string_view table) {
  const TableDesc d = describe_table(table);
  const std::optional<std::string> rel[] = {std::to_string(d.oid)};
  // reltuples is -1 until the first VACUUM/ANALYZE: then guess from the size.
  PgResult res = run(
      "SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::int8"
      " ELSE pg_catalog.pg_relation_size(c.oid) / 100 END"
      " FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.oid",
      rel, fmt::format("cannot estimate the rows of '{}'", table));
  if (PQntuples(res.get()) == 0 || PQgetisnull(res.get(), 0, 0)) return std::nullopt;
  return parse_count(PQgetvalue(res.get(), 0, 0));
}

std::optional<uint64_t> PgConnection::estimate_matches(std::string_view table,
                                                       const Filter& filter) {
  const TableDesc d = describe_table(table);
  const QuoteLiteral quote = quoter();
  const FilterPushdown pushed =
      push_conjuncts(filter, [&](const Filter& leaf) { return compare_to_sql(leaf, d, quote); });
  if (pushed.sql.empty()) return std::nullopt;  // nothing PostgreSQL would evaluate
  std::string sql = "EXPLAIN (FORMAT JSON) SELECT 1 FROM " + d.name.quoted();
  for (size_t i = 0; i < pushed.sql.size(); ++i) sql += (i ? " AND " : " WHERE ") + pushed.sql[i];
  PgResult res = run(sql, {}, fmt::format("cannot estimate the rows of '{}'", table));
  // [{"Plan": {"Node Type": ..., "Plan Rows": N, ...}}]: the top node's rows.
  const std::string_view plan = PQgetvalue(res.get(), 0, 0);
  constexpr std::string_view kRows = "\"Plan Rows\": ";
  const auto at = plan.find(kRows);
  if (at == std::string_view::npos) return std::nullopt;
  double rows = 0;
  const char* begin = plan.data() + at + kRows.size();
  if (std::from_chars(begin, plan.data() + plan.size(), rows).ec != std::errc()) return std::nullopt;
  return static_cast<uint64_t>(rows);
}

PingResult PgConnection::ping() {
  const auto start = std::chrono::steady_clock::now();
  PgResult res =
      run("SELECT pg_catalog.version(), pg_catalog.pg_is_in_recovery()", {}, "ping failed");
  PingResult r;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.server_version = PQgetvalue(res.get(), 0, 0);
  r.role = PQgetvalue(res.get(), 0, 1)[0] == 't' ? "replica" : "primary";
  return r;
}

}  // namespace polydb::postgres
