#include "polydb/uri.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/error.hpp"
#include "polydb/secret.hpp"

namespace polydb {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

// A password no legitimate message could contain by accident.
constexpr std::string_view kPassword = "Zq7xSECRETpw";

// Parses `text`, expects Error(invalid_argument), checks that the message
// contains `expected` and never `secret`, and returns the message.
std::string parse_error(std::string_view text, std::string_view expected,
                        std::string_view secret = kPassword) {
  try {
    Uri::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_NE(e.message().find(expected), std::string::npos)
        << "message: " << e.message() << "\nexpected to contain: " << expected;
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    return e.message();
  }
  ADD_FAILURE() << "no error for '" << text << "'";
  return {};
}

// --- Secret ------------------------------------------------------------------

TEST(SecretTest, HoldsAndRedacts) {
  Secret empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.redacted(), "");
  EXPECT_EQ(empty.reveal(), "");

  Secret s(std::string("hunter2"));
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.reveal(), "hunter2");
  EXPECT_EQ(s.redacted(), "***");
}

TEST(SecretTest, CopyMoveAndCompare) {
  Secret a(std::string("a-rather-long-secret-value-beyond-sso"));
  Secret b = a;
  EXPECT_EQ(a, b);
  Secret c = std::move(b);
  EXPECT_EQ(c.reveal(), "a-rather-long-secret-value-beyond-sso");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped
  Secret d(std::string("short"));
  d = c;
  EXPECT_EQ(d, c);
  Secret e(std::string("x"));
  e = std::move(d);
  EXPECT_EQ(e.reveal(), "a-rather-long-secret-value-beyond-sso");
  EXPECT_TRUE(d.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_NE(e, Secret(std::string("other")));
  Secret& alias = e;  // through a reference: compilers warn on a literal `e = e`
  e = alias;
  EXPECT_EQ(e.reveal(), "a-rather-long-secret-value-beyond-sso");
}

// --- percent encoding ----------------------------------------------------------

TEST(PercentTest, Decode) {
  EXPECT_EQ(percent_decode("p%40ss"), "p@ss");
  EXPECT_EQ(percent_decode("a%2fb%2Fc"), "a/b/c");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("%25"), "%");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%C3%A9"), "\xC3\xA9");
}

TEST(PercentTest, DecodeRejectsBadEscapesWithoutQuotingInput) {
  for (std::string_view bad : {"ab%zz", "ab%4", "%", "x%g0"}) {
    try {
      percent_decode(bad);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(e.message().find("%25"), std::string::npos) << e.message();
      EXPECT_EQ(e.message().find("ab"), std::string::npos) << e.message();
    }
  }
}

TEST(PercentTest, Encode) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b/c@d"), "a%20b%2Fc%40d");
  EXPECT_EQ(percent_encode("a b/c", "/"), "a%20b/c");
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(percent_decode(percent_encode("p@ss:w/rd?#%&=+ ")), "p@ss:w/rd?#%&=+ ");
}

// --- parsing each scheme ---------------------------------------------------------

TEST(UriParseTest, SqliteAbsolutePath) {
  Uri u = Uri::parse("sqlite:///tmp/x.db");
  EXPECT_EQ(u.scheme, "sqlite");
  EXPECT_FALSE(u.opaque);
  EXPECT_EQ(u.host, "");
  EXPECT_FALSE(u.port);
  EXPECT_EQ(u.path, "/tmp/x.db");
  EXPECT_TRUE(u.query.empty());
  EXPECT_EQ(u.to_string(), "sqlite:///tmp/x.db");
}

TEST(UriParseTest, SqliteRelativeOpaque) {
  Uri u = Uri::parse("sqlite:rel/x.db");
  EXPECT_EQ(u.scheme, "sqlite");
  EXPECT_TRUE(u.opaque);
  EXPECT_EQ(u.path, "rel/x.db");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.to_string(), "sqlite:rel/x.db");

  Uri q = Uri::parse("sqlite:my%20data/x.db?mode=ro");
  EXPECT_TRUE(q.opaque);
  EXPECT_EQ(q.path, "my data/x.db");
  EXPECT_EQ(q.option("mode"), "ro");
}

