// Key lists (`partition_key IN (...)`, what the federated query pushes into a
// DynamoDB table for a join): BatchGetItem or one Query per partition key
// instead of a Scan, against the emulator; and estimate_rows().

#include <algorithm>
#include <set>

#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

class DynamoKeyListTest : public DynamoTest {
 protected:
  // 1000 items: id 0..999, grp = id % 10, v = "v<id>".
  void load_hash_only() {
    auto schema = std::make_shared<Schema>();
    schema->fields = {{"id", TypeId::int64, false, ""},
                      {"grp", TypeId::int64, true, ""},
                      {"v", TypeId::string, true, ""}};
    schema->primary_key = {"id"};
    Batch b(schema);
    for (int64_t i = 0; i < 1000; ++i)
      b.append_row(std::vector<Value>{i, i % 10, "v" + std::to_string(i)});
    auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
    w->write(b);
    ASSERT_EQ(w->commit().rows, 1000u);
  }

  // 250 keys: every 5th id (200 that exist), 50 that do not, and repeats.
  static Filter key_list() {
    std::vector<Value> ids;
    for (int64_t i = 0; i < 1000; i += 5) ids.emplace_back(i);
    for (int64_t i = 5000; i < 5050; ++i) ids.emplace_back(i);
    ids.emplace_back(int64_t{0});
    ids.emplace_back(Value(Decimal{"10.0"}));
    return Filter::in("id", std::move(ids));
  }

  static std::set<int64_t> ids_of(const std::vector<std::vector<Value>>& rows, size_t col) {
    std::set<int64_t> out;
    for (const auto& r : rows) out.insert(r[col].as<int64_t>());
    return out;
  }

  static std::set<int64_t> expected(int64_t grp_at_least) {
    std::set<int64_t> out;
    for (int64_t i = 0; i < 1000; i += 5)
      if (i % 10 >= grp_at_least) out.insert(i);
    return out;
  }
};

TEST_F(DynamoKeyListTest, HashKeyListReadsExactlyTheItemsWithBatchGetItem) {
  load_hash_only();
  ScanSpec spec{.table = table_, .columns = {"id", "v"}, .batch_rows = 64};
  spec.filter = key_list();
  auto r = conn_->scan(spec);
  const ScanPlan plan = r->plan();
  EXPECT_EQ(plan.native.rfind("BatchGetItem " + table_ + " (250 keys in 3 requests)", 0), 0u)
      << plan.native;
  EXPECT_TRUE(plan.filter_pushed);
  EXPECT_TRUE(plan.columns_pushed);
  size_t batches = 0;
  std::vector<std::vector<Value>> rows;
  while (auto b = r->next()) {
    ++batches;
    EXPECT_LE(b->num_rows(), 64u);
    for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
  }
  EXPECT_GT(batches, 1u);
  ASSERT_EQ(rows.size(), 200u) << "each existing key once, missing keys skipped";
  EXPECT_EQ(ids_of(rows, 0), expected(0));
  for (const auto& row : rows) EXPECT_EQ(row[1], Value("v" + std::to_string(row[0].as<int64_t>())));
}

TEST_F(DynamoKeyListTest, ProjectionLocalFilterLimitAndOrder) {
  load_hash_only();
  // Only v is handed out; id is read for the filter and dropped.
  ScanSpec spec{.table = table_, .columns = {"v"}};
  spec.filter = Filter::all_of({key_list(), parse_filter("grp >= 5")});
  auto r = conn_->scan(spec);
  EXPECT_NE(r->plan().native.find("ProjectionExpression"), std::string::npos) << r->plan().native;
  ASSERT_EQ(r->schema().fields.size(), 1u);
  EXPECT_EQ(r->schema().fields[0].name, "v");
  std::set<std::string> got;
  for (const auto& row : collect(*r)) got.insert(row[0].as<std::string>());
  std::set<std::string> want;
  for (int64_t i : expected(5)) want.insert("v" + std::to_string(i));
  EXPECT_EQ(got, want) << "grp >= 5 keeps the ids ending in 5";

  ScanSpec limited{.table = table_, .columns = {"id"}, .limit = 10};
  limited.filter = key_list();
  const auto some = collect(*conn_->scan(limited));
  ASSERT_EQ(some.size(), 10u);
  for (int64_t id : ids_of(some, 0)) EXPECT_TRUE(expected(0).count(id)) << id;

  ScanSpec ordered{.table = table_, .columns = {"id"}, .order_by = {{"id", true}}, .limit = 3};
  ordered.filter = key_list();
  const auto top = collect(*conn_->scan(ordered));
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0][0], Value(int64_t{995}));
  EXPECT_EQ(top[2][0], Value(int64_t{985}));
}

