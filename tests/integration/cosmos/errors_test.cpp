// Cosmos DB errors carry "HTTP <status> <service code>" as
// Error::native_code() (errors.cpp), checked against the emulator.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "connectors/cosmos/connection.hpp"
#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::cosmos {
namespace {

class CosmosErrors : public CosmosTest {
 protected:
  void SetUp() override {
    CosmosTest::SetUp();
    ASSERT_TRUE(cosmos_->create_container(table_, {{"tenant"}, "Hash"}));
  }
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
