// DynamoDB connector against the emulator of scripts/services.sh (dynalite),
// cross-checked with the official AWS CLI.

#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

TEST_F(DynamoTest, NumbersSetsAndNestedMapsReadExactly) {
  create_keyed({"id"}, {{"id", TypeId::int64, false, ""}});
  const std::string put = R"({"Operation": "PutItem", "TableName": ")" + table_ + R"(", "Item": {
      "id": {"N": "1"},
      "big": {"N": "12345678901234567890123456789012345678"},
      "small": {"N": "-0.000000000000000000000000000000000001"},
      "tags": {"SS": ["a", "b"]},
      "nums": {"NS": ["1", "2.5"]},
      "doc": {"M": {"k": {"L": [{"N": "1"}, {"BOOL": true}, {"NULL": true}, {"S": "x"}]}}}}})";
  EXPECT_EQ(conn_->execute(put), 1u);
  const Schema s = conn_->describe(table_);
  EXPECT_EQ(s.field("big").type.id, TypeId::decimal);
  EXPECT_EQ(s.field("big").native_type, "N");
  EXPECT_EQ(s.field("tags").type.id, TypeId::json);
  EXPECT_EQ(s.field("doc").native_type, "M");
  auto r = conn_->scan({.table = table_, .columns = {"big", "small", "tags", "nums", "doc"}});
  const auto rows = collect(*r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], Value(Decimal{"12345678901234567890123456789012345678"}));
  EXPECT_EQ(rows[0][1], Value(Decimal{"-0.000000000000000000000000000000000001"}));
  const auto tags = nlohmann::json::parse(rows[0][2].as<Json>().text);
  EXPECT_EQ(tags.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(rows[0][3].as<Json>().text).size(), 2u);
  EXPECT_EQ(rows[0][4], Value(Json{R"({"k":[1,true,null,"x"]})"}));
}

TEST_F(DynamoTest, KeyEqualityQueriesAndOtherFiltersScan) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"pk", TypeId::string, false, ""},
                    {"sk", TypeId::int64, false, ""},
                    {"v", TypeId::string, true, ""}};
  schema->primary_key = {"pk", "sk"};
  Batch b(schema);
  for (int p = 0; p < 3; ++p)
    for (int64_t k = 0; k < 50; ++k)
      b.append_row(std::vector<Value>{"p" + std::to_string(p), k, k % 2 ? Value("odd") : Value()});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  EXPECT_EQ(w->commit().rows, 150u);

  ScanSpec q{.table = table_, .batch_rows = 7};
  q.filter = parse_filter("pk = 'p1' AND sk >= 10 AND sk < 20 AND v IS NOT NULL");
  auto r = conn_->scan(q);
  EXPECT_EQ(r->plan().native.rfind("Query ", 0), 0u) << r->plan().native;
  EXPECT_EQ(collect(*r).size(), 5u);  // 11, 13, 15, 17, 19

  ScanSpec s{.table = table_};
  s.filter = parse_filter("v IS NULL");
  auto r2 = conn_->scan(s);
  EXPECT_EQ(r2->plan().native.rfind("Scan ", 0), 0u) << r2->plan().native;
  EXPECT_NE(r2->plan().native.find("attribute_not_exists"), std::string::npos);
  EXPECT_EQ(collect(*r2).size(), 75u);
  EXPECT_EQ(conn_->count_rows(table_), 150u);
}

