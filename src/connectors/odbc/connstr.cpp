#include "connectors/odbc/connstr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/encoding.hpp"
#include "polydb/error.hpp"

namespace polydb::odbc {

namespace {

constexpr std::string_view kBackend = "odbc";

constexpr std::string_view kSqlServerOptions =
    "driver, encrypt, trust-server-certificate, host-name-in-certificate, ca-file, "
    "authentication, application-intent, multi-subnet-failover, login-timeout, read-timeout, app, "
    "dialect";
constexpr std::string_view kOdbcOptions =
    "dsn, connection-string, driver, login-timeout, read-timeout, dialect";

// Azure AD / Entra ID methods the Microsoft drivers implement (Authentication=...).
constexpr std::string_view kAuthMethods[] = {
    "SqlPassword",          "ActiveDirectoryPassword",      "ActiveDirectoryServicePrincipal",
    "ActiveDirectoryMsi",   "ActiveDirectoryInteractive",   "ActiveDirectoryIntegrated",
    "ActiveDirectoryDefault"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view text, std::string_view part) {
  if (part.size() > text.size()) return false;
  for (size_t i = 0; i + part.size() <= text.size(); ++i)
    if (iequals(text.substr(i, part.size()), part)) return true;
  return false;
}

bool is_credential_key(std::string_view key) {
  const std::string k = ascii_lower(key);
  return k == "pwd" || k == "password" || is_secret_option_key(k);
}

std::optional<bool> parse_yes_no(std::string_view value) {
  const std::string v = ascii_lower(value);
  if (v == "yes" || v == "true" || v == "1" || v == "on" || v == "mandatory") return true;
  if (v == "no" || v == "false" || v == "0" || v == "off" || v == "optional") return false;
  return std::nullopt;
}

std::chrono::seconds parse_seconds(std::string_view key, const std::string& value) {
  unsigned v = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || v == 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("option {}={} is not a whole number of seconds (at least 1)", key,
                            value),
                std::string(kBackend));
  return std::chrono::seconds(v);
}

void add(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ';';
  out += key;
  out += '=';
  out += brace_value(value);
}

void check_dialect(const std::string& value) {
  const std::string v = ascii_lower(value);
  if (v != "sqlserver" && v != "postgresql" && v != "mysql" && v != "ansi")
    throw Error(ErrorCode::invalid_argument,
                fmt::format("dialect={} is not one of: sqlserver, postgresql, mysql, ansi", value),
                std::string(kBackend));
}

[[noreturn]] void unknown_options(const Uri& uri, const std::vector<std::string>& unknown,
                                  std::string_view known) {
  std::string names;
  for (const auto& n : unknown) names += (names.empty() ? "" : ", ") + n;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown option{} {} in {} (known: {})", unknown.size() > 1 ? "s" : "",
                          names, uri.to_string(), known),
              std::string(kBackend));
}

std::string choose_sqlserver_driver(const std::vector<std::string>& installed) {
  for (std::string_view want : {kMsDriver18, kMsDriver17, kFreeTds})
    for (const auto& d : installed)
      if (iequals(d, want)) return d;
  std::string have;
  for (const auto& d : installed) have += (have.empty() ? "" : ", ") + d;
  throw Error(ErrorCode::not_found,
              fmt::format("no SQL Server ODBC driver is installed (looked for '{}', '{}' and "
                          "'{}'; installed: {}): install Microsoft's msodbcsql18 or the tdsodbc "
                          "package, or name one with ?driver=",
                          kMsDriver18, kMsDriver17, kFreeTds, have.empty() ? "none" : have),
              std::string(kBackend));
}

bool is_freetds(std::string_view driver) {
  return icontains(driver, "freetds") || icontains(driver, "tdsodbc");
}

struct SqlServerOptions {
  std::string driver;
  std::optional<std::string> encrypt;
  std::optional<bool> trust_certificate;
  std::string host_in_certificate, ca_file, authentication, application_intent, app = "polydb";
  std::optional<bool> multi_subnet;
};

