// Firestore connector against the Google Cloud Firestore emulator of
// scripts/services.sh, cross-checked with the official Node client
// (@google-cloud/firestore) in both directions.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "connectors/firestore/connection.hpp"
#include "fixture.hpp"
#include "net/http.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::firestoretest {
namespace {

TEST_F(FirestoreTest, EveryValueTypeRoundTripsAndIsStoredAsTheFirestoreKind) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::string, false, ""},  {"b", TypeId::boolean, true, ""},
               {"i", TypeId::int64, true, ""},     {"f", TypeId::float64, true, ""},
               {"d", TypeId::decimal, true, ""},   {"s", TypeId::string, true, ""},
               {"by", TypeId::bytes, true, ""},    {"dt", TypeId::date, true, ""},
               {"tm", TypeId::time, true, ""},     {"ts", TypeId::timestamp, true, ""},
               {"tz", TypeId::timestamp_tz, true, ""}, {"u", TypeId::uuid, true, ""},
               {"j", TypeId::json, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(i * 3);
  b.append_row(std::vector<Value>{"k1", true, std::numeric_limits<int64_t>::min(), 2.5,
                                  Decimal{"12345678901234567890.123"}, "ü 🎉", Bytes{std::string("\0\xff", 2)},
                                  Date{19723}, Time{3723000001}, Timestamp{1704067200123456},
                                  TimestampTz{-1}, u, Json{R"({"a":[1,{"b":null}],"c":"x"})"}});
  b.append_row(std::vector<Value>{"k2", false, int64_t{0}, std::nan(""), Decimal{"-0.5"}, "",
                                  Bytes{""}, Date{0}, Time{0}, Timestamp{0}, TimestampTz{0}, u,
                                  Json{"[1,2]"}});
  write("types", b, WriteMode::create);

  const json raw = get_raw("types/k1")["fields"];
  EXPECT_EQ(raw["i"], (json{{"integerValue", "-9223372036854775808"}}));
  EXPECT_EQ(raw["f"], (json{{"doubleValue", 2.5}}));
  EXPECT_EQ(raw["d"], (json{{"stringValue", "12345678901234567890.123"}}));
  EXPECT_EQ(raw["by"], (json{{"bytesValue", "AP8="}}));
  EXPECT_EQ(raw["ts"], (json{{"timestampValue", "2024-01-01T00:00:00.123456Z"}}));
  EXPECT_EQ(raw["tz"], (json{{"timestampValue", "1969-12-31T23:59:59.999999Z"}}));
  EXPECT_TRUE(raw["j"].contains("mapValue"));
  EXPECT_EQ(get_raw("types/k2")["fields"]["f"], (json{{"doubleValue", "NaN"}}));

  const Schema described = conn_->describe("types");
  EXPECT_EQ(described.primary_key, std::vector<std::string>{"id"});
  const std::vector<std::pair<std::string, TypeId>> inferred = {
      {"b", TypeId::boolean}, {"i", TypeId::int64},     {"f", TypeId::float64},
      {"d", TypeId::decimal}, {"s", TypeId::string},    {"by", TypeId::bytes},
      {"dt", TypeId::date},   {"tm", TypeId::time},     {"ts", TypeId::timestamp_tz},
      {"tz", TypeId::timestamp_tz}, {"u", TypeId::uuid}, {"j", TypeId::json}};
  for (const auto& [name, type] : inferred) EXPECT_EQ(described.field(name).type.id, type) << name;

  ScanSpec spec{.table = "types"};
  for (const auto& f : s->fields) spec.columns.push_back(f.name);
  spec.order_by = {{"__id__"}};
  const auto rows = read_all(spec);
  ASSERT_EQ(rows.size(), 2u);
  for (size_t r = 0; r < 2; ++r)
    for (size_t c = 0; c < s->fields.size(); ++c) {
      const Value want = b.row(r)[c];
      const Value got = coerce_value(rows[r][c], s->fields[c].type);
      if (want.holds<double>() && std::isnan(want.as<double>())) {
        EXPECT_TRUE(std::isnan(got.as<double>()));
        continue;
      }
      EXPECT_EQ(got, want) << "row " << r << " column " << s->fields[c].name << ": "
                           << got.to_text().substr(0, 80);
    }
}

