#include "connectors/odbc/errors.hpp"

#include <sql.h>
#include <sqlext.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "connectors/odbc/connstr.hpp"
#include "connectors/odbc/text.hpp"
#include "polydb/uri.hpp"

namespace polydb::odbc {

namespace {

bool contains_ci(std::string_view text, std::string_view word) {
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

constexpr std::string_view kListTables = "the connection's table list shows the names";
constexpr std::string_view kDescribeTable = "the table's description lists the columns";

std::optional<Classified> classify_native(int32_t native) {
  switch (native) {
    case 18456:  // Login failed for user
    case 18452:  // untrusted domain login
    case 18488:  // password must be changed
      return Classified{ErrorCode::auth, false, "check the user name and password"};
    case 208:  // Invalid object name
      return Classified{ErrorCode::not_found, false, kListTables, Hint::list_tables};
    case 207:  // Invalid column name
      return Classified{ErrorCode::not_found, false, kDescribeTable, Hint::describe_table};
    case 2627:  // Violation of PRIMARY KEY / UNIQUE constraint
    case 2601:  // duplicate key row in unique index
      return Classified{ErrorCode::conflict, false, "a row with this key exists already"};
    case 1205:  // deadlock victim
      return Classified{ErrorCode::conflict, true, "deadlock: run it again"};
    case 40501:  // service busy
    case 10928:  // resource limit reached
    case 10929:  // minimum guarantee not met
      return Classified{ErrorCode::throttled, true, "Azure SQL is throttling: retry later"};
    default:
      break;
  }
  if (is_transient_native(native))
    return Classified{ErrorCode::connection, true,
                      "Azure SQL reports a transient failure: retry in a few seconds"};
  return std::nullopt;
}

Classified classify_sqlstate(const DiagRecord& r) noexcept {
  const std::string_view s = r.sqlstate;
  const std::string_view cls = s.substr(0, std::min<size_t>(2, s.size()));
  if (s == "HYT00" || s == "HYT01")
    return {ErrorCode::timeout, true, "the server did not answer in time"};
  if (s == "40001" || s == "40P01")
    return {ErrorCode::conflict, true, "a deadlock or serialization failure: run it again"};
  if (s == "42S02" || s == "42P01")
    return {ErrorCode::not_found, false, kListTables, Hint::list_tables};
  if (s == "42S22" || s == "42703")
    return {ErrorCode::not_found, false, kDescribeTable, Hint::describe_table};
  if (s == "3D000") return {ErrorCode::not_found, false, "check the database name"};
  if (s == "IM002")
    return {ErrorCode::not_found, false,
            "no such data source or driver: `odbcinst -q -d` lists drivers, `odbcinst -q -s` "
            "data sources"};
  if (s == "IM003" || s == "IM004")
    return {ErrorCode::connection, false, "the driver could not be loaded: check its installation"};
  if (s == "57014") return {ErrorCode::cancelled, false, ""};
  if (s == "HY008") return {ErrorCode::cancelled, false, ""};
  if (cls == "28") return {ErrorCode::auth, false, "check the user name and password"};
  if (cls == "08") return {ErrorCode::connection, true, "check that the server runs and is reachable"};
  if (cls == "23") return {ErrorCode::conflict, false, "a constraint rejected the row"};
  if (cls == "22") return {ErrorCode::type_mismatch, false, "a value does not fit its column"};
  if (cls == "42" || cls == "37")
    return {ErrorCode::invalid_argument, false, "check the SQL text"};
  if (cls == "0A" || s == "HYC00" || s == "HY106" || s == "HY092")
    return {ErrorCode::unsupported, false, "the driver or server cannot do this"};
  if (cls == "07" || cls == "21" || cls == "3F")
    return {ErrorCode::invalid_argument, false, ""};
  if (cls == "25" || cls == "2D") return {ErrorCode::conflict, false, "transaction state"};
  if (s == "HY001" || s == "HY014") return {ErrorCode::internal, false, "out of resources"};
  if (cls == "53" || cls == "54") return {ErrorCode::throttled, true, "the server is out of resources"};
  if (cls == "57" || cls == "58") return {ErrorCode::connection, true, ""};
  return {ErrorCode::internal, false, ""};
}

}  // namespace

bool is_transient_native(int32_t native) noexcept {
  switch (native) {
    case 40613: case 40197: case 40501: case 49918: case 49919: case 49920: case 4060:
    case 4221: case 10928: case 10929: case 10053: case 10054: case 10060: case 40143:
    case 40540: case 233: case 64:
      return true;
    default:
      return false;
  }
}

Classified classify(const DiagRecord& r) noexcept {
  if (r.native > 0)
    if (auto n = classify_native(r.native)) return *n;
  Classified c = classify_sqlstate(r);
  // psqlODBC and others report every failed connection as 08001: the words decide.
  if (c.code == ErrorCode::connection || c.code == ErrorCode::internal) {
    const std::string_view m = r.message;
    if (contains_ci(m, "password authentication failed") || contains_ci(m, "Access denied for user") ||
        contains_ci(m, "Login failed") || contains_ci(m, "no password supplied") ||
        contains_ci(m, "authentication failed"))
      return {ErrorCode::auth, false, "check the user name and password"};
    if (contains_ci(m, "does not exist") && contains_ci(m, "database"))
      return {ErrorCode::not_found, false, "check the database name"};
    if (contains_ci(m, "Can't open lib"))
      return {ErrorCode::not_found, false,
              "the driver is not installed or its library is missing: `odbcinst -q -d` lists "
              "the drivers"};
    if (contains_ci(m, "Unknown database"))
      return {ErrorCode::not_found, false, "check the database name"};
  }
  return c;
}

const DiagRecord* primary_record(std::span<const DiagRecord> records) noexcept {
  for (const auto& r : records)
    if (!r.sqlstate.starts_with("01")) return &r;
  return records.empty() ? nullptr : &records.front();
}

Error make_error(std::span<const DiagRecord> records, std::string_view what) {
  const DiagRecord* r = primary_record(records);
  if (!r)
    return Error(ErrorCode::internal,
                 fmt::format("{}: the driver reported a failure without a diagnostic record", what),
                 "odbc");
  const Classified c = classify(*r);
  std::string detail;
  for (const auto& d : records) {
    if (!detail.empty()) detail += '\n';
    detail += fmt::format("[{}] (native {}) {}", d.sqlstate, d.native,
                          redact_connection_string(d.message));
  }
  const std::string message = redact_url_text(r->message);
  std::string text = fmt::format("{}: {} (SQLSTATE {})", what, message, r->sqlstate);
  if (!c.hint.empty()) text += fmt::format(" ({})", c.hint);
  Error e(c.code, std::move(text), "odbc", redact_url_text(detail));
  e.set_retryable(c.retryable);
  e.set_native_code(r->sqlstate);
  e.set_hint(c.remedy);
  return e;
}

std::vector<DiagRecord> collect_diagnostics(short type, void* handle) {
  std::vector<DiagRecord> out;
  if (!handle) return out;
  for (SQLSMALLINT i = 1; i <= 50; ++i) {
    SQLWCHAR state[6] = {};
    SQLINTEGER native = 0;
    SQLWCHAR msg[2048];
    SQLSMALLINT len = 0;
    const SQLRETURN rc = SQLGetDiagRecW(type, handle, i, state, &native, msg,
                                        static_cast<SQLSMALLINT>(std::size(msg)), &len);
    if (rc != SQL_SUCCESS && rc != SQL_SUCCESS_WITH_INFO) break;
    DiagRecord d;
    d.sqlstate = to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(state), 5));
    d.native = native;
    const size_t n = std::min<size_t>(static_cast<size_t>(std::max<SQLSMALLINT>(len, 0)),
                                      std::size(msg) - 1);
    d.message = to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(msg), n));
    while (!d.message.empty() && std::isspace(static_cast<unsigned char>(d.message.back())))
      d.message.pop_back();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace polydb::odbc
