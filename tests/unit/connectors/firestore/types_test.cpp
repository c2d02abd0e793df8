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

TEST(FirestoreTypes, SchemaInferenceReportsMalformedStrings) {
  const std::vector<Json> docs = {Json::parse(
      R"({"name":"projects/p/databases/d/documents/c/1","fields":{"a":{"stringValue":1}}})")};
  EXPECT_THROW((void)infer_schema(docs), Error);
}

}  // namespace
}  // namespace polydb::firestore