TEST_F(FirestoreTest, FirestoreOnlyKindsReadAsJsonAndStrings) {
  // Written natively (execute = commit): geo points, references, maps,
  // arrays and timestamps with nanoseconds.
  const std::vector<Value> params{Value(TimestampTz{1700000000123456})};
  EXPECT_EQ(conn_->execute(R"({"writes": [{"update": {"name": "places/p1", "fields": {
      "where": {"geoPointValue": {"latitude": 48.5, "longitude": -2.25}},
      "ref": {"referenceValue": "projects/)" + project_ + R"(/databases/(default)/documents/places/p2"},
      "tags": {"arrayValue": {"values": [{"stringValue": "a"}, {"integerValue": "2"}]}},
      "nested": {"mapValue": {"fields": {"at": {"timestampValue": "2024-01-01T00:00:00.123456789Z"}}}},
      "at": {"param": 1}}}}]})",
                           params),
            1u);
  const auto rows = query_all(R"({"collection": "places"})");
  ASSERT_EQ(rows.size(), 1u);
  auto r = conn_->query(R"({"collection": "places"})");
  const Schema& schema = r->schema();
  auto cell = [&](const std::string& name) { return rows[0][*schema.index_of(name)]; };
  EXPECT_EQ(cell("__id__"), Value("p1"));
  EXPECT_EQ(json::parse(cell("where").as<Json>().text), (json{{"latitude", 48.5}, {"longitude", -2.25}}));
  EXPECT_EQ(cell("ref"), Value("projects/" + project_ + "/databases/(default)/documents/places/p2"));
  EXPECT_EQ(json::parse(cell("tags").as<Json>().text), json::parse(R"(["a",2])"));
  EXPECT_EQ(cell("at"), Value(TimestampTz{1700000000123456}));
  EXPECT_EQ(json::parse(cell("nested").as<Json>().text)["at"].get<std::string>().substr(0, 26),
            "2024-01-01T00:00:00.123456");
}

TEST_F(FirestoreTest, EachFilterOperatorMatchesPolydbsOwnEvaluation) {
  const Batch b = numbers(1, 300);
  write("nums", b, WriteMode::create);
  const std::vector<std::pair<std::string, bool>> cases = {
      {"qty = 30", true},          {"qty <> 30", true},        {"qty < 100", true},
      {"qty <= 99", true},         {"qty > 800", true},        {"qty >= 801", true},
      {"grp IN ('g1', 'g3')", true}, {"NOT (grp IN ('g1', 'g3'))", true},
      {"grp IS NOT NULL", true},   {"grp IS NULL", false},     {"ok = true", true},
      {"score > 100.5", true},     {"grp = 'g1' OR id = 7", true},
      {"grp = 'g2' AND qty < 300 AND ok = true", true},
      {"qty > 5 AND score < 50", false}};  // second inequality field: partly local
  for (const auto& [where, pushed] : cases) {
    ScanSpec spec{.table = "nums", .filter = parse_filter(where), .batch_rows = 64};
    auto r = conn_->scan(spec);
    EXPECT_EQ(r->plan().filter_pushed, pushed) << where << "\n" << r->plan().native;
    size_t n = 0;
    while (auto batch = r->next()) n += batch->num_rows();
    EXPECT_EQ(n, apply_filter(*spec.filter, b).num_rows()) << where;
  }
  // The document id, a pseudo-column here (the key field holds it), by equality.
  ScanSpec ids{.table = "nums", .filter = parse_filter("__id__ IN ('3', '4', '999')")};
  EXPECT_TRUE(conn_->scan(ids)->plan().filter_pushed);
  EXPECT_EQ(read_all(ids).size(), 2u);
}

