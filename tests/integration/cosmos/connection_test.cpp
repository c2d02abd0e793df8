// Cosmos DB connector against the emulator of scripts/services.sh
// (@vercel/cosmosdb-server), cross-checked with the official Node SDK
// (@azure/cosmos). The emulator checks no signature: the signer's real
// tests are tests/unit/net/cosmos_auth_test.cpp.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/partition_hash.hpp"
#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::cosmos {
namespace {

Json all_rows(BatchReader& r, size_t* batches = nullptr) {
  Json rows = Json::array();
  size_t n = 0;
  while (auto b = r.next()) {
    ++n;
    for (size_t i = 0; i < b->num_rows(); ++i) {
      Json row = Json::object();
      for (size_t c = 0; c < b->num_columns(); ++c) {
        const Value v = b->column(c).value_at(i);
        row[b->schema().fields[c].name] = v.is_null() ? Json() : Json(v.to_text());
      }
      rows.push_back(std::move(row));
    }
  }
  if (batches) *batches = n;
  return rows;
}

TEST_F(CosmosTest, CrudWithEtagsAndPatch) {
  ASSERT_TRUE(cosmos_->create_container(table_, {{"tenant"}, "Hash"}));
  EXPECT_FALSE(cosmos_->create_container(table_, {{"tenant"}, "Hash"})) << "create-if-not-exists";
  const Json pk = Json::array({"t1"});
  const Item created =
      cosmos_->create_item(table_, {{"id", "a"}, {"tenant", "t1"}, {"qty", 1}}, pk);
  EXPECT_FALSE(created.etag.empty());
  EXPECT_EQ(code_of([&] { cosmos_->create_item(table_, {{"id", "a"}, {"tenant", "t1"}}, pk); }),
            ErrorCode::conflict);
  auto read = cosmos_->read_item(table_, "a", pk);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->doc["qty"], 1);
  const Item replaced = cosmos_->replace_item(
      table_, {{"id", "a"}, {"tenant", "t1"}, {"qty", 2}}, pk, created.etag);
  EXPECT_NE(replaced.etag, created.etag);
  // The old etag no longer matches: 412 -> conflict, and the item is unchanged.
  try {
    cosmos_->replace_item(table_, {{"id", "a"}, {"tenant", "t1"}, {"qty", 99}}, pk, created.etag);
    FAIL() << "a stale etag must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(e.message().find("412"), std::string::npos) << e.message();
    EXPECT_FALSE(e.retryable());
  }
  EXPECT_EQ(cosmos_->read_item(table_, "a", pk)->doc["qty"], 2);
  const Item patched = cosmos_->patch_item(
      table_, "a", pk, Json::array({{{"op", "incr"}, {"path", "/qty"}, {"value", 5}},
                                    {{"op", "set"}, {"path", "/note"}, {"value", "hi"}}}));
  EXPECT_EQ(patched.doc["qty"], 7);
  EXPECT_EQ(patched.doc["note"], "hi");
  cosmos_->upsert_item(table_, {{"id", "b"}, {"tenant", "t1"}, {"qty", 3}}, pk);
  cosmos_->upsert_item(table_, {{"id", "b"}, {"tenant", "t1"}, {"qty", 4}}, pk);
  EXPECT_EQ(conn_->count_rows(table_), 2u);
  EXPECT_EQ(code_of([&] { cosmos_->delete_item(table_, "a", pk, created.etag); }),
            ErrorCode::conflict);
  EXPECT_TRUE(cosmos_->delete_item(table_, "a", pk, patched.etag));
  EXPECT_FALSE(cosmos_->delete_item(table_, "a", pk));
  EXPECT_EQ(conn_->count_rows(table_), 1u);
}

TEST_F(CosmosTest, PagesFollowTheContinuationBatchByBatch) {
  write_items(1200);
  const uint64_t before = conn_->request_cost()->requests;
  QueryOptions o;
  o.batch_rows = 250;
  auto r = conn_->query("SELECT * FROM " + table_ + " c", {}, o);
  size_t batches = 0;
  const Json rows = all_rows(*r, &batches);
  EXPECT_EQ(rows.size(), 1200u);
  EXPECT_GE(batches, 5u);
  // One request per page of at most 250 items: the continuation was followed.
  EXPECT_GE(conn_->request_cost()->requests - before, 5u);
  EXPECT_GT(conn_->request_cost()->total, 0.0) << "x-ms-request-charge is summed";
}

