// MySQL / MariaDB errors carry the server's error number as
// Error::native_code() (errors.cpp), checked against the real server.

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

using MysqlErrors = MysqlTest;

TEST_F(MysqlErrors, ADuplicateKeyIs1062) {
  conn_->execute("CREATE TABLE dup (id int PRIMARY KEY)");
  conn_->execute("INSERT INTO dup VALUES (1)");
  const Error e = error_of([&] { conn_->execute("INSERT INTO dup VALUES (1)"); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_EQ(e.native_code(), "1062") << e.what();
  EXPECT_EQ(e.backend(), "mysql");
}

TEST_F(MysqlErrors, AMissingTableIs1146AndBadSyntax1064) {
  const Error missing = error_of([&] { conn_->execute("SELECT * FROM nothing_here"); });
  EXPECT_EQ(missing.code(), ErrorCode::not_found) << missing.what();
  EXPECT_EQ(missing.native_code(), "1146") << missing.what();
  const Error syntax = error_of([&] { conn_->execute("SELEKT 1"); });
  EXPECT_EQ(syntax.native_code(), "1064") << syntax.what();
}

TEST_F(MysqlErrors, AParameterisedStatementCarriesItsCode) {
  conn_->execute("CREATE TABLE dup (id int PRIMARY KEY)");
  const std::vector<Value> one = {Value(int64_t{1})};
  conn_->execute("INSERT INTO dup VALUES (?)", one);
  const Error e = error_of([&] { conn_->execute("INSERT INTO dup VALUES (?)", one); });
  EXPECT_EQ(e.native_code(), "1062") << e.what();
}

TEST_F(MysqlErrors, ARefusedLoginIs1045) {
  Uri u = Uri::parse(url_);
  u.password = Secret(std::string("certainly-not-the-password"));
  const Error e = error_of([&] { connect(u.to_string_with_secrets()); });
  EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
  EXPECT_EQ(e.native_code(), "1045") << e.what();
}

}  // namespace
}  // namespace polydb::mytest
