// URL options are checked before any network traffic: these need no server.

#include "polydb/connection.hpp"

#include <gtest/gtest.h>

#include "connectors/mysql/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb {
namespace {

Error connect_error(const std::string& url) {
  try {
    connect(url);
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "connected");
}

TEST(MysqlConnection, UnknownOptionsAreNamed) {
  for (const char* scheme : {"mysql", "mariadb"}) {
    const Error e = connect_error(std::string(scheme) +
                                  "://app:s3cret@127.0.0.1:1/shop?sslmode=require&bogus=1");
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_NE(e.message().find("sslmode, bogus"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("ssl-mode"), std::string::npos) << "lists the known options";
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  }
}

TEST(MysqlConnection, AwsIamAuthNeedsTlsAndNoPassword) {
  for (const char* scheme : {"mysql", "mariadb"}) {
    Error e =
        connect_error(std::string(scheme) +
                      "://app@127.0.0.1:1/shop?auth=aws-iam&region=us-east-1&ssl-mode=DISABLED");
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_NE(e.message().find("ssl-mode=DISABLED"), std::string::npos) << e.message();
    e = connect_error(std::string(scheme) + "://app:s3cret@127.0.0.1:1/shop?auth=aws-iam&region=x");
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_NE(e.message().find("password"), std::string::npos) << e.message();
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  }
}

TEST(MysqlConnection, BadOptionValues) {
  for (const char* url :
       {"mysql://u@127.0.0.1:1/db?ssl-mode=sometimes", "mysql://u@127.0.0.1:1/db?charset=latin1",
        "mysql://u@127.0.0.1:1/db?connect-timeout=0", "mysql://u@127.0.0.1:1/db?read-timeout=x",
        "mysql://u@127.0.0.1:1/db?zero-date=maybe",
        "mysql://u@127.0.0.1:1/db?tinyint1-as-boolean=perhaps"}) {
    const Error e = connect_error(url);
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << url << ": " << e.what();
  }
}

TEST(MysqlOptions, ManagedHostsVerifyTheServerByDefault) {
  using namespace std::chrono_literals;
  const auto rds = mysql::parse_options(
      Uri::parse("mysql://app@db1.abc123.us-east-1.rds.amazonaws.com/shop"), 10s);
  EXPECT_EQ(rds.ssl_mode, mysql::SslMode::verify_identity);
  EXPECT_FALSE(rds.ssl_ca.empty()) << "the system CA bundle";
  const auto chosen = mysql::parse_options(
      Uri::parse("mysql://app@srv.mysql.database.azure.com/shop?ssl-mode=REQUIRED"), 10s);
  EXPECT_EQ(chosen.ssl_mode, mysql::SslMode::required) << "the URL's choice wins";
  EXPECT_TRUE(chosen.ssl_ca.empty());
  EXPECT_EQ(mysql::parse_options(Uri::parse("mysql://app@127.0.0.1/shop"), 10s).ssl_mode,
            mysql::SslMode::preferred);
}

TEST(MysqlOptions, TimeoutsComeFromConnectOptionsUnlessTheUrlSaysOtherwise) {
  using namespace std::chrono_literals;
  const auto plain = mysql::parse_options(Uri::parse("mysql://app@127.0.0.1/shop"), 10s, 42s);
  EXPECT_EQ(plain.read_timeout, 42s);
  EXPECT_EQ(plain.write_timeout, 42s) << "read-timeout bounds writes too";
  EXPECT_EQ(plain.connect_timeout_s, 10u);
  const auto given = mysql::parse_options(
      Uri::parse("mysql://app@127.0.0.1/shop?read-timeout=1.5&connect-timeout=2"), 10s, 42s);
  EXPECT_EQ(given.read_timeout, 1500ms);
  EXPECT_EQ(given.write_timeout, 1500ms);
  EXPECT_EQ(given.connect_timeout_s, 2u);
  const auto writes = mysql::parse_options(
      Uri::parse("mysql://app@127.0.0.1/shop?read-timeout=0&write-timeout=7"), 10s, 42s);
  EXPECT_EQ(writes.read_timeout, 0ms) << "0 = no limit";
  EXPECT_EQ(writes.write_timeout, 7s);
}

}  // namespace
}  // namespace polydb
