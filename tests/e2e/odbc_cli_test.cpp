// The polydb executable through an odbc:// URL to PostgreSQL (psqlODBC):
// ls, describe, sql with bound parameters, and copy both ways.
// Needs the server of scripts/services.sh (POLYDB_TEST_POSTGRES_URL).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

namespace {

class OdbcCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* pg = std::getenv("POLYDB_TEST_POSTGRES_URL");
    ASSERT_TRUE(pg && *pg) << "POLYDB_TEST_POSTGRES_URL is not set: use `make test`, or export "
                              "the URLs of scripts/services.sh env";
    native_ = pg;
    polydb::Uri u = polydb::Uri::parse(native_);
    u.scheme = "odbc";
    u.query = {{"driver", "PostgreSQL Unicode"}};
    odbc_ = u.to_string_with_secrets();
    dir_ = polydb::e2e::make_temp_dir("polydb-odbc-");
    table_ = "odbc_e2e_" + std::to_string(getpid());
    auto c = polydb::connect(native_);
    c->drop_table(table_, true);
    c->execute("CREATE TABLE " + table_ +
               " (id bigint PRIMARY KEY, name varchar(40) NOT NULL, price numeric(10,2), "
               "seen timestamptz)");
    c->execute("INSERT INTO " + table_ +
               " SELECT g, 'item ' || g, g * 1.25, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * "
               "INTERVAL '1 hour' FROM generate_series(1, 50) g");
  }
  void TearDown() override {
    auto c = polydb::connect(native_);
    c->drop_table(table_, true);
    c->drop_table(table_ + "_back", true);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }

  std::string native_, odbc_, table_;
  fs::path dir_;
};

TEST_F(OdbcCliTest, LsAndDescribe) {
  RunResult r = polydb({"--format", "csv", "ls", odbc_});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find(table_ + ",table"), std::string::npos) << r;
  r = polydb({"--format", "csv", "describe", odbc_, table_});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("id,int64,int8"), std::string::npos) << r;
  EXPECT_NE(r.out.find("price,\"decimal(10,2)\",\"numeric(10,2)\""), std::string::npos) << r;
  EXPECT_NE(r.out.find("seen,timestamp_tz,timestamptz"), std::string::npos) << r;
}

TEST_F(OdbcCliTest, SqlWithBoundParameters) {
  const RunResult r = polydb({"--format", "csv", "sql", odbc_,
                              "SELECT id, name, price, seen FROM " + table_ +
                                  " WHERE id <= ? AND name <> ? ORDER BY id",
                              "-p", "3", "-p", "item 2"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out,
            "id,name,price,seen\n"
            "1,item 1,1.25,2024-01-01 01:00:00+00:00\n"
            "3,item 3,3.75,2024-01-01 03:00:00+00:00\n");
}

TEST_F(OdbcCliTest, CopyOutToSqliteAndBackIn) {
  const std::string sqlite = "sqlite://" + (dir_ / "copy.db").string();
  RunResult r = polydb({"-q", "copy", odbc_, table_, sqlite, "items", "--where", "id > 10"});
  ASSERT_EQ(r.status, 0) << r;
  r = polydb({"--format", "csv", "sql", sqlite, "SELECT count(*), sum(id) FROM items"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "count(*),sum(id)\n40,1220\n");
  r = polydb({"-q", "copy", sqlite, "items", odbc_, table_ + "_back"});
  ASSERT_EQ(r.status, 0) << r;
  r = polydb({"-q", "copy", sqlite, "items", odbc_, table_ + "_back", "--mode", "upsert"});
  ASSERT_EQ(r.status, 0) << r;
  r = polydb({"--format", "csv", "sql", native_,
              "SELECT count(*), sum(price) FROM " + table_ + "_back"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "count,sum\n40,1525.00\n");
}

TEST_F(OdbcCliTest, WrongPasswordFailsWithoutShowingIt) {
  polydb::Uri u = polydb::Uri::parse(odbc_);
  u.password = polydb::Secret(std::string("wrong-") + "pass;word");
  const RunResult r = polydb({"ls", u.to_string_with_secrets()});
  EXPECT_NE(r.status, 0) << r;
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("wrong-"), std::string::npos) << r;
}

}  // namespace
