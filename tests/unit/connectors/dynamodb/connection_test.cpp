#include "connectors/dynamodb/connection.hpp"

#include <gtest/gtest.h>

#include "connectors/dynamodb/errors.hpp"
#include "polydb/error.hpp"

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
  EXPECT_EQ(r.body["KeyConditionExpression"], "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
  EXPECT_EQ(r.body["FilterExpression"], "#n2 > :v3");
  EXPECT_EQ(r.body["ExpressionAttributeNames"]["#n2"], "qty");
  EXPECT_EQ(r.body["ExpressionAttributeValues"][":v3"], Json::parse(R"({"N":"5"})"));
  EXPECT_EQ(r.describe().rfind("Query ", 0), 0u);
}

TEST(DynamoScanRequest, OtherFiltersStayScans) {
  ScanSpec spec{.table = "t"};
  spec.filter = parse_filter("name IS NULL OR qty IN (1, 2)");
  ScanRequest r = build_scan_request(spec, sample_schema(), kKeys, {"pk", "name"});
  EXPECT_EQ(r.operation, "Scan");
  EXPECT_EQ(r.body["FilterExpression"],
            "((attribute_not_exists(#n0) OR attribute_type(#n0, :v0)) OR #n1 IN (:v1, :v2))");
  EXPECT_EQ(r.body["ProjectionExpression"], "#n2, #n0");
  // Mixed-type attributes, NOT and type-mismatched literals are only filtered locally.
  for (const char* where : {"mixed = 'x'", "NOT (qty = 1)", "qty = 'x'", "pk <> 'a'"}) {
    spec.filter = parse_filter(where);
    r = build_scan_request(spec, sample_schema(), kKeys, {});
    EXPECT_EQ(r.operation, "Scan") << where;
    if (std::string(where) != "pk <> 'a'") {
      EXPECT_FALSE(r.body.contains("FilterExpression")) << where;
    }
  }
  // Parallel scans use segments, even with a key equality.
  spec.filter = parse_filter("pk = 'a'");
  spec.partition = {1, 4};
  r = build_scan_request(spec, sample_schema(), kKeys, {});
  EXPECT_EQ(r.operation, "Scan");
  EXPECT_EQ(r.body["Segment"], 1);
  EXPECT_EQ(r.body["TotalSegments"], 4);
}

TEST(DynamoInference, TypesFromItems) {
  const Json a = Json::parse(
      R"({"pk":{"S":"a"},"n":{"N":"1"},"d":{"S":"2024-01-31"},"m":{"M":{}},"x":{"N":"1"}})");
  const Json b = Json::parse(
      R"({"pk":{"S":"b"},"n":{"N":"1.5"},"d":{"S":"2024-02-01"},"m":{"S":"s"},"x":{"S":"y"}})");
  const Schema s = infer_schema({&a, &b}, KeySchema{"pk", "S", "", ""});
  ASSERT_EQ(s.fields.size(), 5u);
  EXPECT_EQ(s.fields[0].name, "pk");
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
