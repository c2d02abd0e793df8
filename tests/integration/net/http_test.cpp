// net/ against real local servers from scripts/services.sh: signed DynamoDB
// (dynalite) and S3 (s3rver) requests through HttpClient, a refused
// connection, and the signer cross-checked with the AWS CLI's own signature
// (`aws --debug` prints botocore's canonical request and signature).
//
// Neither emulator verifies signatures (SERVICES.md): the AWS test suite in
// tests/unit/net/sigv4_test.cpp and the CLI cross-check here are the
// signer's real tests; these calls prove the requests are well-formed.

#include "net/http.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "net/aws_credentials.hpp"
#include "net/retry.hpp"
#include "net/sigv4.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::net {
namespace {

using namespace std::chrono_literals;

// The endpoint of a POLYDB_TEST_*_URL; fails the test (never skips) when unset.
std::optional<std::string> endpoint_of(const char* variable) {
  const char* url = std::getenv(variable);
  if (!url || !*url) {
    ADD_FAILURE() << variable
                  << " is not set: run `make test`, or start the emulators with "
                     "`scripts/services.sh start dynamodb s3` and export their URLs with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return std::nullopt;
  }
  auto endpoint = Uri::parse(url).option("endpoint");
  if (!endpoint) ADD_FAILURE() << variable << " has no endpoint= option: " << url;
  return endpoint;
}

AwsCredentials test_keys(std::string id, std::string secret) {
  return {.access_key_id = std::move(id), .secret_access_key = Secret(std::move(secret))};
}

// A name no other run uses: tests may run in parallel and the S3 data dir persists.
std::string unique_suffix() {
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::optional<Error> classify(const HttpResponse& r) {
  if (r.ok()) return std::nullopt;
  return http_status_error(r, "test", "", r.body.substr(0, 200));
}

TEST(NetDynamoDb, SignedListTablesReturns200) {
  const auto endpoint = endpoint_of("POLYDB_TEST_DYNAMODB_URL");
  ASSERT_TRUE(endpoint);
  const SigV4Signer signer(test_keys("AKIDPOLYDBTEST", "polydbsecret"), "us-east-1", "dynamodb");
  HttpClient client({.connect_timeout = 2s, .timeout = 10s, .backend = "dynamodb"});
  auto make_request = [&] {
    HttpRequest request{.method = "POST",
                        .url = *endpoint + "/",
                        .headers = {{"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                                    {"Content-Type", "application/x-amz-json-1.0"}},
                        .body = "{}"};
    signer.sign(request);
    return request;
  };
  const HttpResponse r =
      send_with_retry(client, {.max_attempts = 3}, make_request, classify, {.what = "ListTables"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"TableNames\""), std::string::npos) << r.body;
  EXPECT_EQ(r.headers.get("content-type").value_or(""), "application/x-amz-json-1.0");

  // Without a signature the emulator refuses the call: the signature above mattered.
  const HttpResponse unsigned_response =
      client.send({.method = "POST",
                   .url = *endpoint + "/",
                   .headers = {{"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                               {"Content-Type", "application/x-amz-json-1.0"}},
                   .body = "{}"});
  EXPECT_EQ(unsigned_response.status, 400) << unsigned_response.body;
  EXPECT_NE(unsigned_response.body.find("MissingAuthenticationToken"), std::string::npos)
      << unsigned_response.body;
}

TEST(NetS3, PutGetHeadDeleteRoundTripsBytesPathStyle) {
  const auto endpoint = endpoint_of("POLYDB_TEST_S3_URL");
  ASSERT_TRUE(endpoint);
  const SigV4Signer signer(test_keys("S3RVER", "S3RVER"), "us-east-1", "s3");
  HttpClient client({.connect_timeout = 2s, .timeout = 30s, .backend = "s3"});

  // Every byte value, NULs included, and a key that needs encoding.
  std::string data;
  for (int i = 0; i < 300'000; ++i) data.push_back(static_cast<char>((i * 7 + i / 256) & 0xff));
  const std::string key = "net-test/" + unique_suffix() + "/a b+c=d.bin";
  const std::string url = *endpoint + "/polydb-test/" + aws_uri_encode(key, true);

  HttpRequest put{.method = "PUT",
                  .url = url,
                  .headers = {{"Content-Type", "application/octet-stream"}},
                  .body = data};
  signer.sign(put);
  const HttpResponse put_response = client.send(put);
  ASSERT_EQ(put_response.status, 200) << put_response.body;
  EXPECT_TRUE(put_response.headers.contains("ETag"));

  HttpRequest get{.url = url};
  signer.sign(get);
  const HttpResponse got = client.send(get);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body.size(), data.size());
  EXPECT_TRUE(got.body == data) << "the object's bytes differ";

  // The streaming variant: same bytes, in several chunks.
  HttpRequest get_again{.url = url};
  signer.sign(get_again);
  std::string streamed;
  int chunks = 0;
  const HttpResponse streamed_response = client.send_streaming(get_again, [&](std::string_view c) {
    streamed.append(c);
    ++chunks;
  });
  EXPECT_EQ(streamed_response.status, 200);
  EXPECT_TRUE(streamed == data) << "streamed bytes differ";
  EXPECT_GT(chunks, 1);

  // A streamed upload with a known size and an unsigned payload.
  auto offset = std::make_shared<std::size_t>(0);
  HttpRequest put_stream{.method = "PUT", .url = url + ".2"};
  put_stream.body_size = data.size();
  put_stream.body_reader = [&data, offset](std::span<char> buffer) {
    const std::size_t n = std::min(buffer.size(), data.size() - *offset);
    std::copy_n(data.data() + *offset, n, buffer.data());
    *offset += n;
    return n;
  };
  signer.sign(put_stream, std::chrono::system_clock::now(), {.unsigned_payload = true});
  ASSERT_EQ(client.send(put_stream).status, 200);

  // A presigned GET needs no Authorization header.
  const std::string presigned = signer.presign_url("GET", url + ".2", 300s);
  const HttpResponse via_presigned = client.send({.url = presigned});
  EXPECT_EQ(via_presigned.status, 200) << via_presigned.body;
  EXPECT_TRUE(via_presigned.body == data) << "presigned GET bytes differ";

  HttpRequest head{.method = "HEAD", .url = url};
  signer.sign(head);
  const HttpResponse head_response = client.send(head);
  EXPECT_EQ(head_response.status, 200);
  EXPECT_EQ(head_response.headers.get("Content-Length").value_or(""), std::to_string(data.size()));

  for (const std::string& u : {url, url + ".2"}) {
    HttpRequest del{.method = "DELETE", .url = u};
    signer.sign(del);
    EXPECT_EQ(client.send(del).status, 204);
  }
  HttpRequest missing{.url = url};
  signer.sign(missing);
  const HttpResponse gone = client.send(missing);
  EXPECT_EQ(gone.status, 404);
  EXPECT_NE(gone.body.find("NoSuchKey"), std::string::npos) << gone.body;
}

TEST(NetHttp, ARefusedLoopbackPortIsAConnectionErrorQuickly) {
  // Bind a port, then close it: nothing listens there.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";

  HttpClient client({.backend = "dynamodb"});
  const auto start = std::chrono::steady_clock::now();
  try {
    client.send({.method = "POST", .url = url, .body = "{}"});
    FAIL() << "connected to a closed port";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(e.message().find(url), std::string::npos) << e.what();
    EXPECT_FALSE(e.detail().empty());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

// What `aws --debug` printed about the request it signed.
struct CliSignature {
  std::string canonical_request;
  std::string signature;
};

std::string block_after(const std::string& log, const std::string& marker) {
  const auto at = log.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  // The block ends where botocore's next log line starts ("\n2026-...").
  auto end = log.find(" - MainThread - ", start);
  end = end == std::string::npos ? log.size() : log.rfind('\n', end);
  return log.substr(start, end - start);
}

// Runs the Debian AWS CLI with fixed keys and no config files.
std::optional<CliSignature> aws_cli_signature(const std::string& key_id, const std::string& secret,
                                              const std::string& arguments) {
  const std::string aws = test_tools::kAws;
  const std::string command =
      "env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN AWS_ACCESS_KEY_ID='" + key_id +
      "' AWS_SECRET_ACCESS_KEY='" + secret +
      "' AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 "
      "AWS_PAGER= AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
      "NO_PROXY='*' no_proxy='*' " +
      aws + " --debug " + arguments + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  if (!pipe) return std::nullopt;
  std::string log;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get()))
    log.append(buffer, n);
  CliSignature out{block_after(log, "botocore.auth - DEBUG - CanonicalRequest:\n"),
                   block_after(log, "botocore.auth - DEBUG - Signature:\n")};
  if (out.canonical_request.empty() || out.signature.empty()) {
    ADD_FAILURE() << "no signature in the output of `aws --debug " << arguments
                  << "` (is the AWS CLI installed? scripts/install-deps.sh installs it):\n"
                  << log.substr(0, 3000);
    return std::nullopt;
  }
  return out;
}

// The X-Amz-Date the CLI signed with, as a time point.
std::chrono::system_clock::time_point amz_date_in(const std::string& canonical_request) {
  const auto at = canonical_request.find("x-amz-date:");
  const std::string d = canonical_request.substr(at + 11, 16);  // 20261127T070150Z
  const std::chrono::year_month_day date{std::chrono::year(std::stoi(d.substr(0, 4))),
                                         std::chrono::month(std::stoul(d.substr(4, 2))),
                                         std::chrono::day(std::stoul(d.substr(6, 2)))};
  return std::chrono::sys_days(date) + std::chrono::hours(std::stoi(d.substr(9, 2))) +
         std::chrono::minutes(std::stoi(d.substr(11, 2))) +
         std::chrono::seconds(std::stoi(d.substr(13, 2)));
}

TEST(NetAwsCli, DynamoDbSignatureMatchesTheAwsCli) {
  const auto endpoint = endpoint_of("POLYDB_TEST_DYNAMODB_URL");
  ASSERT_TRUE(endpoint);
  const auto cli = aws_cli_signature("AKIDPOLYDBTEST", "polydb/secret+key",
                                     "dynamodb list-tables --endpoint-url " + *endpoint);
  ASSERT_TRUE(cli);
  const SigV4Signer signer(test_keys("AKIDPOLYDBTEST", "polydb/secret+key"), "us-east-1",
                           "dynamodb");
  HttpRequest request{.method = "POST",
                      .url = *endpoint + "/",
                      .headers = {{"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                                  {"Content-Type", "application/x-amz-json-1.0"}},
                      .body = "{}"};
  const SigV4Signature ours = signer.sign(request, amz_date_in(cli->canonical_request));
  EXPECT_EQ(ours.canonical_request, cli->canonical_request);
  EXPECT_EQ(ours.signature, cli->signature);
}

TEST(NetAwsCli, S3SignatureForAKeyThatNeedsEncodingMatchesTheAwsCli) {
  const auto endpoint = endpoint_of("POLYDB_TEST_S3_URL");
  ASSERT_TRUE(endpoint);
  const std::string key = "net-cli/a b+c=d~e.bin";
  const auto cli = aws_cli_signature("S3RVER", "S3RVER",
                                     "s3api get-object --endpoint-url " + *endpoint +
                                         " --bucket polydb-test --key '" + key + "' /dev/null");
  ASSERT_TRUE(cli);
  const SigV4Signer signer(test_keys("S3RVER", "S3RVER"), "us-east-1", "s3");
  HttpRequest request{.url = *endpoint + "/polydb-test/" + aws_uri_encode(key, true)};
  const SigV4Signature ours = signer.sign(request, amz_date_in(cli->canonical_request));
  EXPECT_EQ(ours.canonical_request, cli->canonical_request);
  EXPECT_EQ(ours.signature, cli->signature);
}

TEST(NetAwsCredentials, EnvironmentKeysSignARealRequest) {
  const auto endpoint = endpoint_of("POLYDB_TEST_DYNAMODB_URL");
  ASSERT_TRUE(endpoint);
  // The chain reads the process environment: set keys for this test only.
  const char* old_id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* old_secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const std::optional<std::string> saved_id =
      old_id ? std::optional<std::string>(old_id) : std::nullopt;
  const std::optional<std::string> saved_secret =
      old_secret ? std::optional<std::string>(old_secret) : std::nullopt;
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  const AwsCredentials creds = resolve_aws_credentials();
  if (saved_id)
    ::setenv("AWS_ACCESS_KEY_ID", saved_id->c_str(), 1);
  else
    ::unsetenv("AWS_ACCESS_KEY_ID");
  if (saved_secret)
    ::setenv("AWS_SECRET_ACCESS_KEY", saved_secret->c_str(), 1);
  else
    ::unsetenv("AWS_SECRET_ACCESS_KEY");

  EXPECT_EQ(creds.source, "environment");
  const SigV4Signer signer(creds, "us-east-1", "dynamodb");
  HttpRequest request{.method = "POST",
                      .url = *endpoint + "/",
                      .headers = {{"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                                  {"Content-Type", "application/x-amz-json-1.0"}},
                      .body = "{\"Limit\":1}"};
  signer.sign(request);
  EXPECT_NE(request.headers.get("Authorization").value_or("").find("Credential=AKIDFROMENV/"),
            std::string::npos);
  HttpClient client;
  EXPECT_EQ(client.send(request).status, 200);
}

}  // namespace
}  // namespace polydb::net
