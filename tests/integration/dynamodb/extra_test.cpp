// Nothing of a DynamoDB item is dropped: attributes that describe()'s sample
// did not see (and values that do not fit their column) are read into the
// catch-all column `_extra`, and written back from it, so that DynamoDB ->
// SQLite / PostgreSQL -> DynamoDB keeps every attribute (docs/document-schemas.md).

#include <filesystem>
#include <map>

#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

constexpr int64_t kItems = 10'000;

// Reads every row of `table` and writes it into a new table `target` of `to`.
uint64_t copy(Connection& from, const std::string& table, Connection& to,
              const std::string& target, std::vector<std::string> key) {
  auto r = from.scan({.table = table, .batch_rows = 1500});
  auto w = to.writer(target, r->schema(), {WriteMode::create, std::move(key)});
  while (auto b = r->next()) w->write(*b);
  return w->commit().rows;
}

std::string postgres_url() {
  const char* url = std::getenv("POLYDB_TEST_POSTGRES_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_POSTGRES_URL is not set: export the URLs with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "postgresql://127.0.0.1:1/missing";
  }
  return url;
}

class DynamoExtraTest : public DynamoTest {
 protected:
  void TearDown() override {
    for (const auto& t : more_tables_) conn_->drop_table(t, true);
    DynamoTest::TearDown();
  }

  // 9,999 items of pk "p", sk 0.., a (int) and b (text), written by polydb;
  // then item 10,000 by PutItem with attributes none of the others has.
  void fill() {
    auto schema = std::make_shared<Schema>();
    schema->fields = {{"pk", TypeId::string, false, ""},
                      {"sk", TypeId::int64, false, ""},
                      {"a", TypeId::int64, true, ""},
                      {"b", TypeId::string, true, ""}};
    schema->primary_key = {"pk", "sk"};
    auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
    Batch batch(schema);
    for (int64_t i = 0; i < kItems - 1; ++i) {
      batch.append_row(std::vector<Value>{"p", i, i * 7, "v" + std::to_string(i)});
      if (batch.num_rows() == 2000) {
        w->write(batch);
        batch = Batch(schema);
      }
    }
    w->write(batch);
    EXPECT_EQ(w->commit().rows, uint64_t(kItems - 1));
    // One partition: a Scan returns the items in sort key order, so the
    // sample of describe() (the first 100) never sees this one.
    EXPECT_EQ(conn_->execute(R"({"Operation": "PutItem", "TableName": ")" + table_ + R"(", "Item": {
        "pk": {"S": "p"}, "sk": {"N": "9999"},
        "a": {"S": "not a number"},
        "b": {"S": "v9999"},
        "late": {"M": {"x": {"N": "12345678901234567890.5"}, "l": {"L": [{"S": "q"}, {"BOOL": false}]}}},
        "late_n": {"N": "42"},
        "late_null": {"NULL": true},
        "_extra": {"S": "an attribute named _extra"}}})"),
              1u);
  }

  // The item of sk 9999 in `table` as DynamoDB JSON, read with the AWS CLI.
  nlohmann::json last_item(const std::string& table) {
    const std::string out = aws("get-item --table-name " + table +
                                R"( --key '{"pk":{"S":"p"},"sk":{"N":"9999"}}' --output json)");
    return nlohmann::json::parse(out, nullptr, false).value("Item", nlohmann::json::object());
  }

  void expect_late_attributes(const nlohmann::json& item) {
    EXPECT_EQ(item["a"], nlohmann::json::parse(R"({"S":"not a number"})")) << item.dump();
    EXPECT_EQ(item["b"], nlohmann::json::parse(R"({"S":"v9999"})"));
    EXPECT_EQ(item["late"]["M"]["x"], nlohmann::json::parse(R"({"N":"12345678901234567890.5"})"))
        << item.dump();
    EXPECT_EQ(item["late"]["M"]["l"],
              nlohmann::json::parse(R"({"L":[{"S":"q"},{"BOOL":false}]})"));
    EXPECT_EQ(item["late_n"], nlohmann::json::parse(R"({"N":"42"})"));
    EXPECT_EQ(item["_extra"], nlohmann::json::parse(R"({"S":"an attribute named _extra"})"));
    EXPECT_FALSE(item.contains("late_null")) << "NULL attributes are omitted, as NULL cells are";
  }

  // Every item of `table`, keyed by sk, as the cells of its polydb row
  // (_extra with its keys sorted: attribute order is not data).
  std::map<int64_t, std::vector<Value>> rows_by_sk(Connection& c, const std::string& table) {
    auto r = c.scan({.table = table, .columns = {"sk", "a", "b", "_extra"}});
    std::map<int64_t, std::vector<Value>> out;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) {
        auto row = b->row(i);
        if (!row[3].is_null()) row[3] = Value(Json{nlohmann::json::parse(row[3].as<Json>().text).dump()});
        out[row[0].as<int64_t>()] = row;
      }
    return out;
  }

  std::vector<std::string> more_tables_;
};

