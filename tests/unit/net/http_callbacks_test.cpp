// Failures inside HttpClient's libcurl callbacks (header, write, read,
// progress), injected with the fault seam of core/c_callback.hpp: each comes
// out of send() as the right polydb::Error after curl has returned, nothing
// crosses curl's C frames (that would be std::terminate in a noexcept
// callback), and the client stays usable.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "core/c_callback.hpp"
#include "net/http.hpp"
#include "polydb/error.hpp"
#include "test_server.hpp"

namespace polydb::net {
namespace {

using testing::http_response;
using testing::ReceivedRequest;
using testing::TestServer;

TestServer body_server() {
  return TestServer([](const ReceivedRequest& r) -> std::optional<std::string> {
    return http_response(200, std::string(100'000, 'x'), {"X-Got: " + std::to_string(r.body.size())});
  });
}

HttpRequest put_with_reader(const TestServer& server) {
  HttpRequest request{.method = "PUT", .url = server.url(), .body_size = 5};
  auto sent = std::make_shared<bool>(false);
  request.body_reader = [sent](std::span<char> buf) -> std::size_t {
    if (*sent) return 0;
    *sent = true;
    std::copy_n("hello", 5, buf.data());
    return 5;
  };
  return request;
}

class HttpCallbackFault : public ::testing::TestWithParam<CCallback> {
 protected:
  void TearDown() override { fault_injection::clear_callback_faults(); }

  // Sends a request that runs every callback kind (a streamed body up,
  // headers and a body down, progress while it runs).
  void send_expecting(HttpClient& client, const TestServer& server, std::exception_ptr fault,
                      ErrorCode code, const std::string& message_part) {
    fault_injection::fail_next_callback(GetParam(), std::move(fault));
    try {
      client.send(put_with_reader(server));
      ADD_FAILURE() << "the injected fault did not stop the request";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(e.message().find(message_part), std::string::npos) << e.message();
    }
    EXPECT_EQ(fault_injection::clear_callback_faults(), 0u) << "the fault never fired";
    // The handle was reset and is usable again.
    const HttpResponse ok = client.send(put_with_reader(server));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body.size(), 100'000u);
    EXPECT_EQ(ok.headers.get("X-Got").value_or(""), "5");
  }
};

TEST_P(HttpCallbackFault, APolydbErrorComesOutIntact) {
  TestServer server = body_server();
  HttpClient client;
  send_expecting(client, server,
                 std::make_exception_ptr(Error(ErrorCode::io, "injected io failure", "test")),
                 ErrorCode::io, "injected io failure");
}

TEST_P(HttpCallbackFault, OutOfMemoryBecomesAnInternalError) {
  TestServer server = body_server();
  HttpClient client;
  send_expecting(client, server, std::make_exception_ptr(std::bad_alloc()), ErrorCode::internal,
                 "out of memory");
}

TEST_P(HttpCallbackFault, AStdExceptionBecomesAnInternalErrorWithItsText) {
  TestServer server = body_server();
  HttpClient client;
  send_expecting(client, server, std::make_exception_ptr(std::runtime_error("injected boom")),
                 ErrorCode::internal, "injected boom");
}

TEST_P(HttpCallbackFault, AnythingElseBecomesAnInternalError) {
  TestServer server = body_server();
  HttpClient client;
  send_expecting(client, server, std::make_exception_ptr(42), ErrorCode::internal,
                 "unknown exception");
}

INSTANTIATE_TEST_SUITE_P(EveryCurlCallback, HttpCallbackFault,
                         ::testing::Values(CCallback::curl_header, CCallback::curl_write,
                                           CCallback::curl_read, CCallback::curl_progress),
                         [](const ::testing::TestParamInfo<CCallback>& info) {
                           switch (info.param) {
                             case CCallback::curl_header: return std::string("header");
                             case CCallback::curl_write: return std::string("write");
                             case CCallback::curl_read: return std::string("read");
                             default: return std::string("progress");
                           }
                         });

TEST(HttpCallbackFaultSeam, AFaultArmedOnAnotherKindLeavesTheRequestAlone) {
  TestServer server = body_server();
  HttpClient client;
  fault_injection::fail_next_callback(CCallback::mysql_infile_read,
                                      std::make_exception_ptr(std::runtime_error("not here")));
  EXPECT_EQ(client.send(put_with_reader(server)).status, 200);
  EXPECT_EQ(fault_injection::clear_callback_faults(), 1u);
}

TEST(HttpCallbackFaultSeam, SkipLetsTheFirstCallsThrough) {
  // The body arrives in several write callbacks: the third one fails, after
  // part of the body was already received.
  TestServer server = body_server();
  HttpClient client;
  size_t seen = 0;
  fault_injection::fail_next_callback(
      CCallback::curl_write, std::make_exception_ptr(Error(ErrorCode::io, "third chunk")), 2);
  try {
    client.send_streaming({.url = server.url()}, [&](std::string_view c) { seen += c.size(); });
    ADD_FAILURE() << "the injected fault did not stop the request";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "third chunk");
  }
  EXPECT_GT(seen, 0u);
  EXPECT_LT(seen, 100'000u);
  EXPECT_EQ(fault_injection::clear_callback_faults(), 0u);
}

}  // namespace
}  // namespace polydb::net
