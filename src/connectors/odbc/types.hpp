#pragma once

// ODBC column metadata -> polydb types, and how each polydb type is fetched
// (which C type, how big a bound buffer, or SQLGetData in chunks).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/odbc/dialect.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::odbc {

/// What SQLColumns / SQLDescribeCol report about a column, plus the extra
/// details some DBMSs need to tell polydb types apart.
struct ColumnMeta {
  std::string name;
  short sql_type = 0;     ///< SQL_* data type (SQL Server adds its own negative codes)
  std::string type_name;  ///< native type name, lowercase ("nvarchar", "jsonb")
  int64_t column_size = 0;
  short decimal_digits = 0;
  bool nullable = true;
  std::string remarks;    ///< the column comment (MySQL marks uuid / timestamp_tz there)
  std::string full_type;  ///< MySQL COLUMN_TYPE ("tinyint(1)"); "" elsewhere
  bool json_check = false;  ///< MariaDB: LONGTEXT with CHECK (json_valid(col))
};

/// SQL Server's own type codes (msodbcsql's sqlncli.h values).
inline constexpr short kSqlSsTime2 = -154;
inline constexpr short kSqlSsTimestampOffset = -155;
inline constexpr short kSqlSsXml = -152;
inline constexpr short kSqlSsVariant = -150;

/// The polydb type of a column: by native type name where it says more than
/// the SQL type (jsonb, timestamptz, datetimeoffset, uniqueidentifier, money,
/// MySQL marker comments), else by the standard SQL_* type.
Type type_from_column(const ColumnMeta& c, DbmsKind kind);

/// The native type as DDL would spell it ("nvarchar(50)", "decimal(12,2)").
std::string native_type_text(const ColumnMeta& c);

/// How a column is read from a result.
enum class FetchKind {
  bit,        ///< SQL_C_BIT
  int64,      ///< SQL_C_SBIGINT
  float64,    ///< SQL_C_DOUBLE
  ascii,      ///< SQL_C_CHAR text: decimals, times, UUIDs, datetimeoffset
  wtext,      ///< SQL_C_WCHAR (UTF-16) text: strings, json
  utf8,       ///< SQL_C_BINARY of a text column: its UTF-8 bytes (see raw_utf8_plan)
  binary,     ///< SQL_C_BINARY
  date,       ///< SQL_C_TYPE_DATE
  timestamp,  ///< SQL_C_TYPE_TIMESTAMP (timestamp_tz: the session runs in UTC)
};

struct FetchPlan {
  FetchKind kind = FetchKind::wtext;
  short c_type = 0;
  size_t width = 0;        ///< bytes per cell of a bound buffer (a LOB's: a first guess)
  bool long_data = false;  ///< unbounded (LOB): may not fit any bound buffer
};

/// The fetch plan for a value of `type` from a result column described by `c`.
FetchPlan fetch_plan(Type type, const ColumnMeta& c);

/// `plan` (wtext) turned into a utf8 plan for a string column whose driver
/// hands out the server's UTF-8 bytes as SQL_C_BINARY; `plan` unchanged for
/// other columns (psqlODBC does so for varchar and text only).
FetchPlan raw_utf8_plan(const FetchPlan& plan, Type type, const ColumnMeta& c);

/// The polydb value of an ASCII cell of `type` (decimal, time, timestamp_tz,
/// uuid text): normalised (".5" -> "0.5", 7 fraction digits -> 6, "+02:00"
/// offsets). Throws Error(corruption) for text that does not parse.
Value value_from_text(std::string_view text, Type type);

/// Canonical decimal text: leading zero restored, '+' dropped.
std::string normalize_decimal(std::string_view text);

}  // namespace polydb::odbc
