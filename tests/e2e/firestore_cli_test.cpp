// The polydb executable against the Firestore emulator: ls, describe, sql
// with the structured-query dialect, and copy sqlite -> firestore -> sqlite.
// Needs POLYDB_TEST_FIRESTORE_URL (scripts/services.sh env): without it the
// tests fail, they never skip.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::e2e::make_temp_dir;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

std::string rows_of(const std::string& url, const std::string& sql) {
  auto conn = polydb::connect(url);
  auto reader = conn->query(sql);
  std::string out;
  while (auto batch = reader->next())
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        const polydb::Value v = batch->column(c).value_at(r);
        out += (c ? "|" : "") + (v.is_null() ? std::string("NULL") : v.to_text());
      }
      out += '\n';
    }
  return out;
}

class FirestoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("polydb-fs-cli-");
    const char* base = std::getenv("POLYDB_TEST_FIRESTORE_URL");
    ASSERT_TRUE(base && *base)
        << "POLYDB_TEST_FIRESTORE_URL is not set: use `make test`, or start the emulator with "
           "`scripts/services.sh start firestore` and export its URL with "
           "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    static std::atomic<int> counter{0};
    polydb::Uri uri = polydb::Uri::parse(base);
    uri.host = "polydb-e2e-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    fs_ = uri.to_string_with_secrets();
  }
  void TearDown() override {
    if (!fs_.empty()) polydb::connect(fs_)->drop_table("items", true);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }
  std::string db(const std::string& name) const { return "sqlite://" + (dir_ / name).string(); }

  fs::path dir_;
  std::string fs_;
};

TEST_F(FirestoreCliTest, LsDescribeSqlAndCopyThroughFirestore) {
  const std::string src = db("src.db");
  polydb::ConnectOptions create;
  create.create_if_missing = true;
  auto sqlite = polydb::connect(src, create);
  sqlite->execute(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price "
      "DECIMAL(10,2), at TIMESTAMP)");
  sqlite->execute(
      "INSERT INTO items WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x "
      "< 1200) SELECT x, 'item ' || x, CASE WHEN x % 10 = 0 THEN NULL ELSE x % 7 END, "
      "x || '.25', '2024-01-02 03:04:05.' || printf('%06d', x) FROM c");
  sqlite.reset();

  RunResult r = polydb({"copy", src, "items", fs_});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.err.find("copied 1200 rows"), std::string::npos) << r;

  r = polydb({"ls", fs_});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "name,kind\nitems,table\n") << r;

  r = polydb({"describe", fs_, "items"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("id,int64,integerValue,false,1"), std::string::npos) << r;
  EXPECT_NE(r.out.find("price,decimal,stringValue,true,"), std::string::npos) << r;
  EXPECT_NE(r.out.find("at,timestamp_tz,timestampValue,true,"), std::string::npos) << r;

  r = polydb({"--format", "csv", "sql", fs_,
              R"({"collection": "items", "where": {"fieldFilter": {"field": {"fieldPath": "qty"},
                  "op": "EQUAL", "value": {"param": 1}}}, "select": {"fields": [{"fieldPath": "id"}]},
                  "orderBy": [{"field": {"fieldPath": "id"}}], "limit": 3})",
              "-p", "3"});
  EXPECT_EQ(r.status, 0) << r;
  // The key field stands for the id; every inferred schema ends with _extra.
  EXPECT_EQ(r.out, "id,_extra\n3,\n17,\n24,\n") << r;

  r = polydb({"sql", fs_, "SELECT * FROM items"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("StructuredQuery JSON, not SQL"), std::string::npos) << r;

  const std::string dst = db("back.db");
  r = polydb({"copy", fs_, "items", dst, "items", "--batch-size", "500"});
  ASSERT_EQ(r.status, 0) << r;
  const std::string checksum =
      "SELECT count(*), sum(id), group_concat(name || ':' || ifnull(qty, 'null') || ':' || "
      "price, ',') FROM (SELECT * FROM items ORDER BY id)";
  EXPECT_EQ(rows_of(dst, checksum), rows_of(src, checksum));
  EXPECT_EQ(rows_of(dst, "SELECT at FROM items WHERE id = 7"), "2024-01-02 03:04:05.000007+00:00\n");

  r = polydb({"copy", fs_, "items", dst, "few", "--where", "qty >= 5 AND name = 'item 5'"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_EQ(rows_of(dst, "SELECT id, qty FROM few"), "5|5\n");
}

}  // namespace
