// Change batches (Connection::change_writer) into Firestore collections of
// the emulator: what is Firestore's own. The behaviour every backend shares
// (upserts, removes, versions, a differential check, batches of more than
// one commit's 500 writes, bad input) is in tests/conformance/changes_test.cpp;
// here: the `_extra` fields, and a versioned change racing another client's
// transaction on the same document.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/firestore/connection.hpp"
#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::firestoretest {
namespace {

class FirestoreChangesTest : public FirestoreTest {
 protected:
  const std::string table_ = "items";
};

TEST_F(FirestoreChangesTest, ExtraFieldsAreMergedAndReplaced) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""}, {"_extra", TypeId::json, true, ""}};
  s->primary_key = {"k"};
  for (const char* extra : {R"({"color":"red","n":3})", R"({"size":"XL"})"}) {
    ChangeBatch b{Batch(s), {}};
    b.append(ChangeOp::upsert, std::vector<Value>{int64_t{1}, polydb::Json{extra}});
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
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""},
               {"name", TypeId::string, true, ""},
               {"qty", TypeId::int64, true, ""},
               {"v", TypeId::int64, true, ""}};
  s->primary_key = {"k"};
  const ChangeOptions o{.key = {}, .version_column = "v"};
  const auto apply = [&](const char* name, int64_t v) {
    ChangeBatch b{Batch(s), {}};
    b.append(ChangeOp::upsert, std::vector<Value>{int64_t{1}, name, int64_t{1}, v});
    auto w = conn_->change_writer(table_, *s, o);
    w->apply(b);
    w->commit();
  };
  apply("v10", 10);
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
  EXPECT_NO_THROW(apply("v50", 50));
  committer.join();
  const auto rows = read_all({.table = table_, .columns = {"k", "name"}});
  ASSERT_EQ(rows.size(), 1u);
  const std::string name = rows[0][1].to_text();
  EXPECT_TRUE(name == "v100" || name == "v50") << name;
}

}  // namespace
}  // namespace polydb::firestoretest
