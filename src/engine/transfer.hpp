#pragma once

// The copy pipeline behind `polydb copy`: scan a table of one connection and
// bulk-write it into another, batch by batch. It prints nothing (progress
// goes to a ProgressSink) so that it can move into a library unchanged.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "polydb/connection.hpp"

namespace polydb::engine {

/// Where a running copy stands; handed to ProgressSink::update().
struct CopyProgress {
  uint64_t rows = 0;                   ///< rows written so far
  uint64_t bytes = 0;                  ///< sum of Batch::byte_size() so far
  std::optional<uint64_t> total_rows;  ///< rows to copy, when known
  std::chrono::steady_clock::duration elapsed{};
};

/// Receives progress from copy_table(), after every batch. Called on the
/// copying thread; an implementation decides how often to show it.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void update(const CopyProgress& progress) = 0;
};

/// What a finished copy did.
struct CopyStats {
  uint64_t rows = 0;   ///< rows committed into the target
  uint64_t bytes = 0;  ///< sum of Batch::byte_size() of the batches read
  uint64_t batches = 0;
  std::chrono::duration<double> elapsed{};  ///< from opening the source to commit
};

/// The most parallel readers copy_table() accepts.
inline constexpr uint32_t kMaxCopyParallel = 64;

/// Copies the rows `scan` selects from `src` into `dst_table` of `dst`, with
/// the writer mode and key of `write`. The writer is opened with the source
/// schema, primary key included, so WriteMode::create creates the key too.
/// Batches stream from the reader to the writer; memory is bounded by a few
/// batches. Nothing is visible in the target before the final commit (for
/// backends with transactions).
///
/// `cancel` (may be null) is polled between batches: once it reads true the
/// writer is aborted and Error(cancelled) is thrown. `progress` (may be null)
/// gets an update after each batch; the total row count is asked of
/// `src.count_rows()` only when there is a sink and the scan has neither a
/// filter nor a limit.
///
/// `parallel` = 1: with two Connection objects the source is read on a second
/// thread while this one writes (at most two batches wait in between); when
/// `src` and `dst` are the same object everything runs on the calling thread.
///
/// `parallel` = N > 1: `src.open_snapshot_readers(N)` opens N new
/// connections that read one consistent snapshot; reader k scans partition
/// {k, N} of `scan` on its own thread, and all feed one bounded queue (at
/// most 2N batches wait). The writer stays one stream on the calling thread,
/// in one transaction, so the write mode and atomicity are as with N = 1;
/// rows arrive in no particular order. An error in any reader stops them all
/// and aborts the writer. Needs Capabilities::partitioned_scan and
/// shared_snapshot of `src` (else Error(unsupported)); a scan with a limit,
/// an order or a partition of its own is Error(invalid_argument), as is N
/// outside 1..kMaxCopyParallel.
///
/// Throws what the connections throw; on any error the writer is aborted
/// before the error propagates.
CopyStats copy_table(Connection& src, const ScanSpec& scan, Connection& dst,
                     std::string_view dst_table, const WriteOptions& write,
                     const std::atomic<bool>* cancel = nullptr, ProgressSink* progress = nullptr,
                     uint32_t parallel = 1);

}  // namespace polydb::engine
