// Cosmos DB errors carry "HTTP <status> <service code>" as
// Error::native_code() (errors.cpp), checked against the emulator.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "connectors/cosmos/connection.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::cosmos {
namespace {

constexpr const char* kEmulatorKey =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

std::string server_url() {
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

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

class CosmosErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(server_url(), o);
    cosmos_ = dynamic_cast<CosmosConnection*>(conn_.get());
    ASSERT_NE(cosmos_, nullptr);
    table_ = "errors_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(cosmos_->create_container(table_, {{"tenant"}, "Hash"}));
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }

  std::unique_ptr<Connection> conn_;
  CosmosConnection* cosmos_ = nullptr;
  std::string table_;
};

TEST_F(CosmosErrors, AnExistingIdIs409Conflict) {
  const Json pk = Json::array({"t1"});
  cosmos_->create_item(table_, {{"id", "a"}, {"tenant", "t1"}}, pk);
  const Error e = error_of([&] { cosmos_->create_item(table_, {{"id", "a"}, {"tenant", "t1"}}, pk); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_EQ(e.native_code(), "HTTP 409 Conflict") << e.what();
  EXPECT_EQ(e.backend(), "cosmos");
}

TEST_F(CosmosErrors, AStaleEtagIs412PreconditionFailed) {
  const Json pk = Json::array({"t1"});
  const Item created = cosmos_->create_item(table_, {{"id", "a"}, {"tenant", "t1"}}, pk);
  cosmos_->replace_item(table_, {{"id", "a"}, {"tenant", "t1"}, {"v", 1}}, pk, created.etag);
  const Error e = error_of([&] {
    cosmos_->replace_item(table_, {{"id", "a"}, {"tenant", "t1"}, {"v", 2}}, pk, created.etag);
  });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_EQ(e.native_code(), "HTTP 412 PreconditionFailed") << e.what();
}

TEST_F(CosmosErrors, AQueryTheServerRefusesIs400BadRequest) {
  const Error e = error_of([&] { conn_->query("SELECT * FROM " + table_ + " c GROUP BY c.tenant"); });
  EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  EXPECT_EQ(e.native_code(), "HTTP 400 BadRequest") << e.what();
}

}  // namespace
}  // namespace polydb::cosmos