TEST_F(FirestoreTest, NativeQueriesWithEveryOperatorAndTypedParameters) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"tags", TypeId::json, true, ""},
               {"n", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  for (int64_t i = 1; i <= 20; ++i)
    b.append_row(std::vector<Value>{i, Json{"[\"t" + std::to_string(i % 3) + "\",\"all\"]"}, i});
  write("tagged", b, WriteMode::create);
  auto count = [&](const std::string& op, const std::string& value, std::vector<Value> params) {
    return query_all(R"({"collection": "tagged", "where": {"fieldFilter": {"field": {"fieldPath": ")" +
                         std::string(op.rfind("ARRAY", 0) == 0 ? "tags" : "n") + R"("}, "op": ")" + op +
                         R"(", "value": )" + value + "}}}",
                     params)
        .size();
  };
  EXPECT_EQ(count("ARRAY_CONTAINS", R"({"param": 1})", {Value("t1")}), 7u);
  EXPECT_EQ(count("ARRAY_CONTAINS_ANY",
                  R"({"arrayValue": {"values": [{"param": 1}, {"param": 2}]}})", {Value("t0"), Value("t2")}),
            13u);
  EXPECT_EQ(count("IN", R"({"arrayValue": {"values": [{"param": 1}, {"param": 2}]}})",
                  {Value(int64_t{3}), Value(int64_t{30})}),
            1u);
  EXPECT_EQ(count("NOT_IN", R"({"arrayValue": {"values": [{"param": 1}]}})", {Value(int64_t{3})}), 19u);
  EXPECT_EQ(count("NOT_EQUAL", R"({"param": 1})", {Value(int64_t{3})}), 19u);
  EXPECT_EQ(count("LESS_THAN_OR_EQUAL", R"({"param": 1})", {Value(int64_t{5})}), 5u);
  EXPECT_EQ(count("EQUAL", R"({"param": 1})", {Value("5")}), 0u) << "a string is not a number";
  // OR, orderBy descending, limit: paged in batches of 2.
  const auto top = query_all(R"({"collection": "tagged", "where": {"compositeFilter": {"op": "OR",
      "filters": [{"fieldFilter": {"field": {"fieldPath": "n"}, "op": "EQUAL", "value": {"param": 1}}},
                  {"fieldFilter": {"field": {"fieldPath": "n"}, "op": "GREATER_THAN", "value": {"param": 2}}}]}},
      "orderBy": [{"field": {"fieldPath": "n"}, "direction": "DESCENDING"}], "limit": 5})",
                             {Value(int64_t{1}), Value(int64_t{15})}, 2);
  ASSERT_EQ(top.size(), 5u);
  EXPECT_EQ(top[0][0], Value(int64_t{20}));
  EXPECT_EQ(top[4][0], Value(int64_t{16}));
}

TEST_F(FirestoreTest, PagingWalksSeveralPagesWithoutLosingOrRepeatingDocuments) {
  write("paged", numbers(1, 2600), WriteMode::create);
  for (const std::string where : {"", "qty > 1500", "grp = 'g1'"}) {
    ScanSpec spec{.table = "paged", .batch_rows = 250};
    if (!where.empty()) spec.filter = parse_filter(where);
    size_t batches = 0;
    const auto rows = read_all(spec, &batches);
    std::set<int64_t> ids;
    for (const auto& r : rows) ids.insert(r[0].as<int64_t>());
    EXPECT_EQ(ids.size(), rows.size()) << where;
    const size_t want = where.empty() ? 2600 : apply_filter(*spec.filter, numbers(1, 2600)).num_rows();
    EXPECT_EQ(rows.size(), want) << where;
    EXPECT_GE(batches, want / 250) << where;
  }
  // A native query pages with its own order plus __name__.
  const auto desc = query_all(R"({"collection": "paged", "orderBy": [{"field": {"fieldPath": "score"},
      "direction": "DESCENDING"}], "limit": 1234})", {}, 100);
  ASSERT_EQ(desc.size(), 1234u);
  EXPECT_EQ(desc[0][0], Value(int64_t{2600}));
  EXPECT_EQ(desc[1233][0], Value(int64_t{2600 - 1233}));
  ScanSpec limited{.table = "paged", .filter = parse_filter("grp = 'g2'"), .limit = 333, .batch_rows = 100};
  auto r = conn_->scan(limited);
  EXPECT_TRUE(r->plan().limit_pushed);
  size_t n = 0;
  while (auto b = r->next()) n += b->num_rows();
  EXPECT_EQ(n, 333u);
}

