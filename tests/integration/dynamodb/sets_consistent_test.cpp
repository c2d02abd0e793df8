// DynamoDB sets written from JSON arrays (the URL option sets=), checked with
// the AWS CLI, and strongly consistent reads (consistent-read=true).

#include "fixture.hpp"

namespace polydb::dynamotest {
namespace {

using nlohmann::json;

std::vector<std::string> sorted(json values) {
  std::vector<std::string> out = values.get<std::vector<std::string>>();
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<Schema> set_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},     {"tags", TypeId::json, true, ""},
               {"scores", TypeId::json, true, ""},   {"blobs", TypeId::json, true, ""},
               {"labels", TypeId::string, true, ""}, {"plain", TypeId::json, true, ""}};
  s->primary_key = {"id"};
  return s;
}

TEST_F(DynamoTest, SetsNamedInTheUrlAreWrittenAsSsNsBsAndTheCliReadsThem) {
  auto conn = connect_with("sets=tags,scores:NS,blobs:BS,labels");
  auto schema = set_schema();
  Batch b(schema);
  b.append_row(
      std::vector<Value>{int64_t{1}, Json{R"(["b","a","é"])"},
                         Json{R"([1, 2.50, 12345678901234567890123456789012345678, -1e-30])"},
                         Json{R"(["AP8=","AQI="])"}, Value(R"(["x"])"), Json{"[1,2]"}});
  b.append_row(std::vector<Value>{int64_t{2}, Json{"[]"}, Value(), Json{"[]"}, Value(), Value()});
  auto w = conn->writer(table_, *schema, {WriteMode::create, {}});
  w->write(b);
  EXPECT_EQ(w->commit().rows, 2u);

  const auto item = json::parse(aws("get-item --table-name " + table_ + " --key " +
                                    shell_quote(R"({"id":{"N":"1"}})")))
                        .at("Item");
  EXPECT_EQ(sorted(item.at("tags").at("SS")), (std::vector<std::string>{"a", "b", "é"}));
  const auto scores = item.at("scores").at("NS").get<std::vector<std::string>>();
  EXPECT_EQ(scores.size(), 4u);
  EXPECT_NE(std::find(scores.begin(), scores.end(), "12345678901234567890123456789012345678"),
            scores.end())
      << "NS numbers are exact: " << item.dump();
  EXPECT_EQ(sorted(item.at("blobs").at("BS")), (std::vector<std::string>{"AP8=", "AQI="}));
  EXPECT_EQ(item.at("labels").at("SS"), json::array({"x"})) << "a text column holding an array";
  EXPECT_TRUE(item.at("plain").contains("L")) << "columns not named in sets= stay lists";

  const auto empty = json::parse(aws("get-item --table-name " + table_ + " --key " +
                                     shell_quote(R"({"id":{"N":"2"}})")))
                         .at("Item");
  EXPECT_FALSE(empty.contains("tags")) << "an empty array omits the attribute: " << empty.dump();
  EXPECT_FALSE(empty.contains("blobs")) << empty.dump();

  // polydb reads the sets back as JSON arrays.
  ScanSpec spec{.table = table_, .columns = {"id", "tags", "scores"}};
  spec.filter = parse_filter("id = 1");
  const auto rows = collect(*conn->scan(spec));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(json::parse(rows[0][1].as<Json>().text).size(), 3u);
  EXPECT_NE(rows[0][2].as<Json>().text.find("12345678901234567890123456789012345678"),
            std::string::npos)
      << rows[0][2].as<Json>().text;
}

