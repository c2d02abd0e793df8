#include "connectors/odbc/types.hpp"

#include <sql.h>
#include <sqlext.h>

#include <fmt/format.h>

#include "polydb/error.hpp"

namespace polydb::odbc {

namespace {

// Bound buffers stop here; longer (or unbounded) columns are LOBs.
constexpr int64_t kMaxBoundChars = 4000;
constexpr int64_t kMaxBoundBytes = 8000;
// Decimal text: sign, 65 digits (MySQL's maximum), point, and room to spare.
constexpr size_t kDecimalWidth = 160;
// A LOB's bound cell where the driver can re-read longer values with
// SQLGetData: most text and bytea values of ordinary tables fit.
constexpr size_t kLobGuessBytes = 2048;

Type decimal_type(const ColumnMeta& c) {
  if (c.column_size <= 0 || c.column_size > 1000 || c.decimal_digits < 0) return Type(TypeId::decimal);
  return Type(TypeId::decimal, static_cast<uint16_t>(c.column_size),
              static_cast<uint16_t>(c.decimal_digits));
}

std::optional<Type> type_by_name(const ColumnMeta& c, DbmsKind kind) {
  const std::string& n = c.type_name;
  if (kind == DbmsKind::mysql) {
    if (c.remarks == "polydb:uuid" && (n == "char" || n == "varchar")) return TypeId::uuid;
    if (c.remarks == "polydb:timestamp_tz" && (n == "datetime" || n == "timestamp"))
      return TypeId::timestamp_tz;
    if (c.json_check || n == "json") return TypeId::json;
    if (c.full_type.starts_with("tinyint(1)")) return TypeId::boolean;
  }
  if (n == "json" || n == "jsonb") return TypeId::json;
  if (n == "timestamptz" || n == "timestamp with time zone" || n == "datetimeoffset")
    return TypeId::timestamp_tz;
  if (n == "uniqueidentifier" || n == "uuid") return TypeId::uuid;
  if (n == "bool" || n == "boolean") return TypeId::boolean;
  if (n == "money") return Type(TypeId::decimal, 19, 4);
  if (n == "smallmoney") return Type(TypeId::decimal, 10, 4);
  return std::nullopt;
}

// "hh:mm:ss[.fffffff]" with the fraction cut to microseconds.
std::string cut_fraction(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::string(text);
  size_t end = dot + 1;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  std::string out(text.substr(0, std::min(end, dot + 7)));
  out += text.substr(end);
  return out;
}

[[noreturn]] void bad_text(std::string_view text, Type type) {
  throw Error(ErrorCode::corruption,
              fmt::format("the driver returned '{}' for a {} column, which polydb cannot read",
                          text.substr(0, 80), to_string(type)),
              "odbc");
}

}  // namespace

Type type_from_column(const ColumnMeta& c, DbmsKind kind) {
  if (c.sql_type == SQL_BINARY || c.sql_type == SQL_VARBINARY || c.sql_type == SQL_LONGVARBINARY)
    return TypeId::bytes;  // before the names: SQL Server's "timestamp" is rowversion, binary
  if (auto t = type_by_name(c, kind)) return *t;
  switch (c.sql_type) {
    case SQL_BIT:
      return TypeId::boolean;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
      return TypeId::int64;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
      return TypeId::float64;
    case SQL_DECIMAL:
    case SQL_NUMERIC:
      return decimal_type(c);
    case SQL_TYPE_DATE:
    case SQL_DATE:
      return TypeId::date;
    case SQL_TYPE_TIME:
    case SQL_TIME:
    case kSqlSsTime2:
      return TypeId::time;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
      return TypeId::timestamp;
    case kSqlSsTimestampOffset:
      return TypeId::timestamp_tz;
    case SQL_GUID:
      return TypeId::uuid;
    default:
      return TypeId::string;  // character types, XML, intervals, anything else: text
  }
}

std::string native_type_text(const ColumnMeta& c) {
  if (!c.full_type.empty()) return c.full_type;
  const std::string& n = c.type_name;
  switch (c.sql_type) {
    case SQL_DECIMAL:
    case SQL_NUMERIC:
      if (n == "money" || n == "smallmoney" || c.column_size <= 0 || c.column_size > 1000) return n;
      return fmt::format("{}({},{})", n, c.column_size, c.decimal_digits);
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
    case SQL_BINARY:
    case SQL_VARBINARY:
      if (n.find('(') != std::string::npos || n == "uuid" || n == "text" || n == "bytea") return n;
      return c.column_size > 0 && c.column_size <= kMaxBoundBytes
                 ? fmt::format("{}({})", n, c.column_size)
                 : fmt::format("{}(max)", n);
    default:
      return n;
  }
}

FetchPlan fetch_plan(Type type, const ColumnMeta& c) {
  FetchPlan p;
  switch (type.id) {
    case TypeId::boolean:
      return {FetchKind::bit, SQL_C_BIT, sizeof(unsigned char), false};
    case TypeId::int64:
      return {FetchKind::int64, SQL_C_SBIGINT, sizeof(int64_t), false};
    case TypeId::float64:
      return {FetchKind::float64, SQL_C_DOUBLE, sizeof(double), false};
    case TypeId::date:
      return {FetchKind::date, SQL_C_TYPE_DATE, sizeof(SQL_DATE_STRUCT), false};
    case TypeId::timestamp:
      return {FetchKind::timestamp, SQL_C_TYPE_TIMESTAMP, sizeof(SQL_TIMESTAMP_STRUCT), false};
    case TypeId::timestamp_tz:
      // datetimeoffset has no ODBC C struct but SQL Server's own: read its text.
      if (c.sql_type == kSqlSsTimestampOffset || c.type_name == "datetimeoffset")
        return {FetchKind::ascii, SQL_C_CHAR, 48, false};
      return {FetchKind::timestamp, SQL_C_TYPE_TIMESTAMP, sizeof(SQL_TIMESTAMP_STRUCT), false};
    case TypeId::time:  // SQL_TIME_STRUCT has no fraction: text keeps the microseconds
      return {FetchKind::ascii, SQL_C_CHAR, 32, false};
    case TypeId::uuid:
      return {FetchKind::ascii, SQL_C_CHAR, 40, false};
    case TypeId::decimal:
      p = {FetchKind::ascii, SQL_C_CHAR, kDecimalWidth, false};
      p.long_data = c.column_size <= 0 || c.column_size > 150;
      return p;
    case TypeId::bytes:
      p = {FetchKind::binary, SQL_C_BINARY, 0, false};
      p.long_data = c.sql_type == SQL_LONGVARBINARY || c.column_size <= 0 ||
                    c.column_size > kMaxBoundBytes;
      p.width = p.long_data ? kLobGuessBytes : static_cast<size_t>(c.column_size);
      return p;
    case TypeId::null:
    case TypeId::string:
    case TypeId::json:
      break;
  }
  p = {FetchKind::wtext, SQL_C_WCHAR, 0, false};
  p.long_data = c.sql_type == SQL_LONGVARCHAR || c.sql_type == SQL_WLONGVARCHAR ||
                c.sql_type == kSqlSsXml || c.column_size <= 0 || c.column_size > kMaxBoundChars;
  // A character may take two UTF-16 units; plus the terminator.
  p.width =
      p.long_data ? kLobGuessBytes : static_cast<size_t>(c.column_size * 2 + 1) * sizeof(char16_t);
  return p;
}

FetchPlan raw_utf8_plan(const FetchPlan& plan, Type type, const ColumnMeta& c) {
  if (plan.kind != FetchKind::wtext || type.id != TypeId::string ||
      (c.type_name != "varchar" && c.type_name != "text"))
    return plan;
  FetchPlan p = plan;
  p.kind = FetchKind::utf8;
  p.c_type = SQL_C_BINARY;
  // Up to 4 UTF-8 bytes a character, no terminator.
  if (!p.long_data) p.width = static_cast<size_t>(c.column_size) * 4;
  return p;
}

std::string normalize_decimal(std::string_view t) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  std::string out;
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
    if (t.front() == '-') out += '-';
    t.remove_prefix(1);
  }
  if (!t.empty() && t.front() == '.') out += '0';
  out += t;
  if (out == "-0") return "0";
  return out;
}

Value value_from_text(std::string_view text, Type type) {
  switch (type.id) {
    case TypeId::decimal: {
      std::string d = normalize_decimal(text);
      if (d.empty() || d.find_first_not_of("-0123456789.") != std::string::npos) bad_text(text, type);
      return Value(Decimal{std::move(d)});
    }
    case TypeId::time: {
      Time t;
      if (!read_time(cut_fraction(text), t)) bad_text(text, type);
      return Value(t);
    }
    case TypeId::timestamp_tz: {
      // SQL Server: "2024-01-31 12:34:56.1234567 +02:00".
      std::string s = cut_fraction(text);
      if (const auto sp = s.rfind(' '); sp != std::string::npos && sp > 10 && sp + 1 < s.size() &&
                                        (s[sp + 1] == '+' || s[sp + 1] == '-'))
        s.erase(sp, 1);
      TimestampTz ts;
      if (!read_timestamp_tz(s, ts)) bad_text(text, type);
      return Value(ts);
    }
    case TypeId::uuid: {
      std::string s(text);
      if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
      try {
        return parse_value(s, type);
      } catch (const Error&) {
        bad_text(text, type);
      }
    }
    default:
      return parse_value(text, type);
  }
}

}  // namespace polydb::odbc
