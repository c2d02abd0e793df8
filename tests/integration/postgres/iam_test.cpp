// auth=aws-iam against the local PostgreSQL, which knows no IAM and has no
// TLS: the connection must fail with a message about IAM, and the token must
// appear nowhere (nor be sent: IAM never connects without TLS).

#include <cstdlib>

#include "fixture.hpp"

namespace polydb::pgtest {
namespace {

// The IAM URL of the test server: its user and database, no password.
Uri iam_uri(std::string_view extra_options) {
  // Fake keys: the token is signed but the local server cannot check it.
  ::setenv("AWS_ACCESS_KEY_ID", "polydbtest", 0);
  ::setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 0);
  Uri u = Uri::parse(server_url());
  u.password = Secret();
  u.query.clear();
  u.set_option("auth", "aws-iam");
  u.set_option("region", "us-east-1");
  if (!extra_options.empty()) u.set_option("sslmode", std::string(extra_options));
  return u;
}

void expect_no_token(const Error& e) {
  for (const std::string& text : {std::string(e.what()), e.detail()})
    for (const char* part : {"X-Amz-Signature", "X-Amz-Credential", "Action=connect", "DBUser"})
      EXPECT_EQ(text.find(part), std::string::npos) << text;
}

TEST(PostgresIamAuth, FailsWithAnIamMessageAndNoToken) {
  for (const char* sslmode : {"", "prefer", "require"}) {
    try {
      connect(iam_uri(sslmode).to_string_with_secrets());
      FAIL() << "connected with an IAM token to a server that knows no IAM";
    } catch (const Error& e) {
      EXPECT_NE(e.message().find("auth=aws-iam"), std::string::npos) << e.what();
      expect_no_token(e);
      // Without TLS on the server the token is never sent (connection error);
      // with TLS the server refuses it (auth error).
      if (e.message().find("does not support SSL") != std::string::npos) {
        EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
        EXPECT_NE(e.message().find("only over TLS"), std::string::npos) << e.what();
      } else {
        EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
        EXPECT_NE(e.message().find("IAM auth token"), std::string::npos) << e.what();
      }
    }
  }
}

TEST(PostgresIamAuth, SslmodeDisableIsRefusedBeforeConnecting) {
  try {
    connect(iam_uri("disable").to_string_with_secrets());
    FAIL() << "auth=aws-iam with sslmode=disable was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_NE(e.message().find("sslmode=disable"), std::string::npos) << e.what();
  }
}

TEST(PostgresIamAuth, PasswordWithIamIsRefused) {
  Uri u = iam_uri("");
  u.password = Secret("pw-Not-Shown-7");
  try {
    connect(u.to_string_with_secrets());
    FAIL() << "a password together with auth=aws-iam was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_EQ(std::string(e.what()).find("pw-Not-Shown-7"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace polydb::pgtest