// A scan stopped after some batches and continued from its resume point
// (batches of 16 end inside pages: the first page holds 10 items, the next
// ones 16): every item exactly once, whichever batch the reader stopped after.
TEST_F(CosmosTest, AScanResumesInsideAPageAcrossManyPages) {
  write_items(250);
  ScanSpec spec{.table = table_, .columns = {"id", "grp"}, .batch_rows = 16};
  for (size_t k : {1u, 2u, 3u, 5u, 8u, 13u, 15u}) {
    SCOPED_TRACE("stopped after " + std::to_string(k) + " batches");
    std::vector<int64_t> ids;
    std::string point;
    {
      auto r = conn_->scan(spec);
      for (size_t n = 0; n < k; ++n) {
        auto b = r->next();
        ASSERT_TRUE(b);
        for (size_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).int64_at(i));
      }
      point = r->resume_point().value();
    }
    if (k == 1) {
      // 6 of the second page's items: the point names that page and the items read.
      const Json at = Json::parse(point)["at"];
      EXPECT_EQ(at["skip"], 6) << point;
      EXPECT_NE(at["token"], "") << point;
    }
    ScanSpec rest = spec;
    rest.resume_from = point;
    auto r = conn_->scan(rest);
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).int64_at(i));
    std::sort(ids.begin(), ids.end());
    ASSERT_EQ(ids.size(), 250u) << "no item twice, none missed";
    for (int64_t i = 0; i < 250; ++i) ASSERT_EQ(ids[i], i + 1);
  }
}

// Items deleted before the resume point within its page do not shift it;
// the item it continues after being gone is a clear error, not a guess.
TEST_F(CosmosTest, AResumePointChecksTheItemItContinuesAfter) {
  write_items(60);
  ScanSpec spec{.table = table_, .columns = {"id"}, .batch_rows = 16};
  std::vector<int64_t> first;
  std::string point;
  {
    auto r = conn_->scan(spec);
    auto b = r->next();  // the first page's 10 items and 6 of the second's
    ASSERT_TRUE(b);
    for (size_t i = 0; i < b->num_rows(); ++i) first.push_back(b->column(0).int64_at(i));
    point = r->resume_point().value();
  }
  ASSERT_EQ(first.size(), 16u);
  ASSERT_EQ(Json::parse(point)["at"]["skip"], 6) << point;
  // Two items of that page read already are deleted: the rest is still
  // exactly the others.
  for (int64_t id : {first[12], first[14]})
    ASSERT_TRUE(cosmos_->delete_item(table_, std::to_string(id), Json::array({std::to_string(id)})));
  ScanSpec rest = spec;
  rest.resume_from = point;
  std::set<int64_t> seen(first.begin(), first.end());
  {
    auto r = conn_->scan(rest);
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i)
        EXPECT_TRUE(seen.insert(b->column(0).int64_at(i)).second) << "read twice";
  }
  EXPECT_EQ(seen.size(), 60u) << "none missed";
  // The item the point continues after is deleted: the scan cannot tell where to go on.
  const int64_t last = first.back();
  ASSERT_TRUE(cosmos_->delete_item(table_, std::to_string(last), Json::array({std::to_string(last)})));
  try {
    auto r = conn_->scan(rest);
    while (r->next()) {
    }
    FAIL() << "a point whose item is gone was applied";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(std::string(e.what()).find("read the scan from its start"), std::string::npos)
        << e.what();
  }
}

