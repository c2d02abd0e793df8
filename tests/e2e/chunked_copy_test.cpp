// `polydb copy --chunked` (issue #15): per-chunk commits recorded in a state
// store, so that a copy killed with SIGKILL at any moment resumes and ends
// with exactly the source's rows; several workers share one job through a
// PostgreSQL state store and take over the chunk of a worker that died.
// Also: a library caller gets the same copy as the CLI.
//
// Real servers (POLYDB_TEST_*_URL); sizes and kill moments come from a fixed
// seed. POLYDB_CHUNKED_ROWS raises the row count for the acceptance run
// (make chunked-acceptance: 2,000,000 rows PostgreSQL -> MariaDB, 200,000
// items SQLite -> DynamoDB).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/engine.hpp"
#include "polydb/error.hpp"
#include "polydb/state.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"
#include "servers.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using polydb::Value;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

int64_t rows_from_env(int64_t fallback) {
  const char* v = std::getenv("POLYDB_CHUNKED_ROWS");
  return v && *v ? std::stoll(v) : fallback;
}

std::string with_option(const std::string& url, const std::string& option) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

// (key, hash of the row's text) for every row of `table`, sorted by key: the
// per-row fingerprint two tables are compared by. Streams; holds 16 bytes a row.
std::vector<std::pair<int64_t, size_t>> digests(polydb::Connection& conn,
                                                const std::string& table,
                                                const std::vector<std::string>& columns) {
  polydb::ScanSpec s;
  s.table = table;
  s.columns = columns;
  s.batch_rows = 20'000;
  auto reader = conn.scan(s);
  std::vector<std::pair<int64_t, size_t>> out;
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      std::string text;
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        const Value v = batch->column(c).value_at(r);
        text += v.is_null() ? "\x01NULL" : v.to_text();
        text += '\x1f';
      }
      out.emplace_back(batch->column(0).value_at(r).as<int64_t>(), std::hash<std::string>{}(text));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_rows(polydb::Connection& src, const std::string& src_table,
                      polydb::Connection& dst, const std::string& dst_table,
                      const std::vector<std::string>& columns, int64_t expected) {
  const auto a = digests(src, src_table, columns);
  const auto b = digests(dst, dst_table, columns);
  EXPECT_EQ(static_cast<int64_t>(a.size()), expected);
  ASSERT_EQ(a.size(), b.size()) << "row counts differ";
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && ++differ <= 5)
      ADD_FAILURE() << "row " << i << ": source key " << a[i].first << ", target key "
                    << b[i].first;
  EXPECT_EQ(differ, 0u);
}

struct KillRun {
  int kills = 0;     // runs ended by our SIGKILL
  int attempts = 0;  // runs started
};

// Runs `first` then `again` until one exits 0, SIGKILLing the first `kills`
// runs at seeded random moments in [min_delay, max_delay].
KillRun run_with_kills(const std::vector<std::string>& first, const std::vector<std::string>& again,
                       const fs::path& cwd, int kills, std::chrono::milliseconds min_delay,
                       std::chrono::milliseconds max_delay, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> delay(min_delay.count(), max_delay.count());
  KillRun k;
  for (int run = 0; run < kills + 20; ++run) {
    Process p(run == 0 ? first : again, cwd);
    ++k.attempts;
    if (run < kills) {
      const auto d = std::chrono::milliseconds(delay(rng));
      std::this_thread::sleep_for(d);
      p.send(SIGKILL);
      const RunResult r = p.wait(300s);
      if (r.signal == SIGKILL) {
        ++k.kills;
        continue;
      }
      EXPECT_EQ(r.status, 0) << "run " << run << " (before the kill at " << d.count()
                             << " ms): " << r;
      return k;
    }
    const RunResult r = p.wait(600s);
    EXPECT_FALSE(r.timed_out) << r;
    if (r.status == 0) return k;
    ADD_FAILURE() << "run " << run << " failed: " << r;
    return k;
  }
  ADD_FAILURE() << "the copy did not finish";
  return k;
}

