// Pure logic of the Cosmos DB connector: URLs, scan queries, error mapping.

#include "connectors/cosmos/connection.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "connectors/cosmos/errors.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {
namespace {

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(CosmosEndpoint, ReadsDatabaseContainerEndpointAndKey) {
  const Endpoint e = endpoint_from_uri(Uri::parse(
      "cosmos://acct.documents.azure.com/shop/orders?key=a2V5&insecure-skip-tls-verify=true&"
      "concurrency=4"));
  EXPECT_EQ(e.url, "https://acct.documents.azure.com");
  EXPECT_EQ(e.database, "shop");
  EXPECT_EQ(e.container, "orders");
  EXPECT_EQ(e.credential.reveal(), "a2V5");
  EXPECT_TRUE(e.insecure_skip_tls_verify);
  EXPECT_EQ(e.concurrency, 4u);
  const Endpoint local = endpoint_from_uri(
      Uri::parse("cosmos://127.0.0.1:58081/db?endpoint=https://127.0.0.1:58081/&key=a2V5"));
  EXPECT_EQ(local.url, "https://127.0.0.1:58081");
  EXPECT_FALSE(local.insecure_skip_tls_verify);
  const Endpoint token =
      endpoint_from_uri(Uri::parse("cosmos://h/db?resource-token=type%3Dresource"));
  EXPECT_EQ(token.kind, net::CosmosSigner::Kind::resource_token);
}

TEST(CosmosEndpoint, KeyFromTheEnvironmentAndClearErrors) {
  setenv("COSMOS_KEY", "ZW52", 1);
  EXPECT_EQ(endpoint_from_uri(Uri::parse("cosmos://h/db")).credential.reveal(), "ZW52");
  unsetenv("COSMOS_KEY");
  EXPECT_EQ(code_of([] { endpoint_from_uri(Uri::parse("cosmos://h/db")); }), ErrorCode::auth);
  EXPECT_EQ(code_of([] { endpoint_from_uri(Uri::parse("cosmos://h/?key=a2V5")); }),
            ErrorCode::invalid_argument);
  try {
    endpoint_from_uri(Uri::parse("cosmos://h/db?key=c2VjcmV0&tls-verify=false"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("insecure-skip-tls-verify=true"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos) << "key leaked";
  }
  EXPECT_EQ(code_of([] { endpoint_from_uri(Uri::parse("cosmos://h/db?key=a&concurrency=0")); }),
            ErrorCode::invalid_argument);
}

TEST(CosmosErrors, StatusesMapToCodesWithServerMessageAndHint) {
  EXPECT_EQ(classify(400), ErrorCode::invalid_argument);
  EXPECT_EQ(classify(401), ErrorCode::auth);
  EXPECT_EQ(classify(403), ErrorCode::auth);
  EXPECT_EQ(classify(404), ErrorCode::not_found);
  EXPECT_EQ(classify(409), ErrorCode::conflict);
  EXPECT_EQ(classify(412), ErrorCode::conflict);
  EXPECT_EQ(classify(413), ErrorCode::invalid_argument);
  EXPECT_EQ(classify(429), ErrorCode::throttled);
  EXPECT_TRUE(is_retryable_status(429));
  EXPECT_TRUE(is_retryable_status(449));
  EXPECT_TRUE(is_retryable_status(503));
  EXPECT_FALSE(is_retryable_status(412));
  net::HttpResponse r;
  r.status = 429;
  r.body = R"({"code":"TooManyRequests","message":"Request rate is large.\r\nActivityId: 1"})";
  const Error e = make_error(r, "Cosmos DB create of item 'x' in orders");
  EXPECT_EQ(e.code(), ErrorCode::throttled);
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(e.message().find("Request rate is large."), std::string::npos);
  EXPECT_EQ(e.message().find("ActivityId"), std::string::npos);
  EXPECT_NE(e.message().find("throughput"), std::string::npos);
  r.status = 412;
  r.body = R"({"code":"PreconditionFailed","message":"etag mismatch"})";
  EXPECT_FALSE(make_error(r, "x").retryable());
}

Schema sample_schema() {
  Json a = {{"id", "1"}, {"grp", "v1"}, {"qty", 10}, {"price", 1.5}, {"ok", true}};
  Json b = {{"id", "2"}, {"grp", "v2"}, {"qty", 20}, {"price", 2.25}, {"ok", false}};
  return infer_schema({&a, &b}, {"id"});
}

TEST(CosmosScanQuery, PushesProjectionFiltersAndBindsParameters) {
  const Schema s = sample_schema();
  ScanSpec spec;
  spec.filter = parse_filter("qty > 10 AND grp IN ('v1', 'v2') AND ok = true AND price >= 1.5");
  const ScanQuery q = build_scan_query(spec, s, {{"id"}}, {"qty", "grp"});
  EXPECT_EQ(q.text,
            R"(SELECT VALUE {"qty": c["qty"], "grp": c["grp"]} FROM c WHERE c["qty"] > @p0 AND )"
            R"(c["grp"] IN (@p1, @p2) AND c["ok"] = @p3 AND c["price"] >= @p4)");
  EXPECT_EQ(q.parameters.dump(),
            R"([{"name":"@p0","value":10},{"name":"@p1","value":"v1"},{"name":"@p2","value":"v2"},)"
            R"({"name":"@p3","value":true},{"name":"@p4","value":1.5}])");
  EXPECT_TRUE(q.filter_pushed);
  EXPECT_FALSE(q.partition_key);
  EXPECT_FALSE(q.limit_pushed) << "cross-partition TOP is not served by the gateway";
}

TEST(CosmosScanQuery, InjectionIsAParameterAndNamesAreQuoted) {
  Json a = {{"id", "1"}, {"we\"ird]", "x"}};
  const Schema s = infer_schema({&a}, {"id"});
  ScanSpec spec;
  spec.filter = Filter::compare("we\"ird]", CompareOp::eq, Value("x' OR 1=1 --"));
  const ScanQuery q = build_scan_query(spec, s, {{"id"}}, {});
  EXPECT_EQ(q.text, R"(SELECT * FROM c WHERE c["we\"ird]"] = @p0)");
  ASSERT_EQ(q.parameters.size(), 1u);
  EXPECT_EQ(q.parameters[0]["value"], "x' OR 1=1 --");
}

TEST(CosmosScanQuery, PartitionKeyEqualityFixesThePartitionAndAllowsTop) {
  const Schema s = sample_schema();  // id inferred int64 (strings of integers)
  ScanSpec spec;
  spec.filter = parse_filter("id = 7 AND qty < 5");
  spec.limit = 3;
  const ScanQuery q = build_scan_query(spec, s, {{"id"}}, {});
  ASSERT_TRUE(q.partition_key);
  EXPECT_EQ(q.partition_key->dump(), R"(["7"])");
  EXPECT_EQ(q.text, R"(SELECT TOP 3 * FROM c WHERE c["id"] = @p0 AND c["qty"] < @p1)");
  EXPECT_TRUE(q.limit_pushed);
}

TEST(CosmosScanQuery, HierarchicalKeyNeedsEveryLevel) {
  Json a = {{"id", "1"}, {"tenant", "t"}, {"user", "u"}};
  const Schema s = infer_schema({&a}, {"tenant", "user"});
  const PartitionKey key{{"tenant", "user"}, "MultiHash"};
  ScanSpec one;
  one.filter = parse_filter("tenant = 't'");
  EXPECT_FALSE(build_scan_query(one, s, key, {}).partition_key);
  ScanSpec both;
  both.filter = parse_filter("tenant = 't' AND user = 'u'");
  EXPECT_EQ(build_scan_query(both, s, key, {}).partition_key->dump(), R"(["t","u"])");
  EXPECT_EQ(key.definition().dump(), R"({"paths":["/tenant","/user"],"kind":"MultiHash","version":2})");
}

TEST(CosmosScanQuery, WhatCosmosComparesDifferentlyStaysLocal) {
  const Schema s = sample_schema();
  ScanSpec spec;
  // id holds strings: a range on it would compare text; 'x' against a number column;
  // a non-ASCII range on strings (UTF-16 order).
  spec.filter = parse_filter("id < 490 AND qty = 'x' AND grp > 'é' AND grp IS NULL");
  const ScanQuery q = build_scan_query(spec, s, {{"id"}}, {});
  EXPECT_EQ(q.text, R"(SELECT * FROM c WHERE (NOT IS_DEFINED(c["grp"]) OR IS_NULL(c["grp"])))");
  EXPECT_FALSE(q.filter_pushed);
  EXPECT_TRUE(q.parameters.empty());
}

TEST(CosmosScanQuery, ASegmentSharingItsRangeReadsItsIdsOnly) {
  const Schema s = sample_schema();
  ScanSpec spec;
  spec.filter = parse_filter("qty > 10");
  const ScanQuery q = build_scan_query(spec, s, {{"id"}}, {"qty"}, KeySpan{"m", "t"});
  EXPECT_EQ(q.text, R"(SELECT VALUE {"qty": c["qty"]} FROM c WHERE c["qty"] > @p0 AND )"
                    R"(c["id"] >= @p1 AND c["id"] < @p2)");
  EXPECT_EQ(q.parameters.dump(), R"([{"name":"@p0","value":10},{"name":"@p1","value":"m"},)"
                                 R"({"name":"@p2","value":"t"}])");
  EXPECT_TRUE(q.filter_pushed);
  const ScanQuery last = build_scan_query(ScanSpec{}, s, {{"id"}}, {}, KeySpan{"t", std::nullopt});
  EXPECT_EQ(last.text, R"(SELECT * FROM c WHERE c["id"] >= @p0)");
}

TEST(CosmosItemId, KeyTextsJoinedAndEscaped) {
  const Value a(int64_t{42}), b("x/y|z"), n;
  EXPECT_EQ(item_id({&a}), "42");
  EXPECT_EQ(item_id({&b}), "x%2Fy%7Cz");
  EXPECT_EQ(item_id({&a, &b}), "42|x%2Fy%7Cz");
  EXPECT_EQ(item_id({&a, &n}), "");
}

}  // namespace
}  // namespace polydb::cosmos
