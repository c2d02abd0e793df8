// Change batches (Connection::change_writer) into DynamoDB tables of the
// emulator: what is DynamoDB's own. The behaviour every backend shares
// (upserts, removes, versions, composite keys, a differential check, batches
// of more than 25 items, bad input) is in tests/conformance/changes_test.cpp;
// here: the table's key as the change key, and the `_extra` attributes.

#include <memory>
#include <string>
#include <vector>

#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

class DynamoChangesTest : public DynamoTest {
 protected:
  void SetUp() override {
    DynamoTest::SetUp();
    create_keyed({"k"}, {{"k", TypeId::int64, false, ""}});
  }
};

TEST_F(DynamoChangesTest, TheChangeKeyMustBeTheTablesKey) {
  Schema s;
  s.fields = {{"k", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
  s.primary_key = {"k"};
  try {
    conn_->change_writer(table_, s, {.key = {"name"}, .version_column = {}});
    FAIL() << "a key other than the table's was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("table's key is (k)"), std::string::npos) << e.what();
  }
  try {
    conn_->change_writer(table_ + "_missing", s, {});
    FAIL() << "a missing table was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  }
}

TEST_F(DynamoChangesTest, ExtraAttributesAreMergedIntoTheItem) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""}, {"_extra", TypeId::json, true, ""}};
  s->primary_key = {"k"};
  ChangeBatch b{Batch(s), {}};
  b.append(ChangeOp::upsert,
           std::vector<Value>{int64_t{1}, polydb::Json{R"({"color":"red","n":3})"}});
  auto w = conn_->change_writer(table_, *s, {});
  w->apply(b);
  w->commit();
  const std::string out =
      aws("get-item --table-name " + table_ + " --key '{\"k\":{\"N\":\"1\"}}' --consistent-read");
  const auto item = nlohmann::json::parse(out)["Item"];
  EXPECT_EQ(item["color"], nlohmann::json({{"S", "red"}})) << out;
  EXPECT_EQ(item["n"], nlohmann::json({{"N", "3"}})) << out;
  EXPECT_FALSE(item.contains("_extra")) << out;
}

}  // namespace
}  // namespace polydb::dynamotest