TEST_F(DynamoTest, NativeQueryAndExecuteBindParametersAsValues) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"pk", TypeId::string, false, ""}, {"sk", TypeId::int64, false, ""}};
  schema->primary_key = {"pk", "sk"};
  Batch b(schema);
  for (int64_t i = 0; i < 5; ++i) b.append_row(std::vector<Value>{"a", i});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  w->commit();

  const std::vector<Value> set{"hello"};
  EXPECT_EQ(conn_->execute(R"({"Operation": "UpdateItem", "TableName": ")" + table_ +
                               R"(", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                               "UpdateExpression": "SET v = :p1"})",
                           set),
            1u);
  const std::vector<Value> params{"a", int64_t{2}};
  auto r = conn_->query(R"({"TableName": ")" + table_ +
                            R"(", "KeyConditionExpression": "pk = :p1 AND sk >= :p2"})",
                        params, {.batch_rows = 1});
  EXPECT_EQ(r->plan().native.rfind("Query ", 0), 0u);
  size_t batches = 0, rows = 0;
  while (auto batch = r->next()) ++batches, rows += batch->num_rows();
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(batches, 3u);
  // A parameter is a value, never expression text.
  const std::vector<Value> evil{"a OR sk > :p2", int64_t{0}};
  auto r2 = conn_->query(R"({"TableName": ")" + table_ +
                             R"(", "KeyConditionExpression": "pk = :p1 AND sk >= :p2"})",
                         evil);
  EXPECT_FALSE(r2->next().has_value());
  // Scan via JSON (no KeyConditionExpression), schema inferred from the first page.
  auto r3 = conn_->query(R"({"TableName": ")" + table_ + R"("})");
  EXPECT_TRUE(r3->schema().index_of("v").has_value());
  EXPECT_EQ(collect(*r3).size(), 5u);

  const std::string del = R"({"TableName": ")" + table_ +
                          R"(", "Key": {"pk": {"S": "a"}, "sk": {"N": "0"}}})";
  EXPECT_EQ(conn_->execute(del), 1u);
  EXPECT_EQ(conn_->execute(del), 0u);
  try {
    conn_->execute(R"({"TableName": ")" + table_ +
                   R"j(", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                   "ConditionExpression": "attribute_not_exists(pk)"})j");
    FAIL() << "expected conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
    EXPECT_NE(e.detail().find("ConditionalCheckFailed"), std::string::npos) << e.detail();
  }
  try {
    conn_->execute(R"({"TableName": ")" + table_ + R"(", "Item": {"pk": {"N": "1"}, "sk": {"N": "1"}}})");
    FAIL() << "expected a key type error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == ErrorCode::type_mismatch || e.code() == ErrorCode::invalid_argument)
        << e.what();
  }
}

TEST_F(DynamoTest, ErrorsAreClassified) {
  try {
    conn_->describe("no_such_table_polydb");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
  try {
    conn_->query("SELECT 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
  }
  Schema three;
  three.fields = {{"a", TypeId::int64}, {"b", TypeId::int64}, {"c", TypeId::int64}};
  three.primary_key = {"a", "b", "c"};
  try {
    conn_->create_table(table_, three);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
  }
  const PingResult p = conn_->ping();
  EXPECT_EQ(p.server_version, "DynamoDB API 2012-08-10");
  EXPECT_EQ(p.role, "service");
}

TEST_F(DynamoTest, AwsCliReadsWhatPolydbWritesAndBack) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"id", TypeId::int64, false, ""},
                    {"s", TypeId::string, true, ""},
                    {"n", Type(TypeId::decimal, 38, 0), true, ""},
                    {"by", TypeId::bytes, true, ""},
                    {"j", TypeId::json, true, ""},
                    {"ts", TypeId::timestamp, true, ""}};
  schema->primary_key = {"id"};
  Batch b(schema);
  b.append_row(std::vector<Value>{int64_t{7}, "héllo", Decimal{"12345678901234567890123456789012345678"},
                                  Bytes{std::string("\0\xff", 2)}, Json{R"({"a":[1,"x"]})"},
                                  Timestamp{1704067200123456}});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  w->commit();

  const auto got = nlohmann::json::parse(
      aws("get-item --table-name " + table_ + " --key " + shell_quote(R"({"id":{"N":"7"}})")));
  const auto& item = got.at("Item");
  EXPECT_EQ(item["s"]["S"], "héllo");
  EXPECT_EQ(item["n"]["N"], "12345678901234567890123456789012345678");
  EXPECT_EQ(item["by"]["B"], "AP8=");
  EXPECT_EQ(item["j"]["M"]["a"]["L"][1]["S"], "x");
  EXPECT_EQ(item["ts"]["S"], "2024-01-01 00:00:00.123456");

  aws("put-item --table-name " + table_ + " --item " +
      shell_quote(R"({"id":{"N":"8"},"s":{"S":"from cli"},"n":{"N":"-1.5"},"by":{"B":"AQI="},)"
                  R"("j":{"L":[{"N":"1"},{"NULL":true}]},"ts":{"S":"2024-02-29 12:00:00"}})"));
  ScanSpec spec{.table = table_};
  spec.filter = parse_filter("id = 8");
  auto r = conn_->scan(spec);
  EXPECT_EQ(r->plan().native.rfind("Query ", 0), 0u);
  const auto rows = collect(*r);
  ASSERT_EQ(rows.size(), 1u);
  const Schema& rs = r->schema();
  EXPECT_EQ(rows[0][*rs.index_of("s")], Value("from cli"));
  EXPECT_EQ(rows[0][*rs.index_of("n")], Value(Decimal{"-1.5"}));
  EXPECT_EQ(rows[0][*rs.index_of("by")], Value(Bytes{"\x01\x02"}));
  EXPECT_EQ(rows[0][*rs.index_of("j")], Value(Json{"[1,null]"}));
  EXPECT_EQ(rs.field("ts").type.id, TypeId::timestamp);
}

