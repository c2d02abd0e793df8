#include "connectors/sqlite/types.hpp"

#include <gtest/gtest.h>

namespace polydb::sqlite {
namespace {

TEST(SqliteTypes, DeclaredNamesMapToPolydbTypes) {
  EXPECT_EQ(type_from_declared("INTEGER"), Type(TypeId::int64));
  EXPECT_EQ(type_from_declared("bigint"), Type(TypeId::int64));
  EXPECT_EQ(type_from_declared("VARCHAR(20)"), Type(TypeId::string));
  EXPECT_EQ(type_from_declared(""), Type(TypeId::string));
  EXPECT_EQ(type_from_declared("BLOB"), Type(TypeId::bytes));
  EXPECT_EQ(type_from_declared("DOUBLE PRECISION"), Type(TypeId::float64));
  EXPECT_EQ(type_from_declared("boolean"), Type(TypeId::boolean));
  EXPECT_EQ(type_from_declared("DECIMAL(12, 2)"), Type(TypeId::decimal, 12, 2));
  EXPECT_EQ(type_from_declared("NUMERIC"), Type(TypeId::decimal));
  EXPECT_EQ(type_from_declared("DECIMAL_TEXT(38,10)"), Type(TypeId::decimal, 38, 10));
  EXPECT_EQ(type_from_declared("DATETIME"), Type(TypeId::timestamp));
  EXPECT_EQ(type_from_declared("TIMESTAMP WITH TIME ZONE"), Type(TypeId::timestamp_tz));
  EXPECT_EQ(type_from_declared("TIMESTAMPTZ"), Type(TypeId::timestamp_tz));
  EXPECT_EQ(type_from_declared("DATE"), Type(TypeId::date));
  EXPECT_EQ(type_from_declared("TIME"), Type(TypeId::time));
  EXPECT_EQ(type_from_declared("UUID"), Type(TypeId::uuid));
  EXPECT_EQ(type_from_declared("JSON_TEXT"), Type(TypeId::json));
  EXPECT_EQ(type_from_declared("jsonb"), Type(TypeId::json));
}

TEST(SqliteTypes, EveryTypeRoundTripsThroughItsDeclaredName) {
  for (Type t : {Type(TypeId::boolean), Type(TypeId::int64), Type(TypeId::float64),
                 Type(TypeId::decimal, 10, 2), Type(TypeId::string), Type(TypeId::bytes),
                 Type(TypeId::date), Type(TypeId::time), Type(TypeId::timestamp),
                 Type(TypeId::timestamp_tz), Type(TypeId::uuid), Type(TypeId::json)})
    EXPECT_EQ(type_from_declared(declared_type(t)), t) << to_string(t);
}

TEST(SqliteTypes, ExactTypesUseTextAffinity) {
  // SQLite's NUMERIC affinity would turn "1.50" into REAL 1.5: decimals and
  // JSON must be declared with a name whose affinity is TEXT.
  for (Type t : {Type(TypeId::decimal, 10, 2), Type(TypeId::json)})
    EXPECT_NE(declared_type(t).find("TEXT"), std::string::npos) << to_string(t);
}

}  // namespace
}  // namespace polydb::sqlite
