// Change batches (Connection::change_writer) into DynamoDB tables of the
// emulator: BatchWriteItem without versions, conditional PutItem/DeleteItem
// with them (tests/integration/document_change_scenarios.hpp), plus what is DynamoDB's
// own: composite keys, the table's key as the change key, more than 25
// changes per batch, and the `_extra` attributes.

#include <string>
#include <tuple>
#include <vector>

#include "../document_change_scenarios.hpp"
#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

using changetest::Change;
using changetest::Contents;

class DynamoChangesTest : public DynamoTest {
 protected:
  void SetUp() override {
    DynamoTest::SetUp();
    create_keyed({"k"}, {{"k", TypeId::int64, false, ""}});
  }
  void TearDown() override {
    if (conn_ && !second_.empty()) conn_->drop_table(second_, true);
    DynamoTest::TearDown();
  }
  // A second table of this test, keyed by k.
  const std::string& second_table() {
    second_ = table_ + "_b";
    Schema s;
    s.fields = {{"k", TypeId::int64, false, ""}};
    s.primary_key = {"k"};
    conn_->create_table(second_, s);
    return second_;
  }
  void create_table_ps(const std::string& t) {
    Schema s;
    s.fields = {{"tenant", TypeId::string, false, ""}, {"seq", TypeId::int64, false, ""}};
    s.primary_key = {"tenant", "seq"};
    conn_->create_table(t, s);
  }
  std::string second_;
};

TEST_F(DynamoChangesTest, UpsertsInsertAndReplaceWholeItems) {
  changetest::upserts_insert_and_replace(*conn_, table_);
}

TEST_F(DynamoChangesTest, RemovesDeleteAndAbsentKeysAreFine) {
  changetest::removes_delete_and_absent_keys_are_fine(*conn_, table_);
}

TEST_F(DynamoChangesTest, LastChangeOfAKeyWins) {
  changetest::last_change_of_a_key_wins(*conn_, table_);
}

TEST_F(DynamoChangesTest, VersionsDecide) { changetest::versions_decide(*conn_, table_); }

TEST_F(DynamoChangesTest, MoreThan25ChangesPerBatch) {
  changetest::large_batches(*conn_, table_, 137);
}

TEST_F(DynamoChangesTest, BadInputFailsBeforeWriting) { changetest::bad_input(*conn_, table_); }

TEST_F(DynamoChangesTest, DifferentialAgainstAnOracle) {
  changetest::differential(*conn_, table_, second_table(), 60);
  // The emulator's own count agrees with what scan() read.
  const auto n = conn_->count_rows(table_);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, changetest::read_back(*conn_, table_).size());
}

TEST_F(DynamoChangesTest, CompositeKeyPartitionAndSort) {
  const std::string t = table_ + "_ps";
  second_ = t;
  create_table_ps(t);
  auto s = std::make_shared<Schema>();
  s->fields = {{"tenant", TypeId::string, false, ""},
               {"seq", TypeId::int64, false, ""},
               {"note", TypeId::string, true, ""},
               {"v", TypeId::int64, false, ""}};
  s->primary_key = {"tenant", "seq"};
  const auto batch =
      [&](std::vector<std::tuple<ChangeOp, std::string, int64_t, std::string, int64_t>> rows) {
        ChangeBatch b{Batch(s), {}};
        for (auto& [op, tenant, seq, note, v] : rows) {
          b.rows.append_row(std::vector<Value>{tenant, seq, note, v});
          b.ops.push_back(op);
        }
        return b;
      };
  for (const bool versioned : {false, true}) {
    ChangeOptions o;
    if (versioned) o.version_column = "v";
    auto w = conn_->change_writer(t, *s, o);
    w->apply(batch({{ChangeOp::upsert, "a", 1, "a1", 10},
                    {ChangeOp::upsert, "a", 2, "a2", 10},
                    {ChangeOp::upsert, "b", 1, "b1", 10},
                    {ChangeOp::remove, "a", 2, "", 11},
                    {ChangeOp::upsert, "b", 1, "b1 again", 12}}));
    w->apply(batch({{ChangeOp::upsert, "a", 1, "stale", 9}}));
    w->commit();
    ScanSpec spec;
    spec.table = t;
    spec.columns = {"tenant", "seq", "note"};
    spec.order_by = {{"tenant"}, {"seq"}};
    std::vector<std::string> got;
    for (const auto& row : collect(*conn_->scan(spec)))
      got.push_back(row[0].to_text() + "/" + row[1].to_text() + "=" + row[2].to_text());
    const std::vector<std::string> want = {versioned ? "a/1=a1" : "a/1=stale", "b/1=b1 again"};
    EXPECT_EQ(got, want) << (versioned ? "with versions" : "without versions");
    conn_->change_writer(t, *s, {})->apply(
        batch({{ChangeOp::remove, "a", 1, "", 0}, {ChangeOp::remove, "b", 1, "", 0}}));
  }
}

TEST_F(DynamoChangesTest, TheChangeKeyMustBeTheTablesKey) {
  auto s = changetest::row_schema(false);
  try {
    conn_->change_writer(table_, *s, {.key = {"name"}, .version_column = {}});
    FAIL() << "a key other than the table's was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("table's key is (k)"), std::string::npos) << e.what();
  }
  try {
    conn_->change_writer(table_ + "_missing", *s, {});
    FAIL() << "a missing table was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  }
}

TEST_F(DynamoChangesTest, ExtraAttributesAreMergedIntoTheItem) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""}, {"_extra", TypeId::json, true, ""}};
  s->primary_key = {"k"};
  ChangeBatch b{Batch(s), {ChangeOp::upsert}};
  b.rows.append_row(std::vector<Value>{int64_t{1}, polydb::Json{R"({"color":"red","n":3})"}});
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
