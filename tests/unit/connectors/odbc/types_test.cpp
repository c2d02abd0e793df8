#include "connectors/odbc/types.hpp"

#include <sql.h>
#include <sqlext.h>

#include <gtest/gtest.h>

#include "connectors/odbc/text.hpp"
#include "polydb/error.hpp"

namespace polydb::odbc {
namespace {

ColumnMeta col(short sql_type, std::string type_name, int64_t size = 0, short digits = 0) {
  ColumnMeta c;
  c.sql_type = sql_type;
  c.type_name = std::move(type_name);
  c.column_size = size;
  c.decimal_digits = digits;
  return c;
}

TEST(OdbcTypesTest, SqlServerTypes) {
  const auto k = DbmsKind::sqlserver;
  EXPECT_EQ(type_from_column(col(SQL_DECIMAL, "money", 19, 4), k), Type(TypeId::decimal, 19, 4));
  EXPECT_EQ(type_from_column(col(SQL_DECIMAL, "decimal", 12, 2), k), Type(TypeId::decimal, 12, 2));
  EXPECT_EQ(type_from_column(col(SQL_TYPE_TIMESTAMP, "datetime2", 27, 7), k).id, TypeId::timestamp);
  EXPECT_EQ(type_from_column(col(kSqlSsTimestampOffset, "datetimeoffset", 34, 7), k).id,
            TypeId::timestamp_tz);
  EXPECT_EQ(type_from_column(col(SQL_GUID, "uniqueidentifier", 36), k).id, TypeId::uuid);
  EXPECT_EQ(type_from_column(col(SQL_WVARCHAR, "nvarchar", 0), k).id, TypeId::string);
  EXPECT_EQ(type_from_column(col(SQL_VARBINARY, "varbinary", 0), k).id, TypeId::bytes);
  EXPECT_EQ(type_from_column(col(SQL_BINARY, "timestamp", 8), k).id, TypeId::bytes);  // rowversion
  EXPECT_EQ(type_from_column(col(SQL_BIT, "bit", 1), k).id, TypeId::boolean);
  EXPECT_EQ(type_from_column(col(kSqlSsTime2, "time", 16, 7), k).id, TypeId::time);
  EXPECT_EQ(type_from_column(col(kSqlSsXml, "xml"), k).id, TypeId::string);
  EXPECT_EQ(native_type_text(col(SQL_WVARCHAR, "nvarchar", 0)), "nvarchar(max)");
  EXPECT_EQ(native_type_text(col(SQL_WVARCHAR, "nvarchar", 50)), "nvarchar(50)");
  EXPECT_EQ(native_type_text(col(SQL_DECIMAL, "decimal", 12, 2)), "decimal(12,2)");
}

TEST(OdbcTypesTest, StandardTypesAndNames) {
  const auto k = DbmsKind::ansi;
  EXPECT_EQ(type_from_column(col(SQL_INTEGER, "int4"), k).id, TypeId::int64);
  EXPECT_EQ(type_from_column(col(SQL_REAL, "float4"), k).id, TypeId::float64);
  EXPECT_EQ(type_from_column(col(SQL_LONGVARCHAR, "jsonb"), k).id, TypeId::json);
  EXPECT_EQ(type_from_column(col(SQL_TYPE_TIMESTAMP, "timestamptz"), k).id, TypeId::timestamp_tz);
  EXPECT_EQ(type_from_column(col(SQL_TYPE_DATE, "date"), k).id, TypeId::date);
  EXPECT_EQ(type_from_column(col(SQL_NUMERIC, "numeric", 0, 0), k), Type(TypeId::decimal));
  EXPECT_EQ(type_from_column(col(SQL_VARCHAR, "interval"), k).id, TypeId::string);
}

TEST(OdbcTypesTest, MysqlMarkersMatchTheNativeConnector) {
  auto c = col(SQL_CHAR, "char", 36);
  c.remarks = "polydb:uuid";
  EXPECT_EQ(type_from_column(c, DbmsKind::mysql).id, TypeId::uuid);
  c = col(SQL_TYPE_TIMESTAMP, "datetime", 26);
  c.remarks = "polydb:timestamp_tz";
  EXPECT_EQ(type_from_column(c, DbmsKind::mysql).id, TypeId::timestamp_tz);
  c = col(SQL_WLONGVARCHAR, "longtext");
  c.json_check = true;
  EXPECT_EQ(type_from_column(c, DbmsKind::mysql).id, TypeId::json);
  c = col(SQL_TINYINT, "tinyint", 3);
  c.full_type = "tinyint(1)";
  EXPECT_EQ(type_from_column(c, DbmsKind::mysql).id, TypeId::boolean);
}

TEST(OdbcTypesTest, UnboundedColumnsAreReadInChunks) {
  EXPECT_TRUE(fetch_plan(TypeId::string, col(SQL_WVARCHAR, "nvarchar", 0)).long_data);
  EXPECT_TRUE(fetch_plan(TypeId::string, col(SQL_WLONGVARCHAR, "ntext", 100)).long_data);
  EXPECT_TRUE(fetch_plan(TypeId::bytes, col(SQL_VARBINARY, "varbinary", 0)).long_data);
  const FetchPlan small = fetch_plan(TypeId::string, col(SQL_WVARCHAR, "nvarchar", 50));
  EXPECT_FALSE(small.long_data);
  EXPECT_EQ(small.width, (50u * 2 + 1) * 2);
  EXPECT_EQ(fetch_plan(TypeId::timestamp_tz, col(kSqlSsTimestampOffset, "datetimeoffset")).kind,
            FetchKind::ascii);
  EXPECT_EQ(fetch_plan(TypeId::timestamp_tz, col(SQL_TYPE_TIMESTAMP, "timestamptz")).kind,
            FetchKind::timestamp);
}

TEST(OdbcTypesTest, VarcharAndTextReadAsRawUtf8WhereTheDriverAllows) {
  const ColumnMeta vc = col(SQL_WVARCHAR, "varchar", 40);
  const FetchPlan wide = fetch_plan(TypeId::string, vc);
  const FetchPlan raw = raw_utf8_plan(wide, TypeId::string, vc);
  EXPECT_EQ(raw.kind, FetchKind::utf8);
  EXPECT_EQ(raw.c_type, SQL_C_BINARY);
  EXPECT_EQ(raw.width, 40u * 4);  // UTF-8: up to 4 bytes a character, no terminator
  const ColumnMeta text = col(SQL_WLONGVARCHAR, "text");
  const FetchPlan long_raw = raw_utf8_plan(fetch_plan(TypeId::string, text), TypeId::string, text);
  EXPECT_EQ(long_raw.kind, FetchKind::utf8);
  EXPECT_TRUE(long_raw.long_data);
  // psqlODBC hands out other types' bytes differently (bpchar, json, name) or not at all.
  for (const char* name : {"char", "json", "jsonb", "name"}) {
    const ColumnMeta c = col(SQL_WVARCHAR, name, 10);
    EXPECT_EQ(raw_utf8_plan(fetch_plan(TypeId::string, c), TypeId::string, c).kind,
              FetchKind::wtext)
        << name;
  }
  EXPECT_EQ(raw_utf8_plan(fetch_plan(TypeId::json, vc), TypeId::json, vc).kind, FetchKind::wtext);
}

TEST(OdbcTypesTest, TextValuesAreNormalised) {
  EXPECT_EQ(value_from_text(".5000", Type(TypeId::decimal, 10, 4)), Value(Decimal{"0.5000"}));
  EXPECT_EQ(value_from_text("-.5", TypeId::decimal), Value(Decimal{"-0.5"}));
  EXPECT_EQ(value_from_text("1234.5600", Type(TypeId::decimal, 19, 4)), Value(Decimal{"1234.5600"}));
  EXPECT_EQ(value_from_text("23:59:59.9999999", TypeId::time), Value(Time{86399999999}));
  EXPECT_EQ(value_from_text("2024-01-01 02:00:00.1234567 +02:00", TypeId::timestamp_tz),
            Value(TimestampTz{1704067200123456}));
  EXPECT_EQ(value_from_text("6F9619FF-8B86-D011-B42D-00C04FC964FF", TypeId::uuid),
            parse_value("6f9619ff-8b86-d011-b42d-00c04fc964ff", TypeId::uuid));
  EXPECT_THROW(value_from_text("12abc", TypeId::decimal), Error);
}

TEST(OdbcTextTest, Utf16RoundTripsEveryPlane) {
  const std::string s = "héllo 世界 🎉";
  const std::u16string w = to_utf16(s);
  EXPECT_EQ(w.size(), 11u);  // the emoji is a surrogate pair
  EXPECT_EQ(to_utf8(w), s);
  EXPECT_EQ(to_utf8(std::u16string(1, char16_t{0xD800})), "\xEF\xBF\xBD");
  // ASCII runs before, between and after other characters.
  for (const std::string t : {"abc", "", "é", "aé", "éa", "ab世cd🎉ef", "🎉"})
    EXPECT_EQ(to_utf8(to_utf16(t)), t);
}

}  // namespace
}  // namespace polydb::odbc