TEST(ChunkedCopy, KilledAtRandomMomentsAndResumedPostgresToMariadbIsExact) {
  const int64_t rows = rows_from_env(200'000);
  polydb::e2e::PgSchema pg("chunked");
  polydb::e2e::MysqlDatabase my("chunked");
  auto src = polydb::connect(pg.url());
  src->execute("CREATE TABLE " + pg.table("src") +
               " (id bigint PRIMARY KEY, name text NOT NULL, v double precision, n numeric(12,2), "
               "ts timestamp)");
  src->execute("INSERT INTO " + pg.table("src") +
               " SELECT g * 3, 'name-' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE g * 0.25 END, "
               "(g % 100000) / 100.0, timestamp '2020-01-01' + g * interval '1 second' FROM "
               "generate_series(1, $1::int8) g",
               std::vector<Value>{rows});
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-chunked");
  const std::string state = "sqlite://" + (dir / "state.db").string();
  const std::vector<std::string> base{"-q",        "copy",        pg.url(), pg.table("src"),
                                      my.url(),    "dst",         "--chunked", "--state",
                                      state,       "--chunk-rows", std::to_string(std::max<int64_t>(rows / 40, 1)),
                                      "--parallel", "2"};
  // Every run names the job: a kill may land before the first run created it.
  auto run = base;
  run.insert(run.end(), {"--job", "pg-to-my"});
  const KillRun k = run_with_kills(run, run, dir, 5, 300ms, 4000ms, 20261206);
  EXPECT_GE(k.kills, 2) << "kills should land while the copy runs";

  auto dst = polydb::connect(my.url());
  expect_same_rows(*src, pg.table("src"), *dst, "dst", {"id", "name", "v", "n", "ts"}, rows);
  // The job is recorded as done, every chunk once.
  auto store = polydb::state::open_state_store(state);
  const auto job = store->find_job("pg-to-my");
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->status, polydb::state::JobStatus::done);
  const auto p = store->progress("pg-to-my");
  EXPECT_EQ(p.done, p.total());
  EXPECT_EQ(static_cast<int64_t>(p.rows_done), rows);
  // --resume continues an unfinished job only: this one is done.
  auto resume = base;
  resume.push_back("--resume");
  const RunResult again = Process(resume, dir).wait();
  EXPECT_EQ(again.status, 1) << again;
  EXPECT_NE(again.err.find("no unfinished copy"), std::string::npos) << again;
  fs::remove_all(dir);
}

TEST(ChunkedCopy, KilledAtRandomMomentsAndResumedSqliteToDynamoDbIsExact) {
  const int64_t items = rows_from_env(200'000) / 10;
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-chunked-dyn");
  const std::string src_url = "sqlite://" + (dir / "src.db").string();
  {
    polydb::ConnectOptions create;
    create.create_if_missing = true;
    auto src = polydb::connect(src_url, create);
    src->execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, "
                 "price REAL)");
    src->execute("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?) "
                 "INSERT INTO items SELECT i, 'item ' || i, CASE WHEN i % 5 = 0 THEN NULL ELSE i "
                 "% 97 END, i * 0.5 FROM g",
                 std::vector<Value>{items});
  }
  const std::string dyn_url = polydb::e2e::dynamodb_url();
  const std::string table = polydb::e2e::unique_name("chunked_items");
  const std::string state = "sqlite://" + (dir / "state.db").string();
  const std::vector<std::string> base{"-q",       "copy",    src_url,   "items",
                                      dyn_url,    table,     "--chunked", "--state",
                                      state,      "--chunk-rows", std::to_string(std::max<int64_t>(items / 20, 1)),
                                      "--parallel", "2"};
  auto run = base;
  run.insert(run.end(), {"--job", "sqlite-to-dynamodb"});
  const KillRun k = run_with_kills(run, run, dir, 5, 300ms, 3000ms, 1206);
  EXPECT_GE(k.kills, 2);

  auto src = polydb::connect(src_url);
  auto dst = polydb::connect(dyn_url);
  expect_same_rows(*src, "items", *dst, table, {"id", "name", "qty", "price"}, items);
  dst->drop_table(table, true);
  fs::remove_all(dir);
}