TEST_F(DynamoTest, ParallelSegmentsOnSeparateConnectionsReadEveryItemOnce) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"id", TypeId::int64, false, ""}, {"v", TypeId::string, true, ""}};
  schema->primary_key = {"id"};
  Batch b(schema);
  for (int64_t i = 0; i < 300; ++i) b.append_row(std::vector<Value>{i, "v" + std::to_string(i)});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  w->commit();
  // Parallel segments are no snapshot (nor is one Scan): the capability says so.
  ASSERT_FALSE(conn_->capabilities().shared_snapshot);
  ASSERT_TRUE(conn_->capabilities().partitioned_scan);
  EXPECT_THROW(conn_->open_snapshot_readers(3), Error);
  std::vector<std::unique_ptr<Connection>> readers;
  for (int k = 0; k < 3; ++k) readers.push_back(connect(url_));
  std::vector<int64_t> ids;
  for (uint32_t k = 0; k < 3; ++k) {
    auto r = readers[k]->scan({.table = table_, .partition = {k, 3}, .batch_rows = 50});
    EXPECT_NE(r->plan().native.find(R"("TotalSegments":3)"), std::string::npos);
    for (const auto& row : collect(*r)) ids.push_back(row[0].as<int64_t>());
  }
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(ids.size(), 300u);
  for (int64_t i = 0; i < 300; ++i) EXPECT_EQ(ids[i], i);
}

TEST_F(DynamoTest, OrderByANonKeyAttributeSpillsBeyondTheSortMemory) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"id", TypeId::int64, false, ""},
                    {"v", TypeId::int64, true, ""},
                    {"label", TypeId::string, true, ""}};
  schema->primary_key = {"id"};
  Batch b(schema);
  for (int64_t i = 0; i < 1500; ++i)
    b.append_row(std::vector<Value>{i, i % 11 == 0 ? Value() : Value((i * 7919) % 97),
                                    "label " + std::to_string(i)});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  w->commit();
  ScanSpec spec{.table = table_,
                .columns = {"id", "label"},
                .order_by = {{"v", true}, {"id"}},
                .batch_rows = 100};
  spec.sort_memory_bytes = 16u << 10;  // a few hundred items: several runs

  // The runs go to $TMPDIR: a missing one proves the scan spills.
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  setenv("TMPDIR", (testing::TempDir() + "/polydb-no-such-dir").c_str(), 1);
  try {
    collect(*conn_->scan(spec));
    ADD_FAILURE() << "the sort did not spill";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io) << e.what();
    EXPECT_NE(e.message().find("polydb-no-such-dir"), std::string::npos) << e.message();
  }
  if (old)
    setenv("TMPDIR", saved.c_str(), 1);
  else
    unsetenv("TMPDIR");

  const auto rows = collect(*conn_->scan(spec));
  ASSERT_EQ(rows.size(), 1500u);
  std::vector<std::pair<int64_t, int64_t>> want;  // (v or -1 for NULL, id)
  for (int64_t i = 0; i < 1500; ++i) want.emplace_back(i % 11 == 0 ? -1 : (i * 7919) % 97, i);
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;  // NULLs last in DESC
  });
  for (size_t r = 0; r < rows.size(); ++r) {
    ASSERT_EQ(rows[r].size(), 2u);
    ASSERT_EQ(rows[r][0].as<int64_t>(), want[r].second) << "row " << r;
    EXPECT_EQ(rows[r][1].as<std::string>(), "label " + std::to_string(want[r].second));
  }
}

}  // namespace
}  // namespace polydb::dynamotest
