// Cosmos DB JSON values <-> polydb types, both directions, and inference.

#include "connectors/cosmos/types.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "polydb/error.hpp"

namespace polydb::cosmos {
namespace {

std::string write(const Value& v) { return value_to_json(v).value_or(Json()).dump(); }

TEST(CosmosTypes, WritesNumbersExactlyOrAsStrings) {
  EXPECT_EQ(write(int64_t{42}), "42");
  EXPECT_EQ(write(int64_t{9007199254740992}), "9007199254740992");
  EXPECT_EQ(write(std::numeric_limits<int64_t>::max()), "\"9223372036854775807\"");
  EXPECT_EQ(write(1.5), "1.5");
  EXPECT_EQ(write(Decimal{"499.60"}), "499.6");
  EXPECT_EQ(write(Decimal{"12"}), "12");
  EXPECT_EQ(write(Decimal{"1234567890123456789012345678.0123456789"}),
            "\"1234567890123456789012345678.0123456789\"");
  EXPECT_EQ(write(Decimal{"0.1"}), "0.1");
  EXPECT_THROW(write(std::numeric_limits<double>::quiet_NaN()), Error);
  EXPECT_THROW(write(std::numeric_limits<double>::infinity()), Error);
}

TEST(CosmosTypes, WritesTextFormsAndNestedJson) {
  EXPECT_FALSE(value_to_json(Value()).has_value());
  EXPECT_EQ(write(Bytes{std::string("\0\1\xff", 3)}), R"("\\x0001ff")");
  EXPECT_EQ(write(Timestamp{1704067200123456}), R"("2024-01-01T00:00:00.123456")");
  EXPECT_EQ(write(Date{19723}), R"("2024-01-01")");
  EXPECT_EQ(write(polydb::Json{R"({"a":[1,{"b":null}]})"}), R"({"a":[1,{"b":null}]})");
  EXPECT_EQ(write(true), "true");
}

TEST(CosmosTypes, ReadsNaturalTypes) {
  EXPECT_EQ(json_to_value(Json(5)), Value(int64_t{5}));
  EXPECT_EQ(json_to_value(Json::parse("2.0")), Value(int64_t{2}));
  EXPECT_EQ(json_to_value(Json(2.5)), Value(2.5));
  EXPECT_EQ(json_to_value(Json("s")), Value("s"));
  EXPECT_EQ(json_to_value(Json::parse(R"({"a":1})")), Value(polydb::Json{R"({"a":1})"}));
  EXPECT_TRUE(json_to_value(Json()).is_null());
}

Value read_as(const Json& j, Type t) {
  Column c(t);
  append_json(c, &j);
  return c.value_at(0);
}

TEST(CosmosTypes, AppendsIntoTypedColumnsWithoutLoss) {
  EXPECT_EQ(read_as(Json("9223372036854775807"), TypeId::int64),
            Value(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(read_as(Json(7), TypeId::string), Value("7"));
  EXPECT_EQ(read_as(Json(1e-10), Type(TypeId::decimal, 38, 10)), Value(Decimal{"0.0000000001"}));
  EXPECT_EQ(read_as(Json::parse("[1,2]"), TypeId::json), Value(polydb::Json{"[1,2]"}));
  EXPECT_EQ(read_as(Json(R"(\x0102)"), TypeId::bytes), Value(Bytes{"\1\2"}));
  EXPECT_THROW(read_as(Json(2.5), TypeId::int64), Error);
  EXPECT_THROW(read_as(Json("abc"), TypeId::int64), Error);
}

TEST(CosmosTypes, InfersTypesFromASample) {
  Json a = {{"id", "1"}, {"n", 1},   {"f", 1.5},        {"s", "x"},
            {"d", "2024-01-31"},     {"big", "9223372036854775807"},  {"o", {{"k", 1}}},
            {"b", true},             {"_rid", "r"},     {"_etag", "e"}};
  Json b = {{"id", "2"}, {"n", 2},   {"f", 2},          {"s", "y"},
            {"d", "2024-02-01"},     {"big", 3},        {"o", Json::array()}, {"b", nullptr}};
  const Schema s = infer_schema({&a, &b}, {"id"});
  auto type = [&](const char* n) { return s.field(n).type.id; };
  EXPECT_EQ(s.fields[0].name, "id");
  EXPECT_EQ(type("id"), TypeId::int64);
  EXPECT_EQ(type("n"), TypeId::int64);
  EXPECT_EQ(type("f"), TypeId::float64);
  EXPECT_EQ(type("s"), TypeId::string);
  EXPECT_EQ(type("d"), TypeId::date);
  EXPECT_EQ(type("big"), TypeId::int64);
  EXPECT_EQ(s.field("big").native_type, "inferred:string|number");
  EXPECT_EQ(type("o"), TypeId::json);
  EXPECT_EQ(type("b"), TypeId::boolean);
  EXPECT_FALSE(s.index_of("_rid")) << "system properties are hidden";
  EXPECT_FALSE(s.index_of("_etag"));
  EXPECT_EQ(s.primary_key, std::vector<std::string>{"id"});
  const Schema with = infer_schema({&a}, {"pk"}, {"_etag"});
  EXPECT_TRUE(with.index_of("_etag"));
  EXPECT_EQ(with.primary_key, (std::vector<std::string>{"pk", "id"}));
}

}  // namespace
}  // namespace polydb::cosmos
