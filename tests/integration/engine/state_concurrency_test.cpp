// The state store under several workers (threads with a handle each, and
// processes), under kill -9, and while another worker holds its lock.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "polydb/error.hpp"
#include "polydb/state.hpp"
#include "state_fixture.hpp"

namespace polydb::state::test {
namespace {

using namespace std::chrono_literals;

void plan(StateStore& store, const std::string& job, size_t n) {
  store.create_job(job, "copy", "{}");
  std::vector<ChunkSpec> chunks;
  for (size_t i = 0; i < n; ++i) chunks.push_back({"{\"segment\":" + std::to_string(i) + "}", 1});
  ASSERT_TRUE(store.add_chunks(job, "t", chunks));
}

// Claims and completes chunks of `job` until none is left; returns the ids
// this worker completed. Never throws (a child process reports by exit code).
std::vector<int64_t> work(StateStore& store, const std::string& job, const std::string& worker) {
  std::vector<int64_t> done;
  while (auto c = store.claim_chunk(job, worker, 60s)) {
    if (!store.complete_chunk(c->id, worker, static_cast<uint64_t>(c->index) + 1,
                              "h" + std::to_string(c->id)))
      ADD_FAILURE() << worker << " claimed chunk " << c->id << " but could not complete it";
    done.push_back(c->id);
  }
  return done;
}

void expect_each_chunk_done_once(StateStore& store, const std::string& job,
                                 const std::vector<int64_t>& completed, size_t n) {
  std::map<int64_t, int> times;
  for (int64_t id : completed) ++times[id];
  EXPECT_EQ(times.size(), n);
  for (const auto& [id, count] : times) EXPECT_EQ(count, 1) << "chunk " << id;
  const auto chunks = store.chunks(job);
  ASSERT_EQ(chunks.size(), n);
  for (const auto& c : chunks) {
    EXPECT_EQ(c.status, ChunkStatus::done);
    EXPECT_EQ(c.attempts, 1u) << "chunk " << c.id << " was claimed twice";
    EXPECT_EQ(times.count(c.id), 1u);
    EXPECT_EQ(c.rows, static_cast<uint64_t>(c.index) + 1);
  }
  const Progress p = store.progress(job);
  EXPECT_EQ(p.done, n);
  EXPECT_EQ(p.rows_done, n * (n + 1) / 2);
}

using StateConcurrency = StateStoreTest;

TEST_P(StateConcurrency, FourThreadsShareOneJobWithoutOverlap) {
  constexpr size_t kChunks = 200;
  plan(*open(), "j", kChunks);
  std::mutex mu;
  std::vector<int64_t> completed;
  std::vector<size_t> per_worker(4);
  std::vector<std::string> errors(4);
  {
    std::vector<std::jthread> workers;
    for (size_t w = 0; w < 4; ++w)
      workers.emplace_back([&, w] {
        try {
          auto store = open();  // a handle per worker, as the header asks
          const auto mine = work(*store, "j", "worker-" + std::to_string(w));
          std::lock_guard lock(mu);
          completed.insert(completed.end(), mine.begin(), mine.end());
          per_worker[w] = mine.size();
        } catch (const Error& e) {
          errors[w] = e.message();
        }
      });
  }
  for (const auto& e : errors) EXPECT_EQ(e, "");
  expect_each_chunk_done_once(*open(), "j", completed, kChunks);
  size_t busy = 0;
  for (size_t n : per_worker) busy += n > 0;
  EXPECT_GE(busy, 2u) << "one worker did everything: the others never got a claim in";
}

TEST_P(StateConcurrency, TwoProcessesShareOneJobWithoutOverlap) {
  constexpr size_t kChunks = 200;
  plan(*open(), "j", kChunks);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::vector<pid_t> children;
  for (int k = 0; k < 2; ++k) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      int rc = 0;
      try {
        auto store = open();
        for (int64_t id : work(*store, "j", "process-" + std::to_string(k)))
          if (write(fds[1], &id, sizeof id) != sizeof id) rc = 3;
      } catch (...) {
        rc = 2;
      }
      _exit(rc);
    }
    children.push_back(pid);
  }
  close(fds[1]);
  std::vector<int64_t> completed;
  int64_t id;
  while (read(fds[0], &id, sizeof id) == sizeof id) completed.push_back(id);
  close(fds[0]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  expect_each_chunk_done_once(*open(), "j", completed, kChunks);
  std::map<std::string, size_t> by_worker;
  for (const auto& c : open()->chunks("j")) ++by_worker[c.worker];
  EXPECT_EQ(by_worker.size(), 2u) << "one process did every chunk";
}

TEST_P(StateConcurrency, TwoPlannersOfOneTableStoreOnePlan) {
  { open()->create_job("j", "copy", "{}"); }
  std::atomic<int> stored{0};
  std::vector<std::string> errors(4);
  {
    std::vector<std::jthread> planners;
    for (size_t w = 0; w < 4; ++w)
      planners.emplace_back([&, w] {
        try {
          auto store = open();
          std::vector<ChunkSpec> chunks(300 + w, ChunkSpec{"{\"by\":" + std::to_string(w) + "}"});
          if (store->add_chunks("j", "t", chunks)) ++stored;
          // A table of its own per planner: numbered one after the other.
          EXPECT_TRUE(store->add_chunks("j", "own" + std::to_string(w), chunks));
        } catch (const Error& e) {
          errors[w] = e.message();
        }
      });
  }
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(stored.load(), 1);
  auto store = open();
  const auto chunks = store->chunks("j", "t");
  ASSERT_GE(chunks.size(), 300u);
  for (const auto& c : chunks) EXPECT_EQ(c.bounds, chunks[0].bounds);  // one planner's plan
  EXPECT_EQ(store->tables("j").size(), 5u);
}

// A child process completes a chunk and is killed right after: the chunk
// stays done.
TEST_P(StateConcurrency, ACompletedChunkSurvivesKillMinus9) {
  plan(*open(), "j", 3);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto store = open();
      auto c = store->claim_chunk("j", "doomed", 60s);
      if (!c || !store->complete_chunk(c->id, "doomed", 1234, "beef")) _exit(2);
      auto next = store->claim_chunk("j", "doomed", 60s);
      if (!next || !store->save_position(next->id, "doomed", "k=7", 7)) _exit(3);
    } catch (...) {
      _exit(4);
    }
    raise(SIGKILL);
    _exit(5);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  auto store = open();
  const auto chunks = store->chunks("j");
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].status, ChunkStatus::done);
  EXPECT_EQ(chunks[0].rows, 1234u);
  EXPECT_EQ(chunks[0].hash, "beef");
  EXPECT_EQ(chunks[0].worker, "doomed");
  // The chunk it was in the middle of keeps its position for the next worker.
  EXPECT_EQ(chunks[1].status, ChunkStatus::running);
  EXPECT_EQ(chunks[1].position, "k=7");
  EXPECT_EQ(chunks[2].status, ChunkStatus::pending);
}