TEST(UriParseTest, SqliteMemory) {
  Uri u = Uri::parse("sqlite::memory:");
  EXPECT_EQ(u.scheme, "sqlite");
  EXPECT_TRUE(u.opaque);
  EXPECT_EQ(u.path, ":memory:");
  EXPECT_EQ(u.to_string(), "sqlite::memory:");
}

TEST(UriParseTest, Postgresql) {
  Uri u = Uri::parse("postgresql://app@127.0.0.1:55432/shop");
  EXPECT_EQ(u.scheme, "postgresql");
  EXPECT_EQ(u.user, "app");
  EXPECT_TRUE(u.password.empty());
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 55432);
  EXPECT_EQ(u.path, "/shop");
  EXPECT_EQ(u.database(), "shop");
  EXPECT_EQ(u.to_string(), "postgresql://app@127.0.0.1:55432/shop");

  Uri p = Uri::parse("postgres://app:pw@db.example.com/shop?sslmode=require&application_name=x");
  EXPECT_EQ(p.scheme, "postgres");
  EXPECT_EQ(p.password.reveal(), "pw");
  EXPECT_EQ(p.host, "db.example.com");
  EXPECT_FALSE(p.port);
  EXPECT_EQ(p.option("sslmode"), "require");
  EXPECT_EQ(p.option("application-name"), "x");
}

TEST(UriParseTest, SchemeIsLowercased) {
  EXPECT_EQ(Uri::parse("PostgreSQL://h/db").scheme, "postgresql");
}

TEST(UriParseTest, MysqlAndMariadb) {
  Uri m = Uri::parse("mysql://root:pw@localhost:3306/app");
  EXPECT_EQ(m.scheme, "mysql");
  EXPECT_EQ(m.user, "root");
  EXPECT_EQ(m.port, 3306);
  EXPECT_EQ(m.database(), "app");
  Uri a = Uri::parse("mariadb://u@127.0.0.1:53306/db?local_infile=1");
  EXPECT_EQ(a.scheme, "mariadb");
  EXPECT_EQ(a.option("local-infile"), "1");
}

TEST(UriParseTest, Sqlserver) {
  Uri u = Uri::parse("sqlserver://sa:pw@sql.example.com:1433/master?encrypt=yes");
  EXPECT_EQ(u.scheme, "sqlserver");
  EXPECT_EQ(u.host, "sql.example.com");
  EXPECT_EQ(u.port, 1433);
  EXPECT_EQ(u.option("Encrypt"), "yes");
}

TEST(UriParseTest, OdbcDsnAndConnectionString) {
  Uri d = Uri::parse("odbc://?dsn=NAME");
  EXPECT_EQ(d.scheme, "odbc");
  EXPECT_FALSE(d.opaque);
  EXPECT_EQ(d.host, "");
  EXPECT_EQ(d.path, "");
  EXPECT_EQ(d.option("dsn"), "NAME");

  const std::string raw =
      "Driver={PostgreSQL Unicode};Server=127.0.0.1;PWD=" + std::string(kPassword) + ";";
  Uri c = Uri::parse("odbc:///?connection-string=" + percent_encode(raw));
  EXPECT_EQ(c.path, "/");
  EXPECT_EQ(c.option("connection_string"), raw);
  const std::string shown = c.to_string();
  EXPECT_EQ(shown.find(kPassword), std::string::npos) << shown;
  EXPECT_NE(shown.find("PWD%3D***"), std::string::npos) << shown;
  EXPECT_EQ(Uri::parse(c.to_string_with_secrets()), c);
}

TEST(UriParseTest, Dynamodb) {
  Uri u = Uri::parse("dynamodb://us-east-1?endpoint=http://127.0.0.1:58000");
  EXPECT_EQ(u.scheme, "dynamodb");
  EXPECT_EQ(u.host, "us-east-1");
  EXPECT_EQ(u.path, "");
  EXPECT_EQ(u.option("endpoint"), "http://127.0.0.1:58000");
  EXPECT_EQ(u.to_string(), "dynamodb://us-east-1?endpoint=http://127.0.0.1:58000");
}

