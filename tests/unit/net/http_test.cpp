// HttpClient against an in-process HTTP server on 127.0.0.1 (test_server.hpp):
// bodies in both directions and streamed, keep-alive, decompression,
// timeouts, refused connections, proxies from the environment, redacted trace
// logs, exceptions from callbacks, and send_with_retry on a fake clock.

#include "net/http.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include "core/log.hpp"
#include "net/retry.hpp"
#include "polydb/error.hpp"
#include "test_server.hpp"

namespace polydb::net {
namespace {

using namespace std::chrono_literals;
using testing::http_response;
using testing::ReceivedRequest;
using testing::TestServer;

TestServer echo_server() {
  return TestServer([](const ReceivedRequest& r) -> std::optional<std::string> {
    return http_response(200, r.method + " " + r.target + " " + r.body,
                         {"X-Echo-Length: " + std::to_string(r.body.size()), "x-MiXeD: yes"});
  });
}

TEST(HttpClient, GetReturnsStatusBodyAndCaseInsensitiveHeaders) {
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(201, "created", {"Content-Type: text/plain", "x-MiXeD: yes"});
  });
  HttpClient client;
  const HttpResponse r =
      client.send({.url = server.url("/a/b?c=d"), .headers = {{"X-Custom", "1"}}});
  EXPECT_EQ(r.status, 201);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.body, "created");
  EXPECT_EQ(r.headers.get("content-type").value_or(""), "text/plain");
  EXPECT_EQ(r.headers.get("X-MIXED").value_or(""), "yes");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/a/b?c=d");
  EXPECT_EQ(requests[0].headers.get("x-custom").value_or(""), "1");
  EXPECT_EQ(requests[0].headers.get("User-Agent").value_or(""), "polydb/0.1");
  EXPECT_NE(requests[0].headers.get("Accept-Encoding").value_or("").find("gzip"),
            std::string::npos);
}

TEST(HttpClient, ReusesTheConnectionAcrossRequests) {
  TestServer server = echo_server();
  HttpClient client;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.send({.url = server.url()}).status, 200);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, NonSuccessStatusesAreResponsesNotErrors) {
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(503, "busy", {"Retry-After: 1"});
  });
  HttpClient client;
  const HttpResponse r = client.send({.url = server.url()});
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.body, "busy");
}

TEST(HttpClient, SendsStringBodiesWithoutACurlDefaultContentType) {
  TestServer server = echo_server();
  HttpClient client;
  HttpResponse r = client.send({.method = "POST", .url = server.url(), .body = "{\"a\":1}"});
  EXPECT_EQ(r.body, "POST / {\"a\":1}");
  r = client.send({.method = "PUT",
                   .url = server.url("/k"),
                   .headers = {{"Content-Type", "application/x-amz-json-1.0"}},
                   .body = "x"});
  EXPECT_EQ(r.body, "PUT /k x");
  r = client.send({.method = "PUT", .url = server.url("/empty")});
  EXPECT_EQ(r.headers.get("X-Echo-Length").value_or(""), "0");
  r = client.send({.method = "DELETE", .url = server.url("/k")});
  EXPECT_EQ(r.body, "DELETE /k ");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_FALSE(requests[0].headers.contains("Content-Type"));
  EXPECT_EQ(requests[0].headers.get("Content-Length").value_or(""), "7");
  EXPECT_EQ(requests[1].headers.get("Content-Type").value_or(""), "application/x-amz-json-1.0");
  EXPECT_EQ(requests[2].headers.get("Content-Length").value_or(""), "0");
  EXPECT_FALSE(requests[3].headers.contains("Content-Length"));
}

BodyReader reader_over(std::shared_ptr<std::string> data) {
  auto offset = std::make_shared<std::size_t>(0);
  return [data, offset](std::span<char> buffer) {
    const std::size_t n = std::min(buffer.size(), data->size() - *offset);
    std::copy_n(data->data() + *offset, n, buffer.data());
    *offset += n;
    return n;
  };
}

TEST(HttpClient, StreamsARequestBodyWithAKnownSize) {
  TestServer server = echo_server();
  auto data = std::make_shared<std::string>(300'000, 'z');
  HttpClient client;
  const HttpResponse r = client.send({.method = "PUT",
                                      .url = server.url("/big"),
                                      .body_reader = reader_over(data),
                                      .body_size = data->size()});
  EXPECT_EQ(r.headers.get("X-Echo-Length").value_or(""), "300000");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, *data);
  EXPECT_FALSE(requests[0].chunked);
}

