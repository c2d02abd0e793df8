// Firestore errors carry the service's status as Error::native_code()
// (errors.cpp): "HTTP <status> <gRPC status name>" for a failed request, the
// status name alone for a write refused inside a successful batch response.
// Checked against the emulator.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>

#include "net/http.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb {
namespace {

std::string server_url() {
  const char* url = std::getenv("POLYDB_TEST_FIRESTORE_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_FIRESTORE_URL is not set: use `make test`, or start the "
                     "emulator with `scripts/services.sh start firestore` and export its URL with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "firestore://missing?emulator=127.0.0.1:1";
  }
  return url;
}

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

class FirestoreErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    Uri uri = Uri::parse(server_url());
    emulator_ = uri.option("emulator").value_or("127.0.0.1:1");
    static std::atomic<int> counter{0};
    // A project of its own per test: nothing else sees or resets its data.
    project_ = "polydb-errors-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    uri.host = project_;
    conn_ = connect(uri.to_string_with_secrets());
  }
  void TearDown() override {
    conn_.reset();
    net::HttpClient http;
    net::HttpRequest req;
    req.method = "DELETE";
    req.url = "http://" + emulator_ + "/emulator/v1/projects/" + project_ +
              "/databases/(default)/documents";
    http.send(req);
  }

  std::string emulator_, project_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(FirestoreErrors, AQueryTheServerRefusesIs400InvalidArgument) {
  const Error e = error_of([&] {
    auto r = conn_->query(R"({"collection": "errs", "where": {"fieldFilter": {"field":
        {"fieldPath": "qty"}, "op": "SOUNDS_LIKE", "value": {"integerValue": "1"}}}})");
    while (r->next()) {
    }
  });
  EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  EXPECT_EQ(e.native_code(), "HTTP 400 INVALID_ARGUMENT") << e.what();
  EXPECT_EQ(e.backend(), "firestore");
}

TEST_F(FirestoreErrors, AFailedPreconditionOnAWriteCarriesItsStatus) {
  conn_->execute(R"({"update": {"name": "errs/1", "fields": {"v": {"integerValue": "1"}}}})");
  const Error exists = error_of([&] {
    conn_->execute(R"({"delete": "errs/1", "currentDocument": {"exists": false}})");
  });
  EXPECT_EQ(exists.code(), ErrorCode::conflict) << exists.what();
  const Error missing = error_of([&] {
    conn_->execute(
        R"({"update": {"name": "errs/404", "fields": {}}, "currentDocument": {"exists": true}})");
  });
  EXPECT_EQ(missing.code(), ErrorCode::not_found) << missing.what();
  // A commit refused as a whole is an HTTP error with the gRPC status of the
  // refusal (the emulator answers "exists: false" on an existing document
  // with ALREADY_EXISTS).
  EXPECT_EQ(exists.native_code(), "HTTP 409 ALREADY_EXISTS") << exists.what();
  EXPECT_EQ(missing.native_code(), "HTTP 404 NOT_FOUND") << missing.what();
}

}  // namespace
}  // namespace polydb
