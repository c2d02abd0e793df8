// Firestore scan pushdown, ordering/cursors, the native dialect, value
// encoding, schema inference and the batchWrite retry loop — without a server.

#include "connectors/firestore/query.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/errors.hpp"
#include "connectors/firestore/types.hpp"
#include "polydb/error.hpp"
#include "unit/net/stoppable_clock.hpp"

namespace polydb::firestore {
namespace {

Schema sample_schema() {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, "integerValue"},
              {"name", TypeId::string, true, "stringValue"},
              {"qty", TypeId::int64, true, "integerValue"},
              {"price", TypeId::decimal, true, "stringValue"},
              {"ok", TypeId::boolean, true, "booleanValue"},
              {"at", TypeId::timestamp_tz, true, "timestampValue"},
              {"mixed", TypeId::string, true, "stringValue|integerValue"}};
  s.primary_key = {"id"};
  return s;
}

ScanQuery build(const std::string& where, std::vector<OrderBy> order = {}) {
  ScanSpec spec;
  spec.table = "items";
  if (!where.empty()) spec.filter = parse_filter(where);
  spec.order_by = std::move(order);
  return build_scan_query(spec, sample_schema(), "items", {},
                          "projects/p/databases/(default)/documents/items");
}

TEST(FirestoreQuery, ComparisonsOfMatchingKindsArePushedWithTheirOrder) {
  const ScanQuery q = build("qty > 5 AND name = 'a'");
  EXPECT_TRUE(q.filter_complete);
  const Json& where = q.query["where"]["compositeFilter"];
  EXPECT_EQ(where["op"], "AND");
  EXPECT_EQ(where["filters"][0]["fieldFilter"]["op"], "GREATER_THAN");
  EXPECT_EQ(where["filters"][0]["fieldFilter"]["value"], (Json{{"integerValue", "5"}}));
  EXPECT_EQ(where["filters"][1]["fieldFilter"]["value"], (Json{{"stringValue", "a"}}));
  // Firestore orders by the inequality field, then the name: so does the cursor.
  ASSERT_EQ(q.query["orderBy"].size(), 2u);
  EXPECT_EQ(q.query["orderBy"][0]["field"]["fieldPath"], "qty");
  EXPECT_EQ(q.query["orderBy"][1]["field"]["fieldPath"], "__name__");
}

TEST(FirestoreQuery, WhatFirestoreWouldEvaluateDifferentlyStaysLocal) {
  EXPECT_FALSE(build("price >= 1.5").filter_pushed);       // decimals are strings
  EXPECT_FALSE(build("qty = 'x'").filter_pushed);          // literal of another kind
  EXPECT_FALSE(build("qty > 0.1").filter_pushed);          // 0.1 is no double
  EXPECT_TRUE(build("qty > 1.5").filter_complete);         // 1.5 is
  EXPECT_FALSE(build("name IS NULL").filter_pushed);       // missing fields never match
  EXPECT_FALSE(build("mixed = 'a'").filter_pushed);        // several kinds in the field
  const ScanQuery two = build("qty > 1 AND id < 9");       // one inequality field only
  EXPECT_TRUE(two.filter_pushed);
  EXPECT_FALSE(two.filter_complete);
  EXPECT_EQ(two.query["where"]["fieldFilter"]["field"]["fieldPath"], "qty");
}

TEST(FirestoreQuery, NegationsInOrAndNotInBecomeFirestoreOperators) {
  const ScanQuery n = build("NOT (qty < 4)");
  EXPECT_EQ(n.query["where"]["fieldFilter"]["op"], "GREATER_THAN_OR_EQUAL");
  const ScanQuery ni = build("NOT (name IN ('a', 'b'))");
  EXPECT_EQ(ni.query["where"]["fieldFilter"]["op"], "NOT_IN");
  const ScanQuery o = build("name IN ('a', 'b') OR id = 7");
  EXPECT_EQ(o.query["where"]["compositeFilter"]["op"], "OR");
  EXPECT_FALSE(build("qty > 3 OR id = 7").filter_pushed);  // no inequality under OR
  const ScanQuery nn = build("name IS NOT NULL");
  EXPECT_EQ(nn.query["where"]["unaryFilter"]["op"], "IS_NOT_NULL");
  EXPECT_EQ(build("ok = true").query["where"]["fieldFilter"]["value"], (Json{{"booleanValue", true}}));
}

