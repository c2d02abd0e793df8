#include "polydb/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/error.hpp"

namespace polydb {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kPassword = "Zq7xCFGSECRETpw";

// Sets an environment variable for one test and restores "unset" after.
// Names are unique to this file so tests never see a real variable.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

// Parses `yaml`, expects Error(invalid_argument) whose message contains
// `expected` and never kPassword; returns the message.
std::string config_error(const std::string& yaml, std::string_view expected) {
  try {
    Config::parse(yaml);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_NE(e.message().find(expected), std::string::npos)
        << "message: " << e.message() << "\nexpected to contain: " << expected;
    EXPECT_EQ(e.message().find(kPassword), std::string::npos) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return {};
}

TEST(ConfigTest, ShortAndLongForms) {
  ScopedEnv pw("POLYDB_CFGTEST_PW1", std::string(kPassword));
  const Config config = Config::parse(
      "connections:\n"
      "  shop: postgresql://app@127.0.0.1:55432/shop\n"
      "  orders:\n"
      "    url: sqlite:///data/orders.db\n"
      "    password: ${POLYDB_CFGTEST_PW1}\n"
      "    options:\n"
      "      sslmode: require\n"
      "      timeout: 5\n"
      "defaults:\n"
      "  format: table\n"
      "  batch_size: 10000\n"
      "log:\n"
      "  level: info\n");
  EXPECT_EQ(config.connection_names(), (std::vector<std::string>{"shop", "orders"}));

  const ConnectionConfig* shop = config.find("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->name, "shop");
  EXPECT_EQ(shop->url, "postgresql://app@127.0.0.1:55432/shop");
  EXPECT_TRUE(shop->password.empty());
  EXPECT_TRUE(shop->options.empty());
  EXPECT_EQ(shop->line, 2);
  EXPECT_EQ(shop->source, "polydb.yaml");
  EXPECT_EQ(shop->uri().port, 55432);

  const ConnectionConfig* orders = config.find("orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->url, "sqlite:///data/orders.db");
  EXPECT_EQ(orders->password.reveal(), kPassword);
  EXPECT_EQ(orders->options, (Options{{"sslmode", "require"}, {"timeout", "5"}}));
  EXPECT_EQ(orders->line, 3);

  EXPECT_EQ(config.find("nope"), nullptr);
  EXPECT_EQ(config.find("Shop"), nullptr);
  EXPECT_EQ(config.default_format(), "table");
  EXPECT_EQ(config.default_batch_size(), 10000u);
  EXPECT_EQ(config.log_level(), "info");
}

TEST(ConfigTest, EmptyAndMinimalFiles) {
  for (const std::string yaml : {"", "# only a comment\n", "connections:\n", "defaults:\nlog:\n"}) {
    const Config config = Config::parse(yaml);
    EXPECT_TRUE(config.connection_names().empty());
    EXPECT_FALSE(config.default_format());
    EXPECT_FALSE(config.default_batch_size());
    EXPECT_FALSE(config.log_level());
  }
}

TEST(ConfigTest, OptionsAndPasswordMergeIntoUri) {
  ScopedEnv pw("POLYDB_CFGTEST_PW2", std::string(kPassword));
  const Config config = Config::parse(
      "connections:\n"
      "  pg:\n"
      "    url: postgresql://app:urlpw@db:5432/shop?sslmode=disable&application_name=x\n"
      "    password: ${POLYDB_CFGTEST_PW2}\n"
      "    options:\n"
      "      SSLMODE: require\n"
      "      connect_timeout: 10\n");
  const Uri uri = config.find("pg")->uri();
  EXPECT_EQ(uri.password.reveal(), kPassword);
  EXPECT_EQ(
      uri.query,
      (Options{{"SSLMODE", "require"}, {"application_name", "x"}, {"connect_timeout", "10"}}));
  EXPECT_EQ(uri.option("sslmode"), "require");
  EXPECT_EQ(uri.to_string(),
            "postgresql://app:***@db:5432/shop?SSLMODE=require&application_name=x"
            "&connect_timeout=10");
}

TEST(ConfigTest, UrlPasswordKeptWithoutPasswordField) {
  const Config config = Config::parse("connections:\n  pg: postgresql://app:pw@db/shop\n");
  EXPECT_EQ(config.find("pg")->uri().password.reveal(), "pw");
}

TEST(ConfigTest, SecretOptionsAreRedactedInUriText) {
  ScopedEnv key("POLYDB_CFGTEST_KEY", std::string(kPassword));
  const Config config = Config::parse(
      "connections:\n"
      "  docs:\n"
      "    url: cosmos://acct/db?endpoint=https://127.0.0.1:8081\n"
      "    options:\n"
      "      key: ${POLYDB_CFGTEST_KEY}\n");
  const Uri uri = config.find("docs")->uri();
  EXPECT_EQ(uri.option("key"), kPassword);
  EXPECT_EQ(uri.to_string(), "cosmos://acct/db?endpoint=https://127.0.0.1:8081&key=***");
}

TEST(ConfigTest, EnvironmentSubstitution) {
  ScopedEnv host("POLYDB_CFGTEST_HOST", "db.internal");
  ScopedEnv empty("POLYDB_CFGTEST_EMPTY", "");
  ::unsetenv("POLYDB_CFGTEST_UNSET");
  const Config config = Config::parse(
      "connections:\n"
      "  a: postgresql://${POLYDB_CFGTEST_HOST}:5432/db\n"
      "  b: postgresql://${POLYDB_CFGTEST_UNSET:-fallback}/db\n"
      "  c: postgresql://${POLYDB_CFGTEST_EMPTY:-wasempty}/db\n"
      "  d: postgresql://h${POLYDB_CFGTEST_EMPTY}/db\n"
      "  e: postgresql://h/db?price=$$5&cost=$9&tail=$\n"
      "  f: postgresql://${POLYDB_CFGTEST_UNSET:-${POLYDB_CFGTEST_HOST}}/db\n"
      "  g: postgresql://${POLYDB_CFGTEST_UNSET:-}h/db\n"
      "  h: \"postgresql://h/${POLYDB_CFGTEST_HOST}\"\n"
      "  i: postgresql://h/db?x=$${NOT_A_VAR}\n"
      "defaults:\n"
      "  batch_size: ${POLYDB_CFGTEST_UNSET:-250}\n"
      "  format: ${POLYDB_CFGTEST_UNSET:-csv}\n");
  EXPECT_EQ(config.find("a")->url, "postgresql://db.internal:5432/db");
  EXPECT_EQ(config.find("b")->url, "postgresql://fallback/db");
  EXPECT_EQ(config.find("c")->url, "postgresql://wasempty/db");
  EXPECT_EQ(config.find("d")->url, "postgresql://h/db");
  EXPECT_EQ(config.find("e")->url, "postgresql://h/db?price=$5&cost=$9&tail=$");
  EXPECT_EQ(config.find("f")->url, "postgresql://db.internal/db");
  EXPECT_EQ(config.find("g")->url, "postgresql://h/db");
  EXPECT_EQ(config.find("h")->url, "postgresql://h/db.internal");
  EXPECT_EQ(config.find("i")->url, "postgresql://h/db?x=${NOT_A_VAR}");
  EXPECT_EQ(config.default_batch_size(), 250u);
  EXPECT_EQ(config.default_format(), "csv");
}

TEST(ConfigTest, KeysAreNotSubstituted) {
  ScopedEnv v("POLYDB_CFGTEST_OPT", "value");
  const Config config = Config::parse(
      "connections:\n"
      "  a:\n"
      "    url: 'sqlite::memory:'\n"
      "    options:\n"
      "      ${POLYDB_CFGTEST_OPT}: ${POLYDB_CFGTEST_OPT}\n");
  EXPECT_EQ(config.find("a")->options, (Options{{"${POLYDB_CFGTEST_OPT}", "value"}}));
}

TEST(ConfigTest, MissingVariableNamesItAndTheLine) {
  ::unsetenv("POLYDB_CFGTEST_MISSING");
  const std::string message = config_error(
      "connections:\n"
      "  orders:\n"
      "    url: sqlite:///data/orders.db\n"
      "    password: ${POLYDB_CFGTEST_MISSING}\n",
      "polydb.yaml:4: environment variable POLYDB_CFGTEST_MISSING is not set");
  EXPECT_EQ(message,
            "polydb.yaml:4: environment variable POLYDB_CFGTEST_MISSING is not set (set it or "
            "write ${POLYDB_CFGTEST_MISSING:-default})");
}

TEST(ConfigTest, BadSubstitutions) {
  config_error("log:\n  level: ${POLYDB_CFGTEST_X\n", "polydb.yaml:2: unterminated '${'");
  config_error("connections:\n  a: sqlite:${POLYDB_CFGTEST_X:-${Y}\n",
               "polydb.yaml:2: unterminated '${'");
  config_error("connections:\n  a: sqlite:${9X}\n", "polydb.yaml:2: invalid environment variable");
  config_error("connections:\n  a: sqlite:${}\n", "polydb.yaml:2: invalid environment variable");
  // A ':' typed for ":-" must not put the "default" (maybe a password) in the message.
  config_error("connections:\n  a:\n    url: 'sqlite::memory:'\n    password: ${PW:" +
                   std::string(kPassword) + "}\n",
               "polydb.yaml:4: invalid environment variable");
}

TEST(ConfigTest, SourceNameAppearsInMessages) {
  try {
    Config::parse("bogus: 1\n", "/etc/polydb/prod.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "/etc/polydb/prod.yaml:1: unknown key 'bogus' at the top level (expected one of: "
              "connections, defaults, log)");
  }
}

TEST(ConfigTest, UnknownKeys) {
  EXPECT_EQ(config_error("connections:\n"
                         "  shop: 'sqlite::memory:'\n"
                         "  orders:\n"
                         "    url: sqlite:///data/orders.db\n"
                         "    pasword: " +
                             std::string(kPassword) + "\n",
                         "unknown key"),
            "polydb.yaml:5: unknown key 'pasword' in connection 'orders' (expected one of: url, "
            "password, options)");
  config_error("defaults:\n  format: csv\n  batchsize: 5\n",
               "polydb.yaml:3: unknown key 'batchsize' in defaults (expected one of: format, "
               "batch_size)");
  config_error("log:\n  lvl: info\n",
               "polydb.yaml:2: unknown key 'lvl' in log (expected one of: level)");
  config_error("\n\nconnection:\n  a: 'sqlite::memory:'\n",
               "polydb.yaml:3: unknown key 'connection' at the top level");
}

TEST(ConfigTest, WrongTypes) {
  config_error("- a\n- b\n", "polydb.yaml:1: the top level must be a map");
  config_error("just text\n", "the top level must be a map");
  config_error("connections:\n  - 'sqlite::memory:'\n",
               "polydb.yaml:1: 'connections' must be a map, not a list");
  config_error("connections: 'sqlite::memory:'\n", "'connections' must be a map, not a string");
  config_error("connections:\n  a:\n    - 'sqlite::memory:'\n",
               "polydb.yaml:2: connection 'a' must be a URL or a map");
  config_error("connections:\n  a:\n", "polydb.yaml:2: connection 'a' must be a URL or a map");
  config_error("connections:\n  a:\n    password: x\n", "polydb.yaml:2: connection 'a' has no url");
  config_error("connections:\n  a:\n    url:\n", "polydb.yaml:3: connection 'a' has an empty url");
  config_error("connections:\n  a:\n    url: [x]\n",
               "polydb.yaml:3: the url of connection 'a' must be a string, not a list");
  config_error("connections:\n  a:\n    url: 'sqlite::memory:'\n    password: {x: " +
                   std::string(kPassword) + "}\n",
               "polydb.yaml:4: the password of connection 'a' must be a string, not a map");
  config_error("connections:\n  a:\n    url: 'sqlite::memory:'\n    options: [a, b]\n",
               "polydb.yaml:4: the options of connection 'a' must be a map, not a list");
  config_error("connections:\n  a:\n    url: 'sqlite::memory:'\n    options:\n      x: [1]\n",
               "polydb.yaml:5: option 'x' of connection 'a' must be a string, not a list");
  config_error("defaults: 5\n", "polydb.yaml:1: 'defaults' must be a map, not a string");
  config_error("log: [info]\n", "polydb.yaml:1: 'log' must be a map, not a list");
}

TEST(ConfigTest, BadValues) {
  config_error("defaults:\n  batch_size: 0\n",
               "polydb.yaml:2: defaults.batch_size must be a positive integer, not '0'");
  config_error("defaults:\n  batch_size: -5\n", "must be a positive integer, not '-5'");
  config_error("defaults:\n  batch_size: 1e4\n", "must be a positive integer");
  config_error("defaults:\n  batch_size: 99999999999999999999999999\n",
               "must be a positive integer");
  config_error("defaults:\n  batch_size:\n", "polydb.yaml:2: defaults.batch_size must be");
  config_error("defaults:\n  format: xml\n",
               "polydb.yaml:2: defaults.format must be one of table, csv, json, ndjson, not 'xml'");
  config_error("log:\n  level: verbose\n",
               "polydb.yaml:2: log.level must be one of trace, debug, info, warn, error, off");
  // Case-insensitive, stored lowercase; YAML 1.1's "off" stays the word "off".
  const Config config = Config::parse("defaults:\n  format: NDJSON\nlog:\n  level: off\n");
  EXPECT_EQ(config.default_format(), "ndjson");
  EXPECT_EQ(config.log_level(), "off");
}

TEST(ConfigTest, ConnectionNames) {
  const Config ok =
      Config::parse("connections:\n  _a-1_b: 'sqlite::memory:'\n  Z9: 'sqlite::memory:'\n");
  EXPECT_EQ(ok.connection_names(), (std::vector<std::string>{"_a-1_b", "Z9"}));
  config_error("connections:\n  9lives: 'sqlite::memory:'\n",
               "polydb.yaml:2: invalid connection name '9lives'");
  config_error("connections:\n  a.b: 'sqlite::memory:'\n", "invalid connection name 'a.b'");
  config_error("connections:\n  -x: 'sqlite::memory:'\n", "invalid connection name");
  config_error("connections:\n  ? [a]\n  : 'sqlite::memory:'\n", "invalid connection name");
}

TEST(ConfigTest, DuplicateKeys) {
  config_error("connections:\n  a: 'sqlite::memory:'\n  b: 'sqlite::memory:'\n  a: sqlite:x.db\n",
               "polydb.yaml:4: duplicate connection name 'a' (first defined on line 2)");
  config_error("connections:\n  a:\n    url: 'sqlite::memory:'\n    url: sqlite:x.db\n",
               "polydb.yaml:4: duplicate key 'url' in connection 'a' (first on line 3)");
  config_error("log:\n  level: info\nlog:\n  level: warn\n",
               "polydb.yaml:3: duplicate key 'log' at the top level (first on line 1)");
  config_error(
      "connections:\n  a:\n    url: 'sqlite::memory:'\n    options:\n"
      "      ssl-mode: a\n      ssl_mode: b\n",
      "polydb.yaml:6: option 'ssl_mode' of connection 'a' repeats 'ssl-mode' (line 5)");
}

TEST(ConfigTest, UnquotedMemoryUrlGetsAHint) {
  // "sqlite::memory:" ends in ':', which YAML reads as a map key.
  config_error("connections:\n  mem: sqlite::memory:\n",
               "polydb.yaml:2: YAML syntax error: illegal map value (quote values that contain "
               "': ' or end in ':', e.g. \"sqlite::memory:\")");
  const Config config = Config::parse("connections:\n  mem: 'sqlite::memory:'\n");
  EXPECT_EQ(config.find("mem")->uri().path, ":memory:");
}

TEST(ConfigTest, YamlSyntaxErrorHasLine) {
  const std::string message = config_error(
      "connections:\n  a: 'sqlite::memory:'\n  b: [oops\n  c: x\n", "YAML syntax error");
  EXPECT_EQ(message.rfind("polydb.yaml:", 0), 0u) << message;
  EXPECT_NE(message.find("polydb.yaml:4:"), std::string::npos) << message;
  config_error("log:\n  level: info\n bad: 1\n", "polydb.yaml:3: YAML syntax error");
}

TEST(ConfigTest, MalformedUrlNamesConnectionAndLineWithoutPassword) {
  const std::string pw(kPassword);
  EXPECT_EQ(config_error("connections:\n  ok: 'sqlite::memory:'\n  shop: postgresql://app:" + pw +
                             "@db:99999/x\n",
                         "polydb.yaml:3: connection 'shop'"),
            "polydb.yaml:3: connection 'shop': malformed URL 'postgresql://app:***@db:99999/x': "
            "port 99999 is out of range (1-65535)");
  ScopedEnv env("POLYDB_CFGTEST_PW3", pw);
  config_error("connections:\n  shop:\n    url: postgresql://app:${POLYDB_CFGTEST_PW3}@db:0/x\n",
               "polydb.yaml:2: connection 'shop': malformed URL");
  config_error("connections:\n  shop:\n    url: orders.db\n    password: " + pw + "\n",
               "has no scheme");
  config_error("connections:\n  shop: \"postgresql://app:" + pw + "/x@db/shop\"\n",
               "percent-encode them");
}

TEST(ConfigTest, UriOfHandBuiltConnectionReportsItsLine) {
  ConnectionConfig connection;
  connection.name = "x";
  connection.url = "postgresql://u:" + std::string(kPassword) + "@h:abc/db";
  connection.source = "my.yaml";
  connection.line = 7;
  try {
    connection.uri();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.message().rfind("my.yaml:7: connection 'x': malformed URL", 0), 0u) << e.message();
    EXPECT_EQ(e.message().find(kPassword), std::string::npos) << e.message();
  }
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("polydb_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsAFile) {
  const auto path = dir_ / "polydb.yaml";
  std::ofstream(path) << "connections:\n  local: 'sqlite::memory:'\nlog:\n  level: debug\n";
  const Config config = Config::load_file(path);
  EXPECT_EQ(config.connection_names(), (std::vector<std::string>{"local"}));
  EXPECT_EQ(config.find("local")->source, path.string());
  EXPECT_EQ(config.log_level(), "debug");
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
  const auto path = dir_ / "bad.yaml";
  std::ofstream(path) << "connections:\n  a: 'sqlite::memory:'\n  b: nope\n";
  try {
    Config::load_file(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.message().rfind(path.string() + ":3: connection 'b': malformed URL", 0), 0u)
        << e.message();
  }
}

TEST_F(ConfigFileTest, MissingFileIsNotFound) {
  const auto path = dir_ / "missing.yaml";
  try {
    Config::load_file(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_EQ(e.message(), "config file '" + path.string() + "' not found");
  }
}

TEST_F(ConfigFileTest, DirectoryIsIoError) {
  try {
    Config::load_file(dir_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_NE(e.message().find("is a directory"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace polydb
