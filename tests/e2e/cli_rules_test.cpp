// End-to-end tests of the command line's rules (issue #24): option values
// checked when parsed (exit 2), the default destination table name, exit
// statuses, SQLite URL options, -p type prefixes and JSON, one error line by
// default, concurrent ping, and no file left behind by a failed or
// interrupted copy into a new SQLite file.
//
// The tests that name PostgreSQL or MySQL/MariaDB need the servers of
// scripts/services.sh (POLYDB_TEST_POSTGRES_URL, POLYDB_TEST_MYSQL_URL):
// without them they fail, they never skip.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "polydb/connection.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using polydb::e2e::make_temp_dir;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The contract for failures: exactly one line on stderr, `polydb: error: ...`
// holding every fragment.
void expect_one_error_line(const RunResult& r, const std::vector<std::string>& fragments = {}) {
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r;
  EXPECT_EQ(lines[0].rfind("polydb: error: ", 0), 0u) << r;
  for (const auto& f : fragments) EXPECT_NE(lines[0].find(f), std::string::npos) << f << "\n" << r;
}

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

std::string server_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return url;
  ADD_FAILURE() << var
                << " is not set: run `make test`, or start the servers with `scripts/services.sh "
                   "start postgres mariadb` and export what `scripts/services.sh env` prints";
  return {};
}

// Unique per process and call.
std::string unique_name(const std::string& stem) {
  static int counter = 0;
  return "cr_" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

class CliRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("polydb-rules-"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult polydb(const std::vector<std::string>& args) { return Process(args, dir_).wait(); }
  std::string db(const std::string& name) const { return "sqlite://" + (dir_ / name).string(); }

  // items(id INTEGER PRIMARY KEY, name TEXT): ids 1..n.
  std::string make_items(const std::string& file, int n = 20) {
    const std::string url = db(file);
    execute(url, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
    execute(url,
            "INSERT INTO items WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < " +
                std::to_string(n) + ") SELECT x, 'item ' || x FROM c");
    return url;
  }

  // The files of the temporary directory, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

// ---------------------------------------------------------------- 1. option values

TEST_F(CliRulesTest, NumericOptionValuesAreCheckedWhenParsed) {
  const std::string src = make_items("src.db");
  const std::string dst = db("dst.db");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {{"--batch-size", "-5"}, {"--batch-size", "'-5'", "1 to 1,000,000"}},
      {{"--batch-size", "99999999999999999999"}, {"--batch-size", "1 to 1,000,000"}},
      {{"--batch-size", "4294967296"}, {"--batch-size", "4294967296"}},
      {{"--batch-size", "1000001"}, {"--batch-size"}},
      {{"--batch-size", "0"}, {"--batch-size"}},
      {{"--batch-size", "1.5"}, {"--batch-size"}},
      {{"--batch-size", "+5"}, {"--batch-size"}},
      {{"--limit", "-1"}, {"--limit", "'-1'", "1 to 9,223,372,036,854,775,807"}},
      {{"--limit", "0"}, {"--limit"}},
      {{"--limit", "18446744073709551616"}, {"--limit"}},
      {{"--parallel", "0"}, {"--parallel", "1 to 64"}},
      {{"--parallel", "65"}, {"--parallel", "1 to 64"}},
      {{"--parallel", "-1"}, {"--parallel"}},
      {{"--parallel", "4294967297"}, {"--parallel"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"copy", src, "items", dst};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const RunResult r = polydb(args);
    EXPECT_EQ(r.status, 2) << c.args[0] << " " << c.args[1] << "\n" << r;
    expect_one_error_line(r, c.fragments);
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r;
  }
  EXPECT_FALSE(fs::exists(dir_ / "dst.db"));

  for (const std::string bad : {"-1", "x", "1e3"}) {
    const RunResult r = polydb({"query", "--max-remote-calls", bad, "SELECT 1"});
    EXPECT_EQ(r.status, 2) << r;
    expect_one_error_line(r, {"--max-remote-calls", "0 to"});
  }
  RunResult r = polydb({"query", "--max-remote-calls", "0", "SELECT 1 AS x"});
  EXPECT_EQ(r.status, 0) << r;

  // The largest batch and a limit are accepted.
  r = polydb({"copy", src, "items", dst, "--batch-size", "1000000", "--limit", "5"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM items"), "5\n");
}

TEST_F(CliRulesTest, ConfigBatchSizeAboveTheMaximumIsRefused) {
  const std::string src = make_items("src.db");
  {
    std::ofstream cfg(dir_ / "polydb.yaml");
    cfg << "defaults:\n  batch_size: 5000000000\n";
  }
  const RunResult r = polydb({"copy", src, "items", db("dst.db")});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, {"defaults.batch_size", "1,000,000"});
}

// ---------------------------------------------------------------- 2. destination names

TEST_F(CliRulesTest, DefaultDestinationIsTheSourceTablesOwnName) {
  const std::string src = db("src.db");
  execute(src, "CREATE TABLE \"we\"\"ird\" (id INTEGER PRIMARY KEY)");
  execute(src, "INSERT INTO \"we\"\"ird\" VALUES (1)");
  execute(src, "CREATE TABLE \"dot.ted\" (id INTEGER PRIMARY KEY)");
  execute(src, "INSERT INTO \"dot.ted\" VALUES (1), (2)");
  execute(src, "CREATE TABLE Orders (id INTEGER PRIMARY KEY)");
  const std::string dst = db("dst.db");

  RunResult r = polydb({"copy", src, "\"we\"\"ird\"", dst});
  EXPECT_EQ(r.status, 0) << r;
  r = polydb({"copy", src, "\"dot.ted\"", dst});
  EXPECT_EQ(r.status, 0) << r;
  // The schema goes; the name is spelled as the source stores it.
  r = polydb({"copy", src, "main.ORDERS", dst});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(polydb({"ls", dst}).out,
            "name,kind\nOrders,table\ndot.ted,table\n\"we\"\"ird\",table\n");
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM \"dot.ted\""), "2\n");

  // A destination name the user gives is read as the destination reads names.
  r = polydb({"copy", src, "\"dot.ted\"", dst, "main.\"x.y\""});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM \"x.y\""), "2\n");
  r = polydb({"copy", src, "\"dot.ted", dst});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, {"quote is not closed"});
}