// The emulator has one partition key range: segments share it, each one
// reading a run of ids, together every item once. (A segment resumed inside
// itself: tests/conformance/resume_test.cpp.)
TEST_F(CosmosTest, SegmentsSplitTheOneRangeByIds) {
  write_items(300);
  for (uint32_t count : {3u, 7u}) {
    SCOPED_TRACE(std::to_string(count) + " segments");
    std::multiset<int64_t> ids;
    for (uint32_t k = 0; k < count; ++k) {
      ScanSpec spec{.table = table_, .columns = {"id"}, .batch_rows = 9};
      spec.partition = {k, count};
      auto r = conn_->scan(spec);
      EXPECT_NE(r->plan().native.find(R"(c["id"])"), std::string::npos) << r->plan().native;
      size_t n = 0;
      while (auto b = r->next())
        for (size_t i = 0; i < b->num_rows(); ++i, ++n) ids.insert(b->column(0).int64_at(i));
      EXPECT_NEAR(static_cast<double>(n), 300.0 / count, 300.0 / count * 0.3) << "segment " << k;
    }
    ASSERT_EQ(ids.size(), 300u);
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 300u) << "an item read twice";
  }
}

// A resume point continues only the scan that wrote it.
TEST_F(CosmosTest, AResumePointOfAnotherScanIsRefused) {
  write_items(30);
  ScanSpec spec{.table = table_, .columns = {"id", "grp"}, .batch_rows = 4};
  std::string point;
  {
    auto r = conn_->scan(spec);
    ASSERT_TRUE(r->next());
    point = r->resume_point().value();
  }
  auto refused = [&](ScanSpec other, const std::string& why) {
    other.resume_from = point;
    try {
      auto r = conn_->scan(other);
      while (r->next()) {
      }
      ADD_FAILURE() << "applied to " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << why << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find("cannot continue from the resume point"),
                std::string::npos)
          << e.what();
    }
  };
  ScanSpec filtered = spec;
  filtered.filter = parse_filter("qty > 50");
  refused(filtered, "a scan with another filter");
  ScanSpec columns = spec;
  columns.columns = {"id"};
  refused(columns, "a scan of other columns");
  ScanSpec segment = spec;
  segment.partition = {0, 2};
  refused(segment, "a segment");
  ScanSpec garbage = spec;
  garbage.resume_from = R"({"rows": 1, "at": {"container": "x"}})";
  EXPECT_EQ(code_of([&] { conn_->scan(garbage)->next(); }), ErrorCode::invalid_argument);
  // And query() readers tell none.
  auto q = conn_->query("SELECT * FROM " + table_ + " c", {}, {.batch_rows = 4});
  ASSERT_TRUE(q->next());
  EXPECT_FALSE(q->resume_point());
}

TEST_F(CosmosTest, NamedParametersAreBoundNeverSpliced) {
  write_items(30);
  QueryOptions o;
  o.param_names = {"@g", "@min"};
  const std::vector<Value> params{"g1", int64_t{200}};
  auto r = conn_->query("SELECT c.id, c.qty FROM " + table_ + " c WHERE c.grp = @g AND c.qty > @min",
                        params, o);
  const Json rows = all_rows(*r);
  EXPECT_EQ(rows.size(), 3u) << rows.dump();  // ids 22, 25, 28: i % 3 == 1 and i > 20
  const std::vector<Value> evil{"g1\" OR 1=1 --", int64_t{0}};
  EXPECT_EQ(all_rows(*conn_->query("SELECT * FROM " + table_ + " c WHERE c.grp = @g AND c.qty > @min",
                                   evil, o))
                .size(),
            0u);
  // Positional parameters are @p1, @p2, ...
  const std::vector<Value> one{int64_t{3}};
  EXPECT_EQ(all_rows(*conn_->query("SELECT * FROM " + table_ + " c WHERE c.qty < @p1 * 10", one))
                .size(),
            2u);
}