TEST(FirestoreQuery, TimestampBoundsAreWidenedToMicroseconds) {
  ScanSpec spec;
  spec.filter = Filter::compare("at", CompareOp::le, Value(TimestampTz{1000}));
  const ScanQuery q = build_scan_query(spec, sample_schema(), "items", {}, "x/items");
  EXPECT_EQ(q.query["where"]["fieldFilter"]["op"], "LESS_THAN");
  EXPECT_EQ(q.query["where"]["fieldFilter"]["value"]["timestampValue"], "1970-01-01T00:00:00.001001Z");
}

TEST(FirestoreQuery, IdFiltersAndOrderUseTheDocumentName) {
  const ScanQuery q = build("__id__ = 'k1'", {{"__id__", true}});
  EXPECT_EQ(q.query["where"]["fieldFilter"]["field"]["fieldPath"], "__name__");
  EXPECT_EQ(q.query["where"]["fieldFilter"]["value"]["referenceValue"],
            "projects/p/databases/(default)/documents/items/k1");
  EXPECT_TRUE(q.order_pushed);
  EXPECT_EQ(q.query["orderBy"], (Json::array({{{"field", {{"fieldPath", "__name__"}}},
                                              {"direction", "DESCENDING"}}})));
  EXPECT_FALSE(build("", {{"qty"}}).order_pushed);  // sorted by polydb
}

TEST(FirestoreQuery, SelectQuotesFieldPaths) {
  ScanSpec spec;
  const ScanQuery q = build_scan_query(spec, sample_schema(), "items", {"a.b", "__id__", "x`y"}, "n");
  EXPECT_EQ(q.query["select"]["fields"],
            (Json::array({{{"fieldPath", "`a.b`"}}, {{"fieldPath", "`x\\`y`"}}})));
}

TEST(FirestoreQuery, CursorAfterTheLastDocumentFollowsTheCompleteOrder) {
  Json q = {{"from", Json::array({{{"collectionId", "c"}}})},
            {"where", {{"fieldFilter", {{"field", {{"fieldPath", "a.`b.c`"}}}, {"op", "LESS_THAN"},
                                        {"value", {{"integerValue", "3"}}}}}}}};
  complete_order(q);
  ASSERT_EQ(q["orderBy"].size(), 2u);
  const Json doc = {{"name", "projects/p/databases/d/documents/c/x"},
                    {"fields", {{"a", {{"mapValue", {{"fields", {{"b.c", {{"integerValue", "2"}}}}}}}}}}}};
  const Json cursor = cursor_after(q, doc);
  EXPECT_EQ(cursor["values"][0], (Json{{"integerValue", "2"}}));
  EXPECT_EQ(cursor["values"][1], (Json{{"referenceValue", "projects/p/databases/d/documents/c/x"}}));
  EXPECT_EQ(cursor["before"], false);
}