TEST(HttpClient, StreamsARequestBodyOfUnknownSizeChunked) {
  TestServer server = echo_server();
  auto data = std::make_shared<std::string>(100'000, 'q');
  HttpClient client;
  const HttpResponse r =
      client.send({.method = "POST", .url = server.url(), .body_reader = reader_over(data)});
  EXPECT_EQ(r.status, 200);
  // curl asks "Expect: 100-continue" first: that interim block must not leak.
  EXPECT_EQ(r.headers.get("X-Echo-Length").value_or(""), "100000");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].chunked);
  EXPECT_EQ(requests[0].body, *data);
}

TEST(HttpClient, AnErrorThrownByTheBodyReaderIsRethrownAfterCurlReturns) {
  TestServer server = echo_server();
  HttpClient client;
  HttpRequest request{.method = "PUT", .url = server.url(), .body_size = 10};
  request.body_reader = [](std::span<char>) -> std::size_t {
    throw Error(ErrorCode::io, "cannot read the local file");
  };
  try {
    client.send(request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_EQ(e.message(), "cannot read the local file");
  }
  // The client stays usable.
  EXPECT_EQ(client.send({.url = server.url()}).status, 200);
}

TEST(HttpClient, StreamsAResponseBodyChunkByChunk) {
  const std::string big(2 * 1024 * 1024 + 17, 'b');
  TestServer server([&](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(200, big);
  });
  HttpClient client;
  std::string received;
  int chunks = 0;
  const HttpResponse r = client.send_streaming({.url = server.url()}, [&](std::string_view c) {
    received.append(c);
    ++chunks;
  });
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(received.size(), big.size());
  EXPECT_EQ(received, big);
  EXPECT_GT(chunks, 1);
}

TEST(HttpClient, StreamingKeepsAnErrorBodyInTheResponseCapped) {
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(404, std::string(100'000, 'e'));
  });
  HttpClient client({.max_error_body = 1000});
  bool sink_called = false;
  const HttpResponse r =
      client.send_streaming({.url = server.url()}, [&](std::string_view) { sink_called = true; });
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(r.body, std::string(1000, 'e'));
}

TEST(HttpClient, AnErrorThrownByTheSinkIsRethrown) {
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(200, std::string(200'000, 'x'));
  });
  HttpClient client;
  try {
    client.send_streaming({.url = server.url()},
                          [](std::string_view) { throw Error(ErrorCode::io, "disk full"); });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_EQ(e.message(), "disk full");
  }
}

TEST(HttpClient, DecodesGzipBodies) {
  static const std::string kGzip(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\x57\x48\xaf\xca\x2c\x50\x28"
      "\xcf\x2f\xca\x49\xd1\x51\xc8\x40\x13\x01\x00\xa0\x7d\xcc\x30\x22\x00\x00\x00",
      41);
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(200, kGzip, {"Content-Encoding: gzip"});
  });
  HttpClient client;
  EXPECT_EQ(client.send({.url = server.url()}).body, "hello gzip world, hello gzip world");
}

TEST(HttpClient, AStalledServerIsATimeoutError) {
  TestServer server(
      [](const ReceivedRequest&) -> std::optional<std::string> { return std::nullopt; });
  HttpClient client;
  const auto start = std::chrono::steady_clock::now();
  try {
    client.send({.url = server.url("/slow?X-Amz-Signature=sigsecret"), .timeout = 300ms});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::timeout) << e.what();
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(std::string(e.what()).find("sigsecret"), std::string::npos) << e.what();
    EXPECT_FALSE(e.detail().empty());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HttpClient, ARefusedConnectionIsAConnectionErrorWithTheUrlRedacted) {
  HttpClient client({.backend = "s3"});
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::closed_loopback_port()) +
                          "/b/k?X-Amz-Credential=AKID%2Fx&X-Amz-Signature=sigsecret";
  try {
    client.send({.url = url});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.backend(), "s3");
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1"), std::string::npos) << what;
    EXPECT_EQ(what.find("sigsecret"), std::string::npos) << what;
    EXPECT_EQ(what.find("AKID"), std::string::npos) << what;
    EXPECT_NE(e.detail().find("onnect"), std::string::npos) << e.detail();
  }
}

