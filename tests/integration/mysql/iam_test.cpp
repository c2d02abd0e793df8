// auth=aws-iam against the local MariaDB, which knows no IAM and has no TLS:
// the connection must fail with a message about IAM, and the token must
// appear nowhere (nor be sent: IAM never connects without TLS).

#include <cstdlib>

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

// The IAM URL of the test server: its user and database, no password.
Uri iam_uri(std::string_view ssl_mode) {
  // Fake keys: the token is signed but the local server cannot check it.
  ::setenv("AWS_ACCESS_KEY_ID", "polydbtest", 0);
  ::setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 0);
  Uri u = Uri::parse(server_url());
  u.password = Secret();
  u.query.clear();
  u.set_option("auth", "aws-iam");
  u.set_option("region", "us-east-1");
  if (!ssl_mode.empty()) u.set_option("ssl-mode", std::string(ssl_mode));
  return u;
}

TEST(MysqlIamAuth, FailsWithAnIamMessageAndNoToken) {
  for (const char* ssl_mode : {"", "PREFERRED", "REQUIRED"}) {
    const Error e = error_of([&] { connect(iam_uri(ssl_mode).to_string_with_secrets()); });
    EXPECT_NE(e.code(), ErrorCode::internal) << "connected to a server that knows no IAM";
    EXPECT_NE(e.message().find("auth=aws-iam"), std::string::npos) << e.what();
    for (const std::string& text : {std::string(e.what()), e.detail()})
      for (const char* part : {"X-Amz-Signature", "X-Amz-Credential", "Action=connect", "DBUser"})
        EXPECT_EQ(text.find(part), std::string::npos) << text;
    // Without TLS on the server the token is never sent (connection error);
    // with TLS the server refuses it (auth error).
    if (e.code() == ErrorCode::auth)
      EXPECT_NE(e.message().find("IAM auth token"), std::string::npos) << e.what();
    else
      EXPECT_NE(e.message().find("only over TLS"), std::string::npos) << e.what();
  }
}

TEST(MysqlIamAuth, SslModeDisabledIsRefusedBeforeConnecting) {
  const Error e = error_of([] { connect(iam_uri("DISABLED").to_string_with_secrets()); });
  EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
}

}  // namespace
}  // namespace polydb::mytest
