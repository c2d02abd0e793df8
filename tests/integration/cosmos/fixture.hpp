#pragma once

// Shared set-up of the Cosmos DB integration tests: the emulator from
// scripts/services.sh (POLYDB_TEST_COSMOS_URL), a container name of each
// test's own (dropped afterwards), and the official Node SDK (@azure/cosmos)
// for interop.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/cosmos/connection.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::cosmos {

inline constexpr const char* kEmulatorKey =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

inline std::string server_url() {
  setenv("COSMOS_KEY", kEmulatorKey, 0);
  const char* url = std::getenv("POLYDB_TEST_COSMOS_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_COSMOS_URL is not set: use `make test`, or start the "
                     "emulator with `scripts/services.sh start cosmos` and export its URL with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "cosmos://127.0.0.1:1/polydb?endpoint=https://127.0.0.1:1";
  }
  return url;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
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

inline ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

inline Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

// A connection to the emulator (databases created as needed) and a container
// name of the test's own, dropped afterwards.
class CosmosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = server_url();
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(url_, o);
    cosmos_ = dynamic_cast<CosmosConnection*>(conn_.get());
    ASSERT_NE(cosmos_, nullptr);
    // Unique across the tests of every suite, and across processes.
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    table_ = "it_" + std::to_string(getpid()) + "_" + test->test_suite_name() + "_" + test->name();
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }

  // items(id int64 key, grp string, qty int64, tags json) with ids 1..n.
  void write_items(int64_t n, WriteMode mode = WriteMode::create) {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""},
                 {"grp", TypeId::string, true, ""},
                 {"qty", TypeId::int64, true, ""},
                 {"tags", TypeId::json, true, ""}};
    s->primary_key = {"id"};
    Batch b(s);
    for (int64_t i = 1; i <= n; ++i)
      b.append_row(
          std::vector<Value>{i, "g" + std::to_string(i % 3), i * 10,
                             polydb::Json{R"({"n":)" + std::to_string(i) + R"(,"a":[1,"x"]})"}});
    auto w = conn_->writer(table_, *s, {mode, {}});
    w->write(b);
    EXPECT_EQ(w->commit().rows, static_cast<uint64_t>(n));
  }

  std::string endpoint() const { return Uri::parse(url_).option("endpoint").value_or(""); }

  // Runs a Node script with @azure/cosmos bound to `sdk`, the container as
  // `container`; TLS verification is off for this child only (the
  // emulator's certificate is self-signed and expired).
  std::string node(const std::string& body) {
    const std::string script =
        "const {CosmosClient} = require(process.argv[1]);"
        "const client = new CosmosClient({endpoint: process.argv[2], key: process.argv[3],"
        "  connectionPolicy: {enableEndpointDiscovery: false}});"
        "const container = client.database(process.argv[4]).container(process.argv[5]);"
        "(async () => {" +
        body + "})().catch((e) => { console.error(e.message); process.exit(3); });";
    return run("NODE_TLS_REJECT_UNAUTHORIZED=0 " + std::string(test_tools::kNode) +
               " --no-warnings -e " + shell_quote(script) + " " +
               shell_quote(std::string(POLYDB_SOURCE_DIR) +
                           "/tools/emulators/node_modules/@azure/cosmos") +
               " " + shell_quote(endpoint()) + " " + shell_quote(kEmulatorKey) + " " +
               shell_quote(cosmos_->endpoint().database) + " " + shell_quote(table_));
  }

  std::string url_;
  std::unique_ptr<Connection> conn_;
  CosmosConnection* cosmos_ = nullptr;
  std::string table_;
};

}  // namespace polydb::cosmos
