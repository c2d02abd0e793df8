#pragma once

// Shared set-up of the Firestore integration tests: the emulator from
// scripts/services.sh (POLYDB_TEST_FIRESTORE_URL), a project of each test's
// own (reset afterwards), and the official Node client
// (@google-cloud/firestore) for interop.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::firestoretest {

using nlohmann::json;

inline std::string server_url() {
  const char* url = std::getenv("POLYDB_TEST_FIRESTORE_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_FIRESTORE_URL is not set: use `make test`, or start the "
                     "emulator with `scripts/services.sh start firestore` and export its URL with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "firestore://missing?emulator=127.0.0.1:1";
  }
  return url;
}

// Runs a shell command and returns its standard output; fails the test on a non-zero status.
inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run " << cmd;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  return out;
}

inline Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

// A project of the test's own on the emulator (nothing else sees or resets
// its data), reset afterwards, and helpers to write, read and cross-check
// with the official Node client.
class FirestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Uri uri = Uri::parse(server_url());
    emulator_ = uri.option("emulator").value_or("127.0.0.1:1");
    static std::atomic<int> counter{0};
    // A project of its own per test: nothing else sees or resets its data.
    project_ = "polydb-it-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    uri.host = project_;
    url_ = uri.to_string_with_secrets();
    conn_ = connect(url_);
  }
  void TearDown() override {
    conn_.reset();
    // The emulator's reset endpoint, for this test's own project only.
    net::HttpClient http;
    net::HttpRequest req;
    req.method = "DELETE";
    req.url = "http://" + emulator_ + "/emulator/v1/projects/" + project_ +
              "/databases/(default)/documents";
    http.send(req);
  }

  std::string sdk(const std::string& cmd, const std::string& collection) {
    // The SDK would probe a metadata server on a non-loopback address without
    // METADATA_SERVER_DETECTION=none.
    return run("FIRESTORE_EMULATOR_HOST=" + emulator_ +
               " METADATA_SERVER_DETECTION=none NODE_PATH=" POLYDB_SOURCE_DIR
               "/tools/emulators/node_modules " +
               std::string(test_tools::kNode) +
               " " POLYDB_SOURCE_DIR "/tests/integration/firestore/sdk_client.js " + cmd + " " +
               project_ + " " + collection + " 2>&1");
  }

  static std::shared_ptr<Schema> numbers_schema() {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""},
                 {"grp", TypeId::string, true, ""},
                 {"qty", TypeId::int64, true, ""},
                 {"score", TypeId::float64, true, ""},
                 {"ok", TypeId::boolean, true, ""}};
    s->primary_key = {"id"};
    return s;
  }
  static Batch numbers(int64_t from, int64_t to) {
    Batch b(numbers_schema());
    for (int64_t i = from; i <= to; ++i)
      b.append_row(std::vector<Value>{i, i % 5 == 0 ? Value() : Value("g" + std::to_string(i % 4)),
                                      i % 9 == 0 ? Value() : Value(i * 3), i / 2.0, i % 2 == 0});
    return b;
  }
  void write(const std::string& table, const Batch& b, WriteMode mode = WriteMode::append) {
    auto w = conn_->writer(table, b.schema(), {mode, {}});
    w->write(b);
    w->commit();
  }
  std::vector<std::vector<Value>> read_all(ScanSpec spec, size_t* batches = nullptr) {
    auto r = conn_->scan(spec);
    std::vector<std::vector<Value>> rows;
    while (auto b = r->next()) {
      if (batches) ++*batches;
      EXPECT_LE(b->num_rows(), spec.batch_rows);
      for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
    }
    return rows;
  }
  std::vector<std::vector<Value>> query_all(const std::string& text, std::vector<Value> params = {},
                                            size_t batch_rows = 4096) {
    auto r = conn_->query(text, params, {.batch_rows = batch_rows});
    std::vector<std::vector<Value>> rows;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
    return rows;
  }
  json get_raw(const std::string& path) {
    net::HttpClient http;
    net::HttpRequest req;
    req.url = "http://" + emulator_ + "/v1/projects/" + project_ +
              "/databases/(default)/documents/" + path;
    return json::parse(http.send(req).body);
  }

  std::string emulator_, project_, url_;
  std::unique_ptr<Connection> conn_;
};

inline ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ErrorCode::internal;
}

}  // namespace polydb::firestoretest