TEST_F(CliRulesTest, DefaultDestinationNameFromAndIntoServers) {
  const std::string pg = server_url("POLYDB_TEST_POSTGRES_URL");
  const std::string my = server_url("POLYDB_TEST_MYSQL_URL");
  ASSERT_FALSE(pg.empty() || my.empty());
  const std::string plain = unique_name("plain");
  const std::string weird = unique_name("we\"ird");
  const std::string dotted = unique_name("dot.ted");
  auto quoted = [](const std::string& n) {
    std::string out = "\"";
    for (char c : n) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  execute(pg, "CREATE TABLE public." + plain + " (id bigint PRIMARY KEY)");
  execute(pg, "CREATE TABLE " + quoted(weird) + " (id bigint PRIMARY KEY)");
  execute(pg, "CREATE TABLE " + quoted(dotted) + " (id bigint PRIMARY KEY)");
  execute(pg, "INSERT INTO " + quoted(dotted) + " VALUES (1), (2), (3)");
  const std::string dst = db("dst.db");
  std::string upper = plain;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& table : {"public." + plain, upper, quoted(weird), quoted(dotted)}) {
    const RunResult r = polydb({"copy", pg, table, dst, "--mode", "replace"});
    EXPECT_EQ(r.status, 0) << table << "\n" << r;
  }
  std::vector<std::string> expected = {plain, weird, dotted};
  std::sort(expected.begin(), expected.end());
  std::string listed = "name,kind\n";
  for (const auto& n : expected)
    listed += (n.find('"') == std::string::npos ? n : quoted(n)) + ",table\n";
  // `upper` went into `plain` again: PostgreSQL folds unquoted names.
  const RunResult ls = polydb({"ls", dst});
  EXPECT_EQ(ls.out, listed) << ls;

  // Into PostgreSQL and MySQL: a name with a '.' stays one name.
  RunResult r = polydb({"copy", dst, quoted(dotted), pg, "--mode", "replace"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(pg, "SELECT count(*) FROM " + quoted(dotted)), "3\n");
  r = polydb({"copy", dst, quoted(dotted), my});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(my, "SELECT count(*) FROM `" + dotted + "`"), "3\n");

  for (const auto& n : {plain, weird, dotted}) execute(pg, "DROP TABLE IF EXISTS " + quoted(n));
  execute(my, "DROP TABLE IF EXISTS `" + dotted + "`");
}