SqlServerOptions parse_sqlserver_options(const Uri& uri, ConnectionTarget& target) {
  SqlServerOptions o;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : uri.query) {
    if (option_keys_equal(key, "driver")) {
      o.driver = value;
    } else if (option_keys_equal(key, "encrypt")) {
      const std::string v = ascii_lower(value);
      if (v != "strict" && !parse_yes_no(v))
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("encrypt={} is not one of: yes, no, strict", value),
                    std::string(kBackend));
      o.encrypt = v == "strict" ? "strict" : *parse_yes_no(v) ? "yes" : "no";
    } else if (option_keys_equal(key, "trust-server-certificate")) {
      o.trust_certificate = parse_yes_no(value);
      if (!o.trust_certificate)
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("trust-server-certificate={} is not yes or no", value),
                    std::string(kBackend));
    } else if (option_keys_equal(key, "host-name-in-certificate")) {
      o.host_in_certificate = value;
    } else if (option_keys_equal(key, "ca-file")) {
      o.ca_file = value;
    } else if (option_keys_equal(key, "authentication")) {
      const auto* m = std::find_if(std::begin(kAuthMethods), std::end(kAuthMethods),
                                   [&](std::string_view a) { return iequals(a, value); });
      if (m == std::end(kAuthMethods)) {
        std::string known;
        for (auto a : kAuthMethods) known += (known.empty() ? "" : ", ") + std::string(a);
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("authentication={} is not one of: {}", value, known),
                    std::string(kBackend));
      }
      o.authentication = std::string(*m);
    } else if (option_keys_equal(key, "application-intent")) {
      const std::string v = ascii_lower(value);
      if (v != "readonly" && v != "readwrite")
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("application-intent={} is not ReadOnly or ReadWrite", value),
                    std::string(kBackend));
      o.application_intent = v == "readonly" ? "ReadOnly" : "ReadWrite";
    } else if (option_keys_equal(key, "multi-subnet-failover")) {
      o.multi_subnet = parse_yes_no(value);
    } else if (option_keys_equal(key, "login-timeout")) {
      target.login_timeout = parse_seconds(key, value);
    } else if (option_keys_equal(key, "read-timeout")) {
      // The connection reads it (read_timeout_option): not a driver attribute.
    } else if (option_keys_equal(key, "app")) {
      o.app = value;
    } else if (option_keys_equal(key, "dialect")) {
      check_dialect(value);
      target.dialect = ascii_lower(value);
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) unknown_options(uri, unknown, kSqlServerOptions);
  return o;
}

// The credentials part: UID/PWD, or Authentication=... for Azure AD.
void add_credentials(std::string& cs, const Uri& uri, const SqlServerOptions& o, bool freetds) {
  if (!o.authentication.empty() && o.authentication != "SqlPassword") {
    if (freetds)
      throw Error(ErrorCode::unsupported,
                  fmt::format("authentication={} needs Microsoft's ODBC Driver 17 or 18 for SQL "
                              "Server; FreeTDS only does SQL logins and Windows (NTLM) logins",
                              o.authentication),
                  std::string(kBackend));
    add(cs, "Authentication", o.authentication);
  }
  if (!uri.user.empty()) add(cs, "UID", uri.user);
  if (!uri.password.empty()) add(cs, "PWD", uri.password.reveal());
}

// Encryption: on, with the certificate checked, unless the host is loopback
// (a local development server rarely has a trusted certificate) or the URL says otherwise.
void add_encryption(std::string& cs, const Uri& uri, const SqlServerOptions& o, bool freetds) {
  const bool loopback = is_loopback_host(uri.host);
  const std::string encrypt = o.encrypt.value_or(loopback ? "no" : "yes");
  const bool trust = o.trust_certificate.value_or(false);
  if (freetds) {
    // FreeTDS checks the certificate only against a CA file it is given.
    add(cs, "Encryption", encrypt == "no" ? "request" : encrypt == "strict" ? "strict" : "require");
    if (encrypt != "no" && !trust) {
      if (o.ca_file.empty())
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("FreeTDS verifies the server's certificate only against a CA "
                                "file: add ca-file=PATH to {} (or, insecurely, "
                                "trust-server-certificate=yes)",
                                uri.to_string()),
                    std::string(kBackend));
      add(cs, "CAFile", o.ca_file);
      add(cs, "CheckCertificateHostname", "yes");
    }
    return;
  }
  add(cs, "Encrypt", encrypt);
  add(cs, "TrustServerCertificate", trust ? "yes" : "no");
  if (!o.host_in_certificate.empty()) add(cs, "HostNameInCertificate", o.host_in_certificate);
  if (!o.ca_file.empty()) add(cs, "ServerCertificate", o.ca_file);
}

