// RDS IAM auth tokens, byte for byte against botocore's generate_db_auth_token
// (run through python3 with a frozen clock), and the auth=aws-iam URL option.

#include "net/rds_auth.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "polydb/error.hpp"
#include "test_tools.hpp"

namespace polydb::net {
namespace {

namespace fs = std::filesystem;
using std::chrono::sys_days;

// 2026-03-04T05:06:07Z, the time both sides sign at.
const auto kFrozen = std::chrono::system_clock::time_point(
    sys_days(std::chrono::year(2026) / 3 / 4) + std::chrono::hours(5) + std::chrono::minutes(6) +
    std::chrono::seconds(7));

struct TokenCase {
  std::string host;
  uint16_t port;
  std::string user;
  std::string region;
};

const std::vector<TokenCase> kCases = {
    {"mydb.abc123xyz.us-east-1.rds.amazonaws.com", 5432, "iam_user", "us-east-1"},
    {"Prod-DB.cluster-c9akciq32.eu-west-1.rds.amazonaws.com", 3306, "app user+1@x", "eu-west-1"},
    {"10.0.0.5", 443, "admin", "ap-southeast-2"},
    {"db.example.internal", 15432, "a/b=c&d~e", "us-gov-west-1"},
};

// Freezes the clock botocore.auth reads (datetime.datetime.utcnow in older
// releases, get_current_datetime in newer ones), then prints one token per
// case. awscrt is hidden: with it, botocore signs through the CRT, which
// orders the X-Amz-* parameters differently (as valid, not byte-equal). argv: access key, secret,
// session token ("" = none), then host port user region per case.
constexpr const char* kBotocoreScript = R"PY(
import datetime, os, sys, types
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
sys.modules["awscrt"] = None
import botocore.auth, botocore.session

FROZEN = datetime.datetime(2026, 3, 4, 5, 6, 7)

class FrozenDateTime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return FROZEN
    @classmethod
    def now(cls, tz=None):
        return FROZEN.replace(tzinfo=tz) if tz else FROZEN

botocore.auth.datetime = types.SimpleNamespace(
    datetime=FrozenDateTime, timezone=datetime.timezone, timedelta=datetime.timedelta)
if hasattr(botocore.auth, "get_current_datetime"):
    botocore.auth.get_current_datetime = lambda *args, **kwargs: FROZEN

key, secret, token = sys.argv[1:4]
client = botocore.session.Session().create_client(
    "rds", region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
    aws_session_token=token or None)
args = sys.argv[4:]
for i in range(0, len(args), 4):
    host, port, user, region = args[i:i + 4]
    print(client.generate_db_auth_token(host, int(port), user, Region=region))
)PY";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// botocore's tokens for kCases, or a failure naming what is missing.
std::vector<std::string> botocore_tokens(const AwsCredentials& creds) {
  const fs::path script =
      fs::temp_directory_path() / ("polydb-rds-" + std::to_string(::getpid()) + ".py");
  std::ofstream(script) << kBotocoreScript;
  std::string cmd = std::string(test_tools::kPython3) + " " + shell_quote(script.string()) + " " +
                    shell_quote(creds.access_key_id) + " " +
                    shell_quote(creds.secret_access_key.reveal()) + " " +
                    shell_quote(creds.session_token.reveal());
  for (const auto& c : kCases)
    cmd += " " + shell_quote(c.host) + " " + std::to_string(c.port) + " " + shell_quote(c.user) +
           " " + shell_quote(c.region);
  cmd += " 2>&1";
  std::string output;
  if (FILE* pipe = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    const int status = ::pclose(pipe);
    fs::remove(script);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ADD_FAILURE() << "python3 with botocore failed (install python3 and python3-botocore, "
                       "scripts/install-deps.sh does): "
                    << output;
      return {};
    }
  }
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = output.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(output.substr(start, nl - start));
  return lines;
}

void expect_same_tokens_as_botocore(const AwsCredentials& creds) {
  const std::vector<std::string> expected = botocore_tokens(creds);
  ASSERT_EQ(expected.size(), kCases.size())
      << "botocore printed: " << ::testing::PrintToString(expected);
  for (size_t i = 0; i < kCases.size(); ++i) {
    const auto& c = kCases[i];
    EXPECT_EQ(rds_auth_token(creds, c.host, c.port, c.user, c.region, kFrozen).reveal(),
              expected[i])
        << c.host << ":" << c.port << " " << c.user << " " << c.region;
  }
}

TEST(RdsAuthToken, MatchesBotocoreWithLongTermKeys) {
  expect_same_tokens_as_botocore(
      {.access_key_id = "AKIDEXAMPLE",
       .secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
       .session_token = Secret(),
       .source = "test"});
}