// Segments of a partitioned scan read only their own range of document
// names (the emulator has no partitionQuery: the boundaries come from the
// names, read once): together every document once, and the documents read
// by each one (the Api's count, less describe()'s sample) are its own.
TEST_F(FirestoreTest, SegmentsReadEachDocumentOnceAndNoOtherSegmentsDocuments) {
  write("segs", numbers(1, 400), WriteMode::create);
  auto& fs = dynamic_cast<firestore::FirestoreConnection&>(*conn_);
  uint64_t before = fs.api().documents_read();
  (void)conn_->describe("segs");
  const uint64_t describe_reads = fs.api().documents_read() - before;
  for (uint32_t count : {3u, 7u}) {
    SCOPED_TRACE(std::to_string(count) + " segments");
    // Computed once for the connection: the segments below reuse them.
    const auto bounds = fs.segment_boundaries(firestore::parse_collection("segs"), count);
    EXPECT_EQ(bounds.size(), count - 1);
    std::multiset<int64_t> ids;
    for (uint32_t k = 0; k < count; ++k) {
      before = fs.api().documents_read();
      ScanSpec spec{.table = "segs", .columns = {"id"}, .partition = {k, count}, .batch_rows = 64};
      auto r = conn_->scan(spec);
      EXPECT_NE(r->plan().native.find("__name__"), std::string::npos) << r->plan().native;
      size_t n = 0;
      while (auto b = r->next())
        for (size_t i = 0; i < b->num_rows(); ++i, ++n) ids.insert(b->column(0).int64_at(i));
      EXPECT_EQ(fs.api().documents_read() - before - describe_reads, n)
          << "segment " << k << " read documents that are not its own";
      EXPECT_NEAR(static_cast<double>(n), 400.0 / count, 400.0 / count * 0.3) << "segment " << k;
    }
    ASSERT_EQ(ids.size(), 400u);
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 400u) << "a document read twice";
  }
  // Documents added since the boundaries were computed, before the first,
  // between and after the last one, are read once too.
  const auto bounds = fs.segment_boundaries(firestore::parse_collection("segs"), 3);
  Batch added(numbers_schema());
  for (int64_t id : {int64_t{0}, int64_t{999999}, int64_t{401}, int64_t{2500}})
    added.append_row(std::vector<Value>{id, "new", Value(), 0.5, true});
  write("segs", added);
  EXPECT_EQ(fs.segment_boundaries(firestore::parse_collection("segs"), 3), bounds) << "cached";
  std::multiset<int64_t> ids;
  for (uint32_t k = 0; k < 3; ++k) {
    ScanSpec spec{.table = "segs", .columns = {"id"}, .partition = {k, 3}, .batch_rows = 64};
    for (const auto& row : read_all(spec)) ids.insert(row[0].as<int64_t>());
  }
  EXPECT_EQ(ids.size(), 404u);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 404u);
}

// A segment continued on another connection, after documents were added
// that move the boundaries, keeps the names it started with.
TEST_F(FirestoreTest, AResumedSegmentKeepsItsNamesWhenTheBoundariesMove) {
  write("moving", numbers(1, 300), WriteMode::create);
  ScanSpec seg{.table = "moving", .columns = {"id"}, .partition = {1, 3}, .batch_rows = 16};
  std::set<int64_t> whole;
  for (const auto& row : read_all(seg)) whole.insert(row[0].as<int64_t>());
  std::set<int64_t> parts;
  std::string point;
  {
    auto r = conn_->scan(seg);
    for (int n = 0; n < 2; ++n)
      if (auto b = r->next())
        for (size_t i = 0; i < b->num_rows(); ++i) parts.insert(b->column(0).int64_at(i));
    point = r->resume_point().value();
  }
  const auto old_bounds =
      dynamic_cast<firestore::FirestoreConnection&>(*conn_).segment_boundaries(
          firestore::parse_collection("moving"), 3);
  // 150 names before all the others ("-1" sorts before "1").
  Batch early(numbers_schema());
  for (int64_t i = 1; i <= 150; ++i) early.append_row(std::vector<Value>{-i, "e", Value(), 0.0, true});
  auto w = conn_->writer("moving", *numbers_schema(), {WriteMode::append, {}});
  w->write(early);
  w->commit();
  auto other = connect(url_);
  EXPECT_NE(dynamic_cast<firestore::FirestoreConnection&>(*other).segment_boundaries(
                firestore::parse_collection("moving"), 3),
            old_bounds)
      << "the test needs boundaries that moved";
  ScanSpec rest = seg;
  rest.resume_from = point;
  for (auto r = other->scan(rest); auto b = r->next();)
    for (size_t i = 0; i < b->num_rows(); ++i)
      EXPECT_TRUE(parts.insert(b->column(0).int64_at(i)).second) << "read twice";
  // The segment's own names, as before the documents came (they fall
  // before its range); under the new boundaries it would start 150 names
  // earlier.
  EXPECT_EQ(parts, whole);
}

