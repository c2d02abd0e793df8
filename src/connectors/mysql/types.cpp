#include "connectors/mysql/types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/encoding.hpp"
#include "polydb/error.hpp"
#include "polydb/value.hpp"

namespace polydb::mysql {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// The numbers in "decimal(12,2) unsigned" / "bit(5)": {12, 2} / {5, 0}.
struct Args {
  unsigned first = 0, second = 0;
  bool has_first = false;
};
Args type_args(std::string_view column_type) {
  Args a;
  const auto open = column_type.find('(');
  if (open == std::string_view::npos) return a;
  const char* b = column_type.data() + open + 1;
  const char* e = column_type.data() + column_type.size();
  auto r = std::from_chars(b, e, a.first);
  if (r.ec != std::errc{}) return a;
  a.has_first = true;
  if (r.ptr < e && *r.ptr == ',') std::from_chars(r.ptr + 1, e, a.second);
  return a;
}

Type decimal_type(unsigned p, unsigned s) {
  if (p == 0 || p > 65 || s > p) return Type(TypeId::decimal);
  return Type(TypeId::decimal, static_cast<uint16_t>(p), static_cast<uint16_t>(s));
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

[[noreturn]] void cannot_store(std::string_view what) {
  throw Error(ErrorCode::type_mismatch,
              fmt::format("MySQL cannot store {} (convert or filter such values first)", what),
              "mysql");
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_date_parts(std::string& out, const DateTimeParts& p) {
  if (!storable_year(p))
    cannot_store(fmt::format("the year {}{} (DATE and DATETIME hold years 0000-9999)",
                             p.negative ? "-" : "", p.year));
  fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d}", p.year, p.month, p.day);
}

void append_clock(std::string& out, const DateTimeParts& p) {
  fmt::format_to(std::back_inserter(out), "{:02d}:{:02d}:{:02d}", p.hour, p.minute, p.second);
  if (p.micros) fmt::format_to(std::back_inserter(out), ".{:06d}", p.micros);
}

}  // namespace

Type type_from_column(const ColumnInfo& c, const TypeOptions& o) {
  const std::string dt = ascii_lower(c.data_type);
  const std::string ct = ascii_lower(c.column_type);
  const bool is_unsigned = contains(ct, "unsigned");
  if (c.comment == kUuidComment && (dt == "char" || dt == "varchar")) return TypeId::uuid;
  if (c.comment == kTimestampTzComment && (dt == "datetime" || dt == "timestamp"))
    return TypeId::timestamp_tz;
  if (dt == "tinyint") {
    if (o.tinyint1_boolean && ct.starts_with("tinyint(1)") && !is_unsigned) return TypeId::boolean;
    return TypeId::int64;
  }
  if (dt == "bool" || dt == "boolean") return o.tinyint1_boolean ? TypeId::boolean : TypeId::int64;
  if (dt == "smallint" || dt == "mediumint" || dt == "int" || dt == "integer" || dt == "year")
    return TypeId::int64;
  // BIGINT UNSIGNED reaches 2^64-1: only a decimal holds every value exactly.
  if (dt == "bigint") return is_unsigned ? Type(TypeId::decimal, 20, 0) : Type(TypeId::int64);
  if (dt == "bit") {
    const Args a = type_args(ct);
    return a.has_first && a.first > 63 ? TypeId::bytes : TypeId::int64;
  }
  if (dt == "float" || dt == "double" || dt == "double precision" || dt == "real")
    return TypeId::float64;
  if (dt == "decimal" || dt == "numeric" || dt == "fixed") {
    const Args a = type_args(ct);
    return decimal_type(a.has_first ? a.first : 10, a.second);
  }
  if (dt == "json") return TypeId::json;
  if (dt == "char" || dt == "varchar" || dt == "tinytext" || dt == "text" || dt == "mediumtext" ||
      dt == "longtext" || dt == "long" || dt == "long varchar") {
    if (c.json_check) return TypeId::json;
    return c.charset == "binary" ? TypeId::bytes : TypeId::string;
  }
  if (dt == "binary" || dt == "varbinary" || dt == "tinyblob" || dt == "blob" ||
      dt == "mediumblob" || dt == "longblob" || dt == "long varbinary")
    return TypeId::bytes;
  if (dt == "date") return TypeId::date;
  if (dt == "time") return TypeId::time;
  if (dt == "datetime") return TypeId::timestamp;
  if (dt == "timestamp") return TypeId::timestamp_tz;
  if (dt == "uuid") return TypeId::uuid;
  if (dt == "geometry" || dt == "point" || dt == "linestring" || dt == "polygon" ||
      dt == "multipoint" || dt == "multilinestring" || dt == "multipolygon" ||
      dt == "geometrycollection" || dt == "geomcollection" || dt == "vector")
    return TypeId::bytes;
  // enum, set, inet4, inet6 and anything newer: their text form.
  return TypeId::string;
}

Type type_from_field(const FieldMeta& f, const TypeOptions& o) {
  const bool is_unsigned = (f.flags & kUnsignedFlag) != 0;
  if (f.data_type_name == "uuid") return TypeId::uuid;
  if (f.format_name == "json") return TypeId::json;
  switch (f.type) {
    case WireType::tiny:
      if (o.tinyint1_boolean && f.length == 1 && !is_unsigned) return TypeId::boolean;
      return TypeId::int64;
    case WireType::smallint:
    case WireType::int24:
    case WireType::int32:
    case WireType::year:
      return TypeId::int64;
    case WireType::longlong:
      return is_unsigned ? Type(TypeId::decimal, 20, 0) : Type(TypeId::int64);
    case WireType::float32:
    case WireType::float64:
      return TypeId::float64;
    case WireType::decimal:
    case WireType::newdecimal: {
      // length counts the digits, plus the point when decimals > 0, plus a sign
      // for signed columns.
      const unsigned long overhead = (f.decimals > 0 ? 1 : 0) + (is_unsigned ? 0 : 1);
      const unsigned p = f.length > overhead ? static_cast<unsigned>(f.length - overhead) : 0;
      return decimal_type(p, f.decimals);
    }
    case WireType::date:
    case WireType::newdate:
      return TypeId::date;
    case WireType::time:
      return TypeId::time;
    case WireType::datetime:
      return TypeId::timestamp;
    case WireType::timestamp:
      return TypeId::timestamp_tz;
    case WireType::bit:
      return f.length > 63 ? TypeId::bytes : TypeId::int64;
    case WireType::json:
      return TypeId::json;
    case WireType::null:
      return TypeId::null;
    case WireType::geometry:
      return TypeId::bytes;
    case WireType::enumeration:
    case WireType::set:
      return TypeId::string;
    case WireType::varchar:
    case WireType::var_string:
    case WireType::string:
    case WireType::tiny_blob:
    case WireType::medium_blob:
    case WireType::long_blob:
    case WireType::blob:
      if (f.flags & (kEnumFlag | kSetFlag)) return TypeId::string;
      return f.charsetnr == kBinaryCharset ? TypeId::bytes : TypeId::string;
  }
  return TypeId::string;
}

ColumnDdl column_ddl(Type type, bool in_key, std::string_view text_collation) {
  // Text columns compare bytewise, like polydb: 'a' and 'A' are two keys.
  const auto text = [&](std::string_view base) {
    return fmt::format("{} CHARACTER SET utf8mb4 COLLATE {}", base, text_collation);
  };
  switch (type.id) {
    case TypeId::boolean:
      return {"BOOLEAN", ""};
    case TypeId::int64:
      return {"BIGINT", ""};
    case TypeId::float64:
      return {"DOUBLE", ""};
    case TypeId::decimal:
      if (type.precision == 0) return {"DECIMAL(65,30)", ""};
      if (type.precision > 65 || type.scale > 30)
        throw Error(ErrorCode::unsupported,
                    fmt::format("MySQL cannot hold {}: DECIMAL has at most 65 digits, 30 of "
                                "them after the point",
                                to_string(type)),
                    "mysql");
      return {fmt::format("DECIMAL({},{})", type.precision, type.scale), ""};
    case TypeId::bytes:
      return {in_key ? "VARBINARY(255)" : "LONGBLOB", ""};
    case TypeId::date:
      return {"DATE", ""};
    case TypeId::time:
      return {"TIME(6)", ""};
    case TypeId::timestamp:
      return {"DATETIME(6)", ""};
    // TIMESTAMP only spans 1970-2038: a DATETIME holding UTC, marked by its comment.
    case TypeId::timestamp_tz:
      return {"DATETIME(6)", std::string(kTimestampTzComment)};
    case TypeId::uuid:
      return {"CHAR(36) CHARACTER SET ascii COLLATE ascii_general_ci", std::string(kUuidComment)};
    case TypeId::json:
      return {"JSON", ""};
    case TypeId::null:
    case TypeId::string:
      return {text(in_key ? "VARCHAR(255)" : "LONGTEXT"), ""};
  }
  return {text("LONGTEXT"), ""};
}

std::optional<ColumnDdl> native_column_ddl(std::string_view column_type,
                                           std::string_view text_collation) {
  std::string_view base = column_type, rest;
  if (const auto open = column_type.find('('); open != std::string_view::npos) {
    const auto close = column_type.find(')', open);
    if (close == std::string_view::npos) return std::nullopt;
    for (char c : column_type.substr(open + 1, close - open - 1))
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != ',') return std::nullopt;
    base = column_type.substr(0, open);
    rest = column_type.substr(close + 1);
  } else if (const auto space = column_type.find(' '); space != std::string_view::npos) {
    base = column_type.substr(0, space);
    rest = column_type.substr(space);
  }
  static constexpr std::string_view kInteger[] = {"tinyint", "smallint", "mediumint", "int",
                                                  "bigint"};
  static constexpr std::string_view kText[] = {"char", "varchar", "tinytext", "text",
                                               "mediumtext", "longtext"};
  static constexpr std::string_view kOther[] = {
      "decimal", "float",      "double", "binary", "varbinary", "tinyblob", "blob",
      "mediumblob", "longblob", "date",  "datetime", "time",    "year"};
  const auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), base) != std::end(list);
  };
  if (in(kInteger) && (rest.empty() || rest == " unsigned")) return ColumnDdl{std::string(column_type), ""};
  if (!rest.empty()) return std::nullopt;
  if (in(kText))
    return ColumnDdl{fmt::format("{} CHARACTER SET utf8mb4 COLLATE {}", column_type, text_collation),
                     ""};
  if (in(kOther)) return ColumnDdl{std::string(column_type), ""};
  return std::nullopt;
}