// ---------------------------------------------------------------- 3. exit statuses

TEST_F(CliRulesTest, MissingSqliteFileIsAnOperationalError) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"ls", db("missing.db")},
           {"ls", "missing.db"},
           {"describe", db("missing.db"), "t"},
           {"sql", db("missing.db"), "SELECT 1"},
           {"ping", db("missing.db")},
           {"query", "--attach", "m=" + db("missing.db"), "SELECT * FROM m.t"},
           {"copy", db("missing.db"), "t", db("out.db")}}) {
    const RunResult r = polydb(args);
    EXPECT_EQ(r.status, 1) << args[0] << "\n" << r;
    expect_one_error_line(r);
  }
  EXPECT_EQ(files(), std::vector<std::string>{});
}

// ---------------------------------------------------------------- 4. SQLite URL options

TEST_F(CliRulesTest, UnknownSqliteOptionsAreRefused) {
  const std::string url = make_items("a.db");
  RunResult r = polydb({"ls", url + "?busy_timout=10"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, {"unknown option 'busy_timout'", "mode, busy_timeout, read-timeout"});
  r = polydb({"ls", url + "?busy_timeout=soon"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, {"busy_timeout=soon"});
  r = polydb({"copy", url, "items", db("b.db") + "?journal=wal"});
  EXPECT_EQ(r.status, 2) << r;
  expect_one_error_line(r, {"'journal'"});
  EXPECT_FALSE(fs::exists(dir_ / "b.db"));
  // Known options, in either spelling; read-timeout is accepted and ignored.
  r = polydb({"ls", url + "?busy-timeout=10&mode=ro&read-timeout=5"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "name,kind\nitems,table\n");
}

// ---------------------------------------------------------------- 5. -p values

TEST_F(CliRulesTest, ParameterTypePrefixesAndJson) {
  const std::string url = make_items("a.db", 1);
  for (const std::string bad : {"bogus:1", "Int64x:5", "note: hi"}) {
    const RunResult r = polydb({"sql", url, "SELECT ?", "-p", bad});
    EXPECT_EQ(r.status, 2) << r;
    expect_one_error_line(r, {"is not a type", "text:"});
  }
  for (const std::string bad : {"json:{bad", "json:", "json:[1,]", "json:{} {}"}) {
    const RunResult r = polydb({"sql", url, "SELECT ?", "-p", bad});
    EXPECT_EQ(r.status, 2) << r;
    expect_one_error_line(r, {"not valid JSON"});
  }
  const RunResult r =
      polydb({"sql", url, "SELECT ? a, ? b, ? c, ? d, ? e, ? f", "-p", "http://x", "-p", "12:30",
              "-p", "text:bogus:1", "-p", "fe80::1", "-p", "json:{\"a\": [1]}", "-p", ":x"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "a,b,c,d,e,f\nhttp://x,12:30,bogus:1,fe80::1,\"{\"\"a\"\": [1]}\",:x\n") << r;
}

// ---------------------------------------------------------------- 6. one error line

TEST_F(CliRulesTest, RetriesAreQuietUnlessVerbose) {
  // A DynamoDB endpoint where nothing listens: the HTTP client retries.
  // The emulator's dummy credentials, when the environment has none.
  setenv("AWS_ACCESS_KEY_ID", "polydbtest", 0);
  setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 0);
  const std::string url = "dynamodb://us-east-1?endpoint=http://127.0.0.1:9";
  RunResult r = polydb({"ls", url});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r);
  r = polydb({"-v", "ls", url});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.err.find("warn"), std::string::npos) << r;
}

// ---------------------------------------------------------------- 7. ping

// A TCP listener on 127.0.0.1 that never accepts: a connect succeeds (the
// kernel completes the handshake) and then nothing is ever said.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(CliRulesTest, PingChecksConnectionsConcurrentlyInArgumentOrder) {
  const std::string ok = make_items("a.db", 1);
  SilentListener a, b, c, d;
  auto silent = [](const SilentListener& l) {
    return "postgresql://u@127.0.0.1:" + std::to_string(l.port()) + "/db?connect_timeout=3";
  };
  auto timed = [&](const std::vector<std::string>& args, std::chrono::duration<double>& took) {
    const auto start = std::chrono::steady_clock::now();
    RunResult r = polydb(args);
    took = std::chrono::steady_clock::now() - start;
    return r;
  };
  std::chrono::duration<double> one{}, four{};
  const RunResult single = timed({"ping", silent(a)}, one);
  EXPECT_EQ(single.status, 1) << single;
  const RunResult r = timed({"ping", silent(a), ok, silent(b), silent(c), silent(d)}, four);
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, {"4 of 5"});
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << r;
  const SilentListener* order[] = {&a, nullptr, &b, &c, &d};
  for (size_t i = 0; i < 5; ++i) {
    if (!order[i]) {
      EXPECT_NE(lines[i + 1].find(",ok,"), std::string::npos) << r;
      continue;
    }
    EXPECT_NE(lines[i + 1].find(":" + std::to_string(order[i]->port()) + "/db"), std::string::npos)
        << i << "\n"
        << r;
    EXPECT_NE(lines[i + 1].find(",error,"), std::string::npos) << r;
  }
  // One after another, four silent servers take 3 timeouts (9 s) more than
  // one; together about as long as one (measured against a run of one, so
  // that a slow process start-up on a busy machine does not count).
  EXPECT_LT(four.count(), one.count() + 4.5)
      << "one: " << one.count() << " s, four: " << four.count() << " s\n"
      << r;
}

