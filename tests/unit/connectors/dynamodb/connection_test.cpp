#include "connectors/dynamodb/connection.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "connectors/dynamodb/errors.hpp"
#include "polydb/error.hpp"
#include "unit/net/stoppable_clock.hpp"

namespace polydb::dynamodb {
namespace {

TEST(DynamoErrors, Classification) {
  EXPECT_EQ(classify(400, "ResourceNotFoundException", ""), ErrorCode::not_found);
  EXPECT_EQ(classify(400, "ConditionalCheckFailedException", ""), ErrorCode::conflict);
  EXPECT_EQ(classify(400, "ValidationException", "1 validation error"),
            ErrorCode::invalid_argument);
  EXPECT_EQ(classify(400, "ValidationException",
                     "One or more parameter values were invalid: Type mismatch for key id"),
            ErrorCode::type_mismatch);
  EXPECT_EQ(classify(400, "ProvisionedThroughputExceededException", ""), ErrorCode::throttled);
  EXPECT_EQ(classify(400, "ThrottlingException", ""), ErrorCode::throttled);
  EXPECT_EQ(classify(400, "RequestLimitExceeded", ""), ErrorCode::throttled);
  EXPECT_EQ(classify(500, "InternalServerError", ""), ErrorCode::connection);
  EXPECT_EQ(classify(503, "", ""), ErrorCode::throttled);
  for (auto code : {"AccessDeniedException", "UnrecognizedClientException",
                    "InvalidSignatureException"})
    EXPECT_EQ(classify(400, code, ""), ErrorCode::auth) << code;
  EXPECT_EQ(short_code("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"),
            "ResourceNotFoundException");
}

TEST(DynamoErrors, ServiceMessageInDetailAndRetryable) {
  net::HttpResponse r;
  r.status = 400;
  r.body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",)"
           R"("message":"Rate of requests exceeds the allowed throughput."})";
  const Error e = make_error(r, "DynamoDB PutItem on t");
  EXPECT_EQ(e.code(), ErrorCode::throttled);
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(e.detail().find("Rate of requests"), std::string::npos);
  r.body = R"({"__type":"x#ResourceNotFoundException","Message":"Requested resource not found"})";
  const Error nf = make_error(r, "DynamoDB Scan on t");
  EXPECT_EQ(nf.code(), ErrorCode::not_found);
  EXPECT_FALSE(nf.retryable());
  EXPECT_NE(nf.message().find("Requested resource not found"), std::string::npos);
}

Schema sample_schema() {
  Schema s;
  s.fields = {{"pk", TypeId::string, false, "S"},
              {"sk", TypeId::int64, false, "N"},
              {"qty", TypeId::int64, true, "N"},
              {"name", TypeId::string, true, "S"},
              {"mixed", TypeId::string, true, "inferred:N|S"}};
  s.primary_key = {"pk", "sk"};
  return s;
}
const KeySchema kKeys{"pk", "S", "sk", "N"};

TEST(DynamoScanRequest, KeyEqualityBecomesQuery) {
  ScanSpec spec{.table = "t"};
  spec.filter = parse_filter("pk = 'a' AND sk >= 3 AND sk <= 9 AND qty > 5");
  const ScanRequest r = build_scan_request(spec, sample_schema(), kKeys, {});
  EXPECT_EQ(r.operation, "Query");
  ASSERT_EQ(r.calls.size(), 1u);
  const Json& body = r.calls[0];
  EXPECT_EQ(body["KeyConditionExpression"], "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
  EXPECT_EQ(body["FilterExpression"], "#n2 > :v3");
  EXPECT_EQ(body["ExpressionAttributeNames"]["#n2"], "qty");
  EXPECT_EQ(body["ExpressionAttributeValues"][":v3"], Json::parse(R"({"N":"5"})"));
  EXPECT_EQ(r.describe().rfind("Query {", 0), 0u);
  EXPECT_EQ(r.keys, 0u);
  // Without sort key conditions the sort key is not named (DynamoDB refuses unused names).
  spec.filter = parse_filter("pk = 'a'");
  const Json only_hash = build_scan_request(spec, sample_schema(), kKeys, {}).calls.at(0);
  EXPECT_EQ(only_hash["KeyConditionExpression"], "#n0 = :v0");
  EXPECT_EQ(only_hash["ExpressionAttributeNames"].size(), 1u);
}

TEST(DynamoScanRequest, OtherFiltersStayScans) {
  ScanSpec spec{.table = "t"};
  spec.filter = parse_filter("name IS NULL OR qty IN (1, 2)");
  ScanRequest r = build_scan_request(spec, sample_schema(), kKeys, {"pk", "name"});
  EXPECT_EQ(r.operation, "Scan");
  EXPECT_EQ(r.calls.at(0)["FilterExpression"],
            "((attribute_not_exists(#n0) OR attribute_type(#n0, :v0)) OR #n1 IN (:v1, :v2))");
  EXPECT_EQ(r.calls.at(0)["ProjectionExpression"], "#n2, #n0");
  // Mixed-type attributes, NOT and type-mismatched literals are only filtered locally.
  for (const char* where : {"mixed = 'x'", "NOT (qty = 1)", "qty = 'x'", "pk <> 'a'"}) {
    spec.filter = parse_filter(where);
    r = build_scan_request(spec, sample_schema(), kKeys, {});
    EXPECT_EQ(r.operation, "Scan") << where;
    if (std::string(where) != "pk <> 'a'") {
      EXPECT_FALSE(r.calls.at(0).contains("FilterExpression")) << where;
    }
  }
  // Parallel scans use segments, even with a key equality.
  spec.filter = parse_filter("pk = 'a'");
  spec.partition = {1, 4};
  r = build_scan_request(spec, sample_schema(), kKeys, {});
  EXPECT_EQ(r.operation, "Scan");
  EXPECT_EQ(r.calls.at(0)["Segment"], 1);
  EXPECT_EQ(r.calls.at(0)["TotalSegments"], 4);
}

TEST(DynamoInference, TypesFromItems) {
  const Json a = Json::parse(
      R"({"pk":{"S":"a"},"n":{"N":"1"},"d":{"S":"2024-01-31"},"m":{"M":{}},"x":{"N":"1"}})");
  const Json b = Json::parse(
      R"({"pk":{"S":"b"},"n":{"N":"1.5"},"d":{"S":"2024-02-01"},"m":{"S":"s"},"x":{"S":"y"}})");
  const Schema s = infer_schema({&a, &b}, KeySchema{"pk", "S", "", ""});
  ASSERT_EQ(s.fields.size(), 6u);
  EXPECT_EQ(s.fields[0].name, "pk");
  EXPECT_EQ(s.fields[5].name, "_extra");  // the catch-all ends every inferred schema
  EXPECT_FALSE(s.fields[0].nullable);
  EXPECT_EQ(s.field("n").type.id, TypeId::decimal);
  EXPECT_EQ(s.field("d").type.id, TypeId::date);
  EXPECT_EQ(s.field("m").type.id, TypeId::json);
  EXPECT_EQ(s.field("x").type.id, TypeId::string);
  EXPECT_EQ(s.field("x").native_type, "inferred:N|S");
}

// A fake BatchWriteItem: leaves the last request of every call unprocessed
// `stubborn` times, then accepts everything.
struct FakeService {
  int stubborn = 2;
  std::vector<size_t> call_sizes;
  Json operator()(std::string_view op, const Json& body) {
    EXPECT_EQ(op, "BatchWriteItem");
    const Json& reqs = body["RequestItems"]["t"];
    call_sizes.push_back(reqs.size());
    EXPECT_LE(reqs.size(), 25u);
    if (stubborn-- > 0 && !reqs.empty()) {
      Json r;
      r["UnprocessedItems"]["t"] = Json::array({reqs.back()});
      return r;
    }
    return Json{{"UnprocessedItems", Json::object()}};
  }
};

class InstantClock final : public net::RetryClock {
 public:
  std::chrono::steady_clock::time_point now() override { return t_; }
  std::chrono::system_clock::time_point wall_now() override { return {}; }
  bool sleep_for(std::chrono::milliseconds d, std::stop_token) override {
    t_ += d;
    ++sleeps;
    return true;
  }
  int sleeps = 0;

 private:
  std::chrono::steady_clock::time_point t_{};
};

std::vector<Json> puts(int n) {
  std::vector<Json> out;
  for (int i = 0; i < n; ++i)
    out.push_back({{"PutRequest", {{"Item", {{"id", {{"N", std::to_string(i)}}}}}}}});
  return out;
}

TEST(DynamoBatchWrite, ChunksOf25AndRetriesUnprocessedItems) {
  FakeService service;
  InstantClock clock;
  batch_write(std::ref(service), "t", puts(60), net::RetryPolicy{}, &clock, {"id"});
  // 25 + 1 resent + 1 resent, then 25 and 10.
  EXPECT_EQ(service.call_sizes, (std::vector<size_t>{25, 1, 1, 25, 10}));
  EXPECT_EQ(clock.sleeps, 2);
}

TEST(DynamoBatchWrite, GivesUpWithThrottledWhenNothingProgresses) {
  FakeService service;
  service.stubborn = 1000;
  InstantClock clock;
  try {
    batch_write(std::ref(service), "t", puts(3), net::RetryPolicy{}, &clock, {"id"});
    FAIL() << "expected throttled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::throttled);
    EXPECT_NE(e.message().find("unprocessed"), std::string::npos) << e.message();
  }
}

using net::testing::StoppableClock;

// Ctrl-C during the backoff after UnprocessedItems (or UnprocessedKeys) ends
// the call: the stop token reaches the wait (it used to wait out every attempt).
TEST(DynamoBatchWrite, AStopRequestEndsTheBackoffForUnprocessedItems) {
  FakeService service;
  service.stubborn = 1000;
  StoppableClock clock;
  std::stop_source stop;
  stop.request_stop();
  try {
    batch_write(std::ref(service), "t", puts(3), net::RetryPolicy{}, &clock, {"id"},
                stop.get_token());
    FAIL() << "expected cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  }
  EXPECT_EQ(clock.sleeps, 1);
  EXPECT_EQ(service.call_sizes.size(), 1u);
}

TEST(DynamoBatchWrite, DuplicateKeysGoToSeparateCalls) {
  FakeService service;
  service.stubborn = 0;
  InstantClock clock;
  std::vector<Json> reqs = puts(3);
  reqs.push_back(reqs[1]);
  batch_write(std::ref(service), "t", reqs, net::RetryPolicy{}, &clock, {"id"});
  EXPECT_EQ(service.call_sizes, (std::vector<size_t>{3, 1}));
}

}  // namespace
}  // namespace polydb::dynamodb

namespace polydb::dynamodb {
namespace {

TEST(DynamoOptions, ConsistentReadAndSetsFromTheUrl) {
  const DynamoOptions none = dynamo_options_from_uri(Uri::parse("dynamodb://us-east-1"));
  EXPECT_FALSE(none.consistent_read);
  EXPECT_TRUE(none.sets.empty());
  const DynamoOptions o = dynamo_options_from_uri(
      Uri::parse("dynamodb://us-east-1?consistent-read=TRUE&sets=tags,n:NS,b:BS,s:SS"));
  EXPECT_TRUE(o.consistent_read);
  ASSERT_EQ(o.sets.size(), 4u);
  EXPECT_EQ(o.sets[0], std::make_pair(std::string("tags"), SetType::infer));
  EXPECT_EQ(o.sets[1], std::make_pair(std::string("n"), SetType::NS));
  EXPECT_EQ(o.sets[2], std::make_pair(std::string("b"), SetType::BS));
  EXPECT_EQ(o.sets[3], std::make_pair(std::string("s"), SetType::SS));
  for (const char* bad : {"dynamodb://us-east-1?consistent-read=2",
                          "dynamodb://us-east-1?sets=a:LS", "dynamodb://us-east-1?sets=:NS"})
    EXPECT_THROW(dynamo_options_from_uri(Uri::parse(bad)), Error) << bad;
}

TEST(DynamoOptions, ConsistentReadIsAddedUnlessChosenAndNeverOnGlobalIndexes) {
  KeySchema keys{.hash = "pk", .hash_type = "S"};
  keys.global_indexes = {"by_g"};
  Json body = {{"TableName", "t"}};
  apply_consistent_read(body, keys, true);
  EXPECT_EQ(body["ConsistentRead"], true);
  body = {{"TableName", "t"}, {"ConsistentRead", false}, {"IndexName", "by_g"}};
  apply_consistent_read(body, keys, true);
  EXPECT_EQ(body["ConsistentRead"], false) << "the request's own choice wins";
  body = {{"TableName", "t"}, {"IndexName", "local_idx"}};
  apply_consistent_read(body, keys, true);
  EXPECT_EQ(body["ConsistentRead"], true) << "local indexes allow consistent reads";
  body = {{"TableName", "t"}, {"IndexName", "by_g"}};
  EXPECT_THROW(apply_consistent_read(body, keys, true), Error);
  body = {{"TableName", "t"}, {"IndexName", "by_g"}};
  apply_consistent_read(body, keys, false);
  EXPECT_FALSE(body.contains("ConsistentRead"));
}

}  // namespace
}  // namespace polydb::dynamodb

// Key lists: `partition_key IN (...)` becomes key lookups instead of a Scan.
namespace polydb::dynamodb {
namespace {

Schema hash_only_schema() {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, "N"},
              {"name", TypeId::string, true, "S"},
              {"qty", TypeId::int64, true, "N"}};
  s.primary_key = {"id"};
  return s;
}
const KeySchema kHashOnly{"id", "N", "", ""};

Filter id_in(int64_t first, int64_t count) {
  std::vector<Value> ids;
  for (int64_t i = first; i < first + count; ++i) ids.emplace_back(i);
  return Filter::in("id", std::move(ids));
}

TEST(DynamoKeyList, HashOnlyTableUsesBatchGetItemInChunksOf100WithoutDuplicates) {
  ScanSpec spec{.table = "orders"};
  Filter in = id_in(0, 250);
  in.values.push_back(int64_t{7});             // a repeat
  in.values.push_back(Value(Decimal{"8.0"}));  // 8 again, as a decimal
  spec.filter = Filter::all_of({in, parse_filter("qty > 5")});
  const ScanRequest r =
      build_scan_request(spec, hash_only_schema(), kHashOnly, {"name", "id", "qty"});
  EXPECT_EQ(r.operation, "BatchGetItem");
  EXPECT_EQ(r.keys, 250u);
  EXPECT_TRUE(r.filter_pushed);
  ASSERT_EQ(r.calls.size(), 3u);
  std::vector<size_t> sizes;
  std::set<std::string> seen;
  for (const Json& call : r.calls) {
    ASSERT_EQ(call["RequestItems"].size(), 1u);
    const Json& req = call["RequestItems"]["orders"];
    sizes.push_back(req["Keys"].size());
    for (const Json& key : req["Keys"]) {
      ASSERT_EQ(key.size(), 1u);
      EXPECT_TRUE(seen.insert(key["id"]["N"].get<std::string>()).second) << key.dump();
    }
    EXPECT_EQ(req["ProjectionExpression"], "#n0, #n1, #n2");
    EXPECT_EQ(req["ExpressionAttributeNames"]["#n0"], "name");
    EXPECT_FALSE(req.contains("ExpressionAttributeValues"));
    EXPECT_FALSE(req.contains("FilterExpression")) << "BatchGetItem has none: qty is local";
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{100, 100, 50}));
  EXPECT_EQ(r.calls[0]["RequestItems"]["orders"]["Keys"][0], Json::parse(R"({"id":{"N":"0"}})"));
  EXPECT_EQ(r.describe().rfind("BatchGetItem orders (250 keys in 3 requests) {", 0), 0u)
      << r.describe();
}

TEST(DynamoKeyList, SortKeyEqualityCompletesEachKey) {
  ScanSpec spec{.table = "t"};
  spec.filter = parse_filter("pk IN ('a', 'b', 'a') AND sk = 3 AND name = 'x'");
  const ScanRequest r = build_scan_request(spec, sample_schema(), kKeys, {});
  EXPECT_EQ(r.operation, "BatchGetItem");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0]["RequestItems"]["t"],
            Json::parse(R"({"Keys":[{"pk":{"S":"a"},"sk":{"N":"3"}},)"
                        R"({"pk":{"S":"b"},"sk":{"N":"3"}}]})"))
      << "no projection when every column is read";
  EXPECT_EQ(r.describe(), "BatchGetItem t (2 keys in 1 request)");
  Json body = r.calls[0];
  apply_consistent_read(body, kKeys, true);
  EXPECT_EQ(body["RequestItems"]["t"]["ConsistentRead"], true);
  EXPECT_FALSE(body.contains("ConsistentRead")) << "BatchGetItem sets it per table";
}