// A resume point continues only the scan that wrote it: not one whose
// filter orders it otherwise, nor another collection's.
TEST_F(FirestoreTest, AResumePointOfAnotherScanIsRefused) {
  write("points", numbers(1, 50), WriteMode::create);
  ScanSpec spec{.table = "points", .columns = {"id"}, .batch_rows = 8};
  std::string point;
  {
    auto r = conn_->scan(spec);
    ASSERT_TRUE(r->next());
    point = r->resume_point().value();
  }
  ScanSpec ordered = spec;
  ordered.filter = parse_filter("qty > 30");  // pushed: ordered by qty, then __name__
  ordered.resume_from = point;
  std::string message;
  EXPECT_EQ(code_of([&] { conn_->scan(ordered)->next(); }, &message), ErrorCode::invalid_argument);
  EXPECT_NE(message.find("another order"), std::string::npos) << message;
  write("points2", numbers(1, 5), WriteMode::create);
  ScanSpec elsewhere = spec;
  elsewhere.table = "points2";
  elsewhere.resume_from = point;
  EXPECT_EQ(code_of([&] { conn_->scan(elsewhere)->next(); }, &message), ErrorCode::invalid_argument);
  EXPECT_NE(message.find("belongs to collection"), std::string::npos) << message;
  // A local order tells no point; query() readers tell none either.
  ScanSpec sorted = spec;
  sorted.order_by = {{"qty"}};
  auto r = conn_->scan(sorted);
  ASSERT_TRUE(r->next());
  EXPECT_FALSE(r->resume_point());
  auto q = conn_->query(R"({"collection": "points"})", {}, {.batch_rows = 8});
  ASSERT_TRUE(q->next());
  EXPECT_FALSE(q->resume_point());
}

TEST_F(FirestoreTest, BatchWritesOver500AndUpsertMergesFields) {
  write("bulk", numbers(1, 1234), WriteMode::create);
  EXPECT_EQ(conn_->count_rows("bulk"), 1234u);
  // Upsert changes only the columns it writes (updateMask): qty stays.
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"grp", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  Batch up(s);
  for (int64_t i = 1200; i <= 1300; ++i) up.append_row(std::vector<Value>{i, "new"});
  write("bulk", up, WriteMode::upsert);
  EXPECT_EQ(conn_->count_rows("bulk"), 1300u);
  const json doc = get_raw("bulk/1201")["fields"];
  EXPECT_EQ(doc["grp"], (json{{"stringValue", "new"}}));
  EXPECT_EQ(doc["qty"], (json{{"integerValue", "3603"}}));
  // Appending an existing id is a conflict, as in a SQL table.
  std::string message;
  EXPECT_EQ(code_of([&] { write("bulk", numbers(5, 5)); }, &message), ErrorCode::conflict);
  EXPECT_NE(message.find("writing 5"), std::string::npos) << message;
}