TEST(UriParseTest, Cosmos) {
  Uri u =
      Uri::parse("cosmos://myacct.documents.azure.com/shop?endpoint=https://127.0.0.1:8081&key=" +
                 std::string(kPassword) + "%3D%3D");
  EXPECT_EQ(u.scheme, "cosmos");
  EXPECT_EQ(u.host, "myacct.documents.azure.com");
  EXPECT_EQ(u.database(), "shop");
  EXPECT_EQ(u.option("endpoint"), "https://127.0.0.1:8081");
  EXPECT_EQ(u.option("key"), std::string(kPassword) + "==");
  EXPECT_EQ(u.to_string(),
            "cosmos://myacct.documents.azure.com/shop?endpoint=https://127.0.0.1:8081&key=***");
}

TEST(UriParseTest, Firestore) {
  Uri u = Uri::parse("firestore://demo-project/(default)?emulator=127.0.0.1:8080");
  EXPECT_EQ(u.scheme, "firestore");
  EXPECT_EQ(u.host, "demo-project");
  EXPECT_EQ(u.database(), "(default)");
  EXPECT_EQ(u.option("emulator"), "127.0.0.1:8080");
  EXPECT_EQ(u.to_string(), "firestore://demo-project/(default)?emulator=127.0.0.1:8080");
}

TEST(UriParseTest, S3AndAzblob) {
  Uri s = Uri::parse("s3://backups?endpoint=http://127.0.0.1:4569&region=us-east-1");
  EXPECT_EQ(s.scheme, "s3");
  EXPECT_EQ(s.host, "backups");
  EXPECT_EQ(s.option("region"), "us-east-1");
  Uri a = Uri::parse("azblob://devstoreaccount1/backups?endpoint=http://127.0.0.1:10000");
  EXPECT_EQ(a.scheme, "azblob");
  EXPECT_EQ(a.host, "devstoreaccount1");
  EXPECT_EQ(a.database(), "backups");
}

TEST(UriParseTest, Ipv6) {
  Uri u = Uri::parse("postgresql://u:p@[::1]:5432/db");
  EXPECT_EQ(u.user, "u");
  EXPECT_EQ(u.password.reveal(), "p");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 5432);
  EXPECT_EQ(u.path, "/db");
  EXPECT_EQ(u.to_string(), "postgresql://u:***@[::1]:5432/db");

  Uri z = Uri::parse("postgresql://[fe80::1%25eth0]/db");
  EXPECT_EQ(z.host, "fe80::1%eth0");
  EXPECT_FALSE(z.port);
  EXPECT_EQ(z.to_string(), "postgresql://[fe80::1%25eth0]/db");

  Uri v4 = Uri::parse("mysql://[::ffff:10.0.0.1]:3306");
  EXPECT_EQ(v4.host, "::ffff:10.0.0.1");
  EXPECT_EQ(v4.path, "");
}

TEST(UriParseTest, PercentEncodedUserinfo) {
  Uri u = Uri::parse("postgresql://us%65r:p%40ss%3Aw%2Frd@h/db");
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password.reveal(), "p@ss:w/rd");
  EXPECT_EQ(u.to_string(), "postgresql://user:***@h/db");
  EXPECT_EQ(u.to_string_with_secrets(), "postgresql://user:p%40ss%3Aw%2Frd@h/db");
}

TEST(UriParseTest, UserinfoSplitsAtLastAt) {
  // Azure SQL logins look like user@server; the last '@' ends the userinfo.
  Uri u = Uri::parse("sqlserver://admin@srv:pw@srv.database.windows.net/db");
  EXPECT_EQ(u.user, "admin@srv");
  EXPECT_EQ(u.password.reveal(), "pw");
  EXPECT_EQ(u.host, "srv.database.windows.net");
}

TEST(UriParseTest, PasswordWithoutUser) {
  Uri u = Uri::parse("postgresql://:pw@h/db");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password.reveal(), "pw");
  EXPECT_EQ(u.to_string(), "postgresql://:***@h/db");
}

