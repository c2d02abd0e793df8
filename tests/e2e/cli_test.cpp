// End-to-end tests of the polydb executable: each test runs the real binary
// (POLYDB_EXE) in its own temporary directory and checks stdout, stderr and
// the exit status. SQLite files are set up with the CLI itself or with the
// polydb library.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "polydb/connection.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- running polydb

using polydb::e2e::make_temp_dir;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The contract for failures: exactly one line on stderr, `polydb: error: ...`.
void expect_one_error_line(const RunResult& r, const std::string& fragment = {}) {
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r;
  EXPECT_EQ(lines[0].rfind("polydb: error: ", 0), 0u) << r;
  if (!fragment.empty()) {
    EXPECT_NE(lines[0].find(fragment), std::string::npos) << r;
  }
}

// Rows of a query as "a|b|c" lines, read with the polydb library.
std::string query_rows(const std::string& url, const std::string& sql) {
  auto conn = polydb::connect(url);
  auto reader = conn->query(sql);
  std::string out;
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        if (c) out += '|';
        const polydb::Value v = batch->column(c).value_at(r);
        out += v.is_null() ? "NULL" : v.to_text();
      }
      out += '\n';
    }
  }
  return out;
}

void execute(const std::string& url, const std::string& sql) {
  polydb::ConnectOptions options;
  options.create_if_missing = true;
  polydb::connect(url, options)->execute(sql);
}


// ---------------------------------------------------------------- fixture

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("polydb-cli-"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }

  // `sqlite:///abs/dir/name`.
  std::string db(const std::string& name) const { return "sqlite://" + (dir_ / name).string(); }

  // items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER): ids 1..n,
  // name 'item <id>', qty id % 7 (NULL when id % 10 == 0).
  std::string make_items(const std::string& file, int n = 100) {
    const std::string url = db(file);
    execute(url, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER)");
    execute(url,
            "INSERT INTO items WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM "
            "c WHERE x < " +
                std::to_string(n) +
                ") SELECT x, 'item ' || x, "
                "CASE WHEN x % 10 = 0 THEN NULL ELSE x % 7 END FROM c");
    return url;
  }

  fs::path dir_;
};

constexpr const char* kItemsChecksum =
    "SELECT count(*), sum(id), group_concat(name || ':' || ifnull(qty, 'null'), ',') "
    "FROM (SELECT * FROM items ORDER BY id)";

// ---------------------------------------------------------------- basics