TEST_F(FirestoreTest, EstimateRowsIsABoundedCountAggregation) {
  write("estimate", numbers(1, 1234), WriteMode::create);
  EXPECT_EQ(conn_->estimate_rows("estimate"), std::optional<uint64_t>(1234));
  EXPECT_EQ(conn_->estimate_rows("no_such_collection"), std::optional<uint64_t>(0));
  // The count stops at upTo (the emulator honours it as the service does).
  auto* fs = dynamic_cast<firestore::FirestoreConnection*>(conn_.get());
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(fs->count_documents("estimate", 1000), 1000u);
  EXPECT_EQ(fs->count_documents("estimate", std::nullopt), 1234u);
}

TEST_F(FirestoreTest, SubcollectionsAreTablesNamedByTheirPath) {
  write("users", numbers(1, 2), WriteMode::create);
  write("users/1/orders", numbers(10, 14), WriteMode::create);
  write("users/2/orders", numbers(20, 20), WriteMode::create);
  std::set<std::string> tables;
  for (const auto& t : conn_->list_tables()) tables.insert(t.name);
  EXPECT_EQ(tables, (std::set<std::string>{"users"}));
  EXPECT_EQ(conn_->count_rows("users/1/orders"), 5u);
  EXPECT_EQ(read_all({.table = "users/2/orders"}).size(), 1u);
  EXPECT_EQ(conn_->describe("users/1/orders").primary_key, std::vector<std::string>{"id"});
  conn_->drop_table("users/1/orders");
  EXPECT_EQ(code_of([&] { conn_->describe("users/1/orders"); }), ErrorCode::not_found);
  EXPECT_EQ(conn_->count_rows("users"), 2u);
  EXPECT_EQ(code_of([&] { conn_->describe("users/1"); }), ErrorCode::invalid_argument);
}

TEST_F(FirestoreTest, ErrorsAreClassifiedWithTheServersWords) {
  write("errs", numbers(1, 3), WriteMode::create);
  std::string message;
  EXPECT_EQ(code_of([&] { conn_->describe("nothing_here"); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { write("errs", numbers(9, 9), WriteMode::create); }), ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { conn_->query("SELECT * FROM errs"); }, &message), ErrorCode::invalid_argument);
  EXPECT_NE(message.find("StructuredQuery"), std::string::npos) << message;
  // The server refuses an unknown operator: its status and words come through.
  EXPECT_EQ(code_of([&] {
              query_all(R"({"collection": "errs", "where": {"fieldFilter": {"field": {"fieldPath": "qty"},
                  "op": "SOUNDS_LIKE", "value": {"integerValue": "1"}}}})");
            }, &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("INVALID_ARGUMENT"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { conn_->execute(R"({"delete": "errs/1", "currentDocument": {"exists": false}})"); },
                    &message),
            ErrorCode::conflict)
      << message;
  EXPECT_EQ(code_of([&] {
              conn_->execute(R"({"update": {"name": "errs/404", "fields": {}}, "currentDocument": {"exists": true}})");
            }, &message),
            ErrorCode::not_found)
      << message;
  // Nothing listening: a connection error, retried then reported.
  EXPECT_EQ(code_of([&] {
              connect("firestore://p?emulator=127.0.0.1:1")->list_tables();
            }, &message),
            ErrorCode::connection)
      << message;
  // The real service without credentials: an auth error that says what to set.
  const char* saved = std::getenv("GOOGLE_APPLICATION_CREDENTIALS");
  unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  unsetenv("FIRESTORE_EMULATOR_HOST");
  EXPECT_EQ(code_of([&] { connect("firestore://some-project"); }, &message), ErrorCode::auth);
  EXPECT_NE(message.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos) << message;
  if (saved) setenv("GOOGLE_APPLICATION_CREDENTIALS", saved, 1);
}

TEST_F(FirestoreTest, EmulatorHostFromTheEnvironment) {
  write("envtest", numbers(1, 4), WriteMode::create);
  setenv("FIRESTORE_EMULATOR_HOST", emulator_.c_str(), 1);
  auto c = connect("firestore://" + project_);
  unsetenv("FIRESTORE_EMULATOR_HOST");
  EXPECT_EQ(c->count_rows("envtest"), 4u);
  EXPECT_EQ(c->ping().role, "emulator");
}

