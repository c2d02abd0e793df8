#include "connectors/sqlite/types.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/encoding.hpp"
#include "polydb/error.hpp"

namespace polydb::sqlite {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

Type decimal_from(std::string_view decl) {
  auto open = decl.find('(');
  if (open == std::string_view::npos) return Type(TypeId::decimal);
  unsigned p = 0, s = 0;
  const char* b = decl.data() + open + 1;
  const char* e = decl.data() + decl.size();
  auto r = std::from_chars(b, e, p);
  if (r.ec != std::errc{}) return Type(TypeId::decimal);
  if (r.ptr < e && *r.ptr == ',') {
    const char* sb = r.ptr + 1;
    while (sb < e && *sb == ' ') ++sb;
    std::from_chars(sb, e, s);
  }
  if (p > 1000 || s > p) return Type(TypeId::decimal);
  return Type(TypeId::decimal, static_cast<uint16_t>(p), static_cast<uint16_t>(s));
}

[[noreturn]] void mismatch(std::string_view name, Type type, std::string_view stored) {
  throw Error(ErrorCode::type_mismatch,
              fmt::format("column '{}' is declared {} but holds '{}' (fix the value, or CAST "
                          "the column in a query)",
                          name, to_string(type), stored.substr(0, 60)),
              "sqlite");
}

std::string_view column_text(sqlite3_stmt* st, int i) {
  const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return {t ? t : "", static_cast<size_t>(sqlite3_column_bytes(st, i))};
}

void bind_text(sqlite3_stmt* st, int idx, std::string_view s, bool transient) {
  // A null pointer would bind NULL, not the empty string.
  sqlite3_bind_text64(st, idx, s.data() ? s.data() : "", s.size(),
                      transient ? SQLITE_TRANSIENT : SQLITE_STATIC, SQLITE_UTF8);
}

void bind_double(sqlite3_stmt* st, int idx, double d) {
  if (std::isnan(d))
    throw Error(ErrorCode::type_mismatch,
                "SQLite cannot store NaN (it would become NULL); filter or convert NaN values",
                "sqlite");
  sqlite3_bind_double(st, idx, d);
}

// Decimal text from a REAL without exponent notation.
std::string real_to_decimal(double d) {
  if (!std::isfinite(d)) return format_double(d);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view shortest(buf, r.ptr - buf);
  if (shortest.find_first_of("eE") == std::string_view::npos) return std::string(shortest);
  // 1e+07: written out, without the zeros {:f} adds after the point.
  std::string fixed = fmt::format("{:f}", d);
  if (fixed.find('.') != std::string::npos) {
    while (fixed.back() == '0') fixed.pop_back();
    if (fixed.back() == '.') fixed.pop_back();
  }
  return parse_value(fixed, TypeId::decimal).as<Decimal>().text;
}

// DECIMAL(p,s) columns have NUMERIC affinity: SQLite keeps '1.50' as REAL 1.5.
// Restore the declared scale so the value reads as written.
std::string with_scale(std::string text, uint16_t scale) {
  if (scale == 0) return text;
  auto dot = text.find('.');
  size_t have = dot == std::string::npos ? 0 : text.size() - dot - 1;
  if (dot == std::string::npos) text += '.';
  if (have < scale) text.append(scale - have, '0');
  return text;
}

}  // namespace

Type type_from_declared(std::string_view declared) {
  const std::string d = ascii_upper(declared);
  if (d.empty()) return TypeId::string;
  if (d.starts_with("BOOL")) return TypeId::boolean;
  if (d.starts_with("DECIMAL") || d.starts_with("NUMERIC")) return decimal_from(d);
  if (d.starts_with("TIMESTAMPTZ") || contains(d, "WITH TIME ZONE") ||
      d.starts_with("DATETIMEOFFSET"))
    return TypeId::timestamp_tz;
  if (d.starts_with("TIMESTAMP") || d.starts_with("DATETIME")) return TypeId::timestamp;
  if (d == "DATE") return TypeId::date;
  if (d.starts_with("TIME")) return TypeId::time;
  if (d == "UUID" || d == "GUID" || d == "UNIQUEIDENTIFIER") return TypeId::uuid;
  if (d.starts_with("JSON")) return TypeId::json;
  // SQLite's own affinity rules (datatype3.html, section 3.1), in order.
  if (contains(d, "INT")) return TypeId::int64;
  if (contains(d, "CHAR") || contains(d, "CLOB") || contains(d, "TEXT")) return TypeId::string;
  if (contains(d, "BLOB") || contains(d, "BINARY")) return TypeId::bytes;
  if (contains(d, "REAL") || contains(d, "FLOA") || contains(d, "DOUB")) return TypeId::float64;
  return TypeId::string;
}