TEST_F(DynamoTest, SetValuesThatDynamoDbWouldRefuseAreClearErrors) {
  auto schema = set_schema();
  create_keyed({"id"}, {{"id", TypeId::int64, false, ""}});
  auto conn = connect_with("sets=tags,scores:NS,blobs:BS");
  auto fails_with = [&](std::vector<Value> row, std::string_view words) {
    Batch b(schema);
    b.append_row(std::move(row));
    try {
      auto w = conn->writer(table_, *schema, {WriteMode::append, {}});
      w->write(b);
      ADD_FAILURE() << "accepted a bad set; expected: " << words;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
      EXPECT_NE(e.message().find(words), std::string::npos) << e.what();
      const std::string& m = e.message();
      EXPECT_TRUE(m.find("'tags'") != m.npos || m.find("'scores'") != m.npos ||
                  m.find("'blobs'") != m.npos)
          << "names the column: " << e.what();
    }
  };
  fails_with({int64_t{1}, Json{R"(["a","a"])"}, Value(), Value(), Value(), Value()}, "twice");
  fails_with({int64_t{1}, Json{R"(["a",1])"}, Value(), Value(), Value(), Value()}, "strings");
  fails_with({int64_t{1}, Json{R"({"a":1})"}, Value(), Value(), Value(), Value()}, "JSON array");
  fails_with({int64_t{1}, Value(), Json{R"([1, 1.0])"}, Value(), Value(), Value()}, "twice");
  fails_with({int64_t{1}, Value(), Json{R"(["1"])"}, Value(), Value(), Value()}, "numbers");
  fails_with({int64_t{1}, Value(), Value(), Json{R"(["not base64!"])"}, Value(), Value()},
             "base64");

  for (const char* options : {"sets=nope", "sets=id", "sets=tags:XS"}) {
    try {
      auto w = connect_with(options)->writer(table_, *schema, {WriteMode::append, {}});
      ADD_FAILURE() << options << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << options << ": " << e.what();
      EXPECT_NE(e.message().find("sets="), std::string::npos) << e.what();
    }
  }
}

TEST_F(DynamoTest, ConsistentReadOptionReachesScanQueryAndRefusesGlobalIndexes) {
  aws("create-table --table-name " + table_ +
      " --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=g,AttributeType=S"
      " --key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST"
      " --global-secondary-indexes " +
      shell_quote(R"([{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],)"
                  R"("Projection":{"ProjectionType":"ALL"}}])"));
  for (const std::string pk : {"a", "b"})
    conn_->execute(R"({"TableName": ")" + table_ + R"(", "Item": {"pk": {"S": ")" + pk +
                   R"("}, "g": {"S": "x"}}})");
  auto conn = connect_with("consistent-read=true");

  auto scan = conn->scan({.table = table_});
  EXPECT_NE(scan->plan().native.find(R"("ConsistentRead":true)"), std::string::npos)
      << scan->plan().native;
  EXPECT_EQ(collect(*scan).size(), 2u);
  ScanSpec by_key{.table = table_};
  by_key.filter = parse_filter("pk = 'a'");
  auto query = conn->scan(by_key);
  EXPECT_EQ(query->plan().native.rfind("Query ", 0), 0u);
  EXPECT_NE(query->plan().native.find(R"("ConsistentRead":true)"), std::string::npos);
  EXPECT_EQ(collect(*query).size(), 1u);
  EXPECT_EQ(conn->count_rows(table_), 2u);

  const std::string on_index = R"({"TableName": ")" + table_ +
                               R"(", "IndexName": "by_g", "KeyConditionExpression": "g = :p1"})";
  auto fails_on_index = [&](Connection& c, const std::string& request) {
    try {
      c.query(request, std::vector<Value>{Value("x")});
      ADD_FAILURE() << "a consistent read on a global index was sent";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
      EXPECT_NE(e.message().find("global secondary index"), std::string::npos) << e.what();
    }
  };
  fails_on_index(*conn, on_index);
  std::string explicit_consistent = on_index;
  explicit_consistent.insert(1, R"("ConsistentRead": true, )");
  fails_on_index(*conn_, explicit_consistent);
  // The request's own choice wins over the URL's.
  std::string eventual = on_index;
  eventual.insert(1, R"("ConsistentRead": false, )");
  EXPECT_EQ(collect(*conn->query(eventual, std::vector<Value>{Value("x")})).size(), 2u);
  // Without the option, reads stay eventually consistent (DynamoDB's default).
  EXPECT_EQ(conn_->scan({.table = table_})->plan().native.find("ConsistentRead"),
            std::string::npos);

  try {
    connect_with("consistent-read=maybe");
    ADD_FAILURE() << "consistent-read=maybe was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  }
}

}  // namespace
}  // namespace polydb::dynamotest
