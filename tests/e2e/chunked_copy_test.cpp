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

// Runs `run` (a chunked copy recording job `job` in the store at `state`)
// until it exits 0, SIGKILLing it `kills` times: the i-th time once the job
// has a seeded number of chunks done, in the i-th of kills+1 equal parts of
// the job, plus a seeded 0-150 ms so that the kill lands mid-chunk. Every
// kill thus lands while the copy runs, however fast this machine is.
KillRun run_with_kills(const std::vector<std::string>& run, const fs::path& cwd,
                       const std::string& state, const std::string& job, int kills,
                       unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> extra_ms(0, 150);
  auto store = polydb::state::open_state_store(state);
  KillRun k;
  for (int i = 0; i <= kills + 3; ++i) {
    Process p(run, cwd);
    ++k.attempts;
    if (i >= kills) {
      const RunResult r = p.wait(600s);
      EXPECT_FALSE(r.timed_out) << r;
      EXPECT_EQ(r.status, 0) << "the last run failed: " << r;
      return k;
    }
    // Wait for the i-th part of the chunks to be done (the job exists once
    // the first run planned it).
    std::optional<uint64_t> target;
    const auto deadline = std::chrono::steady_clock::now() + 300s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      if (!p.running()) break;
      try {
        if (!store->find_job(job)) continue;
        const auto progress = store->progress(job);
        if (progress.total() == 0) continue;
        if (!target) {
          const uint64_t part = progress.total() / (kills + 1);
          target = std::uniform_int_distribution<uint64_t>(part * i, part * (i + 1) - 1)(rng);
        }
        if (progress.done >= *target) break;
      } catch (const polydb::Error&) {
        // The store's tables may not exist yet.
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(extra_ms(rng)));
    p.send(SIGKILL);
    const RunResult r = p.wait(300s);
    if (r.signal != SIGKILL) {
      ADD_FAILURE() << "run " << i << " ended before its kill (at " << target.value_or(0)
                    << " chunks done): " << r;
      return k;
    }
    ++k.kills;
  }
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
                                      "--parallel", "2",
                                      // Positions inside chunks: kills land between them.
                                      "--checkpoint-rows", std::to_string(std::max<int64_t>(rows / 160, 1))};
  // Every run names the job: a kill may land before the first run created it.
  auto run = base;
  run.insert(run.end(), {"--job", "pg-to-my"});
  const KillRun k = run_with_kills(run, dir, state, "pg-to-my", 5, 20261206);
  EXPECT_EQ(k.kills, 5) << "every kill should land while the copy runs";

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
                                      "--parallel", "2",
                                      "--checkpoint-rows", std::to_string(std::max<int64_t>(items / 80, 1))};
  auto run = base;
  run.insert(run.end(), {"--job", "sqlite-to-dynamodb"});
  const KillRun k = run_with_kills(run, dir, state, "sqlite-to-dynamodb", 5, 1206);
  EXPECT_EQ(k.kills, 5) << "every kill should land while the copy runs";

  auto src = polydb::connect(src_url);
  auto dst = polydb::connect(dyn_url);
  expect_same_rows(*src, "items", *dst, table, {"id", "name", "qty", "price"}, items);
  dst->drop_table(table, true);
  fs::remove_all(dir);
}

// A chunked copy from a document store (no ordered key: the chunks are
// segments of its scan) continues each interrupted segment from the source's
// resume point; with 25-item batches and a checkpoint every 100 rows, every
// checkpoint reopens the scan there too. Killed twice and resumed by two
// workers, the copy is exact.
void killed_copy_from_document_store(const std::string& src_url, const std::string& table,
                                     const std::string& stem, unsigned seed) {
  const int64_t items = 2'000;  // the emulators answer a page in tens of milliseconds
  auto schema = std::make_shared<polydb::Schema>();
  schema->fields = {{"id", polydb::TypeId::int64, false, ""},
                    {"name", polydb::TypeId::string, false, ""},
                    {"qty", polydb::TypeId::int64, true, ""},
                    {"price", polydb::TypeId::float64, true, ""}};
  schema->primary_key = {"id"};
  polydb::ConnectOptions create;
  create.create_if_missing = true;
  auto src = polydb::connect(src_url, create);
  src->drop_table(table, true);
  {
    polydb::Batch b(schema);
    for (int64_t i = 1; i <= items; ++i)
      b.append_row(std::vector<Value>{i, "item " + std::to_string(i),
                                      i % 5 == 0 ? Value() : Value(i % 97), i * 0.5});
    auto w = src->writer(table, *schema, {polydb::WriteMode::create, {}});
    w->write(b);
    w->commit();
  }
  const fs::path dir = polydb::e2e::make_temp_dir(("polydb-chunked-" + stem).c_str());
  const std::string dst_url = "sqlite://" + (dir / "dst.db").string();
  const std::string state = "sqlite://" + (dir / "state.db").string();
  const std::string job = stem + "-to-sqlite";
  const std::vector<std::string> run{
      "-q",       "copy",    src_url,         table,         dst_url,       "dst",
      "--chunked", "--state", state,          "--chunk-rows", "250",         "--parallel",
      "2",        "--batch-size", "25",       "--checkpoint-rows", "100",   "--job",
      job,        "--lease", "3"};  // a killed worker's segment is taken over soon
  const KillRun k = run_with_kills(run, dir, state, job, 2, seed);
  EXPECT_EQ(k.kills, 2) << "every kill should land while the copy runs";
  auto store = polydb::state::open_state_store(state);
  EXPECT_GT(store->progress(job).total(), 1u) << "the scan was cut into segments";
  size_t placed = 0;  // chunks whose position inside is the source's resume point
  for (const auto& c : store->chunks(job)) placed += c.position.find("\"reader\"") != std::string::npos;
  EXPECT_GT(placed, 0u) << "no chunk recorded a resume point";
  auto dst = polydb::connect(dst_url);
  expect_same_rows(*src, table, *dst, "dst", {"id", "name", "qty", "price"}, items);
  src->drop_table(table, true);
  fs::remove_all(dir);
}