TEST_F(FirestoreTest, DataWrittenByPolydbReadsCorrectlyInTheNodeSdk) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::string, false, ""}, {"n", TypeId::int64, true, ""},
               {"f", TypeId::float64, true, ""}, {"at", TypeId::timestamp_tz, true, ""},
               {"raw", TypeId::bytes, true, ""}, {"doc", TypeId::json, true, ""},
               {"gone", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  b.append_row(std::vector<Value>{"a", int64_t{123456789}, 0.5, TimestampTz{1700000000123456},
                                  Bytes{std::string("\0\x01\xfe", 3)},
                                  Json{R"({"list":[1,"two",{"three":3}],"ok":true})"}, Value()});
  write("frompolydb", b, WriteMode::create);
  const json got = json::parse(sdk("read", "frompolydb"));
  const json& a = got["a"];
  EXPECT_EQ(a["id"], "a");
  EXPECT_EQ(a["n"], 123456789);
  EXPECT_EQ(a["f"], 0.5);
  EXPECT_EQ(a["at"], (json{{"ts", {1700000000, 123456000}}}));
  EXPECT_EQ(a["raw"], (json{{"bytes", "AAH+"}}));
  EXPECT_EQ(a["doc"], json::parse(R"({"list":[1,"two",{"three":3}],"ok":true})"));
  EXPECT_TRUE(a.contains("gone") && a["gone"].is_null());
}

TEST_F(FirestoreTest, DataWrittenByTheNodeSdkReadsCorrectlyInPolydb) {
  sdk("write", "fromsdk");
  const Schema schema = conn_->describe("fromsdk");
  EXPECT_EQ(schema.primary_key, std::vector<std::string>{"__id__"});
  EXPECT_EQ(schema.field("at").type.id, TypeId::timestamp_tz);
  EXPECT_EQ(schema.field("blob").type.id, TypeId::bytes);
  EXPECT_EQ(schema.field("where").type.id, TypeId::json);
  EXPECT_EQ(schema.field("ref").type.id, TypeId::string);
  EXPECT_EQ(schema.field("nested").type.id, TypeId::json);
  ScanSpec spec{.table = "fromsdk", .filter = parse_filter("__id__ = 'sdk1'")};
  const auto rows = read_all(spec);
  ASSERT_EQ(rows.size(), 1u);
  auto cell = [&](const std::string& name) { return rows[0][*schema.index_of(name)]; };
  EXPECT_EQ(cell("name"), Value("from the SDK ✓"));
  EXPECT_EQ(cell("n"), Value(int64_t{42}));
  EXPECT_EQ(cell("f"), Value(1.25));
  EXPECT_EQ(cell("flag"), Value(true));
  EXPECT_TRUE(cell("nothing").is_null());
  // The emulator keeps microseconds of the SDK's 123456789 ns.
  EXPECT_EQ(cell("at"), Value(TimestampTz{1700000000123456}));
  EXPECT_EQ(cell("blob"), Value(Bytes{std::string("\0\x01\x02\xff", 4)}));
  EXPECT_EQ(json::parse(cell("where").as<Json>().text), (json{{"latitude", 48.8566}, {"longitude", 2.3522}}));
  EXPECT_EQ(cell("ref"), Value("projects/" + project_ + "/databases/(default)/documents/fromsdk/sdk2"));
  EXPECT_EQ(json::parse(cell("tags").as<Json>().text), json::parse(R"(["a","b",3])"));
  const json nested = json::parse(cell("nested").as<Json>().text);
  EXPECT_EQ(nested["level1"], json::parse(R"({"level2":[1,{"deep":"yes"}]})"));
  EXPECT_EQ(nested["when"].get<std::string>().substr(0, 19), "1970-01-01T00:00:01");
  EXPECT_EQ(read_all({.table = "fromsdk/sdk1/items"}).size(), 1u);
}