// Two workers run the same job against one PostgreSQL state store: each
// commits some chunks. Then a worker is killed while it holds a chunk, and
// the other one takes that chunk over once the lease has expired.
TEST(ChunkedCopy, TwoWorkersShareAPostgresStateStoreAndTakeOverADeadWorkersChunk) {
  const int64_t rows = 60'000;
  polydb::e2e::PgSchema pg("chunked_workers");
  const std::string state_url =
      with_option(pg.url(), "schema=" + polydb::e2e::unique_name("e2e_state"));
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-chunked-workers");
  const std::string src_url = "sqlite://" + (dir / "src.db").string();
  {
    polydb::ConnectOptions create;
    create.create_if_missing = true;
    auto src = polydb::connect(src_url, create);
    src->execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL)");
    src->execute("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?) "
                 "INSERT INTO items SELECT i, 'item ' || i, i * 0.5 FROM g",
                 std::vector<Value>{rows});
  }
  auto args = [&](const std::string& job, const std::string& dst_table) {
    return std::vector<std::string>{"copy",    src_url,      "items",     pg.url(),
                                    pg.table(dst_table),    "--chunked", "--state",
                                    state_url, "--job",      job,         "--chunk-rows",
                                    "2000",    "--lease",    "3",         "--batch-size",
                                    "500"};
  };
  // 1. Both workers finish; each did part of the work.
  {
    Process a(args("shared", "t1"), dir), b(args("shared", "t1"), dir);
    const RunResult ra = a.wait(300s), rb = b.wait(300s);
    ASSERT_EQ(ra.status, 0) << ra;
    ASSERT_EQ(rb.status, 0) << rb;
    auto store = polydb::state::open_state_store(state_url);
    std::map<std::string, int> by_worker;
    for (const auto& c : store->chunks("shared")) {
      EXPECT_EQ(c.status, polydb::state::ChunkStatus::done);
      ++by_worker[c.worker];
    }
    EXPECT_EQ(by_worker.size(), 2u) << "each worker should have committed chunks";
    auto src = polydb::connect(src_url);
    auto dst = polydb::connect(pg.url());
    expect_same_rows(*src, "items", *dst, pg.table("t1"), {"id", "name", "v"}, rows);
  }
  // 2. Worker A dies holding a chunk; B finishes, A's chunk included. (A may
  // finish its chunk between the look and the kill: then try again.)
  bool tested = false;
  for (int attempt = 0; attempt < 3 && !tested; ++attempt) {
    const std::string job = "takeover" + std::to_string(attempt);
    const std::string t2 = "t2_" + std::to_string(attempt);
    Process a(args(job, t2), dir);
    auto store = polydb::state::open_state_store(state_url);
    const std::string a_suffix = ":" + std::to_string(a.pid());
    std::optional<polydb::state::Chunk> held;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!held && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      try {
        for (const auto& c : store->chunks(job))
          if (c.status == polydb::state::ChunkStatus::running && c.worker.ends_with(a_suffix) &&
              c.index >= 2)
            held = c;
      } catch (const polydb::Error&) {
        // The job's tables may not exist yet.
      }
    }
    ASSERT_TRUE(held) << "worker A never held a chunk";
    a.send(SIGKILL);
    (void)a.wait(10s);
    // A may have finished that chunk between the look and the kill: what it
    // held when it died is what the store says now.
    held.reset();
    for (const auto& c : store->chunks(job))
      if (c.status == polydb::state::ChunkStatus::running && c.worker.ends_with(a_suffix))
        held = c;
    if (!held) continue;
    tested = true;
    Process b(args(job, t2), dir);
    const RunResult rb = b.wait(300s);
    ASSERT_EQ(rb.status, 0) << rb;
    const std::string b_suffix = ":" + std::to_string(b.pid());
    bool taken_over = false;
    for (const auto& c : store->chunks(job)) {
      EXPECT_EQ(c.status, polydb::state::ChunkStatus::done);
      if (c.id == held->id) {
        EXPECT_GE(c.attempts, 2u);
        taken_over = true;
      }
    }
    EXPECT_TRUE(taken_over);
    auto src = polydb::connect(src_url);
    auto dst = polydb::connect(pg.url());
    expect_same_rows(*src, "items", *dst, pg.table(t2), {"id", "name", "v"}, rows);
  }
  EXPECT_TRUE(tested) << "worker A never died holding a chunk";
  fs::remove_all(dir);
}