TEST_F(CosmosTest, ScanPushesProjectionFilterAndTop) {
  write_items(50);
  ScanSpec spec;
  spec.table = table_;
  spec.columns = {"id", "qty"};
  spec.filter = parse_filter("grp = 'g2' AND qty >= 100");
  auto r = conn_->scan(spec);
  const ScanPlan plan = r->plan();
  // _rid too: resume points check by it the item they continue after.
  EXPECT_NE(plan.native.find(
                R"(SELECT VALUE {"id": c["id"], "qty": c["qty"], "grp": c["grp"], "_rid": c["_rid"]})"),
            std::string::npos)
      << plan.native;
  EXPECT_NE(plan.native.find(R"(WHERE c["grp"] = @p0 AND c["qty"] >= @p1)"), std::string::npos)
      << plan.native;
  EXPECT_TRUE(plan.columns_pushed);
  EXPECT_TRUE(plan.filter_pushed);
  EXPECT_EQ(all_rows(*r).size(), 14u);  // 11..50 with i % 3 == 2
  // The partition key fixed by equality: one partition, TOP pushed.
  ScanSpec point;
  point.table = table_;
  point.filter = parse_filter("id = 7");
  point.limit = 1;
  auto p = conn_->scan(point);
  EXPECT_NE(p->plan().native.find("SELECT TOP 1 "), std::string::npos) << p->plan().native;
  EXPECT_NE(p->plan().native.find(R"(partition ["7"])"), std::string::npos) << p->plan().native;
  const Json rows = all_rows(*p);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["qty"], "70");
}

TEST_F(CosmosTest, HierarchicalPartitionKeys) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"tenant", TypeId::string, false, ""},
               {"user", TypeId::string, false, ""},
               {"n", TypeId::int64, true, ""}};
  s->primary_key = {"tenant", "user"};
  conn_->create_table(table_, *s);
  const PartitionKey key = cosmos_->partition_key(table_);
  EXPECT_EQ(key.kind, "MultiHash");
  EXPECT_EQ(key.paths, (std::vector<std::string>{"tenant", "user"}));
  Batch b(s);
  b.append_row(std::vector<Value>{"t1", "u1", int64_t{1}});
  b.append_row(std::vector<Value>{"t1", "u/2", int64_t{2}});
  auto w = conn_->writer(table_, *s, {WriteMode::append, {}});
  w->write(b);
  w->commit();
  // The id of a row without an "id" column is its key, escaped.
  auto item = cosmos_->read_item(table_, "t1|u%2F2", Json::array({"t1", "u/2"}));
  ASSERT_TRUE(item);
  EXPECT_EQ(item->doc["n"], 2);
  const Schema d = conn_->describe(table_);
  EXPECT_EQ(d.primary_key, (std::vector<std::string>{"tenant", "user", "id"}));
  ScanSpec spec;
  spec.table = table_;
  spec.filter = parse_filter("tenant = 't1' AND user = 'u1'");
  auto r = conn_->scan(spec);
  EXPECT_NE(r->plan().native.find(R"(partition ["t1","u1"])"), std::string::npos)
      << r->plan().native;
  EXPECT_EQ(all_rows(*r).size(), 1u);
  s->primary_key = {"a", "b", "c", "d"};
  EXPECT_EQ(code_of([&] { conn_->create_table(table_ + "x", *s); }), ErrorCode::unsupported);
}

TEST_F(CosmosTest, ErrorsAreClassifiedWithTheServersWords) {
  EXPECT_EQ(code_of([&] { conn_->describe("no_such_container"); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->query("SELECT * FROM no_such_container c"); }),
            ErrorCode::not_found);
  write_items(3);
  try {
    conn_->query("SELECT * FROM " + table_ + " c GROUP BY c.grp");
    FAIL() << "the emulator has no GROUP BY";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("HTTP 400"), std::string::npos) << e.message();
  }
  EXPECT_EQ(code_of([&] { conn_->query("DELETE FROM c"); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { conn_->execute("SELECT 1", {}); }), ErrorCode::unsupported);
  EXPECT_EQ(code_of([&] { write_items(3); }), ErrorCode::conflict) << "create of an existing table";
  EXPECT_EQ(code_of([&] { cosmos_->create_item(table_, {{"id", "1"}}, Json::array({"1"})); }),
            ErrorCode::conflict);
  // A database that does not exist is not created by reading.
  Uri other = Uri::parse(url_);
  other.path = "/polydb_no_such_db";
  EXPECT_EQ(code_of([&] { connect(other.to_string_with_secrets()); }), ErrorCode::not_found);
}