// Nothing of a document is dropped (docs/document-schemas.md): a field that
// first appears in document 10,000, past describe()'s sample of 200, is read
// into `_extra` and written back from it, Firestore -> SQLite -> Firestore.
TEST_F(FirestoreTest, AFieldFirstSeenInDocument10000SurvivesACopyToSqliteAndBack) {
  constexpr int kDocs = 10'000;
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"__id__", TypeId::string, false, ""},
                    {"a", TypeId::int64, true, ""},
                    {"b", TypeId::string, true, ""}};
  auto id = [](int i) {
    std::string n = std::to_string(i);
    return "d" + std::string(5 - n.size(), '0') + n;  // sorted like the numbers
  };
  {
    auto w = conn_->writer("late", *schema, {WriteMode::create, {}});
    Batch b(schema);
    for (int i = 0; i < kDocs - 1; ++i) b.append_row(std::vector<Value>{id(i), int64_t{i}, "v"});
    w->write(b);
    EXPECT_EQ(w->commit().rows, uint64_t(kDocs - 1));
  }
  // Document 10,000 by the REST API, with fields no other document has.
  net::HttpClient http;
  net::HttpRequest put;
  put.method = "PATCH";
  put.url = "http://" + emulator_ + "/v1/projects/" + project_ +
            "/databases/(default)/documents/late/" + id(kDocs - 1);
  put.headers.set("Content-Type", "application/json");
  put.headers.set("Authorization", "Bearer owner");
  put.body = R"({"fields": {"a": {"stringValue": "not a number"}, "b": {"stringValue": "v"},
      "late": {"mapValue": {"fields": {"x": {"integerValue": "1234567890123"},
                                       "l": {"arrayValue": {"values": [{"stringValue": "q"}]}}}}},
      "late_f": {"doubleValue": 2.5}}})";
  const auto answer = http.send(put);
  ASSERT_EQ(answer.status, 200) << answer.body;

  const Schema s = conn_->describe("late");
  EXPECT_FALSE(s.index_of("late")) << "the sample should not reach document 10,000";
  ASSERT_EQ(s.fields.back().name, "_extra");
  EXPECT_EQ(s.field("a").type.id, TypeId::int64);
  const auto rows = read_all({.table = "late", .filter = parse_filter("__id__ = 'd09999'")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0][*s.index_of("a")].is_null());
  const json extra = json::parse(rows[0].back().as<Json>().text);
  EXPECT_EQ(extra, json::parse(R"({"a":"not a number","late":{"x":1234567890123,"l":["q"]},"late_f":2.5})"))
      << extra.dump();

  const std::string file = (std::filesystem::temp_directory_path() /
                            ("polydb_fs_extra_" + project_ + ".db")).string();
  {
    auto lite = connect("sqlite://" + file + "?mode=rwc");
    auto copy = [](Connection& from, const std::string& t, Connection& to, const std::string& target) {
      auto r = from.scan({.table = t, .batch_rows = 2000});
      auto w = to.writer(target, r->schema(), {WriteMode::create, {}});
      while (auto b = r->next()) w->write(*b);
      return w->commit().rows;
    };
    EXPECT_EQ(copy(*conn_, "late", *lite, "late_copy"), uint64_t(kDocs));
    EXPECT_EQ(copy(*lite, "late_copy", *conn_, "back"), uint64_t(kDocs));
  }
  std::filesystem::remove(file);
  const json doc = get_raw("back/" + id(kDocs - 1));
  const json& f = doc["fields"];
  EXPECT_EQ(f["a"], json::parse(R"({"stringValue":"not a number"})")) << doc.dump();
  EXPECT_EQ(f["late"]["mapValue"]["fields"]["x"], json::parse(R"({"integerValue":"1234567890123"})"))
      << doc.dump();
  EXPECT_EQ(f["late"]["mapValue"]["fields"]["l"],
            json::parse(R"({"arrayValue":{"values":[{"stringValue":"q"}]}})"));
  EXPECT_EQ(f["late_f"], json::parse(R"({"doubleValue":2.5})"));
  EXPECT_FALSE(f.contains("_extra"));
  const json other = get_raw("back/" + id(7));
  EXPECT_EQ(other["fields"]["a"], json::parse(R"({"integerValue":"7"})")) << other.dump();
  EXPECT_FALSE(other["fields"].contains("_extra")) << other.dump();
  EXPECT_EQ(conn_->count_rows("back"), uint64_t(kDocs));
}

}  // namespace
}  // namespace polydb::firestoretest