Type type_from_storage(int storage_class) {
  switch (storage_class) {
    case SQLITE_INTEGER: return TypeId::int64;
    case SQLITE_FLOAT: return TypeId::float64;
    case SQLITE_BLOB: return TypeId::bytes;
    default: return TypeId::string;
  }
}

std::string declared_type(Type type) {
  switch (type.id) {
    case TypeId::boolean: return "BOOLEAN";
    case TypeId::int64: return "INTEGER";
    case TypeId::float64: return "REAL";
    case TypeId::decimal:
      return type.precision ? fmt::format("DECIMAL_TEXT({},{})", type.precision, type.scale)
                            : "DECIMAL_TEXT";
    case TypeId::bytes: return "BLOB";
    case TypeId::date: return "DATE";
    case TypeId::time: return "TIME";
    case TypeId::timestamp: return "TIMESTAMP";
    case TypeId::timestamp_tz: return "TIMESTAMPTZ";
    case TypeId::uuid: return "UUID";
    case TypeId::json: return "JSON_TEXT";
    case TypeId::null:
    case TypeId::string: return "TEXT";
  }
  return "TEXT";
}

void bind_value(sqlite3_stmt* st, int idx, const Value& v) {
  switch (v.type_id()) {
    case TypeId::null: sqlite3_bind_null(st, idx); return;
    case TypeId::boolean: sqlite3_bind_int64(st, idx, v.as<bool>() ? 1 : 0); return;
    case TypeId::int64: sqlite3_bind_int64(st, idx, v.as<int64_t>()); return;
    case TypeId::float64: bind_double(st, idx, v.as<double>()); return;
    case TypeId::decimal: bind_text(st, idx, v.as<Decimal>().text, true); return;
    case TypeId::string: bind_text(st, idx, v.as<std::string>(), true); return;
    case TypeId::bytes: {
      const auto& b = v.as<Bytes>().data;
      sqlite3_bind_blob64(st, idx, b.data(), b.size(), SQLITE_TRANSIENT);
      return;
    }
    case TypeId::json: bind_text(st, idx, v.as<Json>().text, true); return;
    default: bind_text(st, idx, v.to_text(), true); return;
  }
}

void bind_cell(sqlite3_stmt* st, int idx, const Column& col, size_t row, char* scratch) {
  if (col.is_null(row)) {
    sqlite3_bind_null(st, idx);
    return;
  }
  switch (col.type().id) {
    case TypeId::null: sqlite3_bind_null(st, idx); return;
    case TypeId::boolean: sqlite3_bind_int64(st, idx, col.bool_at(row) ? 1 : 0); return;
    case TypeId::int64: sqlite3_bind_int64(st, idx, col.int64_at(row)); return;
    case TypeId::float64: bind_double(st, idx, col.float64_at(row)); return;
    case TypeId::decimal:
    case TypeId::string:
    case TypeId::json:
      // The batch outlives the step that uses the binding: no copy needed.
      bind_text(st, idx, col.var_at(row), false);
      return;
    case TypeId::bytes: {
      auto b = col.var_at(row);
      sqlite3_bind_blob64(st, idx, b.data(), b.size(), SQLITE_STATIC);
      return;
    }
    // Temporal text goes into the caller's scratch, which outlives the step:
    // SQLITE_STATIC spares SQLite an allocation and a copy per cell.
    case TypeId::date:
      bind_text(st, idx, {scratch, write_date(scratch, Date{col.int32_at(row)})}, false);
      return;
    case TypeId::time:
      bind_text(st, idx, {scratch, write_time(scratch, Time{col.int64_at(row)})}, false);
      return;
    case TypeId::timestamp:
      bind_text(st, idx, {scratch, write_timestamp(scratch, Timestamp{col.int64_at(row)})},
                false);
      return;
    case TypeId::timestamp_tz:
      bind_text(st, idx,
                {scratch, write_timestamp_tz(scratch, TimestampTz{col.int64_at(row)})}, false);
      return;
    case TypeId::uuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), col.fixed_at(row), 16);
      bind_text(st, idx, format_uuid(u), true);
      return;
    }
  }
}

