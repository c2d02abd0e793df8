// `polydb query` from the command line over real servers: Ctrl-C stops a
// long query promptly and cleanly, backend errors name the attached
// connection, and --max-remote-calls aborts a query that needs more calls.
// Needs the servers of scripts/services.sh (POLYDB_TEST_POSTGRES_URL,
// POLYDB_TEST_MYSQL_URL).

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/secret.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using polydb::e2e::make_temp_dir;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

std::string server_url(const char* env) {
  const char* url = std::getenv(env);
  if (!url || !*url)
    throw std::runtime_error(std::string(env) +
                             " is not set: use `make test`, or export the URLs of "
                             "scripts/services.sh env");
  return url;
}

// Sets an environment variable for the processes started while it lives.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Tables of this process: `big` (200k rows) and `orders` (3000 rows) in
// PostgreSQL, `customers` (300 rows) in MariaDB.
class QueryBackendsCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_url_ = server_url("POLYDB_TEST_POSTGRES_URL");
    my_url_ = server_url("POLYDB_TEST_MYSQL_URL");
    prefix_ = "qcli_" + std::to_string(getpid()) + "_";
    auto pg = polydb::connect(pg_url_);
    pg->drop_table(prefix_ + "big", true);
    pg->drop_table(prefix_ + "orders", true);
    pg->execute("CREATE TABLE " + prefix_ +
                "big AS SELECT g AS id, g % 1000 AS grp FROM generate_series(1, 200000) g");
    pg->execute("CREATE TABLE " + prefix_ +
                "orders AS SELECT g AS id, 1 + g % 300 AS customer_id, (g % 50) * 1.5 AS amount "
                "FROM generate_series(1, 3000) g");
    pg->execute("ANALYZE " + prefix_ + "big");
    pg->execute("ANALYZE " + prefix_ + "orders");
    auto my = polydb::connect(my_url_);
    my->drop_table(prefix_ + "customers", true);
    my->execute("CREATE TABLE " + prefix_ +
                "customers (id BIGINT PRIMARY KEY, country VARCHAR(2) NOT NULL)");
    std::string values;
    for (int i = 1; i <= 300; ++i)
      values += (i > 1 ? "," : "") + std::string("(") + std::to_string(i) + ", '" +
                (i % 2 ? "DE" : "FR") + "')";
    my->execute("INSERT INTO " + prefix_ + "customers VALUES " + values);
  }
  static void TearDownTestSuite() {
    if (!pg_url_.empty()) {
      auto pg = polydb::connect(pg_url_);
      pg->drop_table(prefix_ + "big", true);
      pg->drop_table(prefix_ + "orders", true);
    }
    if (!my_url_.empty()) polydb::connect(my_url_)->drop_table(prefix_ + "customers", true);
  }
  void SetUp() override { dir_ = make_temp_dir("polydb-query-backends-"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::vector<std::string> query_args(const std::string& sql) const {
    return {"--format",      "csv",      "query",         "--attach",
            "pg=" + pg_url_, "--attach", "my=" + my_url_, sql};
  }
  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }

  // True once both PostgreSQL sessions of `application` have sent their scan
  // of `table` (which names it quoted: ...""qcli_1_big""): the inner side of
  // the join is being read, and from there on SQLite loops or prints.
  static bool reading(polydb::Connection& pg, const std::string& application,
                      const std::string& table) {
    auto r = pg.query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE "
        "'%\"' || $2 || '\"%'",
        std::vector<polydb::Value>{polydb::Value(application), polydb::Value(table)});
    auto b = r->next();
    return b && b->row(0)[0].as<int64_t>() >= 2;
  }

  // Starts `sql` with TMPDIR in a fresh directory, sends SIGINT once both
  // sides of its join are being read and 300 ms more have passed, and returns what it did
  // and how long it took to stop.
  RunResult interrupt(const std::string& sql, std::chrono::milliseconds& stop_time) {
    const fs::path tmp = dir_ / "tmp";
    fs::create_directories(tmp);
    const ScopedEnv tmpdir("TMPDIR", tmp.string());
    // Its own application_name tells this query's session from any other.
    const std::string application =
        "polydb_e2e_" + std::to_string(getpid()) + "_" + std::to_string(++interrupts_);
    polydb::Uri url = polydb::Uri::parse(pg_url_);
    url.query.emplace_back("application_name", application);
    auto pg = polydb::connect(pg_url_);
    // Two attachments of one server: a join of two tables of one attachment
    // would need two results streaming on one connection at once.
    Process p({"--format", "csv", "query", "--attach", "x=" + url.to_string_with_secrets(),
               "--attach", "y=" + url.to_string_with_secrets(), sql},
              dir_);
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    bool started = false;
    while (!(started = reading(*pg, application, prefix_ + "big")) &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(started) << "the query did not scan " << prefix_ << "big twice within 20 s";
    std::this_thread::sleep_for(300ms);
    const auto sent = std::chrono::steady_clock::now();
    p.send(SIGINT);
    RunResult r = p.wait(30s);
    stop_time = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - sent);
    return r;
  }

  void expect_interrupted(const RunResult& r, std::chrono::milliseconds stop_time) {
    EXPECT_FALSE(r.timed_out) << r;
    EXPECT_EQ(r.status, 1) << r;
    // The same message whether the signal is seen between batches or by
    // SQLite's progress handler.
    EXPECT_EQ(r.err.rfind("polydb: error: query interrupted", 0), 0u) << r;
    // "Promptly": the signal is seen between batches and while SQLite works.
    EXPECT_LT(stop_time, 3s) << r;
    RecordProperty("stop_ms", static_cast<int>(stop_time.count()));
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir_ / "tmp")) left.push_back(e.path().string());
    EXPECT_TRUE(left.empty()) << "left in TMPDIR: " << left.front();
  }

  static inline std::string pg_url_, my_url_, prefix_;
  static inline int interrupts_ = 0;
  fs::path dir_;
};

