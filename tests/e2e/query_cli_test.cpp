// `polydb query`: federated SQL from the command line, over SQLite files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "polydb/connection.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::e2e::make_temp_dir;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

class QueryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("polydb-query-");
    exec("a.db",
         "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, team INTEGER);"
         "INSERT INTO users VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'cid', NULL)");
    exec("b.db",
         "CREATE TABLE teams (id INTEGER PRIMARY KEY, title TEXT, budget DECIMAL_TEXT(10,2));"
         "INSERT INTO teams VALUES (10, 'core', '1000.10'), (20, 'web', '250.05')");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void exec(const std::string& file, const std::string& sql) {
    polydb::ConnectOptions o;
    o.create_if_missing = true;
    auto c = polydb::connect(db(file), o);
    size_t start = 0;
    for (size_t end; (end = sql.find(';', start)) != std::string::npos; start = end + 1)
      c->execute(sql.substr(start, end - start));
    if (start < sql.size()) c->execute(sql.substr(start));
  }
  std::string db(const std::string& name) const { return "sqlite://" + (dir_ / name).string(); }
  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }

  fs::path dir_;
};

TEST_F(QueryCliTest, JoinsTablesOfTwoConnections) {
  const RunResult r = polydb({"--format", "csv", "query", "--attach", "a=" + db("a.db"),
                              "--attach", "b=" + db("b.db"),
                              "SELECT u.name, t.title, t.budget FROM a.users u JOIN b.teams t ON "
                              "t.id = u.team ORDER BY u.name"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "name,title,budget\nann,core,1000.10\nbob,web,250.05\n");
}

TEST_F(QueryCliTest, ConfigConnectionsAreAttachedByName) {
  std::ofstream(dir_ / "polydb.yaml") << "connections:\n  people: " << db("a.db")
                                      << "\n  org: " << db("b.db") << "\n";
  const RunResult r =
      polydb({"--format", "ndjson", "query", "-p", "15",
              "SELECT COUNT(*) AS n, SUM(t.budget) AS total FROM people.users u JOIN org.teams t "
              "ON t.id = u.team WHERE t.id > ?"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "{\"n\":1,\"total\":\"250.05\"}\n");  // an exact decimal: a string
}

TEST_F(QueryCliTest, ExplainAndAnalyze) {
  RunResult r = polydb({"--format", "csv", "query", "--explain", "--attach", "a=" + db("a.db"),
                        "SELECT name FROM a.users WHERE id >= 2 ORDER BY id LIMIT 1"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("a.users,scan,\"id, name\",id >= 2,id,LIMIT"), std::string::npos) << r;
  r = polydb({"--format", "ndjson", "query", "--explain", "--analyze", "--attach",
              "a=" + db("a.db"), "SELECT name FROM a.users WHERE id >= 2 ORDER BY id LIMIT 1"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("\"remote_calls\":1"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"rows_fetched\":1"), std::string::npos) << r;
  EXPECT_NE(r.out.find("LIMIT 1"), std::string::npos) << r;
}

TEST_F(QueryCliTest, ErrorsAndExitCodes) {
  RunResult r = polydb({"query", "--attach", "a", "SELECT 1"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("NAME=CONN"), std::string::npos) << r;
  r = polydb({"query", "--attach", "a=" + db("a.db"), "SELECT * FROM a.missing"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r;
  r = polydb({"query", "--attach", "a=" + db("a.db"), "--max-remote-calls", "1",
              "SELECT * FROM a.users x JOIN a.users y ON x.id = y.team"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("--max-remote-calls"), std::string::npos) << r;
  r = polydb({"query", "--analyze", "SELECT 1"});
  EXPECT_EQ(r.status, 2) << r;
  r = polydb({"--format", "csv", "query", "SELECT 1 + 1 AS two"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "two\n2\n");
}

}  // namespace
