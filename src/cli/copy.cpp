#include "cli/copy.hpp"

#include <fmt/format.h>

#include <memory>

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
  try {
    uint64_t written = 0;
    while (true) {
      if (cancelled(cancel)) throw interrupted(dst, dst_table, transactional, written);
      std::optional<Batch> batch = reader->next();
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
    reader.reset();
    stats.rows = writer->commit().rows;
  } catch (...) {
    writer->abort();
    throw;
  }
  stats.elapsed = std::chrono::steady_clock::now() - start;
  logger("copy")->info("copied {} rows into {} in {:.3f} s", stats.rows, dst_table,
                       stats.elapsed.count());
  return stats;
}

}  // namespace polydb::cli