TEST(UriParseTest, QueryRepeatedKeysEmptyValuesAndPlus) {
  Uri u = Uri::parse("postgresql://h/db?a=1&b=&c&a=2&&d=x+y&e=%2B&f=a=b");
  const Query expected = {{"a", "1"},   {"b", ""},  {"c", ""},   {"a", "2"},
                          {"d", "x+y"}, {"e", "+"}, {"f", "a=b"}};
  EXPECT_EQ(u.query, expected);
  EXPECT_EQ(u.option("a"), "1");  // first match
  EXPECT_EQ(u.option("c"), "");
  EXPECT_FALSE(u.option("zzz"));
  EXPECT_EQ(Uri::parse(u.to_string_with_secrets()), u);
}

TEST(UriParseTest, OptionKeysFoldCaseAndSeparators) {
  Uri u = Uri::parse("postgresql://h/db?SSL_Mode=require");
  EXPECT_EQ(u.option("ssl-mode"), "require");
  EXPECT_EQ(u.option("ssl_mode"), "require");
  EXPECT_EQ(u.option("SSLMODE"), std::nullopt);
  EXPECT_TRUE(option_keys_equal("ssl-mode", "SSL_MODE"));
  EXPECT_FALSE(option_keys_equal("sslmode", "ssl-mode"));
}

TEST(UriParseTest, SetOptionReplacesOrAppends) {
  Uri u = Uri::parse("postgresql://h/db?ssl_mode=disable&x=1&SSL-MODE=prefer");
  u.set_option("ssl-mode", "require");
  u.set_option("connect_timeout", "5");
  const Query expected = {{"ssl-mode", "require"}, {"x", "1"}, {"connect_timeout", "5"}};
  EXPECT_EQ(u.query, expected);
}

TEST(UriParseTest, FragmentAndEmptyPort) {
  Uri u = Uri::parse("postgresql://h:/db#frag%20ment");
  EXPECT_FALSE(u.port);
  EXPECT_EQ(u.fragment, "frag ment");
  EXPECT_EQ(u.to_string(), "postgresql://h/db#frag%20ment");
}

TEST(UriParseTest, PortBounds) {
  EXPECT_EQ(Uri::parse("postgresql://h:1/db").port, 1);
  EXPECT_EQ(Uri::parse("postgresql://h:65535/db").port, 65535);
  EXPECT_EQ(Uri::parse("postgresql://h:005432/db").port, 5432);
}

TEST(UriParseTest, SchemeWithoutSlashesIsOpaque) {
  // Anything matching ^[A-Za-z][A-Za-z0-9+.-]*: is a scheme; the connector
  // registry rejects unknown ones.
  Uri u = Uri::parse("localhost:5432/db");
  EXPECT_EQ(u.scheme, "localhost");
  EXPECT_TRUE(u.opaque);
  EXPECT_EQ(u.path, "5432/db");
}

// --- malformed input -----------------------------------------------------------

TEST(UriErrorTest, Empty) { parse_error("", "empty URL"); }

TEST(UriErrorTest, NoScheme) {
  parse_error("orders.db", "has no scheme (expected e.g. sqlite:///path.db");
  parse_error("/tmp/x.db", "has no scheme");
  parse_error("://host/db", "has no scheme");
  parse_error("1abc://host", "has no scheme");
  std::string message = parse_error("app:" + std::string(kPassword) + "@h/db", "credentials");
  EXPECT_NE(message.find("app://user:password@host"), std::string::npos) << message;
}

TEST(UriErrorTest, NothingAfterScheme) {
  parse_error("postgresql:", "nothing follows");
  // From fuzz/uri_fuzz: these parsed to a Uri that is written back as "x-.0:",
  // which does not parse.
  parse_error("X-.0:#", "nothing follows");
  parse_error("sqlite:?", "nothing follows");
  parse_error("sqlite:?#", "nothing follows");
}

