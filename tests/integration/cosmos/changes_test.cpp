// Change batches (Connection::change_writer) into Cosmos DB containers of the
// emulator: bulk upserts and deletes without versions, point read + If-Match
// replace/create/delete with them (tests/integration/document_change_scenarios.hpp),
// plus what is Cosmos DB's own: the id and partition key must follow from
// the change key, and the `_extra` properties.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "../document_change_scenarios.hpp"
#include "connectors/cosmos/connection.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

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

class CosmosChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(server_url(), o);
    const std::string base = "chg_" + std::to_string(getpid()) + "_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name();
    table_ = base;
    second_ = base + "_b";
    for (const auto* t : {&table_, &second_})
      conn_->create_table(*t, *changetest::row_schema(true));
  }
  void TearDown() override {
    if (!conn_) return;
    for (const auto* t : {&table_, &second_}) conn_->drop_table(*t, true);
  }

  std::unique_ptr<Connection> conn_;
  std::string table_, second_;
};

TEST_F(CosmosChangesTest, UpsertsInsertAndReplaceWholeItems) {
  changetest::upserts_insert_and_replace(*conn_, table_);
}

TEST_F(CosmosChangesTest, RemovesDeleteAndAbsentKeysAreFine) {
  changetest::removes_delete_and_absent_keys_are_fine(*conn_, table_);
}

TEST_F(CosmosChangesTest, LastChangeOfAKeyWins) {
  changetest::last_change_of_a_key_wins(*conn_, table_);
}

TEST_F(CosmosChangesTest, VersionsDecide) { changetest::versions_decide(*conn_, table_); }

TEST_F(CosmosChangesTest, ManyChangesPerBatch) { changetest::large_batches(*conn_, table_, 250); }

TEST_F(CosmosChangesTest, BadInputFailsBeforeWriting) { changetest::bad_input(*conn_, table_); }

TEST_F(CosmosChangesTest, DifferentialAgainstAnOracle) {
  changetest::differential(*conn_, table_, second_, 60);
}

TEST_F(CosmosChangesTest, TheItemMustFollowFromTheKey) {
  // The container is partitioned by k: a key without k cannot find items.
  auto s = changetest::row_schema(false);
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
    ChangeBatch b{Batch(s), {ChangeOp::upsert}};
    b.rows.append_row(std::vector<Value>{int64_t{1}, polydb::Json{extra}});
    auto w = conn_->change_writer(table_, *s, {});
    w->apply(b);
    w->commit();
  }
  auto* cosmos = dynamic_cast<CosmosConnection*>(conn_.get());
  ASSERT_NE(cosmos, nullptr);
  const auto item = cosmos->read_item(table_, "1", Json::array({1}));
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->doc.value("size", ""), "XL") << item->doc.dump();
  EXPECT_FALSE(item->doc.contains("color"))
      << "the second upsert replaces the whole item: " << item->doc.dump();
  EXPECT_FALSE(item->doc.contains("_extra")) << item->doc.dump();
}

}  // namespace
}  // namespace polydb::cosmos