TEST_F(CosmosTest, BulkRequestsKeepEachItemsOrderAndNameTheRefusedItem) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"qty", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  for (int64_t i = 1; i <= 250; ++i) b.append_row(std::vector<Value>{i, i});
  for (int64_t i = 1; i <= 10; ++i) b.append_row(std::vector<Value>{i, -i});  // later rows win
  const uint64_t before = conn_->request_cost()->requests;
  auto w = conn_->writer(table_, *s, {WriteMode::upsert, {}});
  w->write(b);
  EXPECT_EQ(w->commit().rows, 260u);
  // 260 items in 100-item bulk requests, plus the container's creation and look-ups.
  EXPECT_LT(conn_->request_cost()->requests - before, 15u);
  EXPECT_EQ(conn_->count_rows(table_), 250u);
  ScanSpec spec{.table = table_, .columns = {"id", "qty"}, .order_by = {{"id"}}};
  const Json rows = all_rows(*conn_->scan(spec));
  ASSERT_EQ(rows.size(), 250u);
  for (int64_t i = 1; i <= 250; ++i)
    EXPECT_EQ(rows[i - 1]["qty"], std::to_string(i <= 10 ? -i : i)) << "id " << i;

  Batch again(s);
  for (int64_t i = 300; i <= 305; ++i) again.append_row(std::vector<Value>{i, i});
  again.append_row(std::vector<Value>{int64_t{7}, int64_t{0}});
  auto create = conn_->writer(table_, *s, {WriteMode::append, {}});
  try {
    create->write(again);
    FAIL() << "creating an existing id succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(e.message().find("item '7'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("HTTP 409"), std::string::npos) << e.message();
  }
}

TEST_F(CosmosTest, ReplaceThatDoesNotFinishLeavesAMarker) {
  write_items(20);
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"grp", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{100}, "new"});
  {
    auto w = conn_->writer(table_, *s, {WriteMode::replace, {}});
    w->write(b);
  }  // dropped before commit
  EXPECT_TRUE(cosmos_->read_item(table_, std::string(kReplaceMarkerId),
                                 Json::array({std::string(kReplaceMarkerId)})))
      << "an unfinished replace is visible";
  EXPECT_EQ(conn_->count_rows(table_), 1u);
  auto w = conn_->writer(table_, *s, {WriteMode::replace, {}});
  w->write(b);
  w->commit();
  EXPECT_EQ(conn_->count_rows(table_), 1u);
  EXPECT_FALSE(cosmos_->delete_item(table_, std::string(kReplaceMarkerId),
                                    Json::array({std::string(kReplaceMarkerId)})))
      << "commit removes the marker";
}

TEST_F(CosmosTest, ReplaceDeletesTheOldItemsWithBulkRequests) {
  write_items(1250);
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"grp", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  for (int64_t i = 5000; i < 5003; ++i) b.append_row(std::vector<Value>{i, "new"});
  const uint64_t before = conn_->request_cost()->requests;
  auto w = conn_->writer(table_, *s, {WriteMode::replace, {}});
  w->write(b);
  w->commit();
  // 1,250 deletes in 100-item bulk requests (13) after two pages of ids, the
  // marker, the writes and the look-ups: not one request per old item.
  EXPECT_LT(conn_->request_cost()->requests - before, 40u);
  EXPECT_EQ(conn_->count_rows(table_), 3u);
  EXPECT_FALSE(cosmos_->delete_item(table_, std::string(kReplaceMarkerId),
                                    Json::array({std::string(kReplaceMarkerId)})))
      << "the marker stayed";
}

TEST_F(CosmosTest, EstimateRowsComesFromTheUsageHeaderOnly) {
  write_items(5);
  // The emulator sends no x-ms-resource-usage header: no estimate (the
  // parsing of the service's header is unit-tested).
  EXPECT_EQ(conn_->estimate_rows(table_), std::nullopt);
  EXPECT_EQ(code_of([&] { conn_->estimate_rows("no_such_container_polydb"); }),
            ErrorCode::not_found);
}

