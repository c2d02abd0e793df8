#include "connectors/mysql/types.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "polydb/error.hpp"

namespace polydb::mysql {
namespace {

ColumnInfo col(std::string data_type, std::string column_type, std::string charset = "",
               std::string comment = "") {
  ColumnInfo c;
  c.name = "c";
  c.data_type = std::move(data_type);
  c.column_type = std::move(column_type);
  c.charset = std::move(charset);
  c.comment = std::move(comment);
  return c;
}

TEST(MysqlTypes, TableColumnsMapToPolydbTypes) {
  const TypeOptions o;
  EXPECT_EQ(type_from_column(col("tinyint", "tinyint(1)"), o), Type(TypeId::boolean));
  EXPECT_EQ(type_from_column(col("tinyint", "tinyint(4)"), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_column(col("tinyint", "tinyint(1) unsigned"), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_column(col("int", "int(10) unsigned"), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_column(col("bigint", "bigint(20)"), o), Type(TypeId::int64));
  // BIGINT UNSIGNED reaches 2^64-1: a decimal, never a wrapped-around int64.
  EXPECT_EQ(type_from_column(col("bigint", "bigint(20) unsigned"), o),
            Type(TypeId::decimal, 20, 0));
  EXPECT_EQ(type_from_column(col("year", "year(4)"), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_column(col("bit", "bit(5)"), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_column(col("bit", "bit(63)"), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_column(col("bit", "bit(64)"), o), Type(TypeId::bytes));
  EXPECT_EQ(type_from_column(col("float", "float"), o), Type(TypeId::float64));
  EXPECT_EQ(type_from_column(col("double", "double"), o), Type(TypeId::float64));
  EXPECT_EQ(type_from_column(col("decimal", "decimal(65,30)"), o), Type(TypeId::decimal, 65, 30));
  EXPECT_EQ(type_from_column(col("decimal", "decimal(12,2) unsigned"), o),
            Type(TypeId::decimal, 12, 2));
  EXPECT_EQ(type_from_column(col("varchar", "varchar(20)", "utf8mb4"), o), Type(TypeId::string));
  EXPECT_EQ(type_from_column(col("longtext", "longtext", "utf8mb4"), o), Type(TypeId::string));
  EXPECT_EQ(type_from_column(col("enum", "enum('a','b')", "utf8mb4"), o), Type(TypeId::string));
  EXPECT_EQ(type_from_column(col("set", "set('a','b')", "utf8mb4"), o), Type(TypeId::string));
  EXPECT_EQ(type_from_column(col("varbinary", "varbinary(16)"), o), Type(TypeId::bytes));
  EXPECT_EQ(type_from_column(col("longblob", "longblob"), o), Type(TypeId::bytes));
  EXPECT_EQ(type_from_column(col("geometry", "geometry"), o), Type(TypeId::bytes));
  EXPECT_EQ(type_from_column(col("date", "date"), o), Type(TypeId::date));
  EXPECT_EQ(type_from_column(col("time", "time(6)"), o), Type(TypeId::time));
  EXPECT_EQ(type_from_column(col("datetime", "datetime(6)"), o), Type(TypeId::timestamp));
  EXPECT_EQ(type_from_column(col("timestamp", "timestamp(6)"), o), Type(TypeId::timestamp_tz));
  EXPECT_EQ(type_from_column(col("json", "json"), o), Type(TypeId::json));
  EXPECT_EQ(type_from_column(col("uuid", "uuid"), o), Type(TypeId::uuid));
  EXPECT_EQ(type_from_column(col("inet6", "inet6"), o), Type(TypeId::string));
}

TEST(MysqlTypes, MarkersAndOptionsChangeTheMapping) {
  // MariaDB's JSON is LONGTEXT with a json_valid check.
  ColumnInfo j = col("longtext", "longtext", "utf8mb4");
  j.json_check = true;
  EXPECT_EQ(type_from_column(j, {}), Type(TypeId::json));
  EXPECT_EQ(type_from_column(col("char", "char(36)", "ascii", "polydb:uuid"), {}),
            Type(TypeId::uuid));
  EXPECT_EQ(type_from_column(col("char", "char(36)", "ascii"), {}), Type(TypeId::string));
  EXPECT_EQ(type_from_column(col("datetime", "datetime(6)", "", "polydb:timestamp_tz"), {}),
            Type(TypeId::timestamp_tz));
  TypeOptions ints;
  ints.tinyint1_boolean = false;
  EXPECT_EQ(type_from_column(col("tinyint", "tinyint(1)"), ints), Type(TypeId::int64));
}

TEST(MysqlTypes, ResultFieldsMapToPolydbTypes) {
  const TypeOptions o;
  const auto field = [](WireType t, unsigned flags = 0, unsigned long length = 0,
                        unsigned decimals = 0, unsigned charsetnr = 45) {
    FieldMeta f;
    f.type = t;
    f.flags = flags;
    f.length = length;
    f.decimals = decimals;
    f.charsetnr = charsetnr;
    return f;
  };
  EXPECT_EQ(type_from_field(field(WireType::tiny, 0, 1), o), Type(TypeId::boolean));
  EXPECT_EQ(type_from_field(field(WireType::tiny, 0, 4), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_field(field(WireType::longlong, 0, 20), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_field(field(WireType::longlong, kUnsignedFlag, 20), o),
            Type(TypeId::decimal, 20, 0));
  EXPECT_EQ(type_from_field(field(WireType::int32, kUnsignedFlag, 10), o), Type(TypeId::int64));
  // DECIMAL(12,2): 12 digits + point + sign.
  EXPECT_EQ(type_from_field(field(WireType::newdecimal, 0, 14, 2), o),
            Type(TypeId::decimal, 12, 2));
  EXPECT_EQ(type_from_field(field(WireType::newdecimal, kUnsignedFlag, 13, 2), o),
            Type(TypeId::decimal, 12, 2));
  EXPECT_EQ(type_from_field(field(WireType::newdecimal, 0, 21, 0), o),
            Type(TypeId::decimal, 20, 0));
  EXPECT_EQ(type_from_field(field(WireType::float32), o), Type(TypeId::float64));
  EXPECT_EQ(type_from_field(field(WireType::var_string, 0, 80, 0, 45), o), Type(TypeId::string));
  EXPECT_EQ(type_from_field(field(WireType::blob, 0, 0, 0, kBinaryCharset), o),
            Type(TypeId::bytes));
  EXPECT_EQ(type_from_field(field(WireType::string, kEnumFlag, 1, 0, 45), o), Type(TypeId::string));
  EXPECT_EQ(type_from_field(field(WireType::bit, 0, 5), o), Type(TypeId::int64));
  EXPECT_EQ(type_from_field(field(WireType::bit, 0, 64), o), Type(TypeId::bytes));
  EXPECT_EQ(type_from_field(field(WireType::timestamp), o), Type(TypeId::timestamp_tz));
  EXPECT_EQ(type_from_field(field(WireType::datetime), o), Type(TypeId::timestamp));
  EXPECT_EQ(type_from_field(field(WireType::newdate), o), Type(TypeId::date));
  EXPECT_EQ(type_from_field(field(WireType::json), o), Type(TypeId::json));
  EXPECT_EQ(type_from_field(field(WireType::null), o), Type(TypeId::null));
  FieldMeta json = field(WireType::blob, 0, 0, 0, 45);
  json.format_name = "json";
  EXPECT_EQ(type_from_field(json, o), Type(TypeId::json));
  FieldMeta uuid = field(WireType::string, 0, 36, 0, 45);
  uuid.data_type_name = "uuid";
  EXPECT_EQ(type_from_field(uuid, o), Type(TypeId::uuid));
}

TEST(MysqlTypes, CreatedColumnsReadBackAsTheirType) {
  const std::string_view coll = "utf8mb4_nopad_bin";
  // What information_schema reports for the DDL column_ddl() writes.
  struct Case {
    Type type;
    ColumnInfo as_described;
  };
  ColumnInfo json = col("longtext", "longtext", "utf8mb4");
  json.json_check = true;
  const Case cases[] = {
      {TypeId::boolean, col("tinyint", "tinyint(1)")},
      {TypeId::int64, col("bigint", "bigint(20)")},
      {TypeId::float64, col("double", "double")},
      {Type(TypeId::decimal, 12, 2), col("decimal", "decimal(12,2)")},
      {TypeId::string, col("longtext", "longtext", "utf8mb4")},
      {TypeId::bytes, col("longblob", "longblob")},
      {TypeId::date, col("date", "date")},
      {TypeId::time, col("time", "time(6)")},
      {TypeId::timestamp, col("datetime", "datetime(6)")},
      {TypeId::timestamp_tz, col("datetime", "datetime(6)", "", "polydb:timestamp_tz")},
      {TypeId::uuid, col("char", "char(36)", "ascii", "polydb:uuid")},
      {TypeId::json, json},
  };
  for (const auto& c : cases) {
    const ColumnDdl ddl = column_ddl(c.type, false, coll);
    EXPECT_EQ(ddl.comment, c.as_described.comment) << to_string(c.type);
    EXPECT_EQ(type_from_column(c.as_described, {}), c.type) << to_string(c.type) << " " << ddl.type;
  }
}

TEST(MysqlTypes, CreateTableTypes) {
  const std::string_view coll = "utf8mb4_nopad_bin";
  EXPECT_EQ(column_ddl(TypeId::string, false, coll).type,
            "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin");
  // Keys need a bounded length.
  EXPECT_EQ(column_ddl(TypeId::string, true, coll).type,
            "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin");
  EXPECT_EQ(column_ddl(TypeId::bytes, true, coll).type, "VARBINARY(255)");
  EXPECT_EQ(column_ddl(TypeId::decimal, false, coll).type, "DECIMAL(65,30)");
  EXPECT_EQ(column_ddl(Type(TypeId::decimal, 38, 10), false, coll).type, "DECIMAL(38,10)");
  EXPECT_EQ(column_ddl(TypeId::timestamp_tz, false, coll).type, "DATETIME(6)");
  EXPECT_EQ(column_ddl(TypeId::time, false, coll).type, "TIME(6)");
  try {
    column_ddl(Type(TypeId::decimal, 70, 2), false, coll);
    FAIL() << "DECIMAL holds at most 65 digits";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
  }
  EXPECT_THROW(column_ddl(Type(TypeId::decimal, 40, 35), false, coll), Error);
}

TEST(MysqlTypes, DatesAndTimesFromTheirParts) {
  DateTimeParts zero;
  EXPECT_FALSE(date_from_parts(zero));
  EXPECT_FALSE(timestamp_from_parts(zero));
  DateTimeParts p;
  p.year = 2024;
  p.month = 0;
  p.day = 10;
  EXPECT_FALSE(date_from_parts(p)) << "a zero month";
  p.month = 2;
  p.day = 30;
  EXPECT_FALSE(date_from_parts(p)) << "no February 30th";
  p.day = 29;
  EXPECT_EQ(date_from_parts(p), days_from_civil(2024, 2, 29));
  p.year = 1;
  p.month = 1;
  p.day = 1;
  EXPECT_EQ(date_from_parts(p), -719162);
  p.year = 1969;
  p.month = 12;
  p.day = 31;
  p.hour = 23;
  p.minute = 59;
  p.second = 59;
  p.micros = 999999;
  EXPECT_EQ(timestamp_from_parts(p), -1);

  DateTimeParts t;
  t.hour = 23;
  t.minute = 59;
  t.second = 59;
  t.micros = 999999;
  EXPECT_EQ(time_from_parts(t), 86399999999);
  t.hour = 24;
  t.minute = t.second = 0;
  t.micros = 0;
  EXPECT_FALSE(time_from_parts(t)) << "24:00:00 is a duration, not a time of day";
  t.hour = 0;
  t.day = 1;
  EXPECT_FALSE(time_from_parts(t));
  DateTimeParts neg;
  neg.negative = true;
  neg.hour = 1;
  EXPECT_FALSE(time_from_parts(neg));
  neg.hour = 0;
  EXPECT_EQ(time_from_parts(neg), 0) << "-00:00:00 is midnight";
}

// Found by fuzz/mysql_fuzz: fields no server sends overflowed int64 (UBSan)
// or came back as a negative time of day before the fix.
TEST(MysqlTypes, PartsOutOfRangeAreNotDates) {
  DateTimeParts t;
  t.day = 238'810'908;  // a MYSQL_TIME of 5,731,461,792 hours
  EXPECT_FALSE(time_from_parts(t));
  t.day = 0;
  t.micros = ~0UL;  // wrapped to -1 microseconds before the fix
  EXPECT_FALSE(time_from_parts(t));
  t.micros = 0;
  t.hour = 4'000'000'000u;
  EXPECT_FALSE(time_from_parts(t));

  DateTimeParts p;
  p.year = 2024;
  p.month = 1;
  p.day = 31;
  p.hour = 4'000'000'000u;
  EXPECT_FALSE(timestamp_from_parts(p));
  p.hour = 0;
  p.second = 60;
  EXPECT_FALSE(timestamp_from_parts(p));
  p.second = 0;
  p.year = 4'000'000'000u;
  EXPECT_FALSE(date_from_parts(p));
  EXPECT_FALSE(timestamp_from_parts(p));
  p.year = 9999;
  p.month = 12;
  EXPECT_EQ(date_from_parts(p), days_from_civil(9999, 12, 31));
}

TEST(MysqlTypes, PartsRoundTrip) {
  for (int64_t us : {int64_t{0}, int64_t{-1}, int64_t{1704067200123456},
                     int64_t{-62135596800000000}, int64_t{253402300799999999}}) {
    const DateTimeParts p = parts_from_timestamp(us);
    EXPECT_EQ(timestamp_from_parts(p), us) << us;
  }
  EXPECT_EQ(time_from_parts(parts_from_time(45296789012)), 45296789012);
  EXPECT_TRUE(storable_year(parts_from_date(2932896)));   // 9999-12-31
  EXPECT_FALSE(storable_year(parts_from_date(2932897)));  // 10000-01-01
  EXPECT_FALSE(storable_year(parts_from_date(-719529)));  // year -1
}

TEST(MysqlTypes, BitsAndFloats) {
  EXPECT_EQ(bits_to_uint64(std::string("\x01\x02", 2)), 258u);
  EXPECT_EQ(bits_to_uint64(std::string(8, '\xff')), UINT64_MAX);
  EXPECT_EQ(bits_to_uint64(""), 0u);
  EXPECT_EQ(float_to_double(1.1f), 1.1);
  EXPECT_EQ(float_to_double(0.5f), 0.5);
  EXPECT_TRUE(std::isinf(float_to_double(std::numeric_limits<float>::infinity())));
}

TEST(MysqlTypes, LoadDataEscaping) {
  std::string out;
  append_escaped(out, std::string("a\tb\nc\\d\0e\rf", 11));
  EXPECT_EQ(out, std::string("a\\tb\\nc\\\\d\\0e\\rf"));
  out.clear();
  append_escaped(out, "\\N");
  EXPECT_EQ(out, "\\\\N") << "a text \\N must not read back as NULL";
}

TEST(MysqlTypes, LoadDataCells) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {
      {"b", TypeId::boolean}, {"i", TypeId::int64},  {"f", TypeId::float64},
      {"d", TypeId::date},    {"t", TypeId::time},   {"ts", TypeId::timestamp},
      {"u", TypeId::uuid},    {"s", TypeId::string}, {"x", Type(TypeId::decimal, 5, 2)}};
  Batch batch(schema);
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(i);
  batch.append_row(std::vector<Value>{true, int64_t{-42}, 0.1, Date{-719162}, Time{45296789012},
                                      Timestamp{-1}, u, "x\ty", Decimal{"-1.50"}});
  batch.append_row(std::vector<Value>(9));
  const char* want[] = {"1",
                        "-42",
                        "0.1",
                        "0001-01-01",
                        "12:34:56.789012",
                        "1969-12-31 23:59:59.999999",
                        "00010203-0405-0607-0809-0a0b0c0d0e0f",
                        "x\\ty",
                        "-1.50"};
  for (size_t c = 0; c < 9; ++c) {
    std::string out;
    append_load_data_cell(out, batch.column(c), 0);
    EXPECT_EQ(out, want[c]) << schema->fields[c].name;
    out.clear();
    append_load_data_cell(out, batch.column(c), 1);
    EXPECT_EQ(out, "\\N");
  }
}

TEST(MysqlTypes, ValuesMysqlCannotStoreAreRefused) {
  for (double d :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    Column c(TypeId::float64);
    c.append_float64(d);
    std::string out;
    try {
      append_load_data_cell(out, c, 0);
      FAIL() << d;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
    }
  }
  Column date(TypeId::date);
  date.append_int32_raw(2932897);  // 10000-01-01
  std::string out;
  EXPECT_THROW(append_load_data_cell(out, date, 0), Error);
}

}  // namespace
}  // namespace polydb::mysql
