// ODBC errors carry the driver's SQLSTATE as Error::native_code() (errors.cpp),
// through psqlODBC and MariaDB Connector/ODBC against the real servers.

#include "fixture.hpp"

namespace polydb::odbctest {
namespace {

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

using OdbcErrors = OdbcTest;

TEST_P(OdbcErrors, ADuplicateKeyCarriesTheDriversSqlstate) {
  const std::string t = table("dup");
  conn_->execute("CREATE TABLE " + t + " (id int PRIMARY KEY)");
  conn_->execute("INSERT INTO " + t + " VALUES (1)");
  const Error e = error_of([&] { conn_->execute("INSERT INTO " + t + " VALUES (1)"); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  // psqlODBC passes the server's SQLSTATE; MariaDB's driver the ODBC class code.
  EXPECT_EQ(e.native_code(), is_postgres() ? "23505" : "23000") << e.what();
  EXPECT_EQ(e.backend(), "odbc");
}

TEST_P(OdbcErrors, AMissingTableCarriesTheDriversSqlstate) {
  const Error e = error_of([&] { conn_->execute("SELECT * FROM " + prefix_ + "nothing_here"); });
  EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  EXPECT_EQ(e.native_code(), is_postgres() ? "42P01" : "42S02") << e.what();
}

INSTANTIATE_TEST_SUITE_P(Drivers, OdbcErrors, ::testing::ValuesIn(drivers()),
                         [](const ::testing::TestParamInfo<Driver>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace polydb::odbctest
