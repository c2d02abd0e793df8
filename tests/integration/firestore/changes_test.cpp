// Change batches (Connection::change_writer) into Firestore collections of
// the emulator: batchWrite without versions, transactions with them
// (tests/integration/document_change_scenarios.hpp), plus what is Firestore's own:
// more than one commit's worth (500 writes) per batch, and the `_extra` fields.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../document_change_scenarios.hpp"
#include "connectors/firestore/connection.hpp"
#include "net/http.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb {
namespace {

std::string server_url() {
  const char* url = std::getenv("POLYDB_TEST_FIRESTORE_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_FIRESTORE_URL is not set: use `make test`, or start the "
                     "emulator with `scripts/services.sh start firestore` and export its URL with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "firestore://missing?emulator=127.0.0.1:1";
  }
  return url;
}

class FirestoreChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Uri uri = Uri::parse(server_url());
    emulator_ = uri.option("emulator").value_or("127.0.0.1:1");
    static std::atomic<int> counter{0};
    // A project of its own per test: nothing else sees or resets its data.
    project_ = "polydb-chg-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    uri.host = project_;
    url_ = uri.to_string_with_secrets();
    conn_ = connect(url_);
  }
  void TearDown() override {
    conn_.reset();
    net::HttpClient http;
    net::HttpRequest req;
    req.method = "DELETE";
    req.url = "http://" + emulator_ + "/emulator/v1/projects/" + project_ +
              "/databases/(default)/documents";
    http.send(req);
  }

  std::unique_ptr<Connection> conn_;
  std::string emulator_, project_, url_;
  const std::string table_ = "items", second_ = "items_b";
};

TEST_F(FirestoreChangesTest, UpsertsInsertAndReplaceWholeDocuments) {
  changetest::upserts_insert_and_replace(*conn_, table_);
}

TEST_F(FirestoreChangesTest, RemovesDeleteAndAbsentKeysAreFine) {
  changetest::removes_delete_and_absent_keys_are_fine(*conn_, table_);
}

TEST_F(FirestoreChangesTest, LastChangeOfAKeyWins) {
  changetest::last_change_of_a_key_wins(*conn_, table_);
}

TEST_F(FirestoreChangesTest, VersionsDecide) { changetest::versions_decide(*conn_, table_); }

TEST_F(FirestoreChangesTest, MoreThanOneRequestPerBatch) {
  changetest::large_batches(*conn_, table_, 1234);
}

TEST_F(FirestoreChangesTest, MoreThanOneTransactionPerBatch) {
  // 1,234 versioned upserts: three commits of at most 500 writes.
  const auto s = changetest::row_schema(true);
  std::vector<changetest::Change> up;
  changetest::Contents want;
  for (int64_t k = 0; k < 1234; ++k) {
    up.push_back({ChangeOp::upsert, k, "r", k, 7});
    want[k] = {"r", k, 7};
  }
  const ChangeOptions o{.key = {}, .version_column = "v"};
  changetest::apply(*conn_, table_, s, up, o);
  for (auto& c : up) c.name = "stale", c.v = 6;
  changetest::apply(*conn_, table_, s, up, o);
  EXPECT_EQ(changetest::read_back(*conn_, table_), want);
}

TEST_F(FirestoreChangesTest, BadInputFailsBeforeWriting) { changetest::bad_input(*conn_, table_); }

TEST_F(FirestoreChangesTest, DifferentialAgainstAnOracle) {
  changetest::differential(*conn_, table_, second_, 60);
}

TEST_F(FirestoreChangesTest, ExtraFieldsAreMergedAndReplaced) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""}, {"_extra", TypeId::json, true, ""}};
  s->primary_key = {"k"};
  for (const char* extra : {R"({"color":"red","n":3})", R"({"size":"XL"})"}) {
    ChangeBatch b{Batch(s), {ChangeOp::upsert}};
    b.rows.append_row(std::vector<Value>{int64_t{1}, polydb::Json{extra}});
    auto w = conn_->change_writer(table_, *s, {});
    w->apply(b);
    w->commit();
  }
  auto* fs = dynamic_cast<firestore::FirestoreConnection*>(conn_.get());
  ASSERT_NE(fs, nullptr);
  const auto doc = fs->api().get_document(table_ + "/1");
  ASSERT_TRUE(doc.has_value());
  const auto& fields = (*doc)["fields"];
  EXPECT_EQ(fields["size"]["stringValue"], "XL") << doc->dump();
  EXPECT_FALSE(fields.contains("color"))
      << "the second upsert replaces the whole document: " << doc->dump();
  EXPECT_FALSE(fields.contains("_extra")) << doc->dump();
}

TEST_F(FirestoreChangesTest, AConcurrentTransactionOnTheSameDocumentIsSurvived) {
  const auto s = changetest::row_schema(true);
  const ChangeOptions o{.key = {}, .version_column = "v"};
  const changetest::Change first[] = {{ChangeOp::upsert, 1, "v10", 1, 10}};
  changetest::apply(*conn_, table_, s, first, o);
  // Another client reads the document in a transaction and commits v100
  // while the change writer works on the same document.
  auto other = connect(url_);
  auto& api = dynamic_cast<firestore::FirestoreConnection&>(*other).api();
  const std::string root = firestore::encode_path(api.endpoint().root());
  const firestore::Json none = firestore::Json::object();
  const std::string t = api.call("POST", root + ":beginTransaction", &none, "begin")["transaction"];
  const firestore::Json get = {{"documents", {api.endpoint().name(table_ + "/1")}},
                               {"transaction", t}};
  api.call("POST", root + ":batchGet", &get, "batchGet");
  std::thread committer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const firestore::Json commit = {{"writes",
                                     {{{"update",
                                        {{"name", api.endpoint().name(table_ + "/1")},
                                         {"fields",
                                          {{"k", {{"integerValue", "1"}}},
                                           {"name", {{"stringValue", "v100"}}},
                                           {"qty", {{"integerValue", "1"}}},
                                           {"v", {{"integerValue", "100"}}}}}}}}}},
                                    {"transaction", t}};
    try {
      api.call("POST", root + ":commit", &commit, "commit");
    } catch (const Error&) {
      // Aborted in favour of the change writer: then its write stands.
    }
  });
  const changetest::Change second[] = {{ChangeOp::upsert, 1, "v50", 1, 50}};
  EXPECT_NO_THROW(changetest::apply(*conn_, table_, s, second, o));
  committer.join();
  const auto got = changetest::read_back(*conn_, table_);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got.at(1).name == "v100" || got.at(1).name == "v50") << got.at(1);
}

}  // namespace
}  // namespace polydb