TEST(FirestoreQuery, ASegmentKeepsTheOneInequalityForItsRangeOfNames) {
  ScanSpec spec;
  spec.table = "items";
  spec.filter = parse_filter("qty > 5 AND name = 'a'");
  spec.partition = {1, 3};
  ScanQuery q = build_scan_query(spec, sample_schema(), "items", {},
                                 "projects/p/databases/(default)/documents/items");
  EXPECT_TRUE(q.filter_pushed);
  EXPECT_FALSE(q.filter_complete) << "qty > 5 is filtered by polydb";
  const std::string base = "projects/p/databases/(default)/documents/items/";
  restrict_names(q.query, KeySpan{base + "m", base + "t"});
  const Json& filters = q.query["where"]["compositeFilter"]["filters"];
  ASSERT_EQ(filters.size(), 3u) << q.query.dump();
  EXPECT_EQ(filters[0]["fieldFilter"]["field"]["fieldPath"], "name");
  EXPECT_EQ(filters[1]["fieldFilter"]["op"], "GREATER_THAN_OR_EQUAL");
  EXPECT_EQ(filters[1]["fieldFilter"]["value"]["referenceValue"], base + "m");
  EXPECT_EQ(filters[2]["fieldFilter"]["op"], "LESS_THAN");
  EXPECT_EQ(filters[2]["fieldFilter"]["field"]["fieldPath"], "__name__");
  EXPECT_EQ(q.query["orderBy"].size(), 1u) << "the order is __name__ alone";
  // The last segment is open-ended; a query without a filter gets one.
  Json open = {{"from", Json::array({{{"collectionId", "items"}}})}};
  restrict_names(open, KeySpan{base + "t", std::nullopt});
  EXPECT_EQ(open["where"]["fieldFilter"]["value"]["referenceValue"], base + "t");
  Json whole = open;
  restrict_names(whole, KeySpan{});
  EXPECT_EQ(whole, open);
}

TEST(FirestoreQuery, DocumentNamesInFirestoresOrder) {
  EXPECT_LT(compare_document_names("p/d/c/a", "p/d/c/b"), 0);
  EXPECT_GT(compare_document_names("p/d/c/b", "p/d/c/a"), 0);
  EXPECT_EQ(compare_document_names("p/d/c/a", "p/d/c/a"), 0);
  // By segment: '-' sorts before '/' as bytes, but "c" is a shorter segment.
  EXPECT_LT(compare_document_names("p/c/x", "p/c-d/x"), 0);
  EXPECT_LT(compare_document_names("p/c/a", "p/c/a/sub/z"), 0) << "an ancestor first";
  EXPECT_LT(compare_document_names("p/c/__id9__", "p/c/__id10__"), 0) << "numeric ids by number";
  EXPECT_LT(compare_document_names("p/c/__id10__", "p/c/0"), 0) << "numeric ids first";
  EXPECT_LT(compare_document_names("p/c/Z", "p/c/a"), 0);
  EXPECT_LT(compare_document_names("p/c/z", "p/c/\xc3\xa9"), 0) << "UTF-8 bytes";
}

// partitionQuery's response, built from its documented shape
// (PartitionQueryResponse: partitions, a list of Cursor, and nextPageToken),
// since the emulator answers UNIMPLEMENTED: pages are not ordered among
// themselves, and the points cover the whole collection group.
TEST(FirestoreQuery, PartitionQueryResponsesBecomeOrderedBoundariesOfTheCollection) {
  const std::string root = "projects/p/databases/(default)/documents/";
  auto cursor = [](const std::string& name) {
    return Json{{"values", Json::array({{{"referenceValue", name}}})}};
  };
  const std::vector<Json> pages = {
      {{"partitions", Json::array({cursor(root + "items/q"), cursor(root + "items/b"),
                                   cursor(root + "items/m")})},
       {"nextPageToken", "t1"}},
      {{"partitions",
        Json::array({cursor(root + "items/a"), cursor(root + "items/w"),
                     cursor(root + "users/u1/items/k"),  // another collection of the group
                     cursor(root + "items/m"),           // a repeat
                     Json{{"values", Json::array()}}, Json("junk"),
                     Json{{"values", Json::array({{{"integerValue", "3"}}})}}})}},
      Json::object(),  // a last page with no partitions
  };
  EXPECT_EQ(partition_boundaries(pages, root + "items"),
            (std::vector<std::string>{root + "items/a", root + "items/b", root + "items/m",
                                      root + "items/q", root + "items/w"}));
  EXPECT_EQ(partition_boundaries(pages, root + "users/u1/items"),
            (std::vector<std::string>{root + "users/u1/items/k"}));
  EXPECT_TRUE(partition_boundaries({}, root + "items").empty());
}

