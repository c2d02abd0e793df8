#pragma once

// MySQL / MariaDB <-> polydb type mapping (documented in docs/mysql.md).
//
// Pure logic, no libmariadb, so that it is unit-tested without a server: the
// connector reduces information_schema rows to ColumnInfo and result-set
// metadata (MYSQL_FIELD) to FieldMeta, and converts MYSQL_TIME to DateTimeParts.
//
//   native (reading)                    polydb
//   TINYINT(1) / BOOL                   boolean (tinyint1-as-boolean=false: int64)
//   TINYINT..BIGINT, YEAR               int64
//   BIGINT UNSIGNED                     decimal(20,0): exact, never wraps around
//   BIT(n)                              int64 for n <= 63, bytes for n = 64
//   FLOAT, DOUBLE                       float64 (FLOAT through its shortest decimal form)
//   DECIMAL(p,s)                        decimal(p,s)
//   CHAR, VARCHAR, TEXT, ENUM, SET      string
//   BINARY, VARBINARY, BLOB, GEOMETRY   bytes
//   JSON (MariaDB: LONGTEXT + json_valid check)   json
//   UUID (MariaDB), CHAR(36) 'polydb:uuid'        uuid
//   DATE / TIME / DATETIME              date / time (0..24h only) / timestamp
//   TIMESTAMP, DATETIME 'polydb:timestamp_tz'     timestamp_tz (session time zone UTC)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "polydb/batch.hpp"
#include "polydb/type.hpp"