TEST(RdsAuthToken, MatchesBotocoreWithSessionToken) {
  expect_same_tokens_as_botocore(
      {.access_key_id = "ASIAEXAMPLE",
       .secret_access_key = Secret("secret/with+signs="),
       .session_token = Secret("FwoGZXIvYXdzEJr//////////wEaDGV4YW1wbGUrdG9rZW4/Pw=="),
       .source = "test"});
}

TEST(RdsAuthToken, HasTheRdsShape) {
  const AwsCredentials creds{.access_key_id = "AKID", .secret_access_key = Secret("s")};
  const std::string t =
      rds_auth_token(creds, "h.example", 5432, "u", "us-east-1", kFrozen).reveal();
  EXPECT_TRUE(
      t.starts_with("h.example:5432/?Action=connect&DBUser=u&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
      << t;
  EXPECT_NE(t.find("%2Frds-db%2Faws4_request"), std::string::npos) << t;
  EXPECT_NE(t.find("X-Amz-Expires=900&"), std::string::npos) << t;
  EXPECT_THROW(rds_auth_token(creds, "h", 1, "", "us-east-1", kFrozen), Error);
}

// Sets (or unsets, with nullopt) environment variables and restores them.
class EnvGuard {
 public:
  EnvGuard(std::initializer_list<std::pair<const char*, std::optional<std::string>>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
      value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
    }
  }
  ~EnvGuard() {
    for (const auto& [name, value] : saved_)
      value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str());
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

ErrorCode code_of(std::string_view url) {
  try {
    rds_iam_from_uri(Uri::parse(url), 5432);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(RdsIamFromUri, ReadsHostPortUserAndRegion) {
  EXPECT_FALSE(rds_iam_from_uri(Uri::parse("postgresql://u:pw@h/db"), 5432));
  EXPECT_FALSE(rds_iam_from_uri(Uri::parse("postgresql://u:pw@h/db?auth=password"), 5432));
  auto iam = rds_iam_from_uri(
      Uri::parse("postgresql://app@h.example/db?auth=aws-iam&region=eu-west-3&profile=p"), 5432);
  ASSERT_TRUE(iam);
  EXPECT_EQ(iam->host, "h.example");
  EXPECT_EQ(iam->port, 5432);
  EXPECT_EQ(iam->user, "app");
  EXPECT_EQ(iam->region, "eu-west-3");
  EXPECT_EQ(iam->credentials.profile, "p");
  iam = rds_iam_from_uri(
      Uri::parse("mysql://app@db.x1.ap-south-1.rds.amazonaws.com:3307/db?auth=aws-iam"), 3306);
  ASSERT_TRUE(iam);
  EXPECT_EQ(iam->port, 3307);
  EXPECT_EQ(iam->region, "ap-south-1") << "the region of an RDS host name";
}

TEST(RdsIamFromUri, RegionFromTheEnvironment) {
  EnvGuard env{{"AWS_REGION", "sa-east-1"}, {"AWS_DEFAULT_REGION", std::nullopt}};
  auto iam = rds_iam_from_uri(Uri::parse("postgresql://app@h/db?auth=aws-iam"), 5432);
  ASSERT_TRUE(iam);
  EXPECT_EQ(iam->region, "sa-east-1");
}

TEST(RdsIamFromUri, RejectsWhatCannotWork) {
  try {
    rds_iam_from_uri(Uri::parse("postgresql://app:hunter2@h/db?auth=aws-iam&region=x"), 5432);
    ADD_FAILURE() << "a password with auth=aws-iam must be rejected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("password"), std::string::npos) << e.message();
    EXPECT_EQ(e.message().find("hunter2"), std::string::npos) << e.message();
  }
  EXPECT_EQ(code_of("postgresql://app@h/db?auth=kerberos"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("postgresql://h/db?auth=aws-iam&region=x"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("postgresql://app@h/db?region=x"), ErrorCode::invalid_argument);
  EnvGuard env{{"AWS_REGION", std::nullopt},
               {"AWS_DEFAULT_REGION", std::nullopt},
               {"AWS_PROFILE", std::nullopt},
               {"AWS_CONFIG_FILE", (fs::temp_directory_path() / "polydb-rds-no-config").string()}};
  EXPECT_EQ(code_of("postgresql://app@h/db?auth=aws-iam"), ErrorCode::auth) << "no region";
}

TEST(RdsIamHint, KeepsTheErrorAndSaysWhatToCheck) {
  Error e(ErrorCode::auth, "cannot connect: password authentication failed", "postgresql", "28P01");
  const Error hinted = with_rds_iam_hint(e);
  EXPECT_EQ(hinted.code(), ErrorCode::auth);
  EXPECT_EQ(hinted.detail(), "28P01");
  EXPECT_NE(hinted.message().find("IAM"), std::string::npos);
  EXPECT_NE(hinted.message().find("rds-db:connect"), std::string::npos);
}

}  // namespace
}  // namespace polydb::net