TEST(FirestoreQuery, NativeDialectBindsTypedParametersAndRefusesSql) {
  const std::vector<Value> params{int64_t{42}, "x' OR '1'='1"};
  const NativeQuery n = parse_native_query(
      R"({"collection": "users/u1/orders", "where": {"compositeFilter": {"op": "AND", "filters": [
           {"fieldFilter": {"field": {"fieldPath": "n"}, "op": "EQUAL", "value": {"param": 1}}},
           {"fieldFilter": {"field": {"fieldPath": "s"}, "op": "EQUAL", "value": {"param": 2}}}]}},
          "limit": 5})",
      params);
  EXPECT_EQ(n.parent, "users/u1");
  EXPECT_EQ(n.query["from"][0]["collectionId"], "orders");
  EXPECT_EQ(n.limit, 5u);
  EXPECT_FALSE(n.query.contains("limit"));
  const Json& filters = n.query["where"]["compositeFilter"]["filters"];
  EXPECT_EQ(filters[0]["fieldFilter"]["value"], (Json{{"integerValue", "42"}}));
  EXPECT_EQ(filters[1]["fieldFilter"]["value"], (Json{{"stringValue", "x' OR '1'='1"}}));
  for (const char* bad : {"SELECT * FROM users", "[1]", R"({"where": {}})", R"({"from": [], "x": {"param": 3}})"}) {
    try {
      parse_native_query(bad, params);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << bad;
    }
  }
}

TEST(FirestoreQuery, NativeWritesGetFullNames) {
  const std::vector<Value> params{Value(1.5)};
  const Json w = parse_native_writes(
      R"({"writes": [{"update": {"name": "c/a", "fields": {"x": {"param": 1}}}}, {"delete": "c/b"}]})",
      params, "projects/p/databases/(default)/documents");
  EXPECT_EQ(w["writes"][0]["update"]["name"], "projects/p/databases/(default)/documents/c/a");
  EXPECT_EQ(w["writes"][0]["update"]["fields"]["x"], (Json{{"doubleValue", 1.5}}));
  EXPECT_EQ(w["writes"][1]["delete"], "projects/p/databases/(default)/documents/c/b");
}

TEST(FirestoreQuery, CollectionPaths) {
  EXPECT_EQ(parse_collection("users").parent, "");
  EXPECT_EQ(parse_collection("users/u1/orders").parent, "users/u1");
  EXPECT_EQ(parse_collection("users/u1/orders").id, "orders");
  EXPECT_THROW(parse_collection("users/u1"), Error);
  EXPECT_THROW(parse_collection("users//x"), Error);
}

