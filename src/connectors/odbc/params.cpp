#include "connectors/odbc/params.hpp"

#include <sqlext.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "connectors/odbc/errors.hpp"
#include "connectors/odbc/handles.hpp"
#include "connectors/odbc/text.hpp"
#include "polydb/error.hpp"

namespace polydb::odbc {

namespace {

constexpr size_t kMaxTextUnits = 4000;   // longer: SQL_WLONGVARCHAR
constexpr size_t kMaxBinaryBytes = 8000;  // longer: SQL_LONGVARBINARY

bool as_text(const Dialect& d, TypeId id) { return d.param_style(id) == ParamStyle::text; }

// Bytes one row of `col` needs in a bound buffer.
size_t cell_width(const Column& col, const Dialect& d, size_t row) {
  const TypeId id = col.type().id;
  if (as_text(d, id)) return (kMaxTemporalText + 1) * sizeof(char16_t);
  switch (id) {
    case TypeId::boolean:
      return 1;
    case TypeId::int64:
    case TypeId::float64:
      return 8;
    case TypeId::date:
      return sizeof(SQL_DATE_STRUCT);
    case TypeId::timestamp:
    case TypeId::timestamp_tz:
      return sizeof(SQL_TIMESTAMP_STRUCT);
    case TypeId::decimal:
      return (col.is_null(row) ? 0 : col.var_at(row).size()) + 1;
    case TypeId::bytes:
      return std::max<size_t>(1, col.is_null(row) ? 0 : col.var_at(row).size());
    case TypeId::time:
    case TypeId::uuid:
      return (kMaxTemporalText + 1) * sizeof(char16_t);
    default:  // UTF-16 never needs more units than UTF-8 has bytes
      return ((col.is_null(row) ? 0 : col.var_at(row).size()) + 1) * sizeof(char16_t);
  }
}

std::string text_form(const Column& col, size_t row) {
  switch (col.type().id) {
    case TypeId::uuid:
      return format_uuid(*reinterpret_cast<const Uuid*>(col.fixed_at(row)));
    case TypeId::time:
      return format_time(Time{col.int64_at(row)});
    case TypeId::timestamp_tz:
      return format_timestamp_tz(TimestampTz{col.int64_at(row)});
    case TypeId::timestamp:
      return format_timestamp(Timestamp{col.int64_at(row)});
    case TypeId::date:
      return format_date(Date{col.int32_at(row)});
    default:
      return col.value_at(row).to_text();
  }
}

SQL_DATE_STRUCT date_struct(int32_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  SQL_DATE_STRUCT s{};
  s.year = static_cast<SQLSMALLINT>(y);
  s.month = static_cast<SQLUSMALLINT>(m);
  s.day = static_cast<SQLUSMALLINT>(d);
  return s;
}

SQL_TIMESTAMP_STRUCT timestamp_struct(int64_t micros) {
  constexpr int64_t kDay = 86'400'000'000;
  int64_t days = micros / kDay, rest = micros % kDay;
  if (rest < 0) rest += kDay, --days;
  const SQL_DATE_STRUCT d = date_struct(static_cast<int32_t>(days));
  SQL_TIMESTAMP_STRUCT s{};
  s.year = d.year;
  s.month = d.month;
  s.day = d.day;
  s.hour = static_cast<SQLUSMALLINT>(rest / 3'600'000'000);
  s.minute = static_cast<SQLUSMALLINT>(rest / 60'000'000 % 60);
  s.second = static_cast<SQLUSMALLINT>(rest / 1'000'000 % 60);
  s.fraction = static_cast<SQLUINTEGER>(rest % 1'000'000 * 1000);
  return s;
}

void check_year(int64_t micros, const Column& col, size_t row) {
  constexpr int64_t kYear1 = -62135596800000000, kYear10000 = 253402300800000000;
  if (micros < kYear1 || micros >= kYear10000)
    throw Error(ErrorCode::type_mismatch,
                fmt::format("{} is outside years 1-9999, which ODBC dates hold",
                            col.value_at(row).to_text()),
                "odbc");
}

struct Binding {
  SQLSMALLINT c_type = SQL_C_WCHAR;
  SQLSMALLINT sql_type = SQL_WVARCHAR;
  SQLULEN column_size = 1;
  SQLSMALLINT digits = 0;
};

// Where row k of a chunk goes in its column's buffer when each statement
// takes `per_set` rows: placeholder j of every set reads its own run of
// `sets` cells (column-wise binding steps by one cell per set).
size_t slot(size_t k, size_t per_set, size_t sets) { return k % per_set * sets + k / per_set; }

// Fills rows [first, first + count) of `col` into `data` (`width` bytes per
// cell) in slot order.
Binding fill(const Column& col, const Dialect& d, size_t first, size_t count, size_t per_set,
             size_t width, std::vector<char>& data, std::vector<SQLLEN>& ind_out) {
  Binding b;
  const TypeId id = col.type().id;
  const bool text = as_text(d, id) || id == TypeId::time || id == TypeId::uuid ||
                    id == TypeId::string || id == TypeId::json || id == TypeId::null;
  size_t max_len = 1, max_digits = 1, max_scale = 0;
  const size_t sets = count / per_set;
  for (size_t k = 0; k < count; ++k) {
    const size_t r = first + k;
    const size_t at = slot(k, per_set, sets);
    char* cell = data.data() + at * width;
    SQLLEN* ind = ind_out.data() + at;
    if (col.is_null(r)) {
      *ind = SQL_NULL_DATA;
      continue;
    }
    if (text) {
      // The cell has room for one unit per UTF-8 byte plus the terminator.
      const bool raw = id == TypeId::string || id == TypeId::json;
      const std::string formed = raw ? std::string() : text_form(col, r);
      const std::string_view src = raw ? col.var_at(r) : std::string_view(formed);
      auto* units = reinterpret_cast<char16_t*>(cell);
      const size_t n = write_utf16(src, units);
      units[n] = u'\0';
      *ind = static_cast<SQLLEN>(n * sizeof(char16_t));
      max_len = std::max(max_len, n);
      continue;
    }
    switch (id) {
      case TypeId::boolean:
        cell[0] = col.bool_at(r) ? 1 : 0;
        *ind = 1;
        break;
      case TypeId::int64: {
        const int64_t v = col.int64_at(r);
        std::memcpy(cell, &v, 8);
        *ind = 8;
        break;
      }
      case TypeId::float64: {
        const double v = col.float64_at(r);
        if (!std::isfinite(v) && !d.stores_non_finite())
          throw Error(ErrorCode::type_mismatch,
                      fmt::format("{} cannot store {} in a floating-point column (convert or "
                                  "filter such values first)",
                                  to_string(d.kind()), format_double(v)),
                      "odbc");
        std::memcpy(cell, &v, 8);
        *ind = 8;
        break;
      }
      case TypeId::date: {
        const int32_t days = col.int32_at(r);
        check_year(int64_t{days} * 86'400'000'000, col, r);
        const SQL_DATE_STRUCT s = date_struct(days);
        std::memcpy(cell, &s, sizeof s);
        *ind = sizeof s;
        break;
      }
      case TypeId::timestamp:
      case TypeId::timestamp_tz: {
        check_year(col.int64_at(r), col, r);
        const SQL_TIMESTAMP_STRUCT s = timestamp_struct(col.int64_at(r));
        std::memcpy(cell, &s, sizeof s);
        *ind = sizeof s;
        break;
      }
      case TypeId::decimal: {
        const std::string_view t = col.var_at(r);
        std::memcpy(cell, t.data(), t.size());
        cell[t.size()] = '\0';
        *ind = static_cast<SQLLEN>(t.size());
        const auto dot = t.find('.');
        const size_t scale = dot == std::string_view::npos ? 0 : t.size() - dot - 1;
        const size_t digits = t.size() - (t.starts_with('-') ? 1 : 0) - (scale ? 1 : 0);
        max_digits = std::max(max_digits, digits);
        max_scale = std::max(max_scale, scale);
        break;
      }
      case TypeId::bytes: {
        const std::string_view t = col.var_at(r);
        std::memcpy(cell, t.data(), t.size());
        *ind = static_cast<SQLLEN>(t.size());
        max_len = std::max(max_len, t.size());
        break;
      }
      default:
        break;
    }
  }
  if (text) {
    b.c_type = SQL_C_WCHAR;
    b.sql_type = max_len > kMaxTextUnits ? SQL_WLONGVARCHAR : SQL_WVARCHAR;
    b.column_size = max_len;
    return b;
  }
  switch (id) {
    case TypeId::boolean:
      return {SQL_C_BIT, SQL_BIT, 1, 0};
    case TypeId::int64:
      return {SQL_C_SBIGINT, SQL_BIGINT, 19, 0};
    case TypeId::float64:
      return {SQL_C_DOUBLE, SQL_DOUBLE, 15, 0};
    case TypeId::date:
      return {SQL_C_TYPE_DATE, SQL_TYPE_DATE, 10, 0};
    case TypeId::timestamp:
    case TypeId::timestamp_tz:
      return {SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 26, 6};
    case TypeId::decimal:
      max_digits = std::max(max_digits, max_scale);
      return {SQL_C_CHAR, SQL_NUMERIC, max_digits, static_cast<SQLSMALLINT>(max_scale)};
    case TypeId::bytes:
      return {SQL_C_BINARY, max_len > kMaxBinaryBytes ? SQLSMALLINT{SQL_LONGVARBINARY}
                                                      : SQLSMALLINT{SQL_VARBINARY},
              max_len, 0};
    default:
      return b;
  }
}

void check(SQLRETURN rc, SQLHSTMT stmt, std::string_view what) {
  if (!succeeded(rc)) throw make_error(collect_diagnostics(SQL_HANDLE_STMT, stmt), what);
}

}  // namespace

size_t ParamArrays::rows_that_fit(std::span<const Column* const> columns, const Dialect& dialect,
                                  size_t first, size_t available) {
  std::vector<size_t> widths(columns.size(), 0);
  size_t rows = 0;
  while (rows < available) {
    size_t row_bytes = 0;
    for (size_t c = 0; c < columns.size(); ++c)
      row_bytes += std::max(widths[c], cell_width(*columns[c], dialect, first + rows));
    if (rows > 0 && row_bytes * (rows + 1) > kMaxBytes) break;
    for (size_t c = 0; c < columns.size(); ++c)
      widths[c] = std::max(widths[c], cell_width(*columns[c], dialect, first + rows));
    ++rows;
  }
  return std::max<size_t>(rows, 1);
}

void ParamArrays::bind(SQLHSTMT stmt, std::span<const Column* const> columns,
                       const Dialect& dialect, size_t first, size_t count, size_t per_set) {
  const size_t sets = count / per_set;
  buffers_.resize(columns.size());
  status_.assign(sets, 0);
  processed_ = 0;
  SQLFreeStmt(stmt, SQL_RESET_PARAMS);
  check(SQLSetStmtAttr(stmt, SQL_ATTR_PARAM_BIND_TYPE,
                       reinterpret_cast<SQLPOINTER>(SQL_PARAM_BIND_BY_COLUMN), 0),
        stmt, "cannot bind parameters column-wise");
  check(SQLSetStmtAttr(stmt, SQL_ATTR_PARAMSET_SIZE, reinterpret_cast<SQLPOINTER>(sets), 0), stmt,
        "cannot set the parameter array size");
  check(SQLSetStmtAttr(stmt, SQL_ATTR_PARAM_STATUS_PTR, status_.data(), 0), stmt,
        "cannot set the parameter status array");
  check(SQLSetStmtAttr(stmt, SQL_ATTR_PARAMS_PROCESSED_PTR, &processed_, 0), stmt,
        "cannot set the processed-parameters counter");
  for (size_t c = 0; c < columns.size(); ++c) {
    size_t width = 1;
    for (size_t k = 0; k < count; ++k)
      width = std::max(width, cell_width(*columns[c], dialect, first + k));
    Buffer& buf = buffers_[c];
    buf.data.resize(width * count);
    buf.indicator.resize(count);
    const Binding b =
        fill(*columns[c], dialect, first, count, per_set, width, buf.data, buf.indicator);
    for (size_t j = 0; j < per_set; ++j) {
      const size_t param = j * columns.size() + c + 1;
      check(
          SQLBindParameter(stmt, static_cast<SQLUSMALLINT>(param), SQL_PARAM_INPUT, b.c_type,
                           b.sql_type, b.column_size, b.digits, buf.data.data() + j * sets * width,
                           static_cast<SQLLEN>(width), buf.indicator.data() + j * sets),
          stmt, fmt::format("cannot bind parameter {}", param));
    }
  }
}

void ValueParams::bind(SQLHSTMT stmt, std::span<const Value> values, const Dialect& dialect) {
  columns_.clear();
  for (const auto& v : values) {
    Column& c = columns_.emplace_back(Type(v.type_id()));
    c.append(v);
  }
  std::vector<const Column*> cols;
  for (const auto& c : columns_) cols.push_back(&c);
  arrays_.bind(stmt, cols, dialect, 0, 1);
}

}  // namespace polydb::odbc