TEST_F(DynamoKeyListTest, ConsistentReadsAndSortKeyEquality) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"pk", TypeId::string, false, ""},
                    {"sk", TypeId::int64, false, ""},
                    {"n", TypeId::int64, true, ""}};
  schema->primary_key = {"pk", "sk"};
  Batch b(schema);
  for (int p = 0; p < 10; ++p)
    for (int64_t k = 0; k < 100; ++k)
      b.append_row(std::vector<Value>{"p" + std::to_string(p), k, p * 1000 + k});
  auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  ASSERT_EQ(w->commit().rows, 1000u);

  auto consistent = connect_with("consistent-read=true");
  ScanSpec eq{.table = table_};
  eq.filter = parse_filter("pk IN ('p1', 'p4', 'p4', 'nope') AND sk = 7");
  auto r = consistent->scan(eq);
  EXPECT_EQ(r->plan().native.rfind("BatchGetItem " + table_ + " (3 keys in 1 request)", 0), 0u)
      << r->plan().native;
  EXPECT_NE(r->plan().native.find(R"("ConsistentRead":true)"), std::string::npos);
  std::set<int64_t> n;
  for (const auto& row : collect(*r)) n.insert(row[2].as<int64_t>());
  EXPECT_EQ(n, (std::set<int64_t>{1007, 4007}));

  // Sort key conditions without equality: one Query per partition key, paged.
  ScanSpec range{.table = table_, .batch_rows = 4};
  range.filter = parse_filter("pk IN ('p2', 'p9', 'nope') AND sk >= 10 AND sk < 20 AND n > 2000");
  auto q = conn_->scan(range);
  EXPECT_EQ(q->plan().native.rfind("Query x 3 keys {", 0), 0u) << q->plan().native;
  EXPECT_TRUE(q->plan().filter_pushed);
  n.clear();
  for (const auto& row : collect(*q)) EXPECT_TRUE(n.insert(row[2].as<int64_t>()).second);
  std::set<int64_t> want;
  for (int64_t k = 10; k < 20; ++k) want.insert({2000 + k, 9000 + k});
  EXPECT_EQ(n, want);

  // No sort key condition: whole partitions (the request names no sort key,
  // which DynamoDB would refuse as an unused name).
  ScanSpec whole{.table = table_};
  whole.filter = parse_filter("pk IN ('p0', 'p5')");
  EXPECT_EQ(collect(*conn_->scan(whole)).size(), 200u);
  whole.filter = parse_filter("pk = 'p3'");
  EXPECT_EQ(collect(*conn_->scan(whole)).size(), 100u);
}

TEST_F(DynamoKeyListTest, PartitionedScansStayScans) {
  load_hash_only();
  ScanSpec spec{.table = table_, .partition = {0, 2}};
  spec.filter = parse_filter("id IN (1, 2, 3)");
  auto r = conn_->scan(spec);
  EXPECT_EQ(r->plan().native.rfind("Scan ", 0), 0u) << r->plan().native;
  auto rows = collect(*r);
  spec.partition = {1, 2};
  for (auto& row : collect(*conn_->scan(spec))) rows.push_back(std::move(row));
  EXPECT_EQ(ids_of(rows, 0), (std::set<int64_t>{1, 2, 3}));
}

TEST_F(DynamoKeyListTest, EstimateRowsIsDescribeTablesItemCount) {
  load_hash_only();
  // The emulator never updates ItemCount (AWS does about every six hours):
  // the estimate is what DescribeTable reports, checked with the AWS CLI,
  // and none while that is 0 (a table just loaded).
  const auto described = nlohmann::json::parse(aws("describe-table --table-name " + table_));
  const uint64_t item_count = described.at("Table").at("ItemCount").get<uint64_t>();
  EXPECT_EQ(conn_->estimate_rows(table_),
            item_count ? std::optional<uint64_t>(item_count) : std::nullopt);
  try {
    conn_->estimate_rows("no_such_table_polydb");
    FAIL() << "expected not_found";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(e.message().find("no_such_table_polydb"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace polydb::dynamotest