TEST(FirestoreTypes, EveryValueKindBothWays) {
  EXPECT_EQ(to_value(Json{{"integerValue", "-9223372036854775808"}}),
            Value(std::numeric_limits<int64_t>::min()));
  EXPECT_TRUE(std::isnan(to_value(Json{{"doubleValue", "NaN"}}).as<double>()));
  EXPECT_EQ(to_value(Json{{"timestampValue", "2024-01-31T12:34:56.123456789Z"}}),
            Value(TimestampTz{1706704496123456}));
  EXPECT_EQ(to_value(Json{{"timestampValue", "1969-12-31T23:59:59.9999999Z"}}), Value(TimestampTz{-1}));
  EXPECT_EQ(to_value(Json{{"bytesValue", "AAEC"}}), Value(Bytes{std::string("\0\1\2", 3)}));
  EXPECT_EQ(to_value(Json{{"geoPointValue", {{"latitude", 1.5}, {"longitude", -2}}}}),
            Value(polydb::Json{R"({"latitude":1.5,"longitude":-2})"}));
  EXPECT_EQ(to_json_text(Json{{"mapValue", {{"fields", {{"t", {{"timestampValue", "2024-01-01T00:00:00.000000001Z"}}},
                                                        {"a", {{"arrayValue", {{"values", Json::array({{{"nullValue", nullptr}}})}}}}}}}}}}),
            R"({"t":"2024-01-01T00:00:00.000000001Z","a":[null]})");
  EXPECT_EQ(to_json_text(Json{{"mapValue", Json::object()}}), "{}");
  EXPECT_EQ(from_value(Value(TimestampTz{-1})), (Json{{"timestampValue", "1969-12-31T23:59:59.999999Z"}}));
  EXPECT_EQ(from_value(Value(Decimal{"-0.10"})), (Json{{"stringValue", "-0.10"}}));
  EXPECT_EQ(from_value(Value(-std::numeric_limits<double>::infinity())), (Json{{"doubleValue", "-Infinity"}}));
  EXPECT_EQ(from_value(Value(polydb::Json{R"({"a":[1,2.5,"x"]})"})),
            (Json{{"mapValue", {{"fields", {{"a", {{"arrayValue", {{"values", Json::array({
                {{"integerValue", "1"}}, {{"doubleValue", 2.5}}, {{"stringValue", "x"}}})}}}}}}}}}}));
  EXPECT_THROW(from_value(Value(polydb::Json{"{nope"})), Error);
}