// A library caller gets the same copy as the CLI: the same DDL on the same
// backend (native types, key) and the same checks.
TEST(EngineCopy, LibraryCallerGetsTheSameTableAndChecksAsTheCli) {
  polydb::e2e::PgSchema pg("engine_same");
  auto conn = polydb::connect(pg.url());
  conn->execute("CREATE TABLE " + pg.table("src") +
                " (id integer PRIMARY KEY, code varchar(12) NOT NULL, amount numeric(10,3), "
                "at timestamptz, tags jsonb)");
  conn->execute("INSERT INTO " + pg.table("src") +
                " SELECT g, 'c' || g, g / 8.0, timestamptz '2024-05-01 00:00+00' + g * interval "
                "'1 hour', jsonb_build_object('g', g) FROM generate_series(1, 500) g");
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-engine-same");
  const RunResult cli = Process({"-q", "copy", pg.url(), pg.table("src"), pg.url(),
                                 pg.table("by_cli")},
                                dir)
                            .wait();
  ASSERT_EQ(cli.status, 0) << cli;
  polydb::engine::CopyOptions o;
  o.table = pg.table("src");
  o.dst_table = pg.table("by_lib");
  o.mode = polydb::WriteMode::create;
  const auto stats = polydb::engine::copy(pg.url(), pg.url(), o);
  EXPECT_EQ(stats.rows, 500u);
  const std::string ddl =
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a "
      "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
      "a.attnum";
  auto columns = [&](const std::string& t) {
    auto r = conn->query(ddl, std::vector<Value>{pg.table(t)});
    std::string out;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i)
        out += b->column(0).value_at(i).to_text() + " " + b->column(1).value_at(i).to_text() +
               " " + b->column(2).value_at(i).to_text() + "\n";
    return out;
  };
  EXPECT_EQ(columns("by_lib"), columns("by_cli"));
  EXPECT_NE(columns("by_lib").find("code character varying(12)"), std::string::npos);
  EXPECT_EQ(conn->describe(pg.table("by_lib")).primary_key,
            conn->describe(pg.table("by_cli")).primary_key);
  EXPECT_EQ(polydb::e2e::query_rows(*conn, "SELECT count(*) FROM " + pg.table("by_lib")),
            "500\n");
  // The same checks: a missing column fails before anything is created.
  o.dst_table = pg.table("never");
  o.columns = {"id", "nope"};
  try {
    polydb::engine::copy(pg.url(), pg.url(), o);
    ADD_FAILURE() << "a missing column must fail";
  } catch (const polydb::Error& e) {
    EXPECT_EQ(e.code(), polydb::ErrorCode::not_found) << e.message();
  }
  const RunResult bad = Process({"copy", pg.url(), pg.table("src"), pg.url(), pg.table("never"),
                                 "--columns", "id,nope"},
                                dir)
                            .wait();
  EXPECT_EQ(bad.status, 1) << bad;
  EXPECT_NE(bad.err.find("nope"), std::string::npos) << bad;
  EXPECT_THROW(conn->describe(pg.table("never")), polydb::Error);
  fs::remove_all(dir);
}

// Replace into a store that cannot swap atomically says so and needs consent.
TEST(EngineCopy, ReplaceIntoDynamoDbNeedsNonAtomic) {
  const fs::path dir = polydb::e2e::make_temp_dir("polydb-non-atomic");
  const std::string src_url = "sqlite://" + (dir / "src.db").string();
  {
    polydb::ConnectOptions create;
    create.create_if_missing = true;
    auto src = polydb::connect(src_url, create);
    src->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    src->execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  }
  const std::string dyn_url = polydb::e2e::dynamodb_url();
  const std::string table = polydb::e2e::unique_name("non_atomic");
  const RunResult refused =
      Process({"copy", src_url, "t", dyn_url, table, "--mode", "replace"}, dir).wait();
  EXPECT_EQ(refused.status, 2) << refused;
  EXPECT_NE(refused.err.find("--non-atomic"), std::string::npos) << refused;
  const RunResult done =
      Process({"-q", "copy", src_url, "t", dyn_url, table, "--mode", "replace", "--non-atomic"},
              dir)
          .wait();
  EXPECT_EQ(done.status, 0) << done;
  auto dst = polydb::connect(dyn_url);
  EXPECT_EQ(dst->count_rows(table), 2u);
  dst->drop_table(table, true);
  fs::remove_all(dir);
}

}  // namespace
