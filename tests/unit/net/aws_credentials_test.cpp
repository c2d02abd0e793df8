// AWS credentials chain and region, and the INI reader of the shared files:
// each test points AWS_SHARED_CREDENTIALS_FILE/AWS_CONFIG_FILE at its own
// temporary files and restores every variable it touched.

#include "net/aws_credentials.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "net/ini.hpp"
#include "polydb/error.hpp"

namespace polydb::net {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAwsVariables[] = {"AWS_ACCESS_KEY_ID",
                                         "AWS_SECRET_ACCESS_KEY",
                                         "AWS_SESSION_TOKEN",
                                         "AWS_PROFILE",
                                         "AWS_REGION",
                                         "AWS_DEFAULT_REGION",
                                         "AWS_SHARED_CREDENTIALS_FILE",
                                         "AWS_CONFIG_FILE",
                                         "HOME"};

// Clears every AWS variable, gives the test a private temporary directory
// (HOME points there, so a real ~/.aws is never read), and restores the
// environment and removes the directory afterwards.
class AwsEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kAwsVariables) {
      const char* value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
    dir_ = fs::temp_directory_path() /
           ("polydb-aws-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("HOME", dir_.c_str(), 1);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
    fs::remove_all(dir_);
  }

  // Writes `text` to `name` under the test directory; returns its path.
  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  fs::path dir_;
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(AwsEnvTest, ExplicitKeysComeFirst) {
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  const AwsCredentials c = resolve_aws_credentials({.access_key_id = "EXPLICIT",
                                                    .secret_access_key = Secret("s3cr3t"),
                                                    .session_token = Secret("tok")});
  EXPECT_EQ(c.access_key_id, "EXPLICIT");
  EXPECT_EQ(c.secret_access_key.reveal(), "s3cr3t");
  EXPECT_EQ(c.session_token.reveal(), "tok");
  EXPECT_EQ(c.source, "explicit");
}

TEST_F(AwsEnvTest, HalfAnExplicitKeyPairIsAnAuthError) {
  try {
    resolve_aws_credentials({.access_key_id = "ONLYID"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_NE(e.message().find("secret"), std::string::npos) << e.what();
  }
}

TEST_F(AwsEnvTest, EnvironmentVariablesComeNext) {
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  ::setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = f\n");
  const AwsCredentials c = resolve_aws_credentials();
  EXPECT_EQ(c.access_key_id, "ENVKEY");
  EXPECT_EQ(c.secret_access_key.reveal(), "envsecret");
  EXPECT_EQ(c.session_token.reveal(), "envtoken");
  EXPECT_EQ(c.source, "environment");
}

TEST_F(AwsEnvTest, AnAccessKeyIdWithoutItsSecretInTheEnvironmentIsAnAuthError) {
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  try {
    resolve_aws_credentials();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_NE(e.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << e.what();
  }
}

TEST_F(AwsEnvTest, DefaultProfileOfTheCredentialsFileUnderHome) {
  write(".aws/credentials",
        "[default]\naws_access_key_id = HOMEKEY\naws_secret_access_key = homesecret\n");
  const AwsCredentials c = resolve_aws_credentials();
  EXPECT_EQ(c.access_key_id, "HOMEKEY");
  EXPECT_EQ(c.secret_access_key.reveal(), "homesecret");
  EXPECT_TRUE(c.session_token.empty());
  EXPECT_NE(c.source.find(".aws/credentials [default]"), std::string::npos) << c.source;
}

TEST_F(AwsEnvTest, ProfileFromAwsProfileAndTheFilesNamedByTheEnvironment) {
  const std::string creds = write("elsewhere/creds",
                                  "# comment\n"
                                  "[default]\n"
                                  "aws_access_key_id=DEFAULTKEY\n"
                                  "aws_secret_access_key=d\n"
                                  "\n"
                                  "[ dev ]\r\n"
                                  "AWS_Access_Key_Id = DEVKEY   \r\n"
                                  "aws_secret_access_key = dev/secret+with=chars\r\n"
                                  "aws_session_token = devtoken\r\n");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", creds.c_str(), 1);
  ::setenv("AWS_PROFILE", "dev", 1);
  const AwsCredentials c = resolve_aws_credentials();
  EXPECT_EQ(c.access_key_id, "DEVKEY");
  EXPECT_EQ(c.secret_access_key.reveal(), "dev/secret+with=chars");
  EXPECT_EQ(c.session_token.reveal(), "devtoken");
  EXPECT_EQ(c.source, creds + " [dev]");
}

TEST_F(AwsEnvTest, ConfigFileProfilesUseTheProfilePrefix) {
  const std::string config = write("cfg",
                                   "[default]\nregion = eu-west-1\n"
                                   "[profile  ci]\n"
                                   "region = ap-south-1\n"
                                   "aws_access_key_id = CIKEY\n"
                                   "aws_secret_access_key = cisecret\n"
                                   "s3 =\n"
                                   "    max_concurrent_requests = 20\n"
                                   "[ci]\naws_access_key_id = WRONG\naws_secret_access_key = x\n");
  ::setenv("AWS_CONFIG_FILE", config.c_str(), 1);
  const AwsCredentials c = resolve_aws_credentials({.profile = "ci"});
  EXPECT_EQ(c.access_key_id, "CIKEY");
  EXPECT_EQ(resolve_aws_region({.profile = "ci"}), "ap-south-1");
  EXPECT_EQ(resolve_aws_region(), "eu-west-1");  // [default] in the config file
}

TEST_F(AwsEnvTest, AnExplicitProfileBeatsEnvironmentKeys) {
  write(".aws/credentials", "[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = p\n");
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  EXPECT_EQ(resolve_aws_credentials({.profile = "prod"}).access_key_id, "PRODKEY");
  ::setenv("AWS_PROFILE", "prod", 1);  // AWS_PROFILE does not beat the keys
  EXPECT_EQ(resolve_aws_credentials().access_key_id, "ENVKEY");
}

TEST_F(AwsEnvTest, TheCredentialsFileWinsOverTheConfigFile) {
  write(".aws/credentials", "[default]\naws_access_key_id = CREDKEY\naws_secret_access_key = c\n");
  write(".aws/config", "[default]\naws_access_key_id = CONFKEY\naws_secret_access_key = f\n");
  EXPECT_EQ(resolve_aws_credentials().access_key_id, "CREDKEY");
}

TEST_F(AwsEnvTest, AnUnknownExplicitProfileSaysWhereItLooked) {
  write(".aws/credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = s\n");
  try {
    resolve_aws_credentials({.profile = "nosuch"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_NE(e.message().find("'nosuch' was not found"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find(".aws/credentials"), std::string::npos) << e.what();
  }
}

TEST_F(AwsEnvTest, NoCredentialsAnywhereIsAnAuthErrorSayingWhatWasTriedAndHowToFixIt) {
  try {
    resolve_aws_credentials();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_FALSE(e.retryable());
    const std::string m = e.message();
    for (const char* part : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "profile 'default'",
                             ".aws/credentials (no such file)", ".aws/config (no such file)",
                             "aws configure", "polydb.yaml"})
      EXPECT_NE(m.find(part), std::string::npos) << part << " missing from: " << m;
  }
}

TEST_F(AwsEnvTest, SecretsNeverAppearInErrors) {
  write(".aws/credentials", "[default]\naws_secret_access_key = verysecretvalue\n");
  try {
    resolve_aws_credentials();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_NE(e.message().find("aws_access_key_id"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("verysecretvalue"), std::string::npos) << e.what();
  }
}

TEST_F(AwsEnvTest, UnsupportedProfileMechanismsAreNamed) {
  write(".aws/config",
        "[profile assume]\nrole_arn = arn:aws:iam::123:role/x\nsource_profile = default\n");
  try {
    resolve_aws_credentials({.profile = "assume"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(e.message().find("role_arn"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("export-credentials"), std::string::npos) << e.what();
  }
}

TEST_F(AwsEnvTest, RegionPrecedence) {
  EXPECT_EQ(resolve_aws_region(), std::nullopt);
  write(".aws/config", "[default]\nregion = from-config\n");
  EXPECT_EQ(resolve_aws_region(), "from-config");
  ::setenv("AWS_DEFAULT_REGION", "from-default-region", 1);
  EXPECT_EQ(resolve_aws_region(), "from-default-region");
  ::setenv("AWS_REGION", "from-region", 1);
  EXPECT_EQ(resolve_aws_region(), "from-region");
  EXPECT_EQ(resolve_aws_region({.region = "explicit"}), "explicit");
}

TEST_F(AwsEnvTest, OptionsFromAUri) {
  AwsCredentialOptions o =
      aws_options_from_uri(Uri::parse("dynamodb://AKID:se%2Fcret@us-east-1?endpoint=x"));
  EXPECT_EQ(o.access_key_id, "AKID");
  EXPECT_EQ(o.secret_access_key.reveal(), "se/cret");
  o = aws_options_from_uri(Uri::parse(
      "s3://bucket?access_key_id=K2&secret-access-key=S2&session-token=T2&profile=p&region=r"));
  EXPECT_EQ(o.access_key_id, "K2");
  EXPECT_EQ(o.secret_access_key.reveal(), "S2");
  EXPECT_EQ(o.session_token.reveal(), "T2");
  EXPECT_EQ(o.profile, "p");
  EXPECT_EQ(o.region, "r");
}

TEST(Ini, ParsesWhatTheAwsCliAccepts) {
  const IniSections s = parse_ini(
      "\xEF\xBB\xBF"
      "orphan = ignored\n"
      "[a]\n"
      "; comment\n"
      "  # indented comment\n"
      "Key1 = v1\n"
      "key2: v2 = with equals\n"
      "nested =\n"
      "  inner = 1\n"
      "  other = 2\n"
      "not a pair\n"
      "[broken\n"
      "lost = 1\n"
      "[a]\n"
      "key1 = overridden\n"
      "[profile b]\n"
      "empty =\n");
  ASSERT_EQ(s.size(), 2u);
  const auto& a = s.at("a");
  EXPECT_EQ(a.at("key1"), "overridden");
  EXPECT_EQ(a.at("key2"), "v2 = with equals");
  EXPECT_EQ(a.at("nested"), "inner = 1\nother = 2");
  EXPECT_FALSE(a.contains("lost"));
  EXPECT_EQ(s.at("profile b").at("empty"), "");
}

}  // namespace
}  // namespace polydb::net
