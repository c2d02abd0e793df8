// The state store's contract (include/polydb/state.hpp), one suite run over
// both stores: a SQLite file and a PostgreSQL schema.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include "polydb/error.hpp"
#include "polydb/state.hpp"
#include "state_fixture.hpp"

namespace polydb::state::test {
namespace {

using namespace std::chrono_literals;

std::vector<ChunkSpec> specs(size_t n, std::optional<uint64_t> estimate = 10) {
  std::vector<ChunkSpec> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({R"({"from":)" + std::to_string(i * 100) + R"(,"to":)" +
                       std::to_string(i * 100 + 100) + "}",
                   estimate});
  return out;
}

// How far `t` is from now, either way.
std::chrono::milliseconds off_now(Clock::time_point t) {
  const auto d = Clock::now() - t;
  return std::chrono::duration_cast<std::chrono::milliseconds>(d < Clock::duration::zero() ? -d
                                                                                           : d);
}

using StateContract = StateStoreTest;

TEST_P(StateContract, OpensAtTheCurrentSchemaVersion) {
  auto store = open();
  EXPECT_EQ(store->backend(), GetParam());
  EXPECT_GE(store->schema_version(), 1);
  if (!sqlite()) {
    // The password of the test URL never shows; the schema option does.
    EXPECT_EQ(store->display_url().find(":polydb@"), std::string::npos) << store->display_url();
    EXPECT_NE(store->display_url().find("schema=" + schema_), std::string::npos);
  }
  // A second handle, and a reopened store, find the schema as it is.
  auto again = open();
  EXPECT_EQ(again->schema_version(), store->schema_version());
}

TEST_P(StateContract, JobsAreCreatedFoundListedAndUpdated) {
  auto store = open();
  EXPECT_FALSE(store->find_job("j1"));
  const Job j1 = store->create_job("j1", "copy", R"({"from":"a"})");
  EXPECT_EQ(j1.id, "j1");
  EXPECT_EQ(j1.kind, "copy");
  EXPECT_EQ(j1.spec, R"({"from":"a"})");
  EXPECT_EQ(j1.status, JobStatus::running);
  EXPECT_EQ(j1.error, "");
  // Times are UTC instants: the store's clock and ours agree.
  EXPECT_LT(off_now(j1.created), 60s);
  EXPECT_EQ(j1.created, j1.updated);
  store->create_job("j2", "sync", "{}");
  store->create_job("j3", "copy", "{}");

  const auto found = store->find_job("j1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->spec, j1.spec);
  EXPECT_EQ(found->created, j1.created);

  auto ids = [](const std::vector<Job>& jobs) {
    std::vector<std::string> out;
    for (const auto& j : jobs) out.push_back(j.id);
    return out;
  };
  EXPECT_EQ(ids(store->list_jobs()), (std::vector<std::string>{"j3", "j2", "j1"}));
  EXPECT_EQ(ids(store->list_jobs("copy")), (std::vector<std::string>{"j3", "j1"}));
  EXPECT_TRUE(store->list_jobs("backup").empty());

  std::this_thread::sleep_for(5ms);
  store->set_job_status("j1", JobStatus::failed, "source went away");
  const auto failed = store->find_job("j1");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, JobStatus::failed);
  EXPECT_EQ(failed->error, "source went away");
  EXPECT_GT(failed->updated, failed->created);
  store->set_job_status("j1", JobStatus::done);
  EXPECT_EQ(store->find_job("j1")->status, JobStatus::done);
  EXPECT_EQ(store->find_job("j1")->error, "");
  EXPECT_EQ(code_of([&] { store->set_job_status("nope", JobStatus::done); }), ErrorCode::not_found);
  // Another handle sees what this one wrote.
  EXPECT_EQ(open()->find_job("j1")->status, JobStatus::done);
}

TEST_P(StateContract, GeneratedJobIdsNameKindAndUtcTime) {
  auto store = open();
  const Job a = store->create_job("", "copy", "{}");
  const Job b = store->create_job("", "copy", "{}");
  EXPECT_TRUE(std::regex_match(a.id, std::regex(R"(copy-\d{8}T\d{6}Z-[0-9a-f]{8})"))) << a.id;
  EXPECT_NE(a.id, b.id);
  // The time in the id is UTC, as the job's creation time.
  const std::time_t t = Clock::to_time_t(a.created);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char day[16];
  std::strftime(day, sizeof day, "%Y%m%d", &utc);
  EXPECT_EQ(a.id.substr(5, 8), day);
  EXPECT_TRUE(store->find_job(b.id));
  EXPECT_EQ(code_of([&] { store->create_job("", "", "{}"); }), ErrorCode::invalid_argument);
}

TEST_P(StateContract, DuplicateJobIdIsAConflict) {
  auto store = open();
  store->create_job("same", "copy", "first");
  try {
    store->create_job("same", "copy", "second");
    FAIL() << "a second job with one id was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(e.message().find("same"), std::string::npos) << e.message();
  }
  EXPECT_EQ(store->find_job("same")->spec, "first");
  EXPECT_EQ(store->list_jobs().size(), 1u);
}

TEST_P(StateContract, AddChunksStoresAPlanOnceAllOrNone) {
  auto store = open();
  store->create_job("j", "copy", "{}");
  EXPECT_EQ(code_of([&] { store->add_chunks("nope", "t", specs(2)); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { store->add_chunks("j", "t", {}); }), ErrorCode::invalid_argument);

  auto plan = specs(3);
  plan[1].estimated_rows.reset();
  EXPECT_TRUE(store->add_chunks("j", "orders", plan));
  const auto chunks = store->chunks("j", "orders");
  ASSERT_EQ(chunks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(chunks[i].job, "j");
    EXPECT_EQ(chunks[i].table, "orders");
    EXPECT_EQ(chunks[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(chunks[i].bounds, plan[i].bounds);
    EXPECT_EQ(chunks[i].estimated_rows, plan[i].estimated_rows);
    EXPECT_EQ(chunks[i].status, ChunkStatus::pending);
    EXPECT_EQ(chunks[i].attempts, 0u);
    EXPECT_EQ(chunks[i].worker, "");
    EXPECT_FALSE(chunks[i].lease_until);
    EXPECT_EQ(chunks[i].position, "");
    EXPECT_EQ(chunks[i].rows, 0u);
  }
  std::set<int64_t> ids;
  for (const auto& c : chunks) ids.insert(c.id);
  EXPECT_EQ(ids.size(), 3u);

  // Planning again (a resumed job, a second worker) keeps the first plan.
  EXPECT_FALSE(store->add_chunks("j", "orders", specs(5)));
  EXPECT_EQ(store->chunks("j", "orders").size(), 3u);
  EXPECT_EQ(store->chunks("j", "orders")[0].bounds, plan[0].bounds);

  // All or none: a plan that fails past its first INSERT (200 chunks each)
  // leaves nothing, and the table can be planned afterwards.
  auto bad = specs(450);
  bad[420].estimated_rows = uint64_t{1} << 63;
  EXPECT_EQ(code_of([&] { store->add_chunks("j", "lines", bad); }), ErrorCode::invalid_argument);
  EXPECT_TRUE(store->chunks("j", "lines").empty());
  EXPECT_EQ(store->tables("j"), (std::vector<std::string>{"orders"}));
  EXPECT_TRUE(store->add_chunks("j", "lines", specs(450)));
  const auto lines = store->chunks("j", "lines");
  ASSERT_EQ(lines.size(), 450u);
  EXPECT_EQ(lines[449].index, 449);

  EXPECT_TRUE(store->add_chunks("j", "a_last", specs(1)));
  EXPECT_EQ(store->tables("j"), (std::vector<std::string>{"orders", "lines", "a_last"}));
  EXPECT_EQ(store->chunks("j").size(), 454u);
  EXPECT_EQ(store->chunks("j")[3].table, "lines");  // by table order, then index
}

TEST_P(StateContract, ClaimsPendingChunksInPlanningOrder) {
  auto store = open();
  store->create_job("j", "copy", "{}");
  store->add_chunks("j", "zeta", specs(2));  // planned first, claimed first
  store->add_chunks("j", "alpha", specs(2));
  EXPECT_EQ(code_of([&] { store->claim_chunk("nope", "w", 10s); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { store->claim_chunk("j", "", 10s); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { store->claim_chunk("j", "w", 0ms); }), ErrorCode::invalid_argument);

  std::vector<std::pair<std::string, int64_t>> order;
  while (auto c = store->claim_chunk("j", "w1", 60s)) {
    EXPECT_EQ(c->status, ChunkStatus::running);
    EXPECT_EQ(c->worker, "w1");
    EXPECT_EQ(c->attempts, 1u);
    ASSERT_TRUE(c->lease_until);
    // The lease runs about 60 s from now (by the store's clock).
    EXPECT_GT(*c->lease_until, Clock::now() + 50s);
    EXPECT_LT(*c->lease_until, Clock::now() + 70s);
    order.emplace_back(c->table, c->index);
  }
  EXPECT_EQ(order, (std::vector<std::pair<std::string, int64_t>>{
                       {"zeta", 0}, {"zeta", 1}, {"alpha", 0}, {"alpha", 1}}));
  const Progress p = store->progress("j");
  EXPECT_EQ(p.running, 4u);
  EXPECT_EQ(p.pending, 0u);
}

TEST_P(StateContract, ReleasedChunksCountAttemptsAndFailAfterTheMaximum) {
  auto store = open();
  store->create_job("j", "copy", "{}");
  store->add_chunks("j", "t", specs(1));
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    auto c = store->claim_chunk("j", "w", 60s, 3);
    ASSERT_TRUE(c) << "attempt " << attempt;
    EXPECT_EQ(c->attempts, attempt);
    EXPECT_TRUE(store->save_position(c->id, "w", "k=" + std::to_string(attempt), attempt * 10));
    EXPECT_TRUE(store->release_chunk(c->id, "w", "timeout " + std::to_string(attempt), true));
    const Chunk after = store->chunks("j")[0];
    EXPECT_EQ(after.error, "timeout " + std::to_string(attempt));
    EXPECT_FALSE(after.lease_until);
    // A chunk given back to retry keeps where it got to.
    EXPECT_EQ(after.position, "k=" + std::to_string(attempt));
    EXPECT_EQ(after.status, attempt < 3 ? ChunkStatus::pending : ChunkStatus::failed);
  }
  // Out of attempts: failed, and not claimable under the same maximum...
  EXPECT_FALSE(store->claim_chunk("j", "w", 60s, 3));
  EXPECT_EQ(store->progress("j").failed, 1u);
  // ...but under a larger one.
  auto again = store->claim_chunk("j", "w2", 60s, 5);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 4u);
  EXPECT_EQ(again->position, "k=3");
  EXPECT_EQ(again->status, ChunkStatus::running);
  EXPECT_TRUE(store->complete_chunk(again->id, "w2", 30, "h"));
  EXPECT_EQ(store->progress("j").done, 1u);
}

TEST_P(StateContract, AChunkReleasedNotToRetryWaitsForRetryFailed) {
  auto store = open();
  store->create_job("j", "copy", "{}");
  store->add_chunks("j", "t", specs(2));
  auto c = store->claim_chunk("j", "w", 60s, 3);
  ASSERT_TRUE(c);
  EXPECT_TRUE(store->release_chunk(c->id, "w", "type mismatch in column x", false));
  EXPECT_EQ(store->chunks("j")[0].status, ChunkStatus::failed);
  // The other chunk is claimable; the failed one is not, whatever the maximum.
  auto other = store->claim_chunk("j", "w", 60s, 10);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->index, 1);
  EXPECT_TRUE(store->complete_chunk(other->id, "w", 5, "h1"));
  EXPECT_FALSE(store->claim_chunk("j", "w", 60s, 10));

  EXPECT_EQ(store->retry_failed("j"), 1u);
  EXPECT_EQ(store->retry_failed("j"), 0u);
  const Chunk reset = store->chunks("j")[0];
  EXPECT_EQ(reset.status, ChunkStatus::pending);
  EXPECT_EQ(reset.attempts, 0u);
  auto retried = store->claim_chunk("j", "w", 60s, 3);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->id, c->id);
  EXPECT_EQ(retried->attempts, 1u);
}

TEST_P(StateContract, AnExpiredLeaseIsTakenOverWhereItStopped) {
  auto store_a = open();
  auto store_b = open();
  store_a->create_job("j", "copy", "{}");
  store_a->add_chunks("j", "t", specs(1));
  auto a = store_a->claim_chunk("j", "worker-a", 400ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(store_a->save_position(a->id, "worker-a", R"({"id":42})", 42));
  EXPECT_FALSE(store_b->claim_chunk("j", "worker-b", 60s));  // the lease still runs
  std::this_thread::sleep_for(900ms);
  auto b = store_b->claim_chunk("j", "worker-b", 60s);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, a->id);
  EXPECT_EQ(b->worker, "worker-b");
  EXPECT_EQ(b->attempts, 2u);
  EXPECT_EQ(b->position, R"({"id":42})");
  EXPECT_EQ(b->rows, 42u);
  // The first worker lost the chunk: every call says so and changes nothing.
  EXPECT_FALSE(store_a->renew_lease(a->id, "worker-a", 60s));
  EXPECT_FALSE(store_a->save_position(a->id, "worker-a", R"({"id":99})", 99));
  EXPECT_FALSE(store_a->complete_chunk(a->id, "worker-a", 99, "aa"));
  EXPECT_FALSE(store_a->release_chunk(a->id, "worker-a", "gave up", true));
  Chunk now = store_a->chunks("j")[0];
  EXPECT_EQ(now.status, ChunkStatus::running);
  EXPECT_EQ(now.worker, "worker-b");
  EXPECT_EQ(now.position, R"({"id":42})");
  EXPECT_EQ(now.attempts, 2u);

  EXPECT_TRUE(store_b->complete_chunk(b->id, "worker-b", 100, "cafe"));
  now = store_a->chunks("j")[0];
  EXPECT_EQ(now.status, ChunkStatus::done);
  EXPECT_EQ(now.rows, 100u);
  EXPECT_EQ(now.hash, "cafe");
  EXPECT_FALSE(now.lease_until);
  // Done is final: the holder cannot complete, renew or release it again.
  EXPECT_FALSE(store_b->complete_chunk(b->id, "worker-b", 1, "x"));
  EXPECT_FALSE(store_b->renew_lease(b->id, "worker-b", 60s));
  EXPECT_FALSE(store_b->release_chunk(b->id, "worker-b", "x", true));
  EXPECT_FALSE(store_b->claim_chunk("j", "worker-b", 60s));
}

TEST_P(StateContract, ARenewedLeaseIsNotTakenOver) {
  auto store_a = open();
  auto store_b = open();
  store_a->create_job("j", "copy", "{}");
  store_a->add_chunks("j", "t", specs(1));
  auto a = store_a->claim_chunk("j", "worker-a", 400ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(store_a->renew_lease(a->id, "worker-a", 60s));
  EXPECT_GT(*store_a->chunks("j")[0].lease_until, Clock::now() + 50s);
  std::this_thread::sleep_for(900ms);
  EXPECT_FALSE(store_b->claim_chunk("j", "worker-b", 60s));
  // Another worker's name does not hold the chunk either.
  EXPECT_FALSE(store_b->renew_lease(a->id, "worker-b", 60s));
  EXPECT_FALSE(store_b->complete_chunk(a->id, "worker-b", 1, "x"));
  EXPECT_TRUE(store_a->complete_chunk(a->id, "worker-a", 7, "h"));
}

TEST_P(StateContract, ProgressSumsChunksByStatus) {
  auto store = open();
  EXPECT_EQ(store->progress("nope").total(), 0u);
  EXPECT_FALSE(store->progress("nope").estimated_rows);
  store->create_job("j", "copy", "{}");
  store->add_chunks("j", "a", specs(3, 100));
  store->add_chunks("j", "b", specs(2, 50));
  EXPECT_EQ(store->progress("j").estimated_rows, 400u);
  EXPECT_EQ(store->progress("j", "b").estimated_rows, 100u);
  EXPECT_EQ(store->progress("j").pending, 5u);

  auto c0 = store->claim_chunk("j", "w", 60s);
  auto c1 = store->claim_chunk("j", "w", 60s);
  auto c2 = store->claim_chunk("j", "w", 60s);
  auto c3 = store->claim_chunk("j", "w", 60s);
  ASSERT_TRUE(c0 && c1 && c2 && c3);
  EXPECT_TRUE(store->complete_chunk(c0->id, "w", 97, "h0"));
  EXPECT_TRUE(store->complete_chunk(c1->id, "w", 103, "h1"));
  EXPECT_TRUE(store->complete_chunk(c3->id, "w", 51, "h3"));
  EXPECT_TRUE(store->release_chunk(c2->id, "w", "boom", false));
  // Rows saved by a running chunk do not count as done.
  auto c4 = store->claim_chunk("j", "w", 60s);
  ASSERT_TRUE(c4);
  EXPECT_TRUE(store->save_position(c4->id, "w", "p", 20));

  const Progress all = store->progress("j");
  EXPECT_EQ(all.pending, 0u);
  EXPECT_EQ(all.running, 1u);
  EXPECT_EQ(all.done, 3u);
  EXPECT_EQ(all.failed, 1u);
  EXPECT_EQ(all.total(), 5u);
  EXPECT_EQ(all.rows_done, 97u + 103u + 51u);
  const Progress a = store->progress("j", "a");
  EXPECT_EQ(a.done, 2u);
  EXPECT_EQ(a.failed, 1u);
  EXPECT_EQ(a.rows_done, 200u);
  EXPECT_EQ(store->progress("j", "b").rows_done, 51u);
  EXPECT_EQ(store->progress("j", "nope").total(), 0u);

  // One chunk without an estimate: the sum is unknown.
  store->create_job("k", "copy", "{}");
  auto plan = specs(2, 10);
  plan[1].estimated_rows.reset();
  store->add_chunks("k", "t", plan);
  EXPECT_FALSE(store->progress("k").estimated_rows);
}

TEST_P(StateContract, CheckpointsArePutAndComparedAndPut) {
  auto store = open();
  store->create_job("j", "sync", "{}");
  EXPECT_FALSE(store->get_checkpoint("j", "lsn"));
  EXPECT_EQ(code_of([&] { store->put_checkpoint("nope", "lsn", "1"); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { store->compare_and_put_checkpoint("nope", "lsn", std::nullopt, "1"); }),
            ErrorCode::not_found);

  store->put_checkpoint("j", "lsn", "0/16B3748");
  EXPECT_EQ(store->get_checkpoint("j", "lsn"), "0/16B3748");
  store->put_checkpoint("j", "lsn", "0/16B3800");
  EXPECT_EQ(store->get_checkpoint("j", "lsn"), "0/16B3800");
  store->put_checkpoint("j", "cursor", "");
  EXPECT_EQ(store->get_checkpoint("j", "cursor"), "");  // empty is a value, not absent

  // Absent expected: only when absent.
  EXPECT_FALSE(store->compare_and_put_checkpoint("j", "lsn", std::nullopt, "x"));
  EXPECT_TRUE(store->compare_and_put_checkpoint("j", "slot", std::nullopt, "s1"));
  EXPECT_EQ(store->get_checkpoint("j", "slot"), "s1");
  // Present expected: only when it holds exactly that.
  EXPECT_FALSE(store->compare_and_put_checkpoint("j", "lsn", "0/16B3748", "0/0"));
  EXPECT_EQ(store->get_checkpoint("j", "lsn"), "0/16B3800");
  EXPECT_FALSE(store->compare_and_put_checkpoint("j", "absent", "a", "b"));
  EXPECT_FALSE(store->get_checkpoint("j", "absent"));
  EXPECT_TRUE(store->compare_and_put_checkpoint("j", "lsn", "0/16B3800", "0/16B3900"));
  EXPECT_EQ(store->get_checkpoint("j", "lsn"), "0/16B3900");

  // Checkpoints belong to their job.
  store->create_job("k", "sync", "{}");
  EXPECT_FALSE(store->get_checkpoint("k", "lsn"));
  EXPECT_EQ(open()->get_checkpoint("j", "lsn"), "0/16B3900");
}

TEST_P(StateContract, DeletingAJobRemovesItsTablesChunksAndCheckpoints) {
  auto store = open();
  store->create_job("j", "copy", "{}");
  store->create_job("keep", "copy", "{}");
  store->add_chunks("j", "t", specs(3));
  store->add_chunks("keep", "t", specs(2));
  auto c = store->claim_chunk("j", "w", 60s);
  ASSERT_TRUE(c);
  store->put_checkpoint("j", "lsn", "1");
  store->put_checkpoint("keep", "lsn", "2");

  EXPECT_TRUE(store->delete_job("j"));
  EXPECT_FALSE(store->find_job("j"));
  EXPECT_TRUE(store->chunks("j").empty());
  EXPECT_TRUE(store->tables("j").empty());
  EXPECT_FALSE(store->get_checkpoint("j", "lsn"));
  EXPECT_EQ(store->progress("j").total(), 0u);
  EXPECT_FALSE(store->delete_job("j"));
  // The worker of a deleted job's chunk holds nothing.
  EXPECT_FALSE(store->complete_chunk(c->id, "w", 1, "h"));
  // Other jobs stay.
  EXPECT_EQ(store->chunks("keep").size(), 2u);
  EXPECT_EQ(store->get_checkpoint("keep", "lsn"), "2");
  // The id is free again, with a plan of its own.
  store->create_job("j", "copy", "{}");
  EXPECT_TRUE(store->add_chunks("j", "t", specs(1)));
  EXPECT_EQ(store->chunks("j").size(), 1u);
  // Chunk ids are never reused.
  EXPECT_GT(store->chunks("j")[0].id, c->id);
}

TEST_P(StateContract, RefusesAStoreOfANewerSchema) {
  { open()->create_job("j", "copy", "{}"); }
  auto conn = raw();
  conn->execute("UPDATE " + table("meta") + " SET value = '99' WHERE key = 'schema_version'");
  conn->execute("UPDATE " + table("meta") + " SET value = 'polydb 9.9.9' WHERE key = 'written_by'");
  conn.reset();
  try {
    open();
    FAIL() << "a store of schema version 99 was opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(e.message().find("99"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("polydb 9.9.9"), std::string::npos) << e.message();
  }
}

TEST_P(StateContract, RefusesADatabaseThatHoldsSomethingElse) {
  if (sqlite()) {
    connect("sqlite://" + path_, {.create_if_missing = true})
        ->execute("CREATE TABLE orders (id INTEGER)");
  } else {
    auto conn = raw();
    conn->execute("CREATE SCHEMA \"" + schema_ + "\"");
    conn->execute("CREATE TABLE " + table("orders") + " (id int)");
  }
  try {
    open();
    FAIL() << "a database with other tables became a state store";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("orders"), std::string::npos) << e.message();
  }
}

TEST_P(StateContract, OpeningCreatesTheStoreOnce) {
  // Several workers opening a new store at once: every one succeeds.
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      try {
        auto s = open();
        if (s->schema_version() >= 1) ++opened;
      } catch (const Error& e) {
        errors[static_cast<size_t>(i)] = e.message();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(opened.load(), 4);
}

INSTANTIATE_TEST_SUITE_P(Stores, StateContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

}  // namespace
}  // namespace polydb::state::test
