// DynamoDB errors carry "HTTP <status> <service code>" as Error::native_code()
// (errors.cpp), checked against the emulator.

#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

using DynamoErrors = DynamoTest;

TEST_F(DynamoErrors, AMissingTableIs400ResourceNotFound) {
  const Error described = error_of([&] { conn_->describe(table_ + "_missing"); });
  EXPECT_EQ(described.code(), ErrorCode::not_found) << described.what();
  EXPECT_EQ(described.native_code(), "HTTP 400 ResourceNotFoundException") << described.what();
  EXPECT_EQ(described.backend(), "dynamodb");
  const Error dropped = error_of([&] { conn_->drop_table(table_ + "_missing"); });
  EXPECT_EQ(dropped.native_code(), "HTTP 400 ResourceNotFoundException") << dropped.what();
  const Error put = error_of([&] {
    conn_->execute(R"({"TableName": ")" + table_ + R"(_missing", "Item": {"id": {"N": "1"}}})");
  });
  EXPECT_EQ(put.native_code(), "HTTP 400 ResourceNotFoundException") << put.what();
}

TEST_F(DynamoErrors, AFailedConditionIs400ConditionalCheckFailed) {
  create_keyed({"id"}, {{"id", TypeId::int64, false, ""}});
  const std::string put = R"({"TableName": ")" + table_ +
                          R"j(", "Item": {"id": {"N": "1"}}, "ConditionExpression": "attribute_not_exists(id)"})j";
  conn_->execute(put);
  const Error e = error_of([&] { conn_->execute(put); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_EQ(e.native_code(), "HTTP 400 ConditionalCheckFailedException") << e.what();
}

TEST_F(DynamoErrors, AMalformedRequestIs400Validation) {
  create_keyed({"id"}, {{"id", TypeId::int64, false, ""}});
  // A string where the key schema says number.
  const Error e = error_of([&] {
    conn_->execute(R"({"TableName": ")" + table_ + R"(", "Item": {"id": {"S": "one"}}})");
  });
  EXPECT_EQ(e.native_code(), "HTTP 400 ValidationException") << e.what();
}

}  // namespace
}  // namespace polydb::dynamotest