std::optional<int32_t> date_from_parts(const DateTimeParts& p) {
  // Years past 9999 (which MySQL does not have) would not fit the int32 days.
  if (p.year > 9999 || p.month < 1 || p.month > 12 || p.day < 1 ||
      p.day > days_in_month(p.year, p.month))
    return std::nullopt;
  return days_from_civil(p.year, p.month, p.day);
}

std::optional<int64_t> timestamp_from_parts(const DateTimeParts& p) {
  auto days = date_from_parts(p);
  if (!days) return std::nullopt;
  // A server sends normalised fields; anything else would overflow below.
  if (p.hour > 23 || p.minute > 59 || p.second > 59 || p.micros > 999'999) return std::nullopt;
  return int64_t{*days} * kMicrosPerDay +
         (int64_t{p.hour} * 3600 + int64_t{p.minute} * 60 + p.second) * kMicrosPerSecond +
         static_cast<int64_t>(p.micros);
}

std::optional<int64_t> time_from_parts(const DateTimeParts& p) {
  // Each of these alone is a day or more; checking first keeps the sum in range.
  if (p.day != 0 || p.hour >= 24 || p.minute >= 24 * 60 || p.second >= 86'400 ||
      p.micros >= static_cast<unsigned long>(kMicrosPerDay))
    return std::nullopt;
  const int64_t hours = int64_t{p.day} * 24 + p.hour;
  const int64_t us = (hours * 3600 + int64_t{p.minute} * 60 + p.second) * kMicrosPerSecond +
                     static_cast<int64_t>(p.micros);
  if (p.negative && us != 0) return std::nullopt;
  if (us >= kMicrosPerDay) return std::nullopt;
  return us;
}

DateTimeParts parts_from_date(int32_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  DateTimeParts p;
  p.negative = y < 0;
  p.year = static_cast<unsigned>(y < 0 ? -y : y);
  p.month = m;
  p.day = d;
  return p;
}

DateTimeParts parts_from_time(int64_t micros) {
  DateTimeParts p;
  const int64_t secs = micros / kMicrosPerSecond;
  p.hour = static_cast<unsigned>(secs / 3600);
  p.minute = static_cast<unsigned>(secs / 60 % 60);
  p.second = static_cast<unsigned>(secs % 60);
  p.micros = static_cast<unsigned long>(micros % kMicrosPerSecond);
  return p;
}

DateTimeParts parts_from_timestamp(int64_t micros) {
  const int64_t day = floor_div(micros, kMicrosPerDay);
  DateTimeParts p = parts_from_date(static_cast<int32_t>(day));
  const DateTimeParts t = parts_from_time(micros - day * kMicrosPerDay);
  p.hour = t.hour;
  p.minute = t.minute;
  p.second = t.second;
  p.micros = t.micros;
  return p;
}

bool storable_year(const DateTimeParts& p) noexcept { return !p.negative && p.year <= 9999; }

uint64_t bits_to_uint64(std::string_view big_endian) noexcept {
  uint64_t v = 0;
  for (unsigned char c : big_endian) v = (v << 8) | c;
  return v;
}

double float_to_double(float f) noexcept {
  if (!std::isfinite(f)) return static_cast<double>(f);
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

void append_escaped(std::string& out, std::string_view bytes) {
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    char esc;
    switch (bytes[i]) {
      case '\\':
        esc = '\\';
        break;
      case '\t':
        esc = 't';
        break;
      case '\n':
        esc = 'n';
        break;
      case '\r':
        esc = 'r';
        break;
      case '\0':
        esc = '0';
        break;
      default:
        continue;
    }
    out.append(bytes.data() + start, i - start);
    out += '\\';
    out += esc;
    start = i + 1;
  }
  out.append(bytes.data() + start, bytes.size() - start);
}

void append_load_data_cell(std::string& out, const Column& col, size_t row) {
  if (col.is_null(row)) {
    out += "\\N";
    return;
  }
  switch (col.type().id) {
    case TypeId::null:
      out += "\\N";
      return;
    case TypeId::boolean:
      out += col.bool_at(row) ? '1' : '0';
      return;
    case TypeId::int64:
      append_int(out, col.int64_at(row));
      return;
    case TypeId::float64: {
      const double d = col.float64_at(row);
      if (std::isnan(d)) cannot_store("NaN in a DOUBLE");
      if (std::isinf(d)) cannot_store(d > 0 ? "Infinity in a DOUBLE" : "-Infinity in a DOUBLE");
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, r.ptr);
      return;
    }
    case TypeId::decimal:
    case TypeId::string:
    case TypeId::bytes:
    case TypeId::json:
      append_escaped(out, col.var_at(row));
      return;
    case TypeId::date:
      append_date_parts(out, parts_from_date(col.int32_at(row)));
      return;
    case TypeId::time:
      append_clock(out, parts_from_time(col.int64_at(row)));
      return;
    case TypeId::timestamp:
    case TypeId::timestamp_tz: {
      const DateTimeParts p = parts_from_timestamp(col.int64_at(row));
      append_date_parts(out, p);
      out += ' ';
      append_clock(out, p);
      return;
    }
    case TypeId::uuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), col.fixed_at(row), 16);
      out += format_uuid(u);
      return;
    }
  }
}

}  // namespace polydb::mysql