TEST(FirestoreTypes, InferenceFindsTheKeyFieldAndTextTypes) {
  const std::vector<Json> docs = {
      {{"name", "p/c/1"}, {"fields", {{"id", {{"integerValue", "1"}}}, {"d", {{"stringValue", "2024-01-31"}}},
                                       {"p", {{"stringValue", "1.50"}}}, {"m", {{"integerValue", "1"}}}}}},
      {{"name", "p/c/2"}, {"fields", {{"id", {{"integerValue", "2"}}}, {"d", {{"nullValue", nullptr}}},
                                       {"p", {{"stringValue", "7"}}}, {"m", {{"doubleValue", 2.5}}}}}}};
  const Schema s = infer_schema(docs);
  EXPECT_EQ(s.primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(s.field("id").type.id, TypeId::int64);
  EXPECT_EQ(s.field("d").type.id, TypeId::date);
  EXPECT_EQ(s.field("p").type.id, TypeId::decimal);
  EXPECT_EQ(s.field("m").type.id, TypeId::float64);
  const Schema no_key = infer_schema({{{"name", "p/c/x"}, {"fields", {{"v", {{"stringValue", "y"}}}}}}});
  EXPECT_EQ(no_key.fields[0].name, "__id__");
  EXPECT_EQ(no_key.primary_key, std::vector<std::string>{"__id__"});
}

TEST(FirestoreErrors, GrpcStatusesMapToCodesWithHints) {
  EXPECT_EQ(classify("NOT_FOUND", ""), ErrorCode::not_found);
  EXPECT_EQ(classify("ALREADY_EXISTS", ""), ErrorCode::conflict);
  EXPECT_EQ(classify("FAILED_PRECONDITION", "The query requires an index."), ErrorCode::invalid_argument);
  EXPECT_EQ(classify("ABORTED", ""), ErrorCode::conflict);
  EXPECT_TRUE(make_status_error("ABORTED", "contention", "x").retryable());
  EXPECT_EQ(classify("RESOURCE_EXHAUSTED", ""), ErrorCode::throttled);
  EXPECT_EQ(classify("UNAVAILABLE", ""), ErrorCode::connection);
  EXPECT_EQ(classify("DEADLINE_EXCEEDED", ""), ErrorCode::timeout);
  EXPECT_EQ(classify("PERMISSION_DENIED", ""), ErrorCode::auth);
  EXPECT_EQ(classify("UNAUTHENTICATED", ""), ErrorCode::auth);
  const Error e = make_status_error("FAILED_PRECONDITION", "The query requires an index.", "q");
  EXPECT_NE(std::string(e.what()).find("composite index"), std::string::npos) << e.what();
  EXPECT_EQ(status_name(6), "ALREADY_EXISTS");
}

// A clock that never sleeps, counting waits.
class InstantClock final : public net::RetryClock {
 public:
  std::chrono::steady_clock::time_point now() override { return {}; }
  std::chrono::system_clock::time_point wall_now() override { return {}; }
  bool sleep_for(std::chrono::milliseconds, std::stop_token) override {
    ++sleeps;
    return true;
  }
  int sleeps = 0;
};

TEST(FirestoreBatchWrite, ChunksOf500AndRetriesOnlyRetryableWrites) {
  std::vector<size_t> sizes;
  int aborted_once = 0;
  auto call = [&](const Json& body) {
    sizes.push_back(body["writes"].size());
    Json status = Json::array();
    for (const auto& w : body["writes"]) {
      const bool flaky = w.contains("update") && w["update"]["name"] == "c/7" && aborted_once++ == 0;
      status.push_back(flaky ? Json{{"code", 10}, {"message", "contention"}} : Json::object());
    }
    return Json{{"status", status}};
  };
  std::vector<Json> writes;
  for (int i = 0; i < 1203; ++i) writes.push_back({{"update", {{"name", "c/" + std::to_string(i)}}}});
  writes.push_back({{"delete", "c/1100"}});  // a second write of c/1100: a later chunk
  InstantClock clock;
  batch_write(call, writes, {}, "test", &clock);
  EXPECT_EQ(sizes, (std::vector<size_t>{500, 1, 500, 203, 1}));
  EXPECT_EQ(clock.sleeps, 1);

  auto refusing = [](const Json& body) {
    Json status = Json::array();
    for (size_t i = 0; i < body["writes"].size(); ++i)
      status.push_back(i == 1 ? Json{{"code", 6}, {"message", "exists"}} : Json::object());
    return Json{{"status", status}};
  };
  try {
    batch_write(refusing, {writes[0], writes[1]}, {}, "test", &clock);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(std::string(e.what()).find("writing 1"), std::string::npos) << e.what();
  }
}

// Documents of a megabyte: a request stays under the emulator's 4 MiB limit
// (it refused 9 MB with RESOURCE_EXHAUSTED, which was retried in vain).
TEST(FirestoreBatchWrite, ChunksStayUnderFourMebibytes) {
  std::vector<size_t> sizes;
  auto call = [&](const Json& body) {
    EXPECT_LT(body.dump().size(), size_t{4} << 20);
    sizes.push_back(body["writes"].size());
    return Json{{"status", Json::array()}};
  };
  std::vector<Json> writes;
  for (int i = 0; i < 10; ++i)
    writes.push_back({{"update",
                       {{"name", "c/" + std::to_string(i)},
                        {"fields", {{"s", {{"stringValue", std::string(1'000'000, 'x')}}}}}}}});
  InstantClock clock;
  batch_write(call, writes, {}, "test", &clock);
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 2}));
}

using net::testing::StoppableClock;

// Ctrl-C during the backoff between batchWrite retries ends the write: the
// stop token reaches the wait (it used to wait out every attempt).
TEST(FirestoreBatchWrite, AStopRequestEndsTheBackoffBetweenRetries) {
  auto contended = [](const Json& body) {
    Json status = Json::array();
    for (size_t i = 0; i < body["writes"].size(); ++i)
      status.push_back(Json{{"code", 10}, {"message", "contention"}});
    return Json{{"status", status}};
  };
  std::stop_source stop;
  stop.request_stop();
  StoppableClock clock;
  try {
    batch_write(contended, {{{"update", {{"name", "c/1"}}}}}, {}, "test", &clock, stop.get_token());
    FAIL() << "expected cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  }
  EXPECT_EQ(clock.sleeps, 1);
}

}  // namespace
}  // namespace polydb::firestore
