#include "connectors/odbc/errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace polydb::odbc {
namespace {

ErrorCode code(std::string state, int32_t native = 0, std::string message = "") {
  return classify(DiagRecord{std::move(state), native, std::move(message)}).code;
}
bool retryable(std::string state, int32_t native = 0) {
  return classify(DiagRecord{std::move(state), native, ""}).retryable;
}

TEST(OdbcErrorsTest, SqlStatesMapToErrorCodes) {
  EXPECT_EQ(code("08001"), ErrorCode::connection);
  EXPECT_TRUE(retryable("08S01"));
  EXPECT_EQ(code("28000"), ErrorCode::auth);
  EXPECT_FALSE(retryable("28000"));
  EXPECT_EQ(code("42S02"), ErrorCode::not_found);
  EXPECT_EQ(code("42P01"), ErrorCode::not_found);
  EXPECT_EQ(code("42S22"), ErrorCode::not_found);
  EXPECT_EQ(code("42000"), ErrorCode::invalid_argument);
  EXPECT_EQ(code("42601"), ErrorCode::invalid_argument);
  EXPECT_EQ(code("23000"), ErrorCode::conflict);
  EXPECT_EQ(code("23505"), ErrorCode::conflict);
  EXPECT_EQ(code("40001"), ErrorCode::conflict);
  EXPECT_TRUE(retryable("40001"));
  EXPECT_EQ(code("HYT00"), ErrorCode::timeout);
  EXPECT_TRUE(retryable("HYT00"));
  EXPECT_EQ(code("22003"), ErrorCode::type_mismatch);
  EXPECT_EQ(code("IM002"), ErrorCode::not_found);
  EXPECT_EQ(code("HYC00"), ErrorCode::unsupported);
}

TEST(OdbcErrorsTest, SqlServerNativeNumbersWin) {
  EXPECT_EQ(code("28000", 18456), ErrorCode::auth);
  EXPECT_EQ(code("42S02", 208), ErrorCode::not_found);
  EXPECT_EQ(code("23000", 2627), ErrorCode::conflict);
  EXPECT_EQ(code("40001", 1205), ErrorCode::conflict);
  EXPECT_TRUE(retryable("40001", 1205));
}

TEST(OdbcErrorsTest, AzureTransientErrorsAreRetryable) {
  for (int32_t n : {40613, 40197, 49918, 49919, 49920, 4060, 4221, 10053, 10054, 10060, 40143,
                    40540, 233, 64}) {
    EXPECT_TRUE(is_transient_native(n)) << n;
    EXPECT_TRUE(retryable("HY000", n)) << n;
    EXPECT_EQ(code("HY000", n), ErrorCode::connection) << n;
  }
  for (int32_t n : {40501, 10928, 10929}) {
    EXPECT_EQ(code("HY000", n), ErrorCode::throttled) << n;
    EXPECT_TRUE(retryable("HY000", n)) << n;
  }
  EXPECT_FALSE(is_transient_native(208));
}

TEST(OdbcErrorsTest, DriversThatSay08001ForEverythingAreReadByTheirWords) {
  EXPECT_EQ(code("08001", 101,
                 "connection to server failed: FATAL:  password authentication failed for user"),
            ErrorCode::auth);
  EXPECT_EQ(code("08004", 0, "FATAL:  database \"nope\" does not exist"), ErrorCode::not_found);
  EXPECT_EQ(code("HY000", 1045, "Access denied for user 'x'@'localhost'"), ErrorCode::auth);
}

TEST(OdbcErrorsTest, ErrorKeepsEveryRecordAndHidesSecrets) {
  const std::vector<DiagRecord> records = {
      {"01000", 0, "[unixODBC] just a warning"},
      {"08001", 0, "[FreeTDS] Unable to connect: Adaptive Server is unavailable"},
      {"08001", 20009, "Unable to connect to data source with PWD=hunter2"}};
  const Error e = make_error(records, "cannot connect to sqlserver://sa:***@127.0.0.1:1/master");
  EXPECT_EQ(e.code(), ErrorCode::connection);
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(e.message().find("Adaptive Server is unavailable"), std::string::npos);
  EXPECT_NE(e.message().find("SQLSTATE 08001"), std::string::npos);
  EXPECT_NE(e.detail().find("[01000]"), std::string::npos);
  EXPECT_NE(e.detail().find("(native 20009)"), std::string::npos);
  EXPECT_EQ(e.detail().find("hunter2"), std::string::npos) << e.detail();
  EXPECT_EQ(make_error({}, "x").code(), ErrorCode::internal);
}

// A remedy a front end spells in its own terms is a Hint; the words name no
// CLI flag or command (issue #15).
TEST(OdbcErrorsTest, RemediesAreHintsInLibraryWords) {
  EXPECT_EQ(classify(DiagRecord{"42S02", 0, ""}).remedy, Hint::list_tables);
  EXPECT_EQ(classify(DiagRecord{"42S22", 0, ""}).remedy, Hint::describe_table);
  EXPECT_EQ(classify(DiagRecord{"42000", 208, ""}).remedy, Hint::list_tables);
  EXPECT_EQ(classify(DiagRecord{"23000", 0, ""}).remedy, Hint::none);
  const std::vector<DiagRecord> records{{"42S02", 0, "relation \"t\" does not exist"}};
  const Error e = make_error(records, "cannot read t");
  EXPECT_EQ(e.hint(), Hint::list_tables);
  EXPECT_EQ(e.message().find("polydb "), std::string::npos) << e.message();
  EXPECT_EQ(e.native_code(), "42S02");
}

}  // namespace
}  // namespace polydb::odbc