TEST_F(CliTest, VersionPrintsTheProjectVersion) {
  const RunResult r = polydb({"version"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("polydb [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << r;
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, NoCommandPrintsHelpAndExitsTwo) {
  const RunResult r = polydb({});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("Usage"), std::string::npos) << r;
  EXPECT_NE(r.err.find("copy"), std::string::npos) << r;
}

TEST_F(CliTest, HelpExitsZero) {
  const RunResult r = polydb({"--help"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("Exit status"), std::string::npos) << r;
  const RunResult sql = polydb({"sql", "--help"});
  EXPECT_EQ(sql.status, 0) << sql;
  EXPECT_NE(sql.out.find("-p,--param"), std::string::npos) << sql;
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  const RunResult r = polydb({"frobnicate", "x"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, "unknown command 'frobnicate'");
}

TEST_F(CliTest, BadFormatIsAUsageError) {
  const std::string url = make_items("a.db");
  const RunResult r = polydb({"--format", "xml", "ls", url});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, "xml");
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, UnknownOptionIsAUsageError) {
  const std::string url = make_items("a.db");
  const RunResult r = polydb({"ls", url, "--frob"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r);
}

// ---------------------------------------------------------------- ls / describe

TEST_F(CliTest, LsInEveryFormat) {
  const std::string url = make_items("a.db");
  execute(url, "CREATE VIEW cheap AS SELECT * FROM items WHERE qty < 3");

  RunResult r = polydb({"ls", url});  // stdout is a pipe: csv by default
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "name,kind\ncheap,view\nitems,table\n");
  EXPECT_EQ(r.err, "");

  r = polydb({"--format", "json", "ls", url});
  EXPECT_EQ(
      r.out,
      "[\n{\"name\":\"cheap\",\"kind\":\"view\"},\n{\"name\":\"items\",\"kind\":\"table\"}\n]\n")
      << r;

  // Global options are accepted after the command too.
  r = polydb({"ls", url, "--format", "ndjson"});
  EXPECT_EQ(r.out,
            "{\"name\":\"cheap\",\"kind\":\"view\"}\n{\"name\":\"items\",\"kind\":\"table\"}\n")
      << r;

  r = polydb({"--format", "table", "ls", url});
  EXPECT_EQ(r.out,
            "name   kind\n"
            "-----  -----\n"
            "cheap  view\n"
            "items  table\n"
            "(2 rows)\n")
      << r;
}

TEST_F(CliTest, DescribeShowsTypesNativeTypesAndKeyPositions) {
  const std::string url = db("a.db");
  execute(url,
          "CREATE TABLE lines (order_id INTEGER NOT NULL, note TEXT, price DECIMAL(10,2), "
          "line INTEGER, created TIMESTAMP, PRIMARY KEY (line, order_id))");
  RunResult r = polydb({"describe", url, "lines"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out,
            "name,type,native_type,nullable,key,collation\n"
            "order_id,int64,INTEGER,false,2,\n"
            "note,string,TEXT,true,,binary\n"
            "price,\"decimal(10,2)\",\"DECIMAL(10,2)\",true,,\n"
            "line,int64,INTEGER,false,1,\n"
            "created,timestamp,TIMESTAMP,true,,\n")
      << r;

  r = polydb({"describe", url, "lines", "--format", "json"});
  EXPECT_NE(r.out.find("{\"name\":\"order_id\",\"type\":\"int64\",\"native_type\":\"INTEGER\","
                       "\"nullable\":false,\"key\":2,\"collation\":null}"),
            std::string::npos)
      << r;
  EXPECT_NE(r.out.find("\"nullable\":true,\"key\":null,\"collation\":\"binary\"}"),
            std::string::npos)
      << r;

  r = polydb({"--format", "table", "describe", url, "lines"});
  EXPECT_NE(r.out.find("decimal(10,2)"), std::string::npos) << r;
  EXPECT_NE(r.out.find("(5 rows)"), std::string::npos) << r;
}

// ---------------------------------------------------------------- sql / exec

TEST_F(CliTest, SqlBindsTypedAndUntypedParameters) {
  const std::string url = make_items("a.db", 5);
  // Untyped 2 binds as int64 and matches the INTEGER key.
  RunResult r = polydb({"sql", url, "SELECT id, name FROM items WHERE id = ?", "-p", "2"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "id,name\n2,item 2\n");

  r = polydb({"sql", url, "SELECT name FROM items WHERE id = ? OR name = ?", "-p", "int:1",
              "--param", "text:item 3"});
  EXPECT_EQ(r.out, "name\nitem 1\nitem 3\n") << r;

  r = polydb({"sql", url,
              "SELECT typeof(?) a, typeof(?) b, typeof(?) c, typeof(?) d, typeof(?) e, "
              "typeof(?) f, typeof(?) g",
              "-p", "42", "-p", "1.5", "-p", "abc", "-p", "null:", "-p", "text:42", "-p", "007",
              "-p", "-3"});
  EXPECT_EQ(r.out, "a,b,c,d,e,f,g\ninteger,real,text,null,text,text,integer\n") << r;

  r = polydb({"sql", url, "SELECT ? AS d, ? AS j, ? AS x", "-p", "date:2024-02-29", "-p",
              "json:{\"a\": 1}", "-p", "decimal:1.50"});
  EXPECT_EQ(r.out, "d,j,x\n2024-02-29,\"{\"\"a\"\": 1}\",1.50\n") << r;
}

TEST_F(CliTest, SqlRejectsBadParameters) {
  const std::string url = make_items("a.db", 5);
  RunResult r = polydb({"sql", url, "SELECT ?", "-p", "int:abc"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, "int:abc");

  r = polydb({"sql", url, "SELECT ?, ?", "-p", "1"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "parameter");
}

TEST_F(CliTest, SqlJsonValueTypes) {
  const std::string url = db("a.db");
  execute(url,
          "CREATE TABLE v (i INTEGER, d DECIMAL(10,2), j JSON, s TEXT, n TEXT, f REAL, b BOOLEAN, "
          "t DATE)");
  execute(url,
          "INSERT INTO v VALUES (9223372036854775807, '12.34', '{\"a\": [1, {\"b\": null}]}', '', "
          "NULL, 0.5, 1, '2024-01-31')");
  RunResult r = polydb({"--format", "json", "sql", url, "SELECT * FROM v"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(
      r.out,
      "[\n{\"i\":9223372036854775807,\"d\":\"12.34\",\"j\":{\"a\":[1,{\"b\":null}]},\"s\":\"\","
      "\"n\":null,\"f\":0.5,\"b\":true,\"t\":\"2024-01-31\"}\n]\n")
      << r;

  r = polydb({"--format", "ndjson", "sql", url, "SELECT i, d, n FROM v"});
  EXPECT_EQ(r.out, "{\"i\":9223372036854775807,\"d\":\"12.34\",\"n\":null}\n") << r;

  r = polydb({"sql", url, "SELECT * FROM v"});
  EXPECT_EQ(r.out,
            "i,d,j,s,n,f,b,t\n"
            "9223372036854775807,12.34,\"{\"\"a\"\": [1, {\"\"b\"\": null}]}\",\"\",,0.5,true,"
            "2024-01-31\n")
      << r;
}

TEST_F(CliTest, CsvQuotingAndNullVersusEmpty) {
  const std::string url = make_items("a.db", 1);
  const RunResult r =
      polydb({"sql", url,
              "SELECT 'a,b' AS x, 'say \"hi\"' AS y, 'l1' || char(10) || 'l2' AS z, "
              "'' AS e, NULL AS n, ' pad' AS p"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "x,y,z,e,n,p\n\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\",\"\",,\" pad\"\n") << r;
}

TEST_F(CliTest, TableFormatTruncatesAndCountsRows) {
  const std::string url = make_items("a.db", 3);
  const RunResult r = polydb({"--format", "table", "sql", url,
                              "SELECT id, printf('%.60c', 'x') AS long, NULL AS n FROM items"});
  EXPECT_EQ(r.status, 0) << r;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << r;
  EXPECT_EQ(lines[2], " 1  " + std::string(39, 'x') + "…  NULL") << r;
  EXPECT_EQ(lines[5], "(3 rows)");
}

TEST_F(CliTest, ExecPrintsAffectedRows) {
  const std::string url = make_items("a.db", 5);
  RunResult r = polydb({"exec", url, "UPDATE items SET name = 'z' WHERE id > ?", "-p", "3"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "rows_affected\n2\n");

  r = polydb({"--format", "table", "exec", url, "DELETE FROM items WHERE id <= ?", "-p", "3"});
  EXPECT_EQ(r.out, "3 rows affected\n") << r;

  r = polydb({"--format", "json", "exec", url, "DELETE FROM items"});
  EXPECT_EQ(r.out, "[\n{\"rows_affected\":2}\n]\n") << r;

  r = polydb({"--format", "ndjson", "exec", url, "CREATE TABLE other (x INTEGER)"});
  EXPECT_EQ(r.out, "{\"rows_affected\":0}\n") << r;
}

TEST_F(CliTest, ExecCreatesADatabaseOnlyWhenAsked) {
  RunResult r = polydb({"exec", db("new.db"), "CREATE TABLE t (x INTEGER)"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_FALSE(fs::exists(dir_ / "new.db"));
  r = polydb({"exec", db("new.db") + "?mode=rwc", "CREATE TABLE t (x INTEGER)"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(fs::exists(dir_ / "new.db"));
}

// ---------------------------------------------------------------- ping

TEST_F(CliTest, PingReportsEachConnection) {
  const std::string url = make_items("a.db", 1);
  RunResult r = polydb({"ping", url});
  EXPECT_EQ(r.status, 0) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r;
  EXPECT_EQ(lines[0], "connection,status,latency_ms,version,role,error");
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex(std::regex_replace(url, std::regex("[.^$|()\\[\\]{}*+?\\\\]"), "\\$&") +
                           ",ok,[0-9]+\\.[0-9]{3},3\\.[0-9.]+,embedded,")))
      << r;

  r = polydb({"--format", "json", "ping", url, db("missing.db")});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "1 of 2");
  EXPECT_NE(r.out.find("\"status\":\"ok\""), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"status\":\"error\",\"latency_ms\":null"), std::string::npos) << r;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "missing.db"));

  r = polydb({"--format", "table", "ping", url});
  EXPECT_NE(r.out.find("embedded"), std::string::npos) << r;
  EXPECT_NE(r.out.find("(1 row)"), std::string::npos) << r;
}

// ---------------------------------------------------------------- copy

TEST_F(CliTest, CopyCreatesTheDestinationFileAndTable) {
  const std::string src = make_items("src.db");
  const std::string dst = db("new.db");
  ASSERT_FALSE(fs::exists(dir_ / "new.db"));
  RunResult r = polydb({"copy", src, "items", dst});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "");
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r;
  EXPECT_TRUE(std::regex_search(
      lines[0], std::regex("^copied 100 rows \\([0-9.]+ [kM]?B\\) from .*src\\.db\\.items to "
                           ".*new\\.db\\.items in [0-9.]+ s \\([0-9]+ rows/s\\)$")))
      << r;
  EXPECT_EQ(query_rows(dst, kItemsChecksum), query_rows(src, kItemsChecksum));

  // The primary key came along.
  r = polydb({"describe", dst, "items"});
  EXPECT_NE(r.out.find("id,int64,INTEGER,false,1"), std::string::npos) << r;

  // Creating again fails and leaves the table alone. The library says what to
  // do in its terms, the CLI adds the flag that does it (Error::hint).
  r = polydb({"copy", src, "items", dst});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "already exists");
  EXPECT_NE(r.err.find("(write in append, replace or upsert mode); use --mode append, replace or "
                       "upsert\n"),
            std::string::npos)
      << r;
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM items"), "100\n");

  // -q: no summary.
  r = polydb({"-q", "copy", src, "items", dst, "copy2"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM copy2"), "100\n");
}

TEST_F(CliTest, CopyAppend) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  execute(dst, "CREATE TABLE hist (id INTEGER, name TEXT, qty INTEGER)");
  for (int i = 0; i < 2; ++i) {
    const RunResult r = polydb({"copy", src, "items", dst, "hist", "--mode", "append"});
    EXPECT_EQ(r.status, 0) << r;
  }
  EXPECT_EQ(query_rows(dst, "SELECT count(*), sum(id), count(DISTINCT id) FROM hist"),
            "200|10100|100\n");

  // Appending duplicates into a keyed table fails as a whole: nothing is added.
  RunResult r = polydb({"copy", src, "items", dst, "keyed"});
  ASSERT_EQ(r.status, 0) << r;
  execute(dst, "DELETE FROM keyed WHERE id > 50");
  r = polydb({"copy", src, "items", dst, "keyed", "--mode", "append"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r);
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM keyed"), "50\n");

  // A source column the target lacks: replace mode recreates the table.
  execute(dst, "CREATE TABLE narrow (id INTEGER)");
  r = polydb({"copy", src, "items", dst, "narrow", "--mode", "append"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "has no column 'name'");
  EXPECT_NE(r.err.find("; use --mode replace"), std::string::npos) << r;
}

// A table that does not exist: the CLI names the command that lists them.
TEST_F(CliTest, AMissingTableNamesTheListCommand) {
  const std::string url = make_items("a.db");
  const RunResult r = polydb({"describe", url, "nope"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "no table 'nope'");
  EXPECT_NE(r.err.find("`polydb ls CONN` lists them"), std::string::npos) << r;
}

TEST_F(CliTest, CopyReplace) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  ASSERT_EQ(polydb({"copy", src, "items", dst}).status, 0);
  execute(dst, "DELETE FROM items WHERE id > 10");
  execute(dst, "INSERT INTO items VALUES (1000, 'stale', 1)");
  const RunResult r = polydb({"copy", src, "items", dst, "--mode", "replace"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, kItemsChecksum), query_rows(src, kItemsChecksum));
  // Nothing left over from building the new table aside.
  EXPECT_EQ(polydb({"ls", dst}).out, "name,kind\nitems,table\n");
}

TEST_F(CliTest, CopyUpsertByPrimaryKeyAndByKeyOption) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  ASSERT_EQ(polydb({"copy", src, "items", dst}).status, 0);
  execute(dst, "UPDATE items SET name = 'old', qty = -1 WHERE id <= 20");
  execute(dst, "DELETE FROM items WHERE id > 90");
  RunResult r = polydb({"copy", src, "items", dst, "--mode", "upsert"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, kItemsChecksum), query_rows(src, kItemsChecksum));

  // --key on a table the upsert creates, then updates in place.
  r = polydb({"copy", src, "items", dst, "by_key", "--mode", "upsert", "--key", "id"});
  EXPECT_EQ(r.status, 0) << r;
  execute(dst, "UPDATE by_key SET name = 'old'");
  r = polydb({"copy", src, "items", dst, "by_key", "--mode", "upsert", "--key", "id",
              "--batch-size", "9"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, "SELECT count(*), count(DISTINCT name) FROM by_key"), "100|100\n");
  EXPECT_NE(polydb({"describe", dst, "by_key"}).out.find("id,int64,INTEGER,false,1"),
            std::string::npos);
}

TEST_F(CliTest, CopyPushesWhereColumnsAndLimit) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  RunResult r = polydb({"copy", src, "items", dst, "some", "--where", "qty = 3 AND id < 50",
                        "--columns", "id,qty", "--limit", "3"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, "SELECT * FROM some ORDER BY id"), "3|3\n17|3\n24|3\n");
  EXPECT_EQ(polydb({"describe", dst, "some"}).out,
            "name,type,native_type,nullable,key,collation\nid,int64,INTEGER,false,1,\n"
            "qty,int64,INTEGER,true,,\n");

  r = polydb({"copy", src, "items", dst, "nulls", "--where", "qty IS NULL OR name IN ('item 1')"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, "SELECT count(*), sum(id) FROM nulls"), "11|551\n");
}

TEST_F(CliTest, CopyWithSmallBatchesGivesTheSameResult) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  const RunResult r = polydb({"copy", src, "items", dst, "--batch-size", "7"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, kItemsChecksum), query_rows(src, kItemsChecksum));
}

TEST_F(CliTest, CopyRejectsBadOptions) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"copy", src, "items", dst, "--mode", "merge"},
                                             {"copy", src, "items", dst, "--batch-size", "0"},
                                             {"copy", src, "items", dst, "--batch-size", "many"},
                                             {"copy", src, "items", dst, "--where", "qty = = 3"},
                                             {"copy", src, "items"}}) {
    const RunResult r = polydb(args);
    EXPECT_EQ(r.status, 2) << r;
    expect_one_error_line(r);
  }
  EXPECT_FALSE(fs::exists(dir_ / "dst.db"));
}

// ---------------------------------------------------------------- bad input

TEST_F(CliTest, UnknownSchemeIsAUsageError) {
  const RunResult r = polydb({"ls", "foo://x"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, "unknown URL scheme 'foo'");
}

TEST_F(CliTest, MalformedUrlIsAUsageErrorAndHidesThePassword) {
  for (const std::string cmd : {"ls", "ping"}) {
    const RunResult r = polydb({"-v", cmd, "postgresql://u:secret@h:99999/db"});
    if (cmd == "ls") {
      EXPECT_EQ(r.status, 2) << r;
      expect_one_error_line(r, "99999");
    } else {
      EXPECT_EQ(r.status, 1) << r;
    }
    EXPECT_EQ(r.out.find("secret"), std::string::npos) << r;
    EXPECT_EQ(r.err.find("secret"), std::string::npos) << r;
  }
}

TEST_F(CliTest, MissingDatabaseFileIsNotCreated) {
  RunResult r = polydb({"ls", db("missing.db")});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "does not exist");
  r = polydb({"ls", "sqlite:///nonexistent/x.db"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "does not exist");
  EXPECT_FALSE(fs::exists("/nonexistent/x.db"));

  // As a copy source: neither the source nor the destination appears.
  r = polydb({"copy", db("missing.db"), "t", db("out.db")});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r);
  EXPECT_FALSE(fs::exists(dir_ / "missing.db"));
  EXPECT_FALSE(fs::exists(dir_ / "out.db"));
}

TEST_F(CliTest, MissingTable) {
  const std::string url = make_items("a.db", 1);
  RunResult r = polydb({"describe", url, "nosuch"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "nosuch");
  r = polydb({"sql", url, "SELECT * FROM nosuch"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "nosuch");
  r = polydb({"copy", url, "nosuch", db("out.db")});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "nosuch");
  EXPECT_FALSE(fs::exists(dir_ / "out.db"));
}

TEST_F(CliTest, MalformedSqlAndVerboseDetail) {
  const std::string url = make_items("a.db", 1);
  RunResult r = polydb({"sql", url, "SELEC 1"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "syntax error");

  r = polydb({"-v", "sql", url, "SELEC 1"});
  EXPECT_EQ(r.status, 1) << r;
  std::vector<std::string> problems;
  for (const auto& line : lines_of(r.err))
    if (line.rfind("polydb: ", 0) == 0) problems.push_back(line);
  ASSERT_EQ(problems.size(), 2u) << r;
  EXPECT_EQ(problems[0].rfind("polydb: error: ", 0), 0u) << r;
  EXPECT_EQ(problems[1].rfind("polydb: detail: ", 0), 0u) << r;
  EXPECT_NE(problems[1].find("SELEC"), std::string::npos) << r;
}

TEST_F(CliTest, ValueThatDoesNotFitLeavesTheTargetUnchanged) {
  const std::string src = db("src.db");
  execute(src, "CREATE TABLE s (v TEXT)");
  execute(src, "INSERT INTO s VALUES ('5'), ('6'), ('abc'), ('7')");
  const std::string dst = db("dst.db");
  execute(dst, "CREATE TABLE t (v INTEGER)");
  execute(dst, "INSERT INTO t VALUES (1), (2)");
  const RunResult r = polydb({"copy", src, "s", dst, "t", "--mode", "append"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "abc");
  EXPECT_EQ(query_rows(dst, "SELECT count(*), sum(v) FROM t"), "2|3\n");
}

// ---------------------------------------------------------------- config and secrets

TEST_F(CliTest, ConfigNamesConnectionsAndSetsDefaults) {
  make_items("a.db", 3);
  {
    std::ofstream cfg(dir_ / "polydb.yaml");
    cfg << "connections:\n  shop: " << db("a.db") << "\ndefaults:\n  format: ndjson\n";
  }
  RunResult r = polydb({"ls", "shop"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "{\"name\":\"items\",\"kind\":\"table\"}\n");
  r = polydb({"--format", "csv", "ls", "shop"});
  EXPECT_EQ(r.out, "name,kind\nitems,table\n") << r;

  // --config FILE wins over ./polydb.yaml; errors in it are operational (1).
  {
    std::ofstream bad(dir_ / "bad.yaml");
    bad << "connections:\n  shop: [unclosed\n";
  }
  r = polydb({"--config", (dir_ / "bad.yaml").string(), "ls", "shop"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "bad.yaml");
  r = polydb({"--config", (dir_ / "none.yaml").string(), "ls", "shop"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "none.yaml");
  r = polydb({"ls", "nosuchname"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "nosuchname");
}

TEST_F(CliTest, PasswordsNeverAppearInOutput) {
  const std::string secret = "hunter2-secret";
  make_items("a.db", 3);
  {
    std::ofstream cfg(dir_ / "polydb.yaml");
    cfg << "connections:\n"
        << "  remote: postgresql://u:" << secret << "@127.0.0.1:1/db\n"
        << "  local:\n    url: " << db("a.db") << "?password=" << secret << "\n"
        << "  withpw:\n    url: " << db("a.db") << "\n    password: " << secret << "\n"
        << "  missing: " << db("missing.db") << "?password=" << secret << "\n";
  }
  const std::string url_with_password = db("a.db") + "?password=" + secret;
  const std::vector<std::vector<std::string>> runs = {
      {"ls", "remote"},
      {"-v", "ls", "remote"},
      {"-vv", "ls", "local"},
      {"-vv", "ls", "withpw"},
      {"-vv", "ls", "missing"},
      {"-v", "ping", "remote", "local", "withpw", "missing"},
      {"--format", "table", "ping", "remote", "local", "withpw", "missing"},
      {"-v", "describe", "local", "nosuch"},
      {"-v", "sql", "withpw", "SELEC 1"},
      {"-v", "sql", "local", "SELECT count(*) FROM items"},
      {"-vv", "copy", "local", "items", "withpw", "copy1"},
      {"-v", "copy", "local", "items", "local", "copy1"},
      {"-vv", "copy", "local", "items", db("b.db") + "?password=" + secret},
      {"-v", "copy", "remote", "items", "local"},
      {"-vv", "ls", url_with_password},
      {"-v", "ls", db("missing.db") + "?password=" + secret},
      {"-v", "ls", "postgresql://u:" + secret + "@127.0.0.1:1/db"},
      {"-v", "ls", "postgresql://u:" + secret + "@127.0.0.1:99999/db"},
      {"-v", "ping", "postgresql://u:" + secret + "@127.0.0.1:1/db"},
      {"-v", "ls", url_with_password, "postgresql://u:" + secret + "@h/db"},
      {"-v", "frob", "postgresql://u:" + secret + "@h/db"},
  };
  for (const auto& args : runs) {
    const RunResult r = polydb(args);
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    EXPECT_EQ(r.out.find(secret), std::string::npos) << cmd << "\n" << r;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << cmd << "\n" << r;
    EXPECT_FALSE(r.timed_out) << cmd;
    EXPECT_NE(r.out.size() + r.err.size(), 0u) << cmd;
  }
}

// ---------------------------------------------------------------- interruption

// A 2M-row source, built once: a copy of it takes seconds, long enough to be
// interrupted in the middle.
class CliInterruptTest : public CliTest {
 protected:
  static void SetUpTestSuite() {
    big_dir_ = new fs::path(make_temp_dir("polydb-cli-big-"));
    execute("sqlite://" + (*big_dir_ / "big.db").string(),
            "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 2000000) SELECT x AS id, 'name ' || x AS name FROM c");
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*big_dir_, ec);
    delete big_dir_;
    big_dir_ = nullptr;
  }

  static std::string big() { return "sqlite://" + (*big_dir_ / "big.db").string(); }

  // The destination's table `big` with three old rows.
  std::string make_old_target() {
    const std::string dst = db("dst.db");
    execute(dst, "CREATE TABLE big (id INTEGER, name TEXT)");
    execute(dst, "INSERT INTO big VALUES (7, 'old seven'), (8, 'old eight'), (9, NULL)");
    return dst;
  }

  // Starts a replace copy and sends `sig` once the copy is writing: its
  // rollback journal exists, and 300 ms more have passed.
  RunResult copy_and_signal(const std::string& dst, int sig) {
    Process p({"copy", big(), "big", dst, "--mode", "replace", "--batch-size", "1000"}, dir_);
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (!fs::exists(dir_ / "dst.db-journal") && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(300ms);
    p.send(sig);
    return p.wait();
  }

  static inline fs::path* big_dir_ = nullptr;
};

constexpr const char* kOldChecksum =
    "SELECT count(*), sum(id), group_concat(ifnull(name, 'null'), ',') FROM "
    "(SELECT * FROM big ORDER BY id)";

TEST_F(CliInterruptTest, SigintRollsBackAReplace) {
  const std::string dst = make_old_target();
  const std::string before = query_rows(dst, kOldChecksum);
  ASSERT_EQ(before, "3|24|old seven,old eight,null\n");

  const RunResult r = copy_and_signal(dst, SIGINT);
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "interrupted: nothing was written to");
  EXPECT_NE(r.err.find("the target is unchanged"), std::string::npos) << r;
  EXPECT_EQ(query_rows(dst, kOldChecksum), before);
  EXPECT_EQ(polydb({"ls", dst}).out, "name,kind\nbig,table\n");
}

TEST_F(CliInterruptTest, SigtermRollsBackToo) {
  const std::string dst = make_old_target();
  const std::string before = query_rows(dst, kOldChecksum);
  const RunResult r = copy_and_signal(dst, SIGTERM);
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, "interrupted");
  EXPECT_EQ(query_rows(dst, kOldChecksum), before);
}

TEST_F(CliInterruptTest, SigkillLeavesTheOldContents) {
  const std::string dst = make_old_target();
  const std::string before = query_rows(dst, kOldChecksum);
  const RunResult r = copy_and_signal(dst, SIGKILL);
  EXPECT_EQ(r.signal, SIGKILL) << r;
  // The killed writer left its rollback journal behind: the next open rolls back.
  EXPECT_EQ(query_rows(dst, kOldChecksum), before);
  EXPECT_EQ(polydb({"ls", dst}).out, "name,kind\nbig,table\n");
}

}  // namespace
