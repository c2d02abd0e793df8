#include "engine/transfer.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <latch>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::engine {

namespace {

bool cancelled(const std::stop_token& stop) { return stop.stop_requested(); }

}  // namespace

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

namespace {

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

// A bounded hand-over of batches from the reading threads to the writing one:
// at most `depth` batches wait, so memory stays bounded by a few batches.
class BatchQueue {
 public:
  BatchQueue(size_t depth, size_t producers) : depth_(depth), producers_(producers) {}

  /// Producer: waits for room; false when the stream has stopped (stop
  /// requested, or another producer failed).
  bool push(Batch batch, std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!room_.wait(lock, stop, [&] { return items_.size() < depth_ || error_; })) return false;
    if (error_) return false;
    items_.push_back(std::move(batch));
    ready_.notify_one();
    return true;
  }
  /// Producer: this producer has no more batches. A non-null `error` ends the
  /// whole stream: pop() rethrows it at once (the first error wins).
  void finish(std::exception_ptr error) {
    std::lock_guard lock(mu_);
    --producers_;
    if (error && !error_) error_ = error;
    ready_.notify_one();
    room_.notify_all();
  }
  /// The error a producer finished with, if any.
  std::exception_ptr error() {
    std::lock_guard lock(mu_);
    return error_;
  }
  /// Consumer: the next batch, or nullopt once every producer has finished;
  /// rethrows a producer's error.
  std::optional<Batch> pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !items_.empty() || producers_ == 0 || error_; });
    if (error_) std::rethrow_exception(error_);
    if (items_.empty()) return std::nullopt;
    Batch b = std::move(items_.front());
    items_.pop_front();
    room_.notify_one();
    return b;
  }

 private:
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable_any room_;
  std::condition_variable ready_;
  std::deque<Batch> items_;
  size_t producers_;
  std::exception_ptr error_;
};

}  // namespace

CopyStats transfer(Connection& src, const ScanSpec& scan, Connection& dst,
                   std::string_view dst_table, const WriteOptions& write, std::stop_token cancel,
                   ProgressSink* progress, uint32_t parallel, const ConnectionFactory& open_src) {
  const auto start = std::chrono::steady_clock::now();
  const bool transactional = dst.capabilities().transactions;
  CopyStats stats;
  stats.dst_table = std::string(dst_table);
  Progress shown;
  // Counted before any reader starts: a connection busy streaming cannot count.
  if (progress) shown.total_rows = total_rows(src, scan);
  if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, 0);

  // Where each reader reads: `src` itself, or N connections sharing a
  // snapshot (or, for a source without transactions, N plain connections).
  std::vector<std::unique_ptr<Connection>> snapshot;
  std::vector<Connection*> sources{&src};
  if (parallel > 1) {
    if (src.capabilities().shared_snapshot) {
      snapshot = src.open_snapshot_readers(parallel);
    } else {
      if (!open_src)
        throw Error(ErrorCode::invalid_argument,
                    "a parallel read of a source without shared snapshots needs a connection "
                    "factory");
      for (uint32_t k = 0; k < parallel; ++k) snapshot.push_back(open_src());
    }
    sources.clear();
    for (auto& c : snapshot) sources.push_back(c.get());
  }
  // Two connections: read on other threads while this one writes, so a copy
  // takes about as long as the slower side instead of the sum of both. One
  // connection (same database) cannot be shared between threads: read inline.
  const bool pipelined = parallel > 1 || &src != &dst;
  BatchQueue queue(2 * sources.size(), sources.size());
  std::latch opened(static_cast<std::ptrdiff_t>(sources.size()));
  std::vector<std::optional<Schema>> schemas(sources.size());
  std::unique_ptr<BatchReader> inline_reader;
  std::vector<std::jthread> readers;  // declared last: joined before the rest dies
  // Every exit path stops and joins the reading threads before their
  // connections die.
  auto stop_reading = [&]() {
    for (auto& t : readers) t.request_stop();
    for (auto& t : readers)
      if (t.joinable()) t.join();
  };
  readers.reserve(sources.size());
  try {
    if (pipelined) {
      // Each thread opens its own reader, so that slow opens (a server cursor
      // materialising its result) overlap too; the reader lives and dies on
      // its thread.
      for (size_t k = 0; k < sources.size(); ++k) {
        ScanSpec part = scan;
        if (parallel > 1) part.partition = {static_cast<uint32_t>(k), parallel};
        // The thread's connection serves its reader alone (the writer has its
        // own; the source was counted before): the backend may read ahead.
        part.exclusive = true;
        readers.emplace_back([&queue, &opened, &schemas, conn = sources[k], part = std::move(part),
                              k](std::stop_token stop) noexcept {
          std::unique_ptr<BatchReader> reader;
          try {
            reader = conn->scan(part);
            schemas[k] = reader->schema();
          } catch (...) {
            queue.finish(std::current_exception());
            opened.count_down();
            return;
          }
          opened.count_down();
          try {
            while (!stop.stop_requested()) {
              std::optional<Batch> batch = reader->next();
              if (!batch || !queue.push(std::move(*batch), stop)) break;
            }
            queue.finish(nullptr);
          } catch (...) {
            queue.finish(std::current_exception());
          }
        });
      }
      // Open the source first: a mistyped source table fails before the
      // target is touched.
      opened.wait();
      if (auto error = queue.error()) std::rethrow_exception(error);
    } else {
      inline_reader = src.scan(scan);
      schemas[0] = inline_reader->schema();
    }
  } catch (...) {
    stop_reading();
    // A stop request surfaces as the backend's "interrupted": say what it means here.
    if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, 0);
    throw;
  }
  if (cancelled(cancel)) {
    stop_reading();
    throw interrupted(dst, dst_table, transactional, 0);
  }

  std::unique_ptr<BatchWriter> writer;
  try {
    writer = dst.writer(dst_table, *schemas[0], write);
  } catch (...) {
    stop_reading();
    if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, 0);
    throw;
  }
  logger("copy")->info("copying {} from {} into {} of {} ({} mode, {} reader{})", scan.table,
                       src.display_url(), dst_table, dst.display_url(), to_string(write.mode),
                       parallel, parallel == 1 ? "" : "s");
  auto next_batch = [&]() { return pipelined ? queue.pop() : inline_reader->next(); };
  uint64_t written = 0;
  try {
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
    // Finish the read before committing: an open read statement or snapshot
    // transaction on the same database file would keep the commit waiting
    // for its lock.
    stop_reading();
    inline_reader.reset();
    snapshot.clear();
    stats.rows = writer->commit().rows;
  } catch (const Error& e) {
    stop_reading();
    writer->abort();
    // A stop request surfaces from a backend as its own "interrupted while
    // talking to ...": say what it means for the target instead.
    if (cancelled(cancel) && !e.message().starts_with("interrupted: "))
      throw interrupted(dst, dst_table, transactional, written);
    // A target without transactions keeps what was written: say so, so that
    // a partial table is never taken for a complete one.
    if (!transactional && e.code() != ErrorCode::cancelled)
      throw e.with_message(fmt::format("{} (up to {} rows had been written to table '{}' of {} "
                                       "and stay there: {} has no transactions)",
                                       e.message(), written, dst_table, dst.display_url(),
                                       dst.backend()));
    throw;
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

}  // namespace polydb::engine