ConnectionTarget build_sqlserver(const Uri& uri, const std::vector<std::string>& installed) {
  ConnectionTarget t;
  t.sqlserver = true;
  const SqlServerOptions o = parse_sqlserver_options(uri, t);
  if (uri.host.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} names no server: write sqlserver://user@HOST[:PORT]/DATABASE",
                            uri.to_string()),
                std::string(kBackend));
  t.driver = o.driver.empty() ? choose_sqlserver_driver(installed) : o.driver;
  const bool freetds = is_freetds(t.driver);
  const uint16_t port = uri.port.value_or(1433);
  t.host = uri.host;
  t.port = port;
  std::string cs;
  add(cs, "Driver", t.driver);
  if (freetds) {
    add(cs, "Server", uri.host);
    add(cs, "Port", std::to_string(port));
    // 7.4 = SQL Server 2012 and later, Azure SQL: needed for DATETIME2, DATE, TIME.
    add(cs, "TDS_Version", "7.4");
    add(cs, "ClientCharset", "UTF-8");
  } else {
    const bool v6 = uri.host.find(':') != std::string::npos;
    add(cs, "Server", fmt::format("tcp:{}{}{},{}", v6 ? "[" : "", uri.host, v6 ? "]" : "", port));
  }
  if (!uri.database().empty()) add(cs, "Database", uri.database());
  add_credentials(cs, uri, o, freetds);
  add_encryption(cs, uri, o, freetds);
  if (!freetds) {
    if (!o.application_intent.empty()) add(cs, "ApplicationIntent", o.application_intent);
    if (o.multi_subnet) add(cs, "MultiSubnetFailover", *o.multi_subnet ? "Yes" : "No");
  }
  add(cs, "APP", o.app);
  t.text = Secret(std::move(cs));
  return t;
}

ConnectionTarget build_odbc(const Uri& uri) {
  ConnectionTarget t;
  std::optional<std::string> dsn, raw, driver;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : uri.query) {
    if (option_keys_equal(key, "dsn")) {
      dsn = value;
    } else if (option_keys_equal(key, "connection-string")) {
      raw = value;
    } else if (option_keys_equal(key, "driver")) {
      driver = value;
    } else if (option_keys_equal(key, "login-timeout")) {
      t.login_timeout = parse_seconds(key, value);
    } else if (option_keys_equal(key, "read-timeout")) {
      // The connection reads it (read_timeout_option): not a driver attribute.
    } else if (option_keys_equal(key, "dialect")) {
      check_dialect(value);
      t.dialect = ascii_lower(value);
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) unknown_options(uri, unknown, kOdbcOptions);
  if (int(dsn.has_value()) + int(raw.has_value()) + int(driver.has_value()) != 1)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} needs exactly one of ?dsn=NAME, ?connection-string=... "
                            "(percent-encoded) or ?driver=NAME with host and database",
                            uri.to_string()),
                std::string(kBackend));
  std::string cs;
  if (raw) {
    cs = *raw;
    const auto attrs = parse_connection_string(cs);
    if (auto d = find_attribute(attrs, "Driver")) t.driver = *d;
    for (std::string_view key : {"Server", "Host", "Servername"})
      if (auto h = find_attribute(attrs, key); h && t.host.empty()) t.host = *h;
    if (auto p = find_attribute(attrs, "Port")) {
      uint16_t port = 0;
      const auto [end, ec] = std::from_chars(p->data(), p->data() + p->size(), port);
      if (ec == std::errc() && end == p->data() + p->size()) t.port = port;
    }
    const bool has_user = find_attribute(attrs, "UID") || find_attribute(attrs, "User");
    const bool has_pwd = find_attribute(attrs, "PWD") || find_attribute(attrs, "Password");
    while (!cs.empty() && cs.back() == ';') cs.pop_back();
    if (!uri.user.empty() && !has_user) add(cs, "UID", uri.user);
    if (!uri.password.empty() && !has_pwd) add(cs, "PWD", uri.password.reveal());
  } else {
    if (dsn) {
      add(cs, "DSN", *dsn);
    } else {
      t.driver = *driver;
      t.host = uri.host;
      t.port = uri.port;
      add(cs, "Driver", *driver);
      if (!uri.host.empty()) add(cs, "Server", uri.host);
      if (uri.port) add(cs, "Port", std::to_string(*uri.port));
      if (!uri.database().empty()) add(cs, "Database", uri.database());
    }
    if (!uri.user.empty()) add(cs, "UID", uri.user);
    if (!uri.password.empty()) add(cs, "PWD", uri.password.reveal());
  }
  t.text = Secret(std::move(cs));
  return t;
}

}  // namespace