// A join of a 200k-row table with itself on an expression: SQLite loops over
// a local copy of one side for every row of the other (hours of work) and
// prints nothing until the end.
TEST_F(QueryBackendsCliTest, SigintStopsALongAggregatePromptly) {
  std::chrono::milliseconds stop_time{};
  const RunResult r = interrupt("SELECT COUNT(*) FROM x." + prefix_ + "big a JOIN y." + prefix_ +
                                    "big b ON a.grp + b.grp = a.id",
                                stop_time);
  expect_interrupted(r, stop_time);
  EXPECT_EQ(r.out, "") << r;
}

// A cross join that streams rows out: interrupted while it prints.
TEST_F(QueryBackendsCliTest, SigintStopsAStreamingQueryPromptly) {
  std::chrono::milliseconds stop_time{};
  const RunResult r = interrupt(
      "SELECT a.id, b.id FROM x." + prefix_ + "big a CROSS JOIN y." + prefix_ + "big b", stop_time);
  expect_interrupted(r, stop_time);
  EXPECT_EQ(r.out.rfind("id,id\n", 0), 0u) << "rows were printed before the signal";
  EXPECT_GT(r.out.size(), 1000u);
}

TEST_F(QueryBackendsCliTest, AMissingTableNamesItsConnectionAndTheBackendsMessage) {
  const RunResult r = polydb(query_args("SELECT o.id, c.country FROM pg." + prefix_ +
                                        "orders o JOIN my.no_such_table_" + prefix_ +
                                        " c ON c.id = o.customer_id"));
  EXPECT_EQ(r.status, 1) << r;
  // The attachment, the table, and the server by its URL without the password.
  polydb::Uri shown = polydb::Uri::parse(my_url_);
  EXPECT_EQ(
      r.err.rfind(
          "polydb: error: my: no table 'no_such_table_" + prefix_ + "' in " + shown.to_string(), 0),
      0u)
      << r;
  EXPECT_EQ(r.out, "") << r;
}

TEST_F(QueryBackendsCliTest, AWrongPasswordNamesItsConnectionAndTheBackendsMessage) {
  polydb::Uri bad = polydb::Uri::parse(pg_url_);
  const std::string password = "wrong-pw-" + std::to_string(getpid());
  bad.password = polydb::Secret(password);
  const RunResult r =
      polydb({"-v", "--format", "csv", "query", "--attach", "my=" + my_url_, "--attach",
              "bad=" + bad.to_string_with_secrets(),
              "SELECT c.country, COUNT(*) FROM my." + prefix_ + "customers c JOIN bad." + prefix_ +
                  "orders o ON o.customer_id = c.id GROUP BY c.country"});
  EXPECT_EQ(r.status, 1) << r;
  // The attachment, its URL without the password, and the server's own words.
  EXPECT_NE(r.err.find("polydb: error: bad: cannot connect to " + bad.to_string() + ": "),
            std::string::npos)
      << r;
  EXPECT_NE(r.err.find("polydb: detail: connection to server at \"127.0.0.1\""), std::string::npos)
      << r;
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r;
  EXPECT_EQ(r.err.find(password), std::string::npos) << r;
  EXPECT_EQ(r.out.find(password), std::string::npos) << r;
}

TEST_F(QueryBackendsCliTest, MaxRemoteCallsAbortsAQueryThatNeedsMore) {
  const std::string sql = "SELECT c.country, COUNT(*), SUM(o.amount) FROM pg." + prefix_ +
                          "orders o JOIN my." + prefix_ +
                          "customers c ON c.id = o.customer_id GROUP BY c.country ORDER BY 1";
  auto args = query_args(sql);
  args.insert(args.begin() + 3, {"--max-remote-calls", "1"});
  RunResult r = polydb(args);
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("more than 1 remote calls"), std::string::npos) << r;
  EXPECT_NE(r.err.find(prefix_), std::string::npos) << "names the table it would read\n" << r;
  EXPECT_NE(r.err.find("raise --max-remote-calls"), std::string::npos) << r;
  EXPECT_EQ(r.out, "") << r;

  // A join reads each table at most twice: four calls are enough.
  args[4] = "4";
  r = polydb(args);
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "country,COUNT(*),SUM(o.amount)\nDE,1500,54000\nFR,1500,56250\n") << r;
}

}  // namespace