TEST(ChunkedCopy, KilledAndResumedFromCosmosDbIsExact) {
  killed_copy_from_document_store(polydb::e2e::cosmos_url(),
                                  polydb::e2e::unique_name("chunked_src"), "cosmos", 2061);
}

TEST(ChunkedCopy, KilledAndResumedFromFirestoreIsExact) {
  killed_copy_from_document_store(
      polydb::e2e::firestore_url("polydb-e2e-chunked-" + std::to_string(getpid())), "items",
      "firestore", 1507);
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
  // 2. Workers A and B run together; A dies holding a chunk. B goes on with
  // the other chunks and takes A's over only once A's lease has expired, and
  // the result is exact. (A may finish its chunk between the look and the
  // kill: then try again.)
  bool tested = false;
  for (int attempt = 0; attempt < 3 && !tested; ++attempt) {
    const std::string job = "takeover" + std::to_string(attempt);
    const std::string t2 = "t2_" + std::to_string(attempt);
    Process a(args(job, t2), dir);
    auto store = polydb::state::open_state_store(state_url);
    const std::string a_suffix = ":" + std::to_string(a.pid());
    auto held_by_a = [&]() -> std::optional<polydb::state::Chunk> {
      try {
        for (const auto& c : store->chunks(job))
          if (c.status == polydb::state::ChunkStatus::running && c.worker.ends_with(a_suffix))
            return c;
      } catch (const polydb::Error&) {
        // The job's tables may not exist yet.
      }
      return std::nullopt;
    };
    // B starts once A has planned the job and holds its first chunk.
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!held_by_a() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    Process b(args(job, t2), dir);
    const std::string b_suffix = ":" + std::to_string(b.pid());
    std::optional<polydb::state::Chunk> held;
    while (!held && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      if (auto c = held_by_a(); c && c->index >= 2) held = c;
    }
    ASSERT_TRUE(held) << "worker A never held a chunk";
    a.send(SIGKILL);
    (void)a.wait(10s);
    held = held_by_a();  // what A held when it died
    if (!held || !held->lease_until) continue;
    tested = true;
    // When B takes the chunk over (its worker changes), A's lease is over.
    std::optional<polydb::state::Clock::time_point> taken_at;
    while (b.running() && !taken_at) {
      for (const auto& c : store->chunks(job))
        if (c.id == held->id && c.worker.ends_with(b_suffix))
          taken_at = polydb::state::Clock::now();
      std::this_thread::sleep_for(20ms);
    }
    const RunResult rb = b.wait(300s);
    ASSERT_EQ(rb.status, 0) << rb;
    std::map<std::string, int> by_worker;
    for (const auto& c : store->chunks(job)) {
      EXPECT_EQ(c.status, polydb::state::ChunkStatus::done);
      ++by_worker[c.worker.ends_with(b_suffix) ? "B" : c.worker.ends_with(a_suffix) ? "A" : c.worker];
      if (c.id == held->id) {
        EXPECT_GE(c.attempts, 2u);
        EXPECT_TRUE(c.worker.ends_with(b_suffix)) << c.worker;
      }
    }
    EXPECT_GT(by_worker["B"], 1) << "B should have done other chunks, and A's";
    EXPECT_EQ(by_worker.size(), 2u) << "only A and B hold chunks";
    // Caught while B ran (it may finish that chunk within one look): never
    // before A's lease ran out (the store's clock is this machine's).
    if (taken_at) {
      EXPECT_GE(*taken_at + 100ms, *held->lease_until) << "B took the chunk before A's lease ended";
    }
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

// Replace into a store that cannot swap atomically says so and needs consent,
// in the same words for a library caller and the CLI (which adds its flag).
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
  polydb::engine::CopyOptions o;
  o.table = "t";
  o.dst_table = table;
  o.mode = polydb::WriteMode::replace;
  std::string message;
  try {
    polydb::engine::copy(src_url, dyn_url, o);
    ADD_FAILURE() << "the library replaced without non_atomic";
  } catch (const polydb::Error& e) {
    EXPECT_EQ(e.code(), polydb::ErrorCode::unsupported) << e.what();
    EXPECT_EQ(e.hint(), polydb::Hint::non_atomic) << e.what();
    message = e.message();
  }
  const RunResult refused =
      Process({"copy", src_url, "t", dyn_url, table, "--mode", "replace"}, dir).wait();
  EXPECT_EQ(refused.status, 2) << refused;
  EXPECT_EQ(refused.err, "polydb: error: " + message + "; add --non-atomic\n") << refused;
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
