#pragma once

// Shared set-up of the DynamoDB integration tests: the emulator from
// scripts/services.sh (POLYDB_TEST_DYNAMODB_URL), a table of its own per test
// (dropped afterwards), and the AWS CLI for interop.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::dynamotest {

inline std::string server_url() {
  const char* url = std::getenv("POLYDB_TEST_DYNAMODB_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_DYNAMODB_URL is not set: use `make test`, or start the "
                     "emulator with `scripts/services.sh start dynamodb` and export its URL with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "dynamodb://us-east-1?endpoint=http://127.0.0.1:1";
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

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class DynamoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The emulator accepts any credentials; the AWS CLI reads the same ones.
    setenv("AWS_ACCESS_KEY_ID", "polydbtest", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    setenv("AWS_PAGER", "", 1);
    url_ = server_url();
    endpoint_ = Uri::parse(url_).option("endpoint").value_or("");
    conn_ = connect(url_);
    static std::atomic<int> counter{0};
    table_ = "it_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }

  std::string aws(const std::string& args) {
    return run(std::string(test_tools::kAws) + " --endpoint-url " + endpoint_ + " dynamodb " + args + " 2>&1");
  }

  void create_keyed(std::vector<std::string> key, std::vector<Field> fields) {
    Schema s;
    s.fields = std::move(fields);
    s.primary_key = std::move(key);
    conn_->create_table(table_, s);
  }

  std::vector<std::vector<Value>> collect(BatchReader& r) {
    std::vector<std::vector<Value>> rows;
    while (auto b = r.next())
      for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
    return rows;
  }

  /// A second connection to the emulator with `options` added to the URL.
  std::unique_ptr<Connection> connect_with(const std::string& options) {
    return connect(url_ + (url_.find('?') == std::string::npos ? "?" : "&") + options);
  }

  std::string url_, endpoint_, table_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace polydb::dynamotest