TEST_F(DynamoExtraTest, AnAttributeFirstSeenInItem10000SurvivesACopyToSqliteAndPostgresAndBack) {
  fill();
  const Schema s = conn_->describe(table_);
  EXPECT_FALSE(s.index_of("late")) << "the sample should not reach item 10,000";
  ASSERT_EQ(s.fields.back().name, "_extra");
  EXPECT_EQ(s.fields.back().type.id, TypeId::json);
  EXPECT_EQ(s.field("a").type.id, TypeId::int64);

  // Read: the unseen attributes and the value that does not fit `a` are in _extra.
  const auto rows = rows_by_sk(*conn_, table_);
  ASSERT_EQ(rows.size(), size_t(kItems));
  EXPECT_EQ(rows.at(5)[1], Value(int64_t{35}));
  EXPECT_TRUE(rows.at(5)[3].is_null()) << "no attribute beyond the columns: NULL";
  const auto& last = rows.at(9999);
  EXPECT_TRUE(last[1].is_null()) << "the string does not fit the int64 column";
  EXPECT_EQ(last[2], Value("v9999"));
  ASSERT_FALSE(last[3].is_null());
  const auto extra = nlohmann::json::parse(last[3].as<Json>().text);
  ASSERT_EQ(extra.size(), 4u) << extra.dump();
  EXPECT_EQ(extra, nlohmann::json::parse(
                       R"({"a":"not a number","late":{"x":12345678901234567890.5,"l":["q",false]},
                           "late_n":42,"_extra":"an attribute named _extra"})"))
      << last[3].as<Json>().text;
  {
    auto r = conn_->scan({.table = table_, .columns = {"_extra"}, .filter = parse_filter("sk = 9999")});
    auto b = r->next();
    ASSERT_TRUE(b && b->num_rows() == 1);
    EXPECT_NE(b->column(0).var_at(0).find("12345678901234567890.5"), std::string::npos)
        << "N digits are kept exactly: " << b->column(0).var_at(0);
  }

  // A scan that does not read _extra refuses the value rather than reading NULL.
  try {
    auto r = conn_->scan({.table = table_, .columns = {"sk", "a"}});
    while (r->next()) {
    }
    ADD_FAILURE() << "no type_mismatch";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
  }

  // DynamoDB -> SQLite -> DynamoDB and DynamoDB -> PostgreSQL -> DynamoDB.
  const std::string suffix = std::to_string(getpid()) + "_" + table_;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string lite_file = (dir / ("polydb_extra_" + suffix + ".db")).string();
  auto lite = connect("sqlite://" + lite_file + "?mode=rwc");
  auto pg = connect(postgres_url());
  struct Via {
    Connection& conn;
    std::string table;
  };
  for (Via via : {Via{*lite, "extra_" + suffix}, Via{*pg, "extra_" + suffix}}) {
    SCOPED_TRACE(std::string(via.conn.backend()));
    EXPECT_EQ(copy(*conn_, table_, via.conn, via.table, {}), uint64_t(kItems));
    const std::string back = table_ + "_back_" + std::string(via.conn.backend());
    more_tables_.push_back(back);
    EXPECT_EQ(copy(via.conn, via.table, *conn_, back, {"pk", "sk"}), uint64_t(kItems));
    via.conn.drop_table(via.table, true);
    expect_late_attributes(last_item(back));
    // Every other item is as it was.
    const auto again = rows_by_sk(*conn_, back);
    ASSERT_EQ(again.size(), rows.size());
    EXPECT_TRUE(again == rows) << "the copy back differs";
  }
  lite.reset();
  std::filesystem::remove(lite_file);
}

TEST_F(DynamoExtraTest, ExtraKeysThatAreAlsoColumnsAreRefused) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"pk", TypeId::string, false, ""},
                    {"v", TypeId::int64, true, ""},
                    {"_extra", TypeId::json, true, ""}};
  schema->primary_key = {"pk"};
  Batch ok(schema);
  ok.append_row(std::vector<Value>{"a", Value(), Value(Json{R"({"v":"text","w":[1]})"})});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(ok);  // v is NULL: the _extra value takes its place
  Batch both(schema);
  both.append_row(std::vector<Value>{"b", int64_t{1}, Value(Json{R"({"v":2})"})});
  try {
    w->write(both);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("'v'"), std::string::npos) << e.what();
  }
  Batch not_object(schema);
  not_object.append_row(std::vector<Value>{"c", Value(), Value(Json{"[1,2]"})});
  try {
    w->write(not_object);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
  }
  w->commit();
  const std::string out = aws("get-item --table-name " + table_ +
                              R"( --key '{"pk":{"S":"a"}}' --output json)");
  const auto item = nlohmann::json::parse(out, nullptr, false)["Item"];
  EXPECT_EQ(item["v"], nlohmann::json::parse(R"({"S":"text"})")) << out;
  EXPECT_EQ(item["w"], nlohmann::json::parse(R"({"L":[{"N":"1"}]})")) << out;
  EXPECT_FALSE(item.contains("_extra"));

  // A column named _extra of another type is refused when the writer opens.
  auto bad = std::make_shared<Schema>(*schema);
  bad->fields[2].type = TypeId::int64;
  EXPECT_THROW((void)conn_->writer(table_, *bad, {WriteMode::append, {}}), Error);
}

}  // namespace
}  // namespace polydb::dynamotest