namespace {

// A result cell of a statement, or a value kept from one (sqlite3_value_dup):
// read_any() reads either.
struct StmtCell {
  sqlite3_stmt* st;
  int i;
  int storage() const { return sqlite3_column_type(st, i); }
  int64_t int64() const { return sqlite3_column_int64(st, i); }
  double real() const { return sqlite3_column_double(st, i); }
  std::string_view text() const { return column_text(st, i); }
  std::string_view blob() const {
    const auto* b = static_cast<const char*>(sqlite3_column_blob(st, i));
    return {b ? b : "", static_cast<size_t>(sqlite3_column_bytes(st, i))};
  }
};

struct ValueCell {
  sqlite3_value* v;
  int storage() const { return sqlite3_value_type(v); }
  int64_t int64() const { return sqlite3_value_int64(v); }
  double real() const { return sqlite3_value_double(v); }
  std::string_view text() const {
    const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return {t ? t : "", static_cast<size_t>(sqlite3_value_bytes(v))};
  }
  std::string_view blob() const {
    const auto* b = static_cast<const char*>(sqlite3_value_blob(v));
    return {b ? b : "", static_cast<size_t>(sqlite3_value_bytes(v))};
  }
};

template <class Cell>
void read_any(const Cell& cell, Column& out, std::string_view name) {
  const int storage = cell.storage();
  if (storage == SQLITE_NULL) return out.append_null();
  const Type type = out.type();
  switch (type.id) {
    case TypeId::null: return out.append_null();
    case TypeId::int64:
      if (storage == SQLITE_INTEGER) return out.append_int64(cell.int64());
      if (storage == SQLITE_FLOAT) {
        double d = cell.real();
        if (d == std::trunc(d) && std::fabs(d) < 9.2e18)
          return out.append_int64(static_cast<int64_t>(d));
      }
      break;
    case TypeId::float64:
      if (storage == SQLITE_FLOAT || storage == SQLITE_INTEGER)
        return out.append_float64(cell.real());
      break;
    case TypeId::boolean:
      if (storage == SQLITE_INTEGER) return out.append_bool(cell.int64() != 0);
      break;
    case TypeId::string:
      if (storage == SQLITE_BLOB) return out.append_var(cell.blob());
      return out.append_var(cell.text());
    case TypeId::bytes:
      return out.append_var(cell.blob());
    case TypeId::json:
      if (storage != SQLITE_BLOB) return out.append_var(cell.text());
      break;
    case TypeId::decimal:
      if (storage == SQLITE_INTEGER)
        return out.append_var(with_scale(std::to_string(cell.int64()), type.scale));
      if (storage == SQLITE_FLOAT) {
        double d = cell.real();
        if (std::isfinite(d)) return out.append_var(with_scale(real_to_decimal(d), type.scale));
      }
      break;
    case TypeId::uuid:
      if (storage == SQLITE_BLOB && cell.blob().size() == 16)
        return out.append_fixed(cell.blob().data(), 16);
      break;
    case TypeId::timestamp:
    case TypeId::timestamp_tz:
      // Integers are Unix seconds (SQLite's 'unixepoch' convention).
      if (storage == SQLITE_INTEGER)
        return out.append_int64(cell.int64() * kMicrosPerSecond);
      break;
    case TypeId::date:
      if (storage == SQLITE_INTEGER) {
        int64_t secs = cell.int64();
        int64_t days = secs / 86'400 - (secs % 86'400 < 0 ? 1 : 0);
        return out.append_int32_raw(static_cast<int32_t>(days));
      }
      break;
    default: break;
  }
  if (storage == SQLITE_TEXT) {
    std::string_view text = cell.text();
    // Fast paths for the text encodings polydb writes itself.
    switch (type.id) {
      case TypeId::date:
        if (Date d; read_date(text, d)) return out.append_int32_raw(d.days);
        break;
      case TypeId::time:
        if (Time t; read_time(text, t)) return out.append_int64(t.micros);
        break;
      case TypeId::timestamp:
        if (Timestamp t; read_timestamp(text, t)) return out.append_int64(t.micros);
        break;
      case TypeId::timestamp_tz:
        if (TimestampTz t; read_timestamp_tz(text, t)) return out.append_int64(t.micros);
        break;
      default: break;
    }
    try {
      if (type.id == TypeId::date && text.size() > 10) {
        // A timestamp in a DATE column: keep the date part only if no time is lost.
        Value ts = parse_value(text, TypeId::timestamp);
        int64_t us = ts.as<Timestamp>().micros;
        if (us % kMicrosPerDay == 0) return out.append_int32_raw(static_cast<int32_t>(us / kMicrosPerDay));
        mismatch(name, type, text);
      }
      return out.append(parse_value(text, type));
    } catch (const Error& e) {
      if (e.backend() == "sqlite") throw;
      mismatch(name, type, text);
    }
  }
  std::string shown = storage == SQLITE_BLOB ? "<blob>" : std::string(cell.text());
  mismatch(name, type, shown);
}

}  // namespace

void read_cell(sqlite3_stmt* st, int i, Column& out, std::string_view name) {
  read_any(StmtCell{st, i}, out, name);
}

void read_value(sqlite3_value* v, Column& out, std::string_view name) {
  read_any(ValueCell{v}, out, name);
}

}  // namespace polydb::sqlite