namespace polydb::mysql {

/// Reading choices taken from the connection URL.
struct TypeOptions {
  bool tinyint1_boolean = true;  ///< TINYINT(1) reads as boolean
  bool zero_date_null = false;   ///< zero dates ('0000-00-00') read as NULL instead of an error
};

/// Column comments that mark polydb types MySQL has no own type for.
inline constexpr std::string_view kUuidComment = "polydb:uuid";
inline constexpr std::string_view kTimestampTzComment = "polydb:timestamp_tz";

/// One column as information_schema.COLUMNS describes it.
struct ColumnInfo {
  std::string name;
  std::string data_type;    ///< DATA_TYPE, e.g. "bigint"
  std::string column_type;  ///< COLUMN_TYPE, e.g. "bigint(20) unsigned", "decimal(12,2)"
  std::string charset;      ///< CHARACTER_SET_NAME, "" for non-text columns
  std::string collation;    ///< COLLATION_NAME, "" for non-text columns
  std::string comment;      ///< COLUMN_COMMENT
  bool json_check = false;  ///< MariaDB JSON: a CHECK (json_valid(col)) constraint
  bool nullable = true;
};

/// The polydb type of a table column.
Type type_from_column(const ColumnInfo& column, const TypeOptions& options);

/// Protocol type codes of result-set columns (enum_field_types on the wire).
enum class WireType : int {
  decimal = 0,
  tiny = 1,
  smallint = 2,
  int32 = 3,
  float32 = 4,
  float64 = 5,
  null = 6,
  timestamp = 7,
  longlong = 8,
  int24 = 9,
  date = 10,
  time = 11,
  datetime = 12,
  year = 13,
  newdate = 14,
  varchar = 15,
  bit = 16,
  json = 245,
  newdecimal = 246,
  enumeration = 247,
  set = 248,
  tiny_blob = 249,
  medium_blob = 250,
  long_blob = 251,
  blob = 252,
  var_string = 253,
  string = 254,
  geometry = 255,
};

/// Column flags of the protocol that the mapping reads.
inline constexpr unsigned kUnsignedFlag = 32;
inline constexpr unsigned kEnumFlag = 256;
inline constexpr unsigned kSetFlag = 2048;
/// charsetnr of binary strings (BINARY, VARBINARY, BLOB).
inline constexpr unsigned kBinaryCharset = 63;

/// A result-set column (MYSQL_FIELD) reduced to what the mapping reads.
struct FieldMeta {
  WireType type = WireType::string;
  unsigned flags = 0;
  unsigned long length = 0;  ///< display length (digits for numbers)
  unsigned decimals = 0;
  unsigned charsetnr = 0;
  std::string data_type_name;  ///< MariaDB extended metadata, e.g. "uuid"
  std::string format_name;     ///< MariaDB extended metadata, e.g. "json"
};

/// The polydb type of a result-set column.
Type type_from_field(const FieldMeta& field, const TypeOptions& options);

/// How polydb declares a column of `type` in CREATE TABLE. `in_key`: the
/// column is part of the primary key (keys need a bounded length).
/// `text_collation` is the binary collation used for text, e.g.
/// "utf8mb4_nopad_bin". Throws Error(unsupported) for a decimal MySQL cannot
/// hold (more than 65 digits or 30 after the point).
struct ColumnDdl {
  std::string type;     ///< e.g. "DECIMAL(12,2)", "LONGTEXT CHARACTER SET ... COLLATE ..."
  std::string comment;  ///< "" or one of the k*Comment markers
};
ColumnDdl column_ddl(Type type, bool in_key, std::string_view text_collation);

/// The declaration of a MySQL column type as information_schema's COLUMN_TYPE
/// spells it ("int(11)", "varchar(32)", "decimal(12,2)", "bigint(20) unsigned")
/// when it is a built-in type that a new table may declare as is and that the
/// writer fills from the polydb type describe() reads it as; text types get
/// `text_collation`. std::nullopt for anything else (enum, set, bit, timestamp,
/// spatial types, ...): those columns get column_ddl().
std::optional<ColumnDdl> native_column_ddl(std::string_view column_type,
                                           std::string_view text_collation);

/// Date and time fields as MYSQL_TIME holds them.
struct DateTimeParts {
  unsigned year = 0, month = 0, day = 0;
  unsigned hour = 0, minute = 0, second = 0;
  unsigned long micros = 0;
  bool negative = false;
};

/// Days since 1970-01-01; std::nullopt for a zero date or one with a zero
/// month or day ('0000-00-00', '2024-00-10'), and for fields out of range
/// (a year past 9999, February 30th).
std::optional<int32_t> date_from_parts(const DateTimeParts& p);
/// Microseconds since 1970-01-01 00:00; std::nullopt as for date_from_parts
/// and for a clock out of range (hour past 23, ...).
std::optional<int64_t> timestamp_from_parts(const DateTimeParts& p);
/// Microseconds since midnight; std::nullopt outside 00:00:00..23:59:59.999999
/// (MySQL TIME is a duration of up to ±838 hours). `day` counts as 24 hours.
std::optional<int64_t> time_from_parts(const DateTimeParts& p);
/// The fields of a polydb date/time/timestamp, for binding parameters.
DateTimeParts parts_from_date(int32_t days);
DateTimeParts parts_from_time(int64_t micros);
DateTimeParts parts_from_timestamp(int64_t micros);
/// True when MySQL's DATE/DATETIME can hold the year of `p` (0..9999).
bool storable_year(const DateTimeParts& p) noexcept;

/// The value of a BIT column sent as big-endian bytes (at most 8).
uint64_t bits_to_uint64(std::string_view big_endian) noexcept;
/// A FLOAT widened through its shortest decimal form: 1.1f -> 1.1, as the
/// mariadb client shows it, not 1.100000023841858.
double float_to_double(float f) noexcept;

/// Appends `bytes` escaped for LOAD DATA ... FIELDS TERMINATED BY '\t'
/// ESCAPED BY '\\' LINES TERMINATED BY '\n' (backslash, tab, newline, NUL and
/// carriage return are escaped; every other byte goes as is).
void append_escaped(std::string& out, std::string_view bytes);

/// Appends row `row` of `col` in LOAD DATA text form (NULL as \N), for a
/// column whose polydb type is col.type(). Throws Error(type_mismatch) for
/// values MySQL cannot store: NaN and ±Infinity, years outside 0..9999.
void append_load_data_cell(std::string& out, const Column& col, size_t row);

}  // namespace polydb::mysql
