// Change batches (Connection::change_writer) into Cosmos DB containers of the
// emulator: what is Cosmos DB's own. The behaviour every backend shares
// (upserts, removes, versions, a differential check, large batches, bad
// input) is in tests/conformance/changes_test.cpp; here: the id and partition
// key must follow from the change key, and the `_extra` properties.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "connectors/cosmos/connection.hpp"
#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {
namespace {

// (k int64 key, name string): the container is partitioned by k.
std::shared_ptr<Schema> row_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
  s->primary_key = {"k"};
  return s;
}

class CosmosChangesTest : public CosmosTest {
 protected:
  void SetUp() override {
    CosmosTest::SetUp();
    conn_->create_table(table_, *row_schema());
  }
};

TEST_F(CosmosChangesTest, TheItemMustFollowFromTheKey) {
  // The container is partitioned by k: a key without k cannot find items.
  auto s = row_schema();
  try {
    conn_->change_writer(table_, *s, {.key = {"name"}, .version_column = {}});
    FAIL() << "a key without the partition key was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("partitioned by 'k'"), std::string::npos) << e.what();
  }
  try {
    conn_->change_writer(table_ + "_missing", *s, {});
    FAIL() << "a missing container was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  }
}

TEST_F(CosmosChangesTest, ExtraPropertiesAreMergedAndReplaced) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""}, {"_extra", TypeId::json, true, ""}};
  s->primary_key = {"k"};
  for (const char* extra : {R"({"color":"red","n":3})", R"({"size":"XL"})"}) {
    ChangeBatch b{Batch(s), {}};
    b.append(ChangeOp::upsert, std::vector<Value>{int64_t{1}, polydb::Json{extra}});
    auto w = conn_->change_writer(table_, *s, {});
    w->apply(b);
    w->commit();
  }
  const auto item = cosmos_->read_item(table_, "1", Json::array({1}));
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->doc.value("size", ""), "XL") << item->doc.dump();
  EXPECT_FALSE(item->doc.contains("color"))
      << "the second upsert replaces the whole item: " << item->doc.dump();
  EXPECT_FALSE(item->doc.contains("_extra")) << item->doc.dump();
}

}  // namespace
}  // namespace polydb::cosmos
