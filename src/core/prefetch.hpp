#pragma once

// A producer thread that fills a fixed set of reusable blocks ahead of their
// consumer: the consumer converts block k while the producer already waits
// on the network for block k+1. Used by readers whose native API hands out
// rows in synchronous chunks (ODBC row arrays over a server cursor).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

namespace polydb {

/// Fills `blocks` in a thread of its own with `fill`, in order, and hands them
/// to one consumer thread; memory stays bounded by the blocks given.
///
/// `fill(block)` runs only on the producer thread and returns false after the
/// last rows (the block it was given is still delivered, possibly empty).
/// Whatever `fill` touches (a statement handle) belongs to the producer from
/// construction until next() returned nullptr or threw, or stop() returned.
/// An exception from `fill` is rethrown by next() after the blocks filled
/// before it. The destructor (and stop()) asks the producer to stop and joins
/// it: that waits for at most one `fill` call already under way.
///
/// next()/recycle()/stop() are for a single consumer thread.
template <class Block>
class Prefetcher {
 public:
  using Fill = std::function<bool(Block&)>;

  Prefetcher(std::vector<Block> blocks, Fill fill)
      : blocks_(std::move(blocks)), fill_(std::move(fill)) {
    for (Block& b : blocks_) free_.push_back(&b);
    thread_ = std::jthread([this](std::stop_token st) { produce(st); });
  }
  ~Prefetcher() { stop(); }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  /// The next filled block (hand it back with recycle()), or nullptr after the
  /// last one. Rethrows the producer's exception once the blocks before it
  /// are consumed, and on every call after that.
  Block* next() {
    std::unique_lock lock(mutex_);
    ready_cv_.wait(lock, [&] { return !filled_.empty() || finished_; });
    if (!filled_.empty()) {
      Block* b = filled_.front();
      filled_.pop_front();
      return b;
    }
    if (error_) {
      const std::exception_ptr e = error_;  // kept: every later call throws it too
      lock.unlock();
      stop();
      std::rethrow_exception(e);
    }
    lock.unlock();
    stop();
    return nullptr;
  }

  /// Gives a block returned by next() back to the producer for refilling.
  void recycle(Block* b) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(b);
    }
    free_cv_.notify_one();
  }

  /// Stops the producer and joins it (idempotent). Afterwards the consumer
  /// owns whatever `fill` touched.
  void stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }

 private:
  void produce(std::stop_token st) {
    for (;;) {
      Block* b = nullptr;
      {
        std::unique_lock lock(mutex_);
        if (!free_cv_.wait(lock, st, [&] { return !free_.empty(); })) return;
        b = free_.back();
        free_.pop_back();
      }
      bool more = false;
      std::exception_ptr error;
      try {
        more = fill_(*b);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        if (error) {
          free_.push_back(b);
          error_ = error;
        } else {
          filled_.push_back(b);
        }
        finished_ = error || !more;
      }
      ready_cv_.notify_one();
      if (error || !more) return;
    }
  }

  std::vector<Block> blocks_;
  Fill fill_;
  std::mutex mutex_;
  std::condition_variable_any free_cv_;  // producer waits: a block to fill (or stop)
  std::condition_variable ready_cv_;     // consumer waits: a filled block or the end
  std::vector<Block*> free_;
  std::deque<Block*> filled_;
  std::exception_ptr error_;
  bool finished_ = false;
  std::jthread thread_;  // last: joined before the members it uses go
};

}  // namespace polydb
