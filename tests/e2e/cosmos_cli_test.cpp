// The polydb executable against the Cosmos DB emulator: ls, describe, sql
// with named parameters, and copy sqlite -> cosmos -> sqlite with the request
// charge in the summary.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include "polydb/connection.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"
#include "servers.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::e2e::cosmos_url;
using polydb::e2e::make_temp_dir;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

std::string scalar(const std::string& url, const std::string& sql) {
  auto conn = polydb::connect(url);
  auto r = conn->query(sql);
  std::string out;
  while (auto b = r->next())
    for (size_t i = 0; i < b->num_rows(); ++i)
      for (size_t c = 0; c < b->num_columns(); ++c)
        out += (c ? "|" : "") + b->column(c).value_at(i).to_text() + (c + 1 == b->num_columns() ? "\n" : "");
  return out;
}

class CosmosCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("polydb-cosmos-cli-");
    url_ = cosmos_url();
    table_ = "cli_" + std::to_string(getpid());
  }
  void TearDown() override {
    try {
      polydb::connect(url_)->drop_table(table_, true);
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }
  std::string db(const std::string& name) const { return "sqlite://" + (dir_ / name).string(); }

  fs::path dir_;
  std::string url_;
  std::string table_;
};

TEST_F(CosmosCliTest, CopyRoundTripLsDescribeAndNamedParameters) {
  const std::string src = db("src.db");
  {
    polydb::ConnectOptions o;
    o.create_if_missing = true;
    auto c = polydb::connect(src, o);
    c->execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, "
               "price DECIMAL(10,2))");
    c->execute("INSERT INTO items WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
               "WHERE x < 300) SELECT x, 'item ' || x, CASE WHEN x % 10 = 0 THEN NULL ELSE x % 7 "
               "END, x || '.25' FROM n");
  }
  RunResult r = polydb({"copy", src, "items", url_, table_});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("copied 300 rows .* request charge: [0-9.]+ RU \\(target\\)\n$")))
      << r;
  EXPECT_EQ(r.err.find("C2y6yDjf5"), std::string::npos) << "the key is never printed";

  r = polydb({"--format", "csv", "ls", url_});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find(table_ + ",table\n"), std::string::npos) << r;

  r = polydb({"--format", "csv", "describe", url_, table_});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("id,int64,inferred:string,false,1,\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("name,string,inferred:string,true,,binary\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("qty,int64,inferred:number,true,,\n"), std::string::npos) << r;

  r = polydb({"--format", "csv", "sql", url_,
              "SELECT c.id, c.qty FROM " + table_ + " c WHERE c.qty = @q AND c.name = @n",
              "-p", "@q=3", "-p", "@n=item 17"});
  EXPECT_EQ(r.status, 0) << r;
  // Every inferred schema ends with the catch-all _extra (NULL: nothing else).
  EXPECT_EQ(r.out, "id,qty,_extra\n17,3,\n") << r;
  r = polydb({"--format", "csv", "sql", url_, "SELECT c.id FROM " + table_ + " c WHERE c.name = @n",
              "-p", "@n=x' OR 1=1 --"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out.find('1'), std::string::npos) << "a parameter is a value: " << r;
  r = polydb({"--format", "csv", "sql", url_,
              "SELECT VALUE COUNT(1) FROM " + table_ + " c WHERE c.qty = @q", "-p", "@q=3"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "value,_extra\n38,\n") << r;  // x % 7 == 3, x % 10 != 0
  r = polydb({"-v", "--format", "csv", "sql", url_, "SELECT * FROM " + table_ + " c", "-p",
              "@a=1", "-p", "2"});
  EXPECT_EQ(r.status, 2) << r;
  r = polydb({"sql", src, "SELECT 1 WHERE 1 = @a", "-p", "@a=1"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("binds parameters by position"), std::string::npos) << r;

  // And back: cosmos -> sqlite keeps every value.
  const std::string back = db("back.db");
  r = polydb({"copy", url_, table_, back, "items"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.err.find("RU (source)"), std::string::npos) << r;
  const char* check =
      "SELECT count(*), sum(id), sum(qty), count(qty), group_concat(name, ','), sum(price * 100) "
      "FROM (SELECT * FROM items ORDER BY id)";
  EXPECT_EQ(scalar(back, check), scalar(src, check));
  r = polydb({"-v", "ls", url_});
  EXPECT_NE(r.err.find("request charge"), std::string::npos) << "-v reports the RU: " << r;
}

}  // namespace
