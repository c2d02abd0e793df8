// Google service-account JWTs checked with the openssl command line against a
// freshly generated key pair, and the token exchange against a local server.

#include "net/google_auth.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/encoding.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_server.hpp"
#include "test_tools.hpp"

namespace polydb::net {
namespace {

namespace fs = std::filesystem;
using testing::http_response;
using testing::ReceivedRequest;
using testing::TestServer;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

std::string base64url_decode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4) text += '=';
  return base64_decode(text);
}

int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// A temp dir with an RSA key pair made by `openssl genpkey` and a service-account JSON.
class GoogleAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "polydb-gauth-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(run(std::string(test_tools::kOpenssl) + " genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                  (dir_ / "key.pem").string()),
              0)
        << "the openssl command line is needed (Debian package openssl)";
    ASSERT_EQ(run(std::string(test_tools::kOpenssl) + " pkey -in " + (dir_ / "key.pem").string() + " -pubout -out " +
                  (dir_ / "pub.pem").string()),
              0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string key_json(const std::string& token_uri) const {
    return nlohmann::json{{"type", "service_account"},
                          {"project_id", "polydb-test"},
                          {"private_key_id", "kid-123"},
                          {"private_key", read_file(dir_ / "key.pem")},
                          {"client_email", "loader@polydb-test.iam.gserviceaccount.com"},
                          {"token_uri", token_uri}}
        .dump();
  }

  fs::path dir_;
};

TEST_F(GoogleAuthTest, JwtSignatureVerifiesWithOpensslAndClaimsAreRight) {
  const ServiceAccountKey key =
      parse_service_account(key_json("https://oauth2.example.test/token"), "test.json");
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const Secret jwt = make_service_account_jwt(key, "https://www.googleapis.com/auth/datastore", now);
  const std::string& text = jwt.reveal();
  const auto dot1 = text.find('.'), dot2 = text.rfind('.');
  ASSERT_NE(dot1, dot2);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << "base64url without padding";

  write_file(dir_ / "input.txt", text.substr(0, dot2));
  write_file(dir_ / "sig.bin", base64url_decode(text.substr(dot2 + 1)));
  EXPECT_EQ(run(std::string(test_tools::kOpenssl) + " dgst -sha256 -verify " + (dir_ / "pub.pem").string() + " -signature " +
                (dir_ / "sig.bin").string() + " " + (dir_ / "input.txt").string()),
            0);
  // A changed signing input must not verify.
  write_file(dir_ / "input.txt", text.substr(0, dot2) + "x");
  EXPECT_NE(run(std::string(test_tools::kOpenssl) + " dgst -sha256 -verify " + (dir_ / "pub.pem").string() + " -signature " +
                (dir_ / "sig.bin").string() + " " + (dir_ / "input.txt").string()),
            0);

  const auto header = nlohmann::json::parse(base64url_decode(text.substr(0, dot1)));
  EXPECT_EQ(header, (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-123"}}));
  const auto claims = nlohmann::json::parse(base64url_decode(text.substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(claims["iss"], "loader@polydb-test.iam.gserviceaccount.com");
  EXPECT_EQ(claims["aud"], "https://oauth2.example.test/token");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/datastore");
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700003600);
}

TEST_F(GoogleAuthTest, BadKeysAreAuthErrorsThatNeverQuoteTheKey) {
  auto code_of = [](const std::string& text) {
    try {
      parse_service_account(text, "k.json");
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("PRIVATE"), std::string::npos);
      return e.code();
    }
    return ErrorCode::internal;
  };
  EXPECT_EQ(code_of("{not json -----BEGIN PRIVATE KEY-----"), ErrorCode::auth);
  EXPECT_EQ(code_of(R"({"type":"authorized_user"})"), ErrorCode::auth);
  EXPECT_EQ(code_of(R"({"type":"service_account","client_email":"a@b"})"), ErrorCode::auth);
  ServiceAccountKey k = parse_service_account(key_json("http://127.0.0.1:1/t"), "k.json");
  k.private_key = Secret("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
  try {
    make_service_account_jwt(k, "s", std::chrono::system_clock::now());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_EQ(std::string(e.what()).find("nope"), std::string::npos);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST_F(GoogleAuthTest, TokenIsExchangedCachedAndRefreshedBeforeExpiry) {
  std::vector<std::string> assertions;
  TestServer server([&](const ReceivedRequest& r) -> std::optional<std::string> {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/token");
    EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
    const std::string prefix =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    EXPECT_EQ(r.body.substr(0, prefix.size()), prefix);
    assertions.push_back(percent_decode(r.body.substr(prefix.size())));
    return http_response(200,
                         R"({"access_token":"ya29.token-)" + std::to_string(assertions.size()) +
                             R"(","expires_in":3599,"token_type":"Bearer"})",
                         {"Content-Type: application/json"});
  });
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  GoogleTokenSource source(parse_service_account(key_json(server.url("/token")), "k.json"),
                           "https://www.googleapis.com/auth/datastore", {}, {},
                           [&] { return now; });
  EXPECT_EQ(source.token().reveal(), "ya29.token-1");
  now += std::chrono::seconds(3000);  // still more than the margin before expiry
  EXPECT_EQ(source.token().reveal(), "ya29.token-1");
  EXPECT_EQ(source.fetches(), 1);
  now += std::chrono::seconds(400);  // within the refresh margin
  EXPECT_EQ(source.token().reveal(), "ya29.token-2");
  EXPECT_EQ(source.fetches(), 2);
  ASSERT_EQ(assertions.size(), 2u);
  // The assertion is the signed JWT, with the time of the request.
  const auto dot1 = assertions[1].find('.');
  const auto claims = nlohmann::json::parse(
      base64url_decode(assertions[1].substr(dot1 + 1, assertions[1].rfind('.') - dot1 - 1)));
  EXPECT_EQ(claims["iat"], 1700003400);
  EXPECT_EQ(claims["aud"], server.url("/token"));
}

TEST_F(GoogleAuthTest, RefusedAssertionIsAnAuthErrorWithTheEndpointsWords) {
  TestServer server([&](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
                         {"Content-Type: application/json"});
  });
  GoogleTokenSource source(parse_service_account(key_json(server.url("/token")), "k.json"),
                           "scope", {}, {.max_attempts = 1});
  try {
    source.token();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
    EXPECT_NE(std::string(e.what()).find("Invalid JWT Signature"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.requests().size(), 1u);
}

}  // namespace
}  // namespace polydb::net