TEST(UriErrorTest, BadPort) {
  const std::string pw(kPassword);
  std::string m =
      parse_error("postgresql://app:" + pw + "@db:99999/x", "port 99999 is out of range (1-65535)");
  EXPECT_EQ(m,
            "malformed URL 'postgresql://app:***@db:99999/x': port 99999 is out of range "
            "(1-65535)");
  parse_error("postgresql://app:" + pw + "@db:0/x", "port 0 is out of range");
  parse_error("postgresql://app:" + pw + "@db:123456789012345678901234567890/x", "out of range");
  parse_error("postgresql://app:" + pw + "@db:54a/x", "port '54a' is not a number");
  parse_error("postgresql://app:" + pw + "@db:-1/x", "is not a number");
  parse_error("postgresql://app:" + pw + "@[::1]:x/db", "is not a number");
}

TEST(UriErrorTest, BadIpv6) {
  const std::string pw(kPassword);
  parse_error("postgresql://u:" + pw + "@[::1/db", "no closing ']'");
  parse_error("postgresql://u:" + pw + "@[::1", "no closing ']'");
  parse_error("postgresql://u:" + pw + "@[zz::1]/db", "is not an IPv6 address");
  parse_error("postgresql://u:" + pw + "@[127.0.0.1]/db", "is not an IPv6 address");
  parse_error("postgresql://u:" + pw + "@[::1]x/db", "after the IPv6 address");
  parse_error("postgresql://u:" + pw + "@::1/db", "is not a number");
  parse_error("postgresql://u:" + pw + "@h]/db", "invalid character ']'");
}

TEST(UriErrorTest, BadPercentEscapes) {
  const std::string pw(kPassword);
  parse_error("postgresql://u:" + pw + "%zz@h/db", "bad percent escape in the password");
  parse_error("postgresql://u:" + pw + "%4@h/db", "bad percent escape in the password");
  parse_error("postgresql://u%zz:" + pw + "@h/db", "in the user name");
  parse_error("postgresql://u:" + pw + "@h%zz/db", "in the host");
  parse_error("postgresql://u:" + pw + "@h/d%zzb", "in the path");
  parse_error("postgresql://u:" + pw + "@h/db?a%zz=1", "in the query option name");
  parse_error("postgresql://u:" + pw + "@h/db?sslmode=%4", "value of query option 'sslmode'");
  parse_error("postgresql://h/db?password=" + pw + "%zz", "value of query option 'password'");
  parse_error("postgresql://h/db#%", "in the fragment");
  parse_error("sqlite:x%zz.db", "in the path");
}

TEST(UriErrorTest, ControlCharactersAndSpaces) {
  const std::string pw(kPassword);
  parse_error("postgresql://u:" + pw + "@h/db\n", "control character 0x0a");
  parse_error("postgresql://u:" + pw + "\t@h/db", "control character 0x09");
  parse_error("postgresql://u:" + pw + "\n" + pw + "@h/db", "control character");
  parse_error("postgresql://u:" + pw + "@h/db?a=1\npassword=" + pw, "control character");
  parse_error(std::string("postgresql://u:") + pw + std::string(1, '\0') + "@h/db",
              "control character 0x00");
  parse_error("postgresql://u:pa ss" + pw + "@h/db", "contains a space");
  parse_error("postgresql://u:" + pw + "@my host/db", "contains a space");
  parse_error("postgresql://u:" + pw + "@h<x>/db", "invalid character '<'");
}

TEST(UriErrorTest, EmptyQueryOptionName) {
  parse_error("postgresql://h/db?=x", "empty name");
  parse_error("postgresql://h/db?a=1&=x", "empty name");
}

TEST(UriErrorTest, UnencodedDelimitersInPasswordNeverLeak) {
  const std::string pw(kPassword);
  // Each of these cuts the authority short inside the password.
  for (const std::string& url : {
           "postgresql://app:" + pw + "/x@db/shop",
           "postgresql://app:" + pw + "#x@db/shop",
           "postgresql://app:" + pw + "?x@db/shop",
           "postgresql://app:123/" + pw + "@db/shop",
           "postgresql://app:123#" + pw + "@db/shop",
           "postgresql://app:123?" + pw + "@db/shop",
           "postgresql://app:p@ss/" + pw + "@db/shop",
       }) {
    SCOPED_TRACE(url);
    std::string m = parse_error(url, "percent-encode them", pw);
    EXPECT_EQ(m.find(pw), std::string::npos) << m;
  }
}

