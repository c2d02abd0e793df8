#include "connectors/odbc/connstr.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb::odbc {
namespace {

const std::vector<std::string> kAll = {"PostgreSQL Unicode", "FreeTDS", std::string(kMsDriver17),
                                       std::string(kMsDriver18)};
const std::vector<std::string> kTds = {"PostgreSQL Unicode", "FreeTDS"};

std::string build(std::string_view url, const std::vector<std::string>& installed = kAll) {
  return build_connection_target(Uri::parse(url), installed).text.reveal();
}

ErrorCode code_of(std::string_view url, const std::vector<std::string>& installed = kAll) {
  try {
    build(url, installed);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(OdbcConnStrTest, AzureHostGetsEncryptionAndCertificateChecks) {
  EXPECT_EQ(build("sqlserver://app:pw@srv.database.windows.net/shop"),
            "Driver=ODBC Driver 18 for SQL Server;Server=tcp:srv.database.windows.net,1433;"
            "Database=shop;UID=app;PWD=pw;Encrypt=yes;TrustServerCertificate=no;APP=polydb");
}

TEST(OdbcConnStrTest, LoopbackDefaultsToNoEncryptionUnlessAsked) {
  EXPECT_EQ(build("sqlserver://sa:pw@127.0.0.1:14330/master"),
            "Driver=ODBC Driver 18 for SQL Server;Server=tcp:127.0.0.1,14330;Database=master;"
            "UID=sa;PWD=pw;Encrypt=no;TrustServerCertificate=no;APP=polydb");
  EXPECT_NE(build("sqlserver://sa:pw@localhost/master?encrypt=yes").find("Encrypt=yes"),
            std::string::npos);
  EXPECT_NE(build("sqlserver://sa:pw@[::1]/m").find("Server=tcp:[::1],1433;"), std::string::npos);
  EXPECT_NE(build("sqlserver://sa:pw@[::1]/m").find("Encrypt=no"), std::string::npos);
  EXPECT_TRUE(is_loopback_host("127.3.4.5"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

TEST(OdbcConnStrTest, TrustingTheCertificateIsExplicit) {
  EXPECT_NE(build("sqlserver://a:b@db.example.com/x?trust-server-certificate=yes&encrypt=strict")
                .find("Encrypt=strict;TrustServerCertificate=yes"),
            std::string::npos);
  EXPECT_EQ(code_of("sqlserver://a:b@h/x?trust-server-certificate=maybe"),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("sqlserver://a:b@h/x?encrypt=sometimes"), ErrorCode::invalid_argument);
}

TEST(OdbcConnStrTest, DriverChoiceIs18Then17ThenFreeTds) {
  EXPECT_EQ(build_connection_target(Uri::parse("sqlserver://h/x"), kAll).driver, kMsDriver18);
  EXPECT_EQ(build_connection_target(Uri::parse("sqlserver://h/x"),
                                    {"FreeTDS", std::string(kMsDriver17)})
                .driver,
            kMsDriver17);
  EXPECT_EQ(build_connection_target(Uri::parse("sqlserver://127.0.0.1/x"), kTds).driver,
            "FreeTDS");
  EXPECT_EQ(code_of("sqlserver://h/x", {"PostgreSQL Unicode"}), ErrorCode::not_found);
  EXPECT_EQ(build_connection_target(Uri::parse("sqlserver://h/x?driver=My%20Driver"), kAll).driver,
            "My Driver");
}

TEST(OdbcConnStrTest, FreeTdsUsesItsOwnKeywordsAndNeedsACaFileToVerify) {
  EXPECT_EQ(build("sqlserver://sa:pw@127.0.0.1:1/master", kTds),
            "Driver=FreeTDS;Server=127.0.0.1;Port=1;TDS_Version=7.4;ClientCharset=UTF-8;"
            "Database=master;UID=sa;PWD=pw;Encryption=request;APP=polydb");
  EXPECT_EQ(code_of("sqlserver://sa:pw@db.example.com/x", kTds), ErrorCode::invalid_argument);
  EXPECT_NE(build("sqlserver://sa:pw@db.example.com/x?ca-file=/ca.pem", kTds)
                .find("Encryption=require;CAFile=/ca.pem;CheckCertificateHostname=yes"),
            std::string::npos);
}

TEST(OdbcConnStrTest, AzureAdAuthenticationPassesThrough) {
  EXPECT_NE(build("sqlserver://user%40corp.com:pw@srv.database.windows.net/db?authentication="
                  "ActiveDirectoryPassword")
                .find("Authentication=ActiveDirectoryPassword;UID=user@corp.com;PWD=pw"),
            std::string::npos);
  const std::string msi =
      build("sqlserver://srv.database.windows.net/db?authentication=activedirectorymsi");
  EXPECT_NE(msi.find("Authentication=ActiveDirectoryMsi"), std::string::npos);
  EXPECT_EQ(msi.find("PWD="), std::string::npos);
  EXPECT_NE(build("sqlserver://appid:secret@srv.database.windows.net/db?authentication="
                  "ActiveDirectoryServicePrincipal")
                .find("Authentication=ActiveDirectoryServicePrincipal;UID=appid;PWD=secret"),
            std::string::npos);
  EXPECT_EQ(code_of("sqlserver://srv/db?authentication=Kerberos"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("sqlserver://srv/db?authentication=ActiveDirectoryMsi", kTds),
            ErrorCode::unsupported);
}

TEST(OdbcConnStrTest, ValuesWithSeparatorsAreBracedWithClosingBracesDoubled) {
  EXPECT_EQ(brace_value("plain"), "plain");
  EXPECT_EQ(brace_value("a;b"), "{a;b}");
  EXPECT_EQ(brace_value("x}y{z"), "{x}}y{z}");
  EXPECT_EQ(brace_value(" lead"), "{ lead}");
  EXPECT_EQ(brace_value(""), "{}");
  EXPECT_NE(build("sqlserver://sa:p%3B%7Dw@h/db").find("PWD={p;}}w}"), std::string::npos);
  const auto attrs = parse_connection_string("Driver={A;B};PWD={p;}}w};X=1");
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs[0].value, "A;B");
  EXPECT_EQ(attrs[1].value, "p;}w");
  EXPECT_EQ(find_attribute(attrs, "x"), "1");
  EXPECT_THROW(parse_connection_string("PWD={open"), Error);
}

TEST(OdbcConnStrTest, RedactionHidesPasswordsInAnyForm) {
  EXPECT_EQ(redact_connection_string("Driver=X;UID=u;PWD={s;e}}c};Password=p"),
            "Driver=X;UID=u;PWD=***;Password=***");
  const std::string shown =
      Uri::parse("odbc:///?connection-string=" + percent_encode("Driver=X;Pwd=hunter2")).to_string();
  EXPECT_EQ(shown.find("hunter2"), std::string::npos) << shown;
}

TEST(OdbcConnStrTest, DsnAndRawConnectionStrings) {
  EXPECT_EQ(build("odbc://u:p@/?dsn=Sales"), "DSN=Sales;UID=u;PWD=p");
  EXPECT_EQ(build("odbc:///?connection-string=" + percent_encode("Driver={PostgreSQL Unicode};Server=h")),
            "Driver={PostgreSQL Unicode};Server=h");
  EXPECT_EQ(build("odbc://u:p@/?connection-string=" + percent_encode("Driver=X;Uid=other;")),
            "Driver=X;Uid=other;PWD=p");
  EXPECT_EQ(build("odbc://u@db:5432/shop?driver=PostgreSQL%20Unicode"),
            "Driver=PostgreSQL Unicode;Server=db;Port=5432;Database=shop;UID=u");
  EXPECT_EQ(code_of("odbc:///"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("odbc:///?dsn=a&connection-string=b"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("odbc:///?dsn=a&bogus=1"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("odbc:///?dsn=a&dialect=oracle"), ErrorCode::invalid_argument);
  EXPECT_EQ(build_connection_target(Uri::parse("odbc:///?dsn=a&dialect=sqlserver"), kAll).dialect,
            "sqlserver");
}

TEST(OdbcConnStrTest, ReadTimeoutIsTheConnectionsNotTheDrivers) {
  EXPECT_EQ(build("odbc://u@db:5432/shop?driver=PostgreSQL%20Unicode&read-timeout=2.5"),
            "Driver=PostgreSQL Unicode;Server=db;Port=5432;Database=shop;UID=u");
  EXPECT_EQ(build("odbc:///?dsn=a&read-timeout=0"), "DSN=a");
  EXPECT_EQ(build("sqlserver://sa:pw@127.0.0.1/m?read-timeout=60").find("read"), std::string::npos);
  try {
    build("odbc:///?dsn=a&bogus=1");
    ADD_FAILURE() << "an unknown option was accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("read-timeout"), std::string::npos) << e.message();
  }
}

TEST(OdbcConnStrTest, TheServerToFindTheDriversSocketBy) {
  auto t = build_connection_target(Uri::parse("odbc://u@db:5433/shop?driver=X"), kAll);
  EXPECT_EQ(t.host, "db");
  EXPECT_EQ(t.port, std::optional<uint16_t>(5433));
  t = build_connection_target(Uri::parse("odbc://u@db/shop?driver=X"), kAll);
  EXPECT_EQ(t.port, std::nullopt);
  t = build_connection_target(
      Uri::parse("odbc:///?connection-string=" + percent_encode("Driver=X;SERVER=h2;PORT=3307")),
      kAll);
  EXPECT_EQ(t.host, "h2");
  EXPECT_EQ(t.port, std::optional<uint16_t>(3307));
  t = build_connection_target(Uri::parse("sqlserver://sa:pw@127.0.0.1/m"), kAll);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, std::optional<uint16_t>(1433));
  t = build_connection_target(Uri::parse("odbc:///?dsn=a"), kAll);
  EXPECT_EQ(t.host, "");  // a DSN's server is the driver's business
}

TEST(OdbcConnStrTest, PsqlOdbcGetsStreamingDefaultsUnlessSet) {
  EXPECT_EQ(driver_defaults("Driver={PostgreSQL Unicode};Server=h", 500),
            ";UseDeclareFetch=1;Fetch=500;BoolsAsChar=0;BatchSize=1");
  EXPECT_EQ(
      driver_defaults("Driver={PostgreSQL Unicode};UseDeclareFetch=0;Fetch=9;BatchSize=50", 500),
      ";BoolsAsChar=0");
  EXPECT_EQ(driver_defaults("Driver={MariaDB Unicode}", 500), ";OPTION=1048576");
  EXPECT_EQ(driver_defaults("Driver={MariaDB Unicode};Option=3", 500), "");
  EXPECT_EQ(driver_defaults("DSN=x", 500), "");
}

}  // namespace
}  // namespace polydb::odbc