std::string brace_value(std::string_view value) {
  const bool plain =
      !value.empty() && value.find_first_of(";{}") == std::string_view::npos &&
      value.front() != ' ' && value.back() != ' ';
  if (plain) return std::string(value);
  std::string out = "{";
  for (char c : value) {
    if (c == '}') out += '}';
    out += c;
  }
  return out + "}";
}

std::vector<Attribute> parse_connection_string(std::string_view text) {
  std::vector<Attribute> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ';' || text[i] == ' ')) ++i;
    if (i >= text.size()) break;
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) {
      out.push_back({std::string(text.substr(i, text.find(';', i) - i)), ""});
      i = text.find(';', i);
      if (i == std::string_view::npos) break;
      continue;
    }
    Attribute a{std::string(text.substr(i, eq - i)), ""};
    while (!a.key.empty() && a.key.back() == ' ') a.key.pop_back();
    i = eq + 1;
    if (i < text.size() && text[i] == '{') {
      ++i;
      for (;;) {
        if (i >= text.size())
          throw Error(ErrorCode::invalid_argument,
                      fmt::format("the connection string has an unterminated '{{' in the value "
                                  "of {} (close it with '}}'; write '}}}}' for a '}}' inside)",
                                  a.key),
                      std::string(kBackend));
        if (text[i] == '}') {
          if (i + 1 < text.size() && text[i + 1] == '}') {
            a.value += '}';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        a.value += text[i++];
      }
      const size_t semi = text.find(';', i);
      i = semi == std::string_view::npos ? text.size() : semi + 1;
    } else {
      const size_t semi = text.find(';', i);
      const size_t end = semi == std::string_view::npos ? text.size() : semi;
      a.value = std::string(text.substr(i, end - i));
      i = end == text.size() ? end : end + 1;
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<std::string> find_attribute(const std::vector<Attribute>& attrs,
                                          std::string_view key) {
  for (const auto& a : attrs)
    if (iequals(a.key, key)) return a.value;
  return std::nullopt;
}

std::string redact_connection_string(std::string_view text) {
  std::vector<Attribute> attrs;
  try {
    attrs = parse_connection_string(text);
  } catch (const Error&) {
    return redact_url_text(text);  // malformed: hide whatever looks like a credential
  }
  std::string out;
  for (const auto& a : attrs) {
    if (!out.empty()) out += ';';
    out += a.key + "=" + (is_credential_key(a.key) ? "***" : brace_value(a.value));
  }
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost") || host == "::1" || host == "[::1]") return true;
  return host.starts_with("127.") &&
         host.find_first_not_of("0123456789.") == std::string_view::npos;
}

ConnectionTarget build_connection_target(const Uri& uri,
                                         const std::vector<std::string>& installed) {
  if (uri.scheme == "sqlserver" || uri.scheme == "mssql") return build_sqlserver(uri, installed);
  return build_odbc(uri);
}

std::string driver_defaults(std::string_view connection_string, size_t fetch_rows) {
  std::vector<Attribute> attrs;
  try {
    attrs = parse_connection_string(connection_string);
  } catch (const Error&) {
    return {};
  }
  const auto driver = find_attribute(attrs, "Driver");
  if (!driver) return {};
  std::string out;
  const auto missing = [&](std::string_view k) { return !find_attribute(attrs, k); };
  if (icontains(*driver, "postgres") || icontains(*driver, "psqlodbc")) {
    if (missing("UseDeclareFetch")) out += ";UseDeclareFetch=1";
    if (missing("Fetch")) out += fmt::format(";Fetch={}", fetch_rows);
    if (missing("BoolsAsChar")) out += ";BoolsAsChar=0";
    // Parameter arrays as one prepared statement bound per row set, not sets
    // spliced into one multi-statement text (which the server parses anew).
    if (missing("BatchSize")) out += ";BatchSize=1";
  } else if (icontains(*driver, "mariadb") || icontains(*driver, "maodbc")) {
    // OPTION bit 1048576 (NO_CACHE): rows stream from the server
    // (mysql_use_result) instead of the whole result being stored first.
    if (missing("OPTION") && missing("OPTIONS")) out += ";OPTION=1048576";
  }
  return out;
}

}  // namespace polydb::odbc
