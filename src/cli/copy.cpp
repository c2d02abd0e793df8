#include "cli/copy.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::cli {

namespace {

bool cancelled(const std::atomic<bool>* cancel) {
  return cancel && cancel->load(std::memory_order_relaxed);
}

Error interrupted(Connection& dst, std::string_view table, bool transactional, uint64_t rows) {
  if (transactional)
    return Error(ErrorCode::cancelled,
                 fmt::format("interrupted: nothing was written to {} (the target is unchanged)",
                             dst.display_url()));
  return Error(ErrorCode::cancelled,
               fmt::format("interrupted: {} rows had been written to table '{}' of {} and stay "
                           "there ({} has no transactions)",
                           rows, table, dst.display_url(), dst.backend()));
}

std::optional<uint64_t> total_rows(Connection& src, const ScanSpec& scan) {
  if (scan.filter || scan.limit || scan.partition.count > 1) return std::nullopt;
  try {
    return src.count_rows(scan.table);
  } catch (const Error& e) {
    // The total only feeds the progress display: a copy must not fail for it.
    logger("copy")->debug("cannot count the rows of {}: {}", scan.table, e.message());
    return std::nullopt;
  }
}

// A bounded hand-over of batches from the reading thread to the writing one:
// at most kDepth batches wait, so memory stays bounded by a few batches.
class BatchQueue {
 public:
  static constexpr size_t kDepth = 2;

  /// Producer: waits for room; false when the consumer has stopped.
  bool push(Batch batch, std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!room_.wait(lock, stop, [&] { return items_.size() < kDepth; })) return false;
    items_.push_back(std::move(batch));
    ready_.notify_one();
    return true;
  }
  /// Producer: no more batches; `error` (may be null) is rethrown by pop().
  void close(std::exception_ptr error) {
    std::lock_guard lock(mu_);
    closed_ = true;
    error_ = error;
    ready_.notify_one();
  }
  /// Consumer: the next batch, or nullopt at the end; rethrows the reader's error.
  std::optional<Batch> pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (!items_.empty()) {
      Batch b = std::move(items_.front());
      items_.pop_front();
      room_.notify_one();
      return b;
    }
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }

 private:
  std::mutex mu_;
  std::condition_variable_any room_;
  std::condition_variable ready_;
  std::deque<Batch> items_;
  bool closed_ = false;
  std::exception_ptr error_;
};

}  // namespace

CopyStats copy_table(Connection& src, const ScanSpec& scan, Connection& dst,
                     std::string_view dst_table, const WriteOptions& write,
                     const std::atomic<bool>* cancel, ProgressSink* progress) {
  const auto start = std::chrono::steady_clock::now();
  const bool transactional = dst.capabilities().transactions;
  CopyStats stats;

  // Open the source first: a mistyped source table fails before the target
  // is touched.
  std::unique_ptr<BatchReader> reader = src.scan(scan);
  CopyProgress shown;
  if (progress) shown.total_rows = total_rows(src, scan);
  if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, 0);

  std::unique_ptr<BatchWriter> writer = dst.writer(dst_table, reader->schema(), write);
  logger("copy")->info("copying {} from {} into {} of {} ({} mode)", scan.table, src.display_url(),
                       dst_table, dst.display_url(), to_string(write.mode));
  // Two connections: read on a second thread while this one writes, so a copy
  // takes about as long as the slower side instead of the sum of both. One
  // connection (same database) cannot be shared between threads: read inline.
  BatchQueue queue;
  std::jthread read_thread;
  const bool pipelined = &src != &dst;
  if (pipelined) {
    read_thread = std::jthread([&queue, &reader](std::stop_token stop) noexcept {
      try {
        while (!stop.stop_requested()) {
          std::optional<Batch> batch = reader->next();
          if (!batch || !queue.push(std::move(*batch), stop)) break;
        }
        queue.close(nullptr);
      } catch (...) {
        queue.close(std::current_exception());
      }
    });
  }
  auto next_batch = [&]() { return pipelined ? queue.pop() : reader->next(); };
  // Every exit path stops and joins the reading thread before `reader` dies.
  auto stop_reading = [&]() {
    if (read_thread.joinable()) {
      read_thread.request_stop();
      read_thread.join();
    }
  };
  try {
    uint64_t written = 0;
    while (true) {
      if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, written);
      std::optional<Batch> batch = next_batch();
      if (!batch) break;
      writer->write(*batch);
      written += batch->num_rows();
      stats.bytes += batch->byte_size();
      ++stats.batches;
      logger("copy")->trace("batch {}: {} rows", stats.batches, batch->num_rows());
      if (progress) {
        shown.rows = written;
        shown.bytes = stats.bytes;
        shown.elapsed = std::chrono::steady_clock::now() - start;
        progress->update(shown);
      }
    }
    if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, written);
    // Finish the read before committing: an open read statement on the same
    // database file would keep the commit waiting for its lock.
    stop_reading();
    reader.reset();
    stats.rows = writer->commit().rows;
  } catch (...) {
    stop_reading();
    writer->abort();
    throw;
  }
  stats.elapsed = std::chrono::steady_clock::now() - start;
  logger("copy")->info("copied {} rows into {} in {:.3f} s", stats.rows, dst_table,
                       stats.elapsed.count());
  return stats;
}

}  // namespace polydb::cli
