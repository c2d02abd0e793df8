#include "connectors/dynamodb/types.hpp"
#include "core/encoding.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "polydb/error.hpp"

namespace polydb::dynamodb {
namespace {

Json av(std::string_view text) { return Json::parse(text); }

TEST(DynamoTypes, NumbersReadExactly) {
  EXPECT_EQ(av_to_value(av(R"({"N":"42"})")), Value(int64_t{42}));
  EXPECT_EQ(av_to_value(av(R"({"N":"-9223372036854775808"})")),
            Value(std::numeric_limits<int64_t>::min()));
  // One past int64: a decimal, never a rounded double.
  EXPECT_EQ(av_to_value(av(R"({"N":"9223372036854775808"})")),
            Value(Decimal{"9223372036854775808"}));
  EXPECT_EQ(av_to_value(av(R"({"N":"12345678901234567890123456789012345678"})")),
            Value(Decimal{"12345678901234567890123456789012345678"}));
  EXPECT_EQ(av_to_value(av(R"({"N":"0.1"})")), Value(Decimal{"0.1"}));
  EXPECT_EQ(av_to_value(av(R"({"N":"1E+3"})")), Value(int64_t{1000}));
  EXPECT_EQ(av_to_value(av(R"({"N":"-1e-10"})")), Value(Decimal{"-0.0000000001"}));
}

TEST(DynamoTypes, OtherAttributeTypes) {
  EXPECT_EQ(av_to_value(av(R"({"S":"x"})")), Value("x"));
  EXPECT_EQ(av_to_value(av(R"({"B":"AAEC"})")), Value(Bytes{std::string("\0\1\2", 3)}));
  EXPECT_EQ(av_to_value(av(R"({"BOOL":true})")), Value(true));
  EXPECT_TRUE(av_to_value(av(R"({"NULL":true})")).is_null());
  EXPECT_EQ(av_to_value(av(R"({"M":{"a":{"L":[{"N":"1"},{"S":"b"},{"NULL":true}]}}})")),
            Value(polydb::Json{R"({"a":[1,"b",null]})"}));
  EXPECT_EQ(av_to_value(av(R"({"SS":["a","b"]})")), Value(polydb::Json{R"(["a","b"])"}));
  EXPECT_EQ(av_to_value(av(R"({"NS":["1","2.5"]})")), Value(polydb::Json{"[1,2.5]"}));
  EXPECT_EQ(av_to_value(av(R"({"BS":["AA=="]})")), Value(polydb::Json{R"(["AA=="])"}));
}

// Found by fuzz/dynamodb_fuzz: an attribute value of the wrong JSON type
// threw nlohmann::json::type_error ("type must be string, but is number"),
// which the CLI reports as an internal error, before the fix.
TEST(DynamoTypes, MalformedAttributeValuesAreCorruption) {
  for (const char* text :
       {R"({"S":5})", R"({"N":true})", R"({"B":null})", R"({"BOOL":"yes"})", R"({"NULL":1})",
        R"({"M":[]})", R"({"L":{}})", R"({"SS":["a",1]})", R"({"NS":"1"})", R"({})",
        R"({"M":{"a":{"S":["x"]}}})", R"({"L":[{"N":{}}]})",
        // From fuzz/dynamodb_fuzz: the JSON form carried these as is ("[.,2.5]").
        R"({"NS":[".","2.5"]})", R"({"L":[{"N":"1x"}]})"}) {
    SCOPED_TRACE(text);
    const Json a = av(text);
    try {
      (void)av_to_value(a);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::corruption);
    }
    EXPECT_THROW((void)av_to_json_text(a), Error);
    Column col(TypeId::json);
    EXPECT_THROW(append_av(col, &a), Error);
  }
}

TEST(DynamoTypes, WritingValues) {
  EXPECT_EQ(value_to_av(Value(int64_t{-7})), av(R"({"N":"-7"})"));
  EXPECT_EQ(value_to_av(Value(Decimal{"1234567890123456789012345678.0123456789"})),
            av(R"({"N":"1234567890123456789012345678.0123456789"})"));
  EXPECT_EQ(value_to_av(Value(0.1)), av(R"({"N":"0.1"})"));
  EXPECT_EQ(value_to_av(Value(Bytes{"hi"})), av(R"({"B":"aGk="})"));
  EXPECT_EQ(value_to_av(Value(Date{19723})), av(R"({"S":"2024-01-01"})"));
  for (double bad : {std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    try {
      value_to_av(Value(bad));
      FAIL() << "NaN/Infinity must be refused";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
    }
  }
}

TEST(DynamoTypes, JsonKeepsNumbersExact) {
  const Json m = json_text_to_av(R"({"big":123456789012345678901234567890.5,"l":[true,null,"s"]})");
  EXPECT_EQ(m, av(R"({"M":{"big":{"N":"123456789012345678901234567890.5"},
                          "l":{"L":[{"BOOL":true},{"NULL":true},{"S":"s"}]}}})"));
  EXPECT_EQ(av_to_json_text(m), R"({"big":123456789012345678901234567890.5,"l":[true,null,"s"]})");
  EXPECT_EQ(json_text_to_av("not json"), av(R"({"S":"not json"})"));
  EXPECT_EQ(json_text_to_av("\"s\""), av(R"({"S":"s"})"));
}

TEST(DynamoTypes, AppendConvertsWithoutLoss) {
  Column s(TypeId::string);
  const Json n = av(R"({"N":"12.50"})");
  append_av(s, &n);
  EXPECT_EQ(s.value_at(0), Value("12.50"));  // the digits as sent
  Column j(TypeId::json);
  const Json str = av(R"({"S":"x"})");
  append_av(j, &str);
  EXPECT_EQ(j.value_at(0), Value(polydb::Json{"\"x\""}));
  Column i(TypeId::int64);
  append_av(i, nullptr);
  EXPECT_TRUE(i.is_null(0));
  const Json frac = av(R"({"N":"1.5"})");
  EXPECT_THROW(append_av(i, &frac), Error);
}

TEST(DynamoTypes, Base64RoundTrip) {
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                        std::string("\xff\x00\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
}

TEST(DynamoTypes, CompareValuesIsExactOnNumbers) {
  EXPECT_LT(compare_values(Value(Decimal{"9223372036854775807.5"}),
                           Value(Decimal{"9223372036854775808"})),
            0);
  EXPECT_LT(compare_values(Value(int64_t{-3}), Value(Decimal{"-2.5"})), 0);
  EXPECT_GT(compare_values(Value(2.5), Value(int64_t{2})), 0);
  EXPECT_LT(compare_values(Value(), Value(int64_t{0})), 0);
}

}  // namespace
}  // namespace polydb::dynamodb

