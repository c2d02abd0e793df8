// Diagnostics through real drivers: SQLSTATEs and the drivers' messages
// become polydb errors with the right codes; FreeTDS loads and reports that
// no SQL Server answers.

#include <gtest/gtest.h>

#include "connectors/odbc/connection.hpp"
#include "fixture.hpp"

namespace polydb::odbctest {
namespace {

using DiagnosticsTest = OdbcTest;

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

TEST_P(DiagnosticsTest, BadPasswordIsAuth) {
  ConnectOptions o;
  o.timeout = std::chrono::seconds(5);
  const Error e = error_of([&] { connect(odbc_url(GetParam(), "not-the-password"), o); });
  EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(std::string(e.what()).find("not-the-password"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("SQLSTATE"), std::string::npos) << e.what();
}

TEST_P(DiagnosticsTest, MissingTableIsNotFoundWithTheServersWords) {
  const Error e = error_of([&] { conn_->query("SELECT * FROM no_such_table_odbc_it"); });
  EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  EXPECT_NE(e.message().find("no_such_table_odbc_it"), std::string::npos) << e.what();
  EXPECT_FALSE(e.detail().empty());
  EXPECT_EQ(code_of([&] { conn_->describe("no_such_table_odbc_it"); }), ErrorCode::not_found);
}

TEST_P(DiagnosticsTest, DuplicateKeyIsConflictAndSyntaxIsInvalidArgument) {
  const std::string t = table("dup");
  conn_->execute("CREATE TABLE " + t + " (id int PRIMARY KEY)");
  const std::vector<Value> one{int64_t{1}};
  conn_->execute("INSERT INTO " + t + " VALUES (?)", one);
  const Error e = error_of([&] { conn_->execute("INSERT INTO " + t + " VALUES (?)", one); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_NE(e.message().find("SQLSTATE 23"), std::string::npos) << e.what();
  EXPECT_EQ(code_of([&] { conn_->execute("SELEC 1"); }), ErrorCode::invalid_argument);
  // The connection is still usable after errors.
  EXPECT_EQ(conn_->count_rows(t), 1u);
}

TEST_P(DiagnosticsTest, UnknownOptionsAndDriversAreClearErrors) {
  EXPECT_EQ(code_of([&] { connect(odbc_url(GetParam()) + "&bogus=1"); }),
            ErrorCode::invalid_argument);
  const Error e = error_of([&] { connect("odbc://u:p@h/db?driver=No%20Such%20Driver"); });
  EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  EXPECT_NE(std::string(e.what()).find("No Such Driver"), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(Drivers, DiagnosticsTest, ::testing::ValuesIn(drivers()),
                         [](const auto& info) { return info.param.name; });

TEST(OdbcFreeTdsTest, DriverLoadsAndReportsThatNoServerAnswers) {
  const auto drivers = odbc::installed_drivers();
  ASSERT_NE(std::find(drivers.begin(), drivers.end(), "FreeTDS"), drivers.end())
      << "the FreeTDS ODBC driver is not registered: install tdsodbc (scripts/install-deps.sh)";
  ConnectOptions o;
  o.timeout = std::chrono::seconds(3);
  // Nothing listens on port 1 of the loopback interface.
  const Error e =
      error_of([&] { connect("sqlserver://sa:Secret%3Bpw@127.0.0.1:1/master?driver=FreeTDS", o); });
  EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("[FreeTDS]"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("SQLSTATE 08"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("Secret"), std::string::npos) << e.what();
  EXPECT_EQ(e.detail().find("Secret"), std::string::npos) << e.detail();
}

}  // namespace
}  // namespace polydb::odbctest