// --- rendering -----------------------------------------------------------------

TEST(UriRenderTest, RedactsPasswordAndSecretOptions) {
  const std::string pw(kPassword);
  Uri u = Uri::parse("postgresql://app:" + pw + "@db:5432/shop?sslmode=require&password=" + pw +
                     "&AWS_SECRET_ACCESS_KEY=" + pw + "&x-amz-security-token=" + pw + "&sig=" + pw +
                     "&partition-key=id&sslpassword=" + pw + "&empty_token=");
  const std::string shown = u.to_string();
  EXPECT_EQ(shown.find(pw), std::string::npos) << shown;
  EXPECT_EQ(shown,
            "postgresql://app:***@db:5432/shop?sslmode=require&password=***"
            "&AWS_SECRET_ACCESS_KEY=***&x-amz-security-token=***&sig=***&partition-key=id"
            "&sslpassword=***&empty_token=");
}

TEST(UriRenderTest, RedactsCredentialsNestedInOptionValues) {
  const std::string pw(kPassword);
  Uri u;
  u.scheme = "cosmos";
  u.host = "acct";
  u.query = {{"endpoint", "https://user:" + pw + "@127.0.0.1:8081"},
             {"conn", "AccountName=a;AccountKey=" + pw + ";EndpointSuffix=x"}};
  const std::string shown = u.to_string();
  EXPECT_EQ(shown.find(pw), std::string::npos) << shown;
  EXPECT_NE(shown.find("https://user:***%40127.0.0.1:8081"), std::string::npos) << shown;
  EXPECT_NE(shown.find("AccountKey%3D***;EndpointSuffix"), std::string::npos) << shown;
}

TEST(UriRenderTest, RoundTripWithSecrets) {
  const std::vector<std::string> urls = {
      "sqlite:///tmp/x.db",
      "sqlite:rel/x.db",
      "sqlite::memory:",
      "postgresql://u:p%40ss%2F%3F%23%25@[::1]:5432/db?sslmode=require&a=&a=2",
      "postgresql://[fe80::1%25eth0]:5432/db",
      "mysql://root@localhost/app#frag",
      "odbc://?dsn=NAME",
      "odbc:///?connection-string=Driver%3D%7BX%7D%3BPWD%3Dp%26w",
      "dynamodb://us-east-1?endpoint=http://127.0.0.1:58000",
      "cosmos://ACCOUNT-HOST/DB?endpoint=https://127.0.0.1:8081&key=abc%2B%2F%3D%3D",
      "firestore://PROJECT/(default)?emulator=127.0.0.1:8080",
      "s3://bucket?endpoint=http://127.0.0.1:4569",
      "azblob://account/container?endpoint=http://127.0.0.1:10000",
      "sqlserver://sa:p%20w@h:1433/master?encrypt=yes&x=a+b",
      "sqlite:%2F%2Fodd",
      "sqlite:///we%20ird%23/p%3Fath.db",
      // From fuzz/uri_fuzz: a host name with an encoded ':' was written back
      // as an IPv6 literal "[eu-we:2]", which does not parse.
      "dynamodb://eu-we%3A2?sets=ead=true",
      "postgresql://%3A%3A1/db",
  };
  for (const std::string& url : urls) {
    SCOPED_TRACE(url);
    Uri u = Uri::parse(url);
    Uri again = Uri::parse(u.to_string_with_secrets());
    EXPECT_EQ(again, u) << u.to_string_with_secrets();
    // The redacted form parses too and keeps every non-secret part.
    Uri shown = Uri::parse(u.to_string());
    EXPECT_EQ(shown.scheme, u.scheme);
    EXPECT_EQ(shown.user, u.user);
    EXPECT_EQ(shown.host, u.host);
    EXPECT_EQ(shown.port, u.port);
    EXPECT_EQ(shown.path, u.path);
    EXPECT_EQ(shown.opaque, u.opaque);
  }
}