namespace polydb::dynamodb {
namespace {

ErrorCode set_error(std::string_view text, SetType type) {
  try {
    json_text_to_set_av(text, type);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(DynamoSets, JsonArraysBecomeSetsWithExactNumbers) {
  EXPECT_EQ(*json_text_to_set_av(R"(["b","a"])", SetType::infer), av(R"({"SS":["b","a"]})"));
  EXPECT_EQ(
      *json_text_to_set_av(R"([1, 2.50, 123456789012345678901234567890123456789])", SetType::infer),
      av(R"({"NS":["1","2.50","123456789012345678901234567890123456789"]})"));
  EXPECT_EQ(*json_text_to_set_av(R"(["AP8="])", SetType::BS), av(R"({"BS":["AP8="]})"));
  EXPECT_EQ(*json_text_to_set_av(R"(["x"])", SetType::SS), av(R"({"SS":["x"]})"));
  EXPECT_FALSE(json_text_to_set_av("[]", SetType::NS)) << "no empty sets: the attribute is omitted";
}

TEST(DynamoSets, WhatDynamoDbRefusesIsATypeMismatch) {
  for (auto [text, type] :
       std::vector<std::pair<std::string_view, SetType>>{{R"(["a","a"])", SetType::infer},
                                                         {"[1, 1.0]", SetType::infer},
                                                         {"[0.10, 0.1]", SetType::NS},
                                                         {R"(["a", 1])", SetType::infer},
                                                         {R"(["1"])", SetType::NS},
                                                         {R"([["a"]])", SetType::SS},
                                                         {R"([null])", SetType::SS},
                                                         {R"({"a":1})", SetType::infer},
                                                         {"not json", SetType::SS},
                                                         {R"(["%%"])", SetType::BS},
                                                         {R"(["AP8=", "AP8"])", SetType::BS}})
    EXPECT_EQ(set_error(text, type), ErrorCode::type_mismatch) << text;
}

}  // namespace
}  // namespace polydb::dynamodb