TEST_P(StateConcurrency, AWaitForALockEndsAtTheBusyTimeout) {
  plan(*open(), "j", 1);
  // Another worker sits in a write transaction holding what claim needs.
  auto holder = raw();
  if (sqlite()) {
    holder->execute("BEGIN IMMEDIATE");
  } else {
    holder->execute("BEGIN");
    holder->execute("LOCK TABLE " + table("chunks") + " IN ACCESS EXCLUSIVE MODE");
  }
  auto store = open({.busy_timeout = 300ms});
  const auto start = std::chrono::steady_clock::now();
  try {
    store->claim_chunk("j", "w", 60s);
    FAIL() << "claimed while another worker held the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::timeout) << e.message();
    EXPECT_TRUE(e.retryable());
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 10s);
  holder->execute("ROLLBACK");
  EXPECT_TRUE(store->claim_chunk("j", "w", 60s));
}

TEST_P(StateConcurrency, AStopRequestEndsAWaitForALock) {
  plan(*open(), "j", 1);
  auto holder = raw();
  if (sqlite()) {
    holder->execute("BEGIN IMMEDIATE");
  } else {
    holder->execute("BEGIN");
    holder->execute("LOCK TABLE " + table("chunks") + " IN ACCESS EXCLUSIVE MODE");
  }
  std::stop_source stop;
  auto store = open({.busy_timeout = 60s, .stop = stop.get_token()});
  std::jthread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of([&] { store->claim_chunk("j", "w", 60s); }), ErrorCode::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  holder->execute("ROLLBACK");
}

INSTANTIATE_TEST_SUITE_P(Stores, StateConcurrency, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

}  // namespace
}  // namespace polydb::state::test
