// The polydb executable against MariaDB when things go wrong (issue #24):
//  - kill -9 at seeded random moments of a copy, in every write mode, leaves
//    the target exactly as it was (or complete, when the kill came after the
//    commit), and the next run cleans up what the killed one left aside;
//  - a copy of rows of a megabyte stays within a bounded memory;
//  - `polydb sql ... | head -1` ends at once and quietly, as with PostgreSQL.
// Real servers (POLYDB_TEST_MYSQL_URL, POLYDB_TEST_POSTGRES_URL): without
// them the tests fail, they never skip.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using polydb::Value;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

std::string server_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return url;
  ADD_FAILURE() << var
                << " is not set: run `make test`, or start the servers with `scripts/services.sh "
                   "start postgres mariadb` and export what `scripts/services.sh env` prints";
  return "mysql://polydb-test-url-not-set@127.0.0.1:1/none";
}

// Rows of a query as "a|b|c" lines.
std::string query_rows(polydb::Connection& conn, const std::string& sql) {
  auto reader = conn.query(sql);
  std::string out;
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        if (c) out += '|';
        const Value v = batch->column(c).value_at(r);
        out += v.is_null() ? "NULL" : v.to_text();
      }
      out += '\n';
    }
  }
  return out;
}

// A MariaDB database of the test's own, dropped at the end.
class Database {
 public:
  explicit Database(const std::string& stem) {
    server_ = server_url("POLYDB_TEST_MYSQL_URL");
    name_ = "e2e_" + stem + "_" + std::to_string(getpid());
    auto admin = polydb::connect(server_);
    admin->execute("DROP DATABASE IF EXISTS `" + name_ + "`");
    admin->execute("CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4");
    polydb::Uri u = polydb::Uri::parse(server_);
    u.path = "/" + name_;
    url_ = u.to_string_with_secrets();
  }
  ~Database() {
    try {
      polydb::connect(server_)->execute("DROP DATABASE IF EXISTS `" + name_ + "`");
    } catch (const polydb::Error& e) {
      ADD_FAILURE() << "cannot drop database " << name_ << ": " << e.message();
    }
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  const std::string& url() const { return url_; }

 private:
  std::string server_, name_, url_;
};

// A SQLite file of `rows` rows (id, name, v): the copies' source.
void make_source(const std::string& url, int64_t rows) {
  polydb::ConnectOptions options;
  options.create_if_missing = true;
  auto conn = polydb::connect(url, options);
  auto schema = std::make_shared<polydb::Schema>();
  schema->fields = {{"id", polydb::TypeId::int64, false, ""},
                    {"name", polydb::TypeId::string, false, ""},
                    {"v", polydb::TypeId::float64, true, ""}};
  schema->primary_key = {"id"};
  auto w = conn->writer("src", *schema, {polydb::WriteMode::create, {}});
  for (int64_t first = 1; first <= rows; first += 10000) {
    polydb::Batch b(schema);
    for (int64_t id = first; id < first + 10000 && id <= rows; ++id)
      b.append_row(std::vector<Value>{id, "name-" + std::to_string(id) + "-new", id * 0.5});
    w->write(b);
  }
  w->commit();
}

// ---------------------------------------------------------------- kill -9

constexpr int64_t kSourceRows = 100'000;
constexpr int kKillsPerMode = 10;
constexpr std::string_view kTarget = "target";

// What the target holds: "absent", or its row count and checksums.
std::string state(polydb::Connection& c) {
  if (query_rows(c,
                 "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                 "DATABASE() AND TABLE_NAME = 'target'") == "0\n")
    return "absent";
  return query_rows(c,
                    "SELECT COUNT(*), COALESCE(SUM(id), 0), COALESCE(SUM(CRC32(name)), 0) FROM "
                    "target");
}

std::string side_tables(polydb::Connection& c) {
  return query_rows(c,
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_NAME LIKE '\\_polydb\\_%' ORDER BY 1");
}

// Puts the target in the state the copies start from, per mode.
void reset_target(polydb::Connection& c, const std::string& mode) {
  c.execute("DROP TABLE IF EXISTS target");
  if (mode == "create") return;
  c.execute("CREATE TABLE target (id BIGINT PRIMARY KEY, name TEXT NOT NULL, v DOUBLE)");
  // append: ids the source does not have; replace: anything; upsert: some of
  // the source's ids with other names, and others.
  const int64_t first = mode == "upsert" ? kSourceRows - 499 : 10'000'001;
  c.execute("INSERT INTO target SELECT " + std::to_string(first) +
            " + seq, CONCAT('old-', seq), seq FROM seq_0_to_999");
}

class MysqlKill : public ::testing::TestWithParam<std::string> {};

TEST_P(MysqlKill, KillNineAtAnyMomentLeavesTheTargetAsItWasAndNoOrphan) {
  const std::string mode = GetParam();
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-kill-");
  const std::string src = "sqlite://" + (dir / "src.db").string();
  make_source(src, kSourceRows);
  Database db("kill_" + mode);
  auto conn = polydb::connect(db.url());
  const std::vector<std::string> args{"-q",     "copy", src, "src", db.url(), std::string(kTarget),
                                      "--mode", mode};
  const auto copy = [&] { return Process(args, dir).wait(std::chrono::minutes(2)); };

  // The state before, and the state a complete copy leaves; a complete copy
  // also says how long one takes: the second one, warm (a first run against a
  // cold server took so much longer that late kills found the copies done).
  reset_target(*conn, mode);
  const std::string before = state(*conn);
  ASSERT_EQ(copy().status, 0);
  reset_target(*conn, mode);
  const auto start = Clock::now();
  const RunResult full = copy();
  const auto duration = Clock::now() - start;
  ASSERT_EQ(full.status, 0) << full;
  const std::string complete = state(*conn);
  ASSERT_NE(before, complete);
  ASSERT_EQ(side_tables(*conn), "");

  // Kills spread over the run (the first quarter is mostly process start-up).
  std::mt19937 random(24 + static_cast<unsigned>(mode.size()));
  std::uniform_real_distribution<double> at(0.25, 1.0);
  int killed_mid_copy = 0;
  for (int k = 0; k < kKillsPerMode; ++k) {
    reset_target(*conn, mode);
    const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(duration * at(random));
    Process p(args, dir);
    std::this_thread::sleep_for(delay);
    p.send(SIGKILL);
    const RunResult r = p.wait(std::chrono::minutes(1));
    const std::string after = state(*conn);
    if (r.signal == SIGKILL) {
      if (after == before) ++killed_mid_copy;
      EXPECT_TRUE(after == before || after == complete)
          << mode << ", killed after " << delay.count() << " ms: the target holds " << after
          << "; before: " << before << "; complete: " << complete;
    } else {
      EXPECT_EQ(r.status, 0) << r;  // finished before the kill
      EXPECT_EQ(after, complete);
    }
  }
  EXPECT_GE(killed_mid_copy, kKillsPerMode / 2) << "most kills should land mid-copy";

  // The killed runs' sessions end (the server rolls back their transactions
  // and releases their locks); the next run drops what they left aside.
  for (auto deadline = Clock::now() + 30s; Clock::now() < deadline;) {
    if (query_rows(*conn,
                   "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = "
                   "DATABASE() AND ID <> CONNECTION_ID()") == "0\n")
      break;
    std::this_thread::sleep_for(100ms);
  }
  reset_target(*conn, mode);
  const RunResult rerun = copy();
  ASSERT_EQ(rerun.status, 0) << rerun;
  EXPECT_EQ(state(*conn), complete);
  EXPECT_EQ(side_tables(*conn), "") << "the rerun drops the side tables of killed runs";
  std::error_code ec;
  fs::remove_all(dir, ec);
}

INSTANTIATE_TEST_SUITE_P(Modes, MysqlKill,
                         ::testing::Values("create", "append", "replace", "upsert"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------- memory

struct Measured {
  int status = -1;
  long max_rss_kb = 0;
  std::string err;
};

// Runs polydb with ASan's quarantine small (else it keeps up to 256 MB of
// freed blocks, which says nothing about polydb), and measures its peak RSS.
Measured run_measured(const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<std::string> argv_store{POLYDB_EXE};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string err_file = (dir / "stderr.txt").string();
  std::string asan = "quarantine_size_mb=16";
  if (const char* old = std::getenv("ASAN_OPTIONS"); old && *old)
    asan = std::string(old) + ":" + asan;
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open("/dev/null", O_WRONLY);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    setenv("ASAN_OPTIONS", asan.c_str(), 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  Measured m;
  int wstatus = 0;
  rusage usage{};
  wait4(pid, &wstatus, 0, &usage);
  m.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  m.max_rss_kb = usage.ru_maxrss;
  std::ifstream in(err_file);
  m.err.assign(std::istreambuf_iterator<char>(in), {});
  return m;
}

// Rows of a megabyte, read in batches capped by bytes. 100 rows keep the test
// fast in the sanitizer build (which copies a value byte by byte); before the
// cap, the server cursor fetched 4096 rows per round trip (here: the whole
// result) and batches of 64 rows were possible (64 MB each, four in flight).
TEST(MysqlMemory, CopyingRowsOfAMegabytePeaksWithinTheBatchBytes) {
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-mem-");
  Database db("mem");
  const std::string pg = server_url("POLYDB_TEST_POSTGRES_URL");
  const std::string pg_table = "e2e_mem_" + std::to_string(getpid());
  auto conn = polydb::connect(db.url());
  conn->execute("CREATE TABLE big (id INT PRIMARY KEY, s LONGTEXT)");
  conn->execute(
      "INSERT INTO big SELECT seq, REPEAT(CHAR(65 + seq % 26), 1048576) FROM "
      "seq_1_to_100");
  // What the sanitizer build costs by itself: its shadow memory and the binary.
  const Measured idle = run_measured({"-q", "sql", db.url(), "SELECT 1"}, dir);
  ASSERT_EQ(idle.status, 0) << idle.err;
  for (const std::string& target : {"sqlite://" + (dir / "out.db").string(), pg}) {
    const std::string table = target == pg ? pg_table : "big";
    const Measured m =
        run_measured({"-q", "copy", db.url(), "big", target, table, "--mode", "replace"}, dir);
    EXPECT_EQ(m.status, 0) << target << ": " << m.err;
    const long extra_mb = (m.max_rss_kb - idle.max_rss_kb) / 1024;
    // Four batches in flight (reader, queue of two, writer) of at most 8 MiB
    // plus a row each, their buffers' growth, one prefetch of half a batch:
    // well under 100 MB (measured: 54 MB into SQLite, 47 MB into PostgreSQL).
    // Without the byte cap: 243 and 227 MB.
    EXPECT_LT(extra_mb, 100) << "copy into " << target << " peaked at " << m.max_rss_kb / 1024
                             << " MB, " << extra_mb << " MB above an idle polydb ("
                             << idle.max_rss_kb / 1024 << " MB)";
    std::cout << "[ measured ] copy into " << target.substr(0, target.find(':')) << ": peak "
              << m.max_rss_kb / 1024 << " MB, idle " << idle.max_rss_kb / 1024 << " MB\n";
  }
  polydb::connect(pg)->drop_table(pg_table, true);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// ---------------------------------------------------------------- closed pipe

struct PipeRun {
  bool exited = false;
  int status = -1;
  int signal = 0;
  std::chrono::milliseconds after_close{0};
  std::string first_line, err;
};

// Runs `polydb sql URL SQL` into a pipe, reads the first line, closes the
// pipe, and times the exit, as `... | head -1` does.
PipeRun sql_into_closed_pipe(const std::string& url, const std::string& sql) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> argv_store{POLYDB_EXE, "sql", url, sql};
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);  // as a shell leaves it
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  PipeRun r;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') r.first_line += c;
  close(out[0]);
  const auto closed = Clock::now();
  int wstatus = 0;
  while (waitpid(pid, &wstatus, WNOHANG) == 0) {
    if (Clock::now() - closed > 30s) {
      kill(pid, SIGKILL);
      waitpid(pid, &wstatus, 0);
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  r.after_close = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - closed);
  r.exited = WIFEXITED(wstatus);
  r.status = r.exited ? WEXITSTATUS(wstatus) : -1;
  r.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  char buf[4096];
  ssize_t n;
  while ((n = read(err[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<size_t>(n));
  close(err[0]);
  return r;
}

TEST(MysqlClosedPipe, ALargeResultIntoAClosedPipeEndsAtOnceAndQuietlyAsWithPostgres) {
  const std::string my = server_url("POLYDB_TEST_MYSQL_URL");
  const std::string pg = server_url("POLYDB_TEST_POSTGRES_URL");
  const PipeRun p = sql_into_closed_pipe(
      pg, "SELECT g, repeat('x', 100) AS s FROM generate_series(1, 2000000) g");
  const PipeRun m =
      sql_into_closed_pipe(my, "SELECT seq, REPEAT('x', 100) AS s FROM seq_1_to_2000000");
  EXPECT_EQ(p.first_line, "g,s");
  EXPECT_EQ(m.first_line, "seq,s");
  EXPECT_EQ(m.exited, p.exited);
  EXPECT_EQ(m.status, p.status);
  EXPECT_EQ(m.signal, p.signal) << "PostgreSQL's run ends by signal " << p.signal;
  EXPECT_EQ(m.err, "") << "nothing on stderr";
  EXPECT_EQ(p.err, "");
  EXPECT_LT(m.after_close, 1s) << "MySQL: exit after the pipe closed";
  EXPECT_LT(p.after_close, 1s) << "PostgreSQL: exit after the pipe closed";
}

}  // namespace
