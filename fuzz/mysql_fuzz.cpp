// Fuzz target: MySQL/MariaDB value decoding (src/connectors/mysql/types.cpp):
// result-set metadata -> polydb type, information_schema rows -> type and
// DDL, MYSQL_TIME fields -> date/time/timestamp, BIT bytes, FLOAT widening,
// and a value's text form -> Value (what the reader does for text results)
// -> LOAD DATA text (what the writer sends).
// Properties: only polydb::Error escapes; a date/time/timestamp that reads
// converts back to the same fields; FLOAT widening keeps the float.

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/mysql/types.hpp"
#include "fuzz_check.hpp"
#include "polydb/value.hpp"

namespace {

namespace my = polydb::mysql;
using my::WireType;

constexpr WireType kWire[] = {
    WireType::decimal,  WireType::tiny,       WireType::smallint,    WireType::int32,
    WireType::float32,  WireType::float64,    WireType::null,        WireType::timestamp,
    WireType::longlong, WireType::int24,      WireType::date,        WireType::time,
    WireType::datetime, WireType::year,       WireType::newdate,     WireType::varchar,
    WireType::bit,      WireType::json,       WireType::newdecimal,  WireType::enumeration,
    WireType::set,      WireType::tiny_blob,  WireType::medium_blob, WireType::long_blob,
    WireType::blob,     WireType::var_string, WireType::string,      WireType::geometry};

constexpr const char* kDataTypes[] = {
    "tinyint",  "bool",      "smallint", "mediumint", "int",  "bigint", "bit",
    "float",    "double",    "decimal",  "numeric",   "json", "char",   "varchar",
    "text",     "longtext",  "binary",   "varbinary", "blob", "date",   "time",
    "datetime", "timestamp", "year",     "uuid",      "enum", "set",    "geometry"};

unsigned small_or_any(FuzzedDataProvider& in, unsigned max_small) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<unsigned>(0, max_small)
                          : in.ConsumeIntegral<unsigned>();
}

void check_dates(FuzzedDataProvider& in) {
  my::DateTimeParts p;
  p.year = small_or_any(in, 10000);
  p.month = small_or_any(in, 13);
  p.day = small_or_any(in, 32);
  p.hour = small_or_any(in, 840);
  p.minute = small_or_any(in, 60);
  p.second = small_or_any(in, 60);
  p.micros = in.ConsumeBool() ? in.ConsumeIntegralInRange<unsigned long>(0, 999'999)
                              : in.ConsumeIntegral<unsigned long>();
  p.negative = in.ConsumeBool();

  const bool clock_ok = p.hour < 24 && p.minute < 60 && p.second < 60 && p.micros < 1'000'000;
  const bool date_ok = p.year <= 9999 && !p.negative;
  if (const auto days = my::date_from_parts(p); days && date_ok) {
    const my::DateTimeParts back = my::parts_from_date(*days);
    FUZZ_CHECK(back.year == p.year && back.month == p.month && back.day == p.day);
  }
  if (const auto us = my::timestamp_from_parts(p); us && date_ok && clock_ok) {
    const my::DateTimeParts back = my::parts_from_timestamp(*us);
    FUZZ_CHECK(back.year == p.year && back.month == p.month && back.day == p.day &&
               back.hour == p.hour && back.minute == p.minute && back.second == p.second &&
               back.micros == p.micros);
  }
  if (const auto us = my::time_from_parts(p)) {
    FUZZ_CHECK(*us >= 0 && *us < int64_t{86'400'000'000});
    if (p.day == 0 && clock_ok) {
      const my::DateTimeParts back = my::parts_from_time(*us);
      FUZZ_CHECK(back.hour == p.hour && back.minute == p.minute && back.second == p.second &&
                 back.micros == p.micros);
    }
  }
  (void)my::storable_year(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  my::TypeOptions options;
  options.tinyint1_boolean = in.ConsumeBool();
  options.zero_date_null = in.ConsumeBool();

  my::FieldMeta field;
  field.type = in.PickValueInArray(kWire);
  field.flags = in.ConsumeIntegral<unsigned>();
  field.length = in.ConsumeIntegral<unsigned long>();
  field.decimals = small_or_any(in, 40);
  field.charsetnr = in.ConsumeBool() ? my::kBinaryCharset : in.ConsumeIntegral<uint8_t>();
  field.data_type_name = in.ConsumeBool() ? "uuid" : in.ConsumeRandomLengthString(16);
  field.format_name = in.ConsumeBool() ? "json" : in.ConsumeRandomLengthString(16);
  polydb::Type type;
  polydb::fuzz::rejects_or_runs([&] { type = my::type_from_field(field, options); });

  my::ColumnInfo column;
  column.name = "c";
  column.data_type =
      in.ConsumeBool() ? in.PickValueInArray(kDataTypes) : in.ConsumeRandomLengthString(24);
  column.column_type = in.ConsumeRandomLengthString(40);
  column.charset = in.ConsumeBool() ? "binary" : "utf8mb4";
  column.comment =
      in.ConsumeBool() ? std::string(my::kUuidComment) : std::string(my::kTimestampTzComment);
  column.json_check = in.ConsumeBool();
  polydb::fuzz::rejects_or_runs([&] {
    const polydb::Type t = my::type_from_column(column, options);
    (void)my::column_ddl(t, in.ConsumeBool(), "utf8mb4_nopad_bin");
    (void)my::column_ddl(type, false, "utf8mb4_nopad_bin");
  });
  polydb::fuzz::rejects_or_runs(
      [&] { (void)my::native_column_ddl(column.column_type, "utf8mb4_nopad_bin"); });

  check_dates(in);

  (void)my::bits_to_uint64(in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 8)));
  const float f = in.ConsumeFloatingPoint<float>();
  const double widened = my::float_to_double(f);
  if (std::isfinite(f)) FUZZ_CHECK(static_cast<float>(widened) == f);

  // The rest: a value's text form, read as the result column's type.
  const std::string text = in.ConsumeRemainingBytesAsString();
  polydb::fuzz::rejects_or_runs([&] {
    const polydb::Value v = polydb::parse_value(text, type);
    polydb::Column col(type);
    col.append(v);
    std::string out;
    my::append_load_data_cell(out, col, 0);
    my::append_escaped(out, text);
  });
  return 0;
}
