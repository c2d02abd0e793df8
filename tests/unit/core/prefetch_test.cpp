#include "core/prefetch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace polydb {
namespace {

struct Block {
  std::vector<int> values;
};

std::vector<Block> blocks(size_t n) { return std::vector<Block>(n); }

// Fills blocks of 3 consecutive numbers from 0 until `total`.
Prefetcher<Block>::Fill counting(int total, std::atomic<int>& next) {
  return [total, &next](Block& b) {
    b.values.clear();
    for (int i = 0; i < 3 && next < total; ++i) b.values.push_back(next++);
    return next < total;
  };
}

TEST(PrefetcherTest, HandsOutEveryBlockInOrderThenTheEnd) {
  std::atomic<int> next = 0;
  Prefetcher<Block> p(blocks(2), counting(10, next));
  std::vector<int> seen;
  while (Block* b = p.next()) {
    seen.insert(seen.end(), b->values.begin(), b->values.end());
    p.recycle(b);
  }
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(p.next(), nullptr);  // and stays at the end
}

TEST(PrefetcherTest, FillsNoMoreBlocksThanItWasGiven) {
  std::atomic<int> next = 0;
  Prefetcher<Block> p(blocks(2), counting(1000, next));
  Block* first = p.next();
  ASSERT_NE(first, nullptr);
  // Nothing recycled: the producer fills the second block and then waits.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (next < 6 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(next.load(), 6);
  p.recycle(first);
}

TEST(PrefetcherTest, AnErrorComesAfterTheBlocksFilledBeforeItAndStays) {
  int calls = 0;
  Prefetcher<Block> p(blocks(2), [&calls](Block& b) {
    if (++calls == 3) throw std::runtime_error("server went away");
    b.values = {calls};
    return true;
  });
  for (int want : {1, 2}) {
    Block* b = p.next();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->values, std::vector<int>{want});
    p.recycle(b);
  }
  EXPECT_THROW(p.next(), std::runtime_error);
  EXPECT_THROW(p.next(), std::runtime_error);  // never mistaken for the end
}

TEST(PrefetcherTest, DestroyedMidStreamStopsTheProducer) {
  std::atomic<int> next = 0;
  {
    Prefetcher<Block> p(blocks(2), counting(1'000'000, next));
    Block* b = p.next();
    ASSERT_NE(b, nullptr);
    p.recycle(b);
  }  // joins a producer waiting for a free block
  const int at_destruction = next.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(next.load(), at_destruction);
  EXPECT_LT(at_destruction, 1'000'000);
}

TEST(PrefetcherTest, StopWaitsForAFillUnderWay) {
  std::atomic<bool> in_fill = false, fill_done = false;
  Prefetcher<Block> p(blocks(1), [&](Block&) {
    in_fill = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fill_done = true;
    return true;
  });
  while (!in_fill) std::this_thread::yield();
  p.stop();  // afterwards the consumer owns what fill touches
  EXPECT_TRUE(fill_done);
  p.stop();  // idempotent
}

}  // namespace
}  // namespace polydb