TEST(UriRenderTest, BuiltByHand) {
  Uri u;
  u.scheme = "postgresql";
  u.user = "a b";
  u.password = Secret(std::string("p@ss"));
  u.host = "h";
  u.port = 5432;
  u.path = "db";  // no leading '/': one is added
  EXPECT_EQ(u.to_string(), "postgresql://a%20b:***@h:5432/db");
  EXPECT_EQ(u.to_string_with_secrets(), "postgresql://a%20b:p%40ss@h:5432/db");
}

// --- secret keys and free-text redaction -----------------------------------------------

TEST(SecretKeyTest, Rule) {
  for (std::string_view key : {"password",
                               "PWD",
                               "pass",
                               "key",
                               "secret",
                               "token",
                               "sig",
                               "signature",
                               "access-key",
                               "secret_key",
                               "access_key_id",
                               "secret_access_key",
                               "session-token",
                               "account-key",
                               "AccountKey",
                               "sas",
                               "credentials",
                               "private-key",
                               "sslpassword",
                               "client_secret",
                               "x-amz-security-token",
                               "X-Amz-Credential",
                               "SharedAccessSignature",
                               "api_key"}) {
    EXPECT_TRUE(is_secret_option_key(key)) << key;
  }
  for (std::string_view key : {"sslmode", "partition-key", "sslkey", "user", "host", "dsn",
                               "endpoint", "region", "keyspace", "emulator"}) {
    EXPECT_FALSE(is_secret_option_key(key)) << key;
  }
}

TEST(RedactTextTest, Userinfo) {
  EXPECT_EQ(redact_url_text("scheme://user:pass@host"), "scheme://user:***@host");
  EXPECT_EQ(redact_url_text("postgresql://app@db/shop"), "postgresql://app@db/shop");
  EXPECT_EQ(redact_url_text("postgresql://db:5432/shop"), "postgresql://db:5432/shop");
  EXPECT_EQ(redact_url_text("postgresql://u:p/a?b#c d@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(redact_url_text("copy mysql://h:3306/a to postgresql://u:pw@h2/b"),
            "copy mysql://h:3306/a to postgresql://u:***@h2/b");
  EXPECT_EQ(redact_url_text("user:pw@host/db"), "user:***@host/db");
  EXPECT_EQ(redact_url_text(""), "");
}

TEST(RedactTextTest, Options) {
  EXPECT_EQ(redact_url_text("h/db?password=x&sslmode=require"),
            "h/db?password=***&sslmode=require");
  EXPECT_EQ(redact_url_text("h/db?a=1&key=abc#frag"), "h/db?a=1&key=***#frag");
  EXPECT_EQ(redact_url_text("host=h password = 'a b' user=u"), "host=h password = *** user=u");
  EXPECT_EQ(redact_url_text("Driver={X};PWD={a;b}}c};UID=u"), "Driver={X};PWD=***;UID=u");
  EXPECT_EQ(redact_url_text("connection-string=DSN%3Dx%3BPWD%3Dsecret%3BUID%3Du"),
            "connection-string=DSN%3Dx%3BPWD%3D***%3BUID%3Du");
  EXPECT_EQ(redact_url_text("partition-key=id&mykey=1"), "partition-key=id&mykey=1");
  EXPECT_EQ(redact_url_text("token="), "token=");
}

}  // namespace
}  // namespace polydb

namespace polydb {
namespace {

TEST(RedactUrlText, IsIdempotent) {
  for (std::string_view text :
       {"cannot open sqlite:///x.db?password=hunter2: the file does not exist",
        "postgresql://app:s3cret@db:5432/shop?sslmode=require&token=abc; retry",
        "Server=h;PWD=p@ss;Database=d"}) {
    const std::string once = redact_url_text(text);
    EXPECT_EQ(redact_url_text(once), once) << text;
  }
  EXPECT_EQ(redact_url_text("x?password=***: the file"), "x?password=***: the file");
}

}  // namespace
}  // namespace polydb