// ---------------------------------------------------------------- 9. no file left behind

TEST_F(CliRulesTest, FailedCopyIntoANewSqliteFileLeavesNoFile) {
  // A value that does not fit its declared type, after 5 batches.
  const std::string src = db("src.db");
  execute(src, "CREATE TABLE s (v INTEGER)");
  execute(src,
          "INSERT INTO s WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE "
          "x < 5000) SELECT x FROM c");
  execute(src, "INSERT INTO s VALUES ('abc')");
  RunResult r = polydb({"copy", src, "s", db("new.db"), "--batch-size", "1000"});
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, {"abc"});
  EXPECT_EQ(files(), std::vector<std::string>{"src.db"});

  // An existing file, even an empty one, is never removed.
  { std::ofstream touch(dir_ / "empty.db"); }
  r = polydb({"copy", src, "s", db("empty.db"), "--batch-size", "1000"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(fs::exists(dir_ / "empty.db"));
  const std::string dst = make_items("dst.db");
  r = polydb({"copy", src, "s", dst, "--batch-size", "1000"});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_EQ(query_rows(dst, "SELECT count(*) FROM items"), "20\n");

  // A copy that succeeds keeps its new file.
  r = polydb({"copy", dst, "items", db("kept.db")});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(query_rows(db("kept.db"), "SELECT count(*) FROM items"), "20\n");
}

TEST_F(CliRulesTest, InterruptedCopyIntoANewSqliteFileLeavesNoFile) {
  const std::string src = db("src.db");
  execute(src,
          "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
          "WHERE x < 1000000) SELECT x AS id, 'name ' || x AS name FROM c");
  Process p({"copy", src, "big", db("new.db"), "--batch-size", "1000"}, dir_);
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(dir_ / "new.db-journal") && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(200ms);
  p.send(SIGTERM);
  const RunResult r = p.wait();
  EXPECT_EQ(r.status, 1) << r;
  expect_one_error_line(r, {"interrupted"});
  EXPECT_EQ(files(), std::vector<std::string>{"src.db"});
}

// PostgreSQL counted max(values given, highest $N) and ignored extra values,
// where SQLite and MySQL refuse them: every backend refuses them now.
TEST_F(CliRulesTest, ExtraParameterValuesAreRefusedByPostgres) {
  const std::string pg = server_url("POLYDB_TEST_POSTGRES_URL");
  ASSERT_FALSE(pg.empty());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"exec", pg, "SELECT $1::text", "-p", "a", "-p", "b"},
        std::vector<std::string>{"sql", pg, "SELECT $1::text AS x", "-p", "a", "-p", "b"},
        std::vector<std::string>{"sql", pg, "SELECT 1", "-p", "a"}}) {
    const RunResult r = polydb(args);
    EXPECT_EQ(r.status, 1) << r;
    expect_one_error_line(r, {"value(s) were given"});
  }
  const RunResult ok = polydb({"--format", "csv", "sql", pg, "SELECT $2::text AS x, $1::int AS y",
                               "-p", "7", "-p", "'$3'"});
  EXPECT_EQ(ok.status, 0) << ok;
  EXPECT_EQ(ok.out, "x,y\n'$3',7\n") << ok;
}

}  // namespace