TEST(DynamoKeyList, SortKeyConditionsMakeOneQueryPerPartitionKey) {
  ScanSpec spec{.table = "t"};
  spec.filter = parse_filter("pk IN ('a', 'b', 'c', 'b') AND sk >= 3 AND sk <= 9 AND qty > 5");
  const ScanRequest r = build_scan_request(spec, sample_schema(), kKeys, {"pk", "sk", "qty"});
  EXPECT_EQ(r.operation, "Query");
  EXPECT_EQ(r.keys, 3u);
  EXPECT_TRUE(r.filter_pushed);
  ASSERT_EQ(r.calls.size(), 3u);
  const char* expected[] = {"a", "b", "c"};
  for (size_t i = 0; i < 3; ++i) {
    const Json& q = r.calls[i];
    EXPECT_EQ(q["TableName"], "t");
    EXPECT_EQ(q["KeyConditionExpression"], "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
    EXPECT_EQ(q["FilterExpression"], "#n2 > :v3");
    EXPECT_EQ(q["ProjectionExpression"], "#n0, #n1, #n2");
    EXPECT_EQ(q["ExpressionAttributeValues"][":v0"]["S"], expected[i]);
    EXPECT_EQ(q["ExpressionAttributeValues"][":v1"]["N"], "3");
  }
  EXPECT_EQ(r.describe().rfind("Query x 3 keys {", 0), 0u) << r.describe();
  // No condition on the sort key at all: still a Query per partition key.
  spec.filter = parse_filter("pk IN ('a', 'b')");
  const ScanRequest all = build_scan_request(spec, sample_schema(), kKeys, {});
  EXPECT_EQ(all.operation, "Query");
  ASSERT_EQ(all.calls.size(), 2u);
  EXPECT_EQ(all.calls[1]["KeyConditionExpression"], "#n0 = :v0");
}

TEST(DynamoKeyList, ScansStayScans) {
  ScanSpec spec{.table = "orders"};
  // Parallel scans keep their segments; the IN goes into the FilterExpression.
  spec.filter = id_in(0, 5);
  spec.partition = {0, 2};
  ScanRequest r = build_scan_request(spec, hash_only_schema(), kHashOnly, {});
  EXPECT_EQ(r.operation, "Scan");
  EXPECT_EQ(r.calls.at(0)["TotalSegments"], 2);
  EXPECT_EQ(r.calls.at(0)["FilterExpression"], "#n0 IN (:v0, :v1, :v2, :v3, :v4)");
  EXPECT_EQ(r.keys, 0u);
  spec.partition = {};
  // A literal that is no key of the partition key's type; IN under OR; IN on another column.
  for (const char* where : {"id IN (1, 'x')", "id IN (1, NULL)", "id IN (1) OR qty = 2",
                            "qty IN (1, 2)", "NOT (id IN (1))"}) {
    spec.filter = parse_filter(where);
    r = build_scan_request(spec, hash_only_schema(), kHashOnly, {});
    EXPECT_EQ(r.operation, "Scan") << where;
  }
  // Equality on the partition key wins over a list (one partition).
  spec.filter = parse_filter("id IN (1, 2) AND id = 2");
  r = build_scan_request(spec, hash_only_schema(), kHashOnly, {});
  EXPECT_EQ(r.operation, "Query");
  EXPECT_EQ(r.calls.size(), 1u);
}

// A fake BatchGetItem: answers every key it is asked for but leaves the last
// `stubborn` times unprocessed, dropping the projection as dynalite does.
struct FakeBatchGet {
  int stubborn = 1;
  std::vector<std::vector<std::string>> calls;
  Json operator()(std::string_view op, const Json& body) {
    EXPECT_EQ(op, "BatchGetItem");
    const Json& req = body["RequestItems"]["t"];
    EXPECT_EQ(req["ProjectionExpression"], "#n0") << "projection kept on resend";
    EXPECT_LE(req["Keys"].size(), 100u);
    std::vector<std::string> ids;
    Json r;
    r["Responses"]["t"] = Json::array();
    r["UnprocessedKeys"] = Json::object();
    for (size_t i = 0; i < req["Keys"].size(); ++i) {
      const Json& key = req["Keys"][i];
      ids.push_back(key["id"]["N"].get<std::string>());
      if (i + 1 == req["Keys"].size() && stubborn-- > 0)
        r["UnprocessedKeys"]["t"]["Keys"].push_back(key);
      else
        r["Responses"]["t"].push_back(key);
    }
    calls.push_back(ids);
    return r;
  }
};

std::vector<Json> batch_gets(int64_t keys) {
  ScanSpec spec{.table = "t"};
  spec.filter = id_in(0, keys);
  return build_scan_request(spec, hash_only_schema(), kHashOnly, {"id"}).calls;
}

TEST(DynamoPageSource, ResendsUnprocessedKeysWithBackoff) {
  FakeBatchGet service;
  service.stubborn = 2;
  InstantClock clock;
  PageSource source(std::ref(service), "BatchGetItem", batch_gets(150), net::RetryPolicy{}, &clock);
  size_t items = 0, pages = 0;
  while (auto page = source.next(4096)) items += page->size(), ++pages;
  EXPECT_EQ(items, 150u);
  EXPECT_EQ(pages, 4u);
  ASSERT_EQ(service.calls.size(), 4u);
  EXPECT_EQ(service.calls[0].size(), 100u);
  EXPECT_EQ(service.calls[1], (std::vector<std::string>{"99"}));
  EXPECT_EQ(service.calls[2], (std::vector<std::string>{"99"}));
  EXPECT_EQ(service.calls[3].size(), 50u);
  EXPECT_EQ(clock.sleeps, 2);
  EXPECT_FALSE(source.next(4096).has_value());
}

TEST(DynamoPageSource, AStopRequestEndsTheBackoffForUnprocessedKeys) {
  FakeBatchGet service;
  service.stubborn = 1000;
  StoppableClock clock;
  std::stop_source stop;
  stop.request_stop();
  PageSource source(std::ref(service), "BatchGetItem", batch_gets(3), net::RetryPolicy{}, &clock,
                    stop.get_token());
  try {
    while (source.next(0)) {
    }
    FAIL() << "expected cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  }
  EXPECT_EQ(clock.sleeps, 1);
}

TEST(DynamoPageSource, GivesUpWithThrottledWhenKeysStayUnprocessed) {
  FakeBatchGet service;
  service.stubborn = 1000;
  InstantClock clock;
  PageSource source(std::ref(service), "BatchGetItem", batch_gets(3), net::RetryPolicy{}, &clock);
  try {
    while (source.next(0)) {
    }
    FAIL() << "expected throttled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::throttled);
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(e.message().find("BatchGetItem on t: 1 key(s) still unprocessed"), std::string::npos)
        << e.message();
  }
}

TEST(DynamoPageSource, PagesEachQueryThroughLastEvaluatedKey) {
  std::vector<Json> sent;
  auto service = [&](std::string_view op, const Json& body) {
    EXPECT_EQ(op, "Query");
    sent.push_back(body);
    Json r = {{"Items", Json::array({Json::object()})}};
    if (!body.contains("ExclusiveStartKey")) r["LastEvaluatedKey"] = {{"pk", {{"S", "x"}}}};
    return r;
  };
  ScanSpec spec{.table = "t"};
  spec.filter = parse_filter("pk IN ('a', 'b') AND sk > 1");
  PageSource source(service, "Query", build_scan_request(spec, sample_schema(), kKeys, {}).calls,
                    net::RetryPolicy{});
  size_t pages = 0;
  while (source.next(7)) ++pages;
  EXPECT_EQ(pages, 4u);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0]["Limit"], 7);
  EXPECT_EQ(sent[0]["ExpressionAttributeValues"][":v0"]["S"], "a");
  EXPECT_TRUE(sent[1].contains("ExclusiveStartKey"));
  EXPECT_EQ(sent[2]["ExpressionAttributeValues"][":v0"]["S"], "b");
  EXPECT_FALSE(sent[2].contains("ExclusiveStartKey"));
}

}  // namespace
}  // namespace polydb::dynamodb