TEST(HttpClient, RejectsSchemesOtherThanHttpAndHttps) {
  HttpClient client;
  try {
    client.send({.url = "file:///etc/passwd"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  }
}

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  void set(const char* name, const char* value) {
    if (!saved_.contains(name)) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST(HttpClient, HonoursProxyVariablesAndNoProxy) {
  TestServer server = echo_server();
  const std::string dead_proxy =
      "http://127.0.0.1:" + std::to_string(testing::closed_loopback_port());
  ScopedEnv env;
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"})
    env.set(name, nullptr);
  env.set("http_proxy", dead_proxy.c_str());
  env.set("NO_PROXY", nullptr);
  env.set("no_proxy", nullptr);
  {
    HttpClient client;
    // Through the (dead) proxy: proves the variable is honoured.
    EXPECT_THROW(client.send({.url = server.url()}), Error);
  }
  env.set("NO_PROXY", "localhost,127.0.0.1");
  HttpClient client;
  EXPECT_EQ(client.send({.url = server.url()}).status, 200);
}

TEST(HttpClient, TraceLogShowsTheExchangeWithCredentialsRedacted) {
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(200, "ok", {"x-ms-encryption-key: responsesecret", "ETag: \"e1\""});
  });
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto log = logger("http-test");
  log->sinks().push_back(sink);
  log->set_level(spdlog::level::trace);

  HttpClient client({.log_name = "http-test"});
  client.send({.url = server.url("/o?X-Amz-Signature=sigsecret&X-Amz-Credential=credsecret&"
                                 "sig=azuresecret&prefix=visible"),
               .headers = {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKID, Signature=s1"},
                           {"X-Amz-Security-Token", "tokensecret"},
                           {"x-ms-authorization-auxiliary", "auxsecret"},
                           {"x-api-key", "keysecret"},
                           {"X-Amz-Target", "DynamoDB_20120810.ListTables"}}});
  log->flush();
  log->sinks().pop_back();
  log->set_level(spdlog::level::warn);

  const std::string text = captured.str();
  EXPECT_NE(text.find("GET http://127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find("-> 200"), std::string::npos) << text;
  EXPECT_NE(text.find("prefix=visible"), std::string::npos) << text;
  EXPECT_NE(text.find("X-Amz-Target: DynamoDB_20120810.ListTables"), std::string::npos) << text;
  EXPECT_NE(text.find("Authorization: ***"), std::string::npos) << text;
  EXPECT_NE(text.find("ETag: \"e1\""), std::string::npos) << text;
  for (const char* secret : {"sigsecret", "credsecret", "azuresecret", "tokensecret", "auxsecret",
                             "keysecret", "responsesecret", "Signature=s1"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked:\n" << text;
}

// A clock that never sleeps, for send_with_retry.
class InstantClock final : public RetryClock {
 public:
  std::chrono::steady_clock::time_point now() override {
    return std::chrono::steady_clock::time_point(elapsed);
  }
  std::chrono::system_clock::time_point wall_now() override {
    return std::chrono::system_clock::time_point(elapsed);
  }
  bool sleep_for(std::chrono::milliseconds d, std::stop_token) override {
    sleeps.push_back(d);
    elapsed += d;
    return true;
  }
  std::chrono::milliseconds elapsed{0};
  std::vector<std::chrono::milliseconds> sleeps;
};

std::optional<Error> classify_status(const HttpResponse& r) {
  if (r.ok()) return std::nullopt;
  return http_status_error(r, "test");
}

TEST(SendWithRetry, RetriesThrottlingHonouringRetryAfterAndRebuildsEachRequest) {
  int calls = 0;
  TestServer server([&](const ReceivedRequest&) -> std::optional<std::string> {
    return ++calls < 3 ? http_response(503, "slow down", {"Retry-After: 2"})
                       : http_response(200, "finally");
  });
  HttpClient client;
  InstantClock clock;
  int built = 0;
  const HttpResponse r = send_with_retry(
      client, {},
      [&] {
        ++built;
        return HttpRequest{.url = server.url(), .headers = {{"X-Attempt", std::to_string(built)}}};
      },
      classify_status, {.what = "test GET", .clock = &clock});
  EXPECT_EQ(r.body, "finally");
  EXPECT_EQ(built, 3);
  EXPECT_EQ(clock.sleeps, (std::vector<std::chrono::milliseconds>{2000ms, 2000ms}));
  EXPECT_EQ(server.requests().back().headers.get("X-Attempt").value_or(""), "3");
}

TEST(SendWithRetry, DoesNotRetryAuthFailures) {
  TestServer server([](const ReceivedRequest&) -> std::optional<std::string> {
    return http_response(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>");
  });
  HttpClient client;
  InstantClock clock;
  try {
    send_with_retry(client, {}, [&] { return HttpRequest{.url = server.url()}; }, classify_status,
                    {.clock = &clock});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
  }
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(SendWithRetry, RetriesRefusedConnectionsThenReportsThem) {
  HttpClient client({.connect_timeout = 1000ms});
  InstantClock clock;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(testing::closed_loopback_port()) + "/";
  try {
    send_with_retry(client, {.max_attempts = 3}, [&] { return HttpRequest{.url = url}; },
                    classify_status, {.clock = &clock, .random = [] { return 0.5; }});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection);
    EXPECT_NE(e.message().find("gave up after 3 attempts"), std::string::npos) << e.what();
  }
  EXPECT_EQ(clock.sleeps, (std::vector<std::chrono::milliseconds>{50ms, 100ms}));
}

}  // namespace
}  // namespace polydb::net