// Effective partition keys of many generated values, polydb's against the
// official Node SDK's (tests/interop/cosmos_partition_key_hash.js), for
// hash versions 1 and 2 and hierarchical keys.
TEST_F(CosmosTest, PartitionKeyHashesMatchTheNodeSdk) {
  std::vector<Json> cases;
  for (int i = 0; i < 120; ++i) {
    Json value;
    switch (i % 4) {
      case 0: value = std::string(static_cast<size_t>(i), 'a' + static_cast<char>(i % 26)); break;
      case 1: value = "k\u00e9y-" + std::to_string(i * 7919) + "-\U0001F600"; break;
      case 2: value = (i - 60) * 1.37; break;
      default: value = static_cast<int64_t>(i) * 1'000'003; break;
    }
    for (int version : {1, 2})
      cases.push_back({{"kind", "Hash"}, {"version", version}, {"values", Json::array({value})}});
    cases.push_back({{"kind", "MultiHash"}, {"version", 2},
                     {"values", Json::array({value, "tenant-" + std::to_string(i)})}});
  }
  const std::string file = ::testing::TempDir() + "/cosmos_pk_cases_" + std::to_string(getpid());
  {
    std::ofstream out(file);
    for (const auto& c : cases) out << c.dump() << "\n";
  }
  const std::string printed =
      run("NODE_PATH=" + shell_quote(std::string(POLYDB_SOURCE_DIR) + "/tools/emulators/node_modules") +
          " " + test_tools::kNode + " " + shell_quote(std::string(POLYDB_SOURCE_DIR) + "/tests/interop/cosmos_partition_key_hash.js") +
          " < " + shell_quote(file));
  std::remove(file.c_str());
  std::istringstream lines(printed);
  std::string sdk;
  size_t n = 0;
  for (const auto& c : cases) {
    ASSERT_TRUE(std::getline(lines, sdk)) << "the Node script printed " << n << " hashes";
    PartitionKey key{.kind = c["kind"].get<std::string>(), .version = c["version"].get<int>()};
    for (size_t i = 0; i < c["values"].size(); ++i) key.paths.push_back("p" + std::to_string(i));
    EXPECT_EQ(effective_partition_key(c["values"], key), sdk) << c.dump();
    ++n;
  }
}

TEST_F(CosmosTest, NodeSdkReadsWhatPolydbWrote) {
  write_items(5);
  const std::string out = node(
      "for (const id of ['1', '5']) {"
      "  const {resource} = await container.item(id, id).read();"
      "  console.log(JSON.stringify({id: resource.id, grp: resource.grp, qty: resource.qty,"
      "                              tags: resource.tags}));"
      "}");
  EXPECT_EQ(out,
            "{\"id\":\"1\",\"grp\":\"g1\",\"qty\":10,\"tags\":{\"n\":1,\"a\":[1,\"x\"]}}\n"
            "{\"id\":\"5\",\"grp\":\"g2\",\"qty\":50,\"tags\":{\"n\":5,\"a\":[1,\"x\"]}}\n");
}

TEST_F(CosmosTest, PolydbReadsWhatTheNodeSdkWrote) {
  ASSERT_TRUE(cosmos_->create_container(table_, {{"pk"}, "Hash"}));
  node(
      "await container.items.create({id: 'x1', pk: 'p', n: 1.5, ok: true, "
      "  nested: {a: {b: [1, 2, {c: 'd'}]}}, list: ['u', 'v'], none: null});"
      "await container.items.create({id: 'x2', pk: 'p', n: 2, ok: false, nested: {}, list: []});");
  const Schema d = conn_->describe(table_);
  EXPECT_EQ(d.field("n").type.id, TypeId::float64);
  EXPECT_EQ(d.field("ok").type.id, TypeId::boolean);
  EXPECT_EQ(d.field("nested").type.id, TypeId::json);
  EXPECT_EQ(d.field("list").type.id, TypeId::json);
  EXPECT_FALSE(d.index_of("_rid"));
  ScanSpec spec;
  spec.table = table_;
  spec.order_by = {{"id"}};
  const Json rows = all_rows(*conn_->scan(spec));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["nested"], R"({"a":{"b":[1,2,{"c":"d"}]}})");
  EXPECT_EQ(rows[0]["list"], R"(["u","v"])");
  EXPECT_EQ(rows[0]["n"], "1.5");
  EXPECT_EQ(rows[0]["ok"], "true");
  EXPECT_EQ(rows[1]["n"], "2");
  EXPECT_EQ(rows[1]["list"], "[]");
}

}  // namespace
}  // namespace polydb::cosmos
