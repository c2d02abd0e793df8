#include "connectors/firestore/types.hpp"

#include <gtest/gtest.h>

#include "connectors/firestore/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {
namespace {

// Found by fuzz/firestore_fuzz: a field value `{}` read past the end of the
// object (a failed assertion in nlohmann::json, undefined behaviour without
// one), and values of the wrong JSON type threw nlohmann::json::type_error,
// before the fix. Both are Error(corruption) now.
TEST(FirestoreTypes, MalformedValuesAreCorruption) {
  for (const char* text :
       {R"({})", R"([])", R"("x")", R"({"booleanValue":"true"})", R"({"integerValue":[1]})",
        R"({"integerValue":18446744073709551615})", R"({"doubleValue":null})",
        R"({"stringValue":5})", R"({"timestampValue":{}})", R"({"bytesValue":true})",
        R"({"geoPointValue":{"latitude":"north"}})", R"({"arrayValue":{"values":{}}})",
        R"({"arrayValue":[]})", R"({"mapValue":{"fields":[]}})",
        R"({"arrayValue":{"values":[{}]}})",
        R"({"mapValue":{"fields":{"a":{"nullValue":1,"x":2}}}})"}) {
    SCOPED_TRACE(text);
    const Json v = Json::parse(text);
    try {
      (void)to_value(v);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::corruption);
    }
    EXPECT_THROW((void)to_json_text(v), Error);
    Column col(TypeId::string);
    EXPECT_THROW(append_value(col, &v), Error);
  }
}

// Found by fuzz/firestore_fuzz: a timestamp of year 20224 (which
// parse_rfc3339 reads) was written as "+20224-01-T1 10:34:56Z", the 'T' put at
// a fixed index, before the fix.
TEST(FirestoreTypes, TimestampsOutsideYears1To9999AreNotWritten) {
  const auto ts = parse_rfc3339("20224-01-31T12:34:56+02:00");
  ASSERT_TRUE(ts);
  try {
    (void)from_value(Value(*ts));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
  }
  EXPECT_THROW((void)format_rfc3339(TimestampTz{INT64_MIN}), Error);
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("0001-01-01T00:00:00Z")), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("9999-12-31T23:59:59.999999Z")),
            "9999-12-31T23:59:59.999999Z");
}

TEST(FirestoreTypes, SchemaInferenceReportsMalformedStrings) {
  const std::vector<Json> docs = {Json::parse(
      R"({"name":"projects/p/databases/d/documents/c/1","fields":{"a":{"stringValue":1}}})")};
  EXPECT_THROW((void)infer_schema(docs), Error);
}

}  // namespace
}  // namespace polydb::firestore
