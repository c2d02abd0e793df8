#pragma once

// One-transaction transfer: the pipeline under engine::copy() without
// chunks (private to src/engine). Scans a table of one connection and
// bulk-writes it into another, batch by batch, committing once at the end.

#include <cstdint>
#include <stop_token>
#include <string_view>

#include "polydb/connection.hpp"
#include "polydb/engine.hpp"
#include "polydb/error.hpp"

namespace polydb::engine {

/// Copies the rows `scan` selects from `src` into `dst_table` of `dst`, with
/// the writer mode and key of `write`. The writer is opened with the source
/// schema, primary key included, so WriteMode::create creates the key too.
/// Batches stream from the reader(s) to the writer; memory is bounded by a
/// few batches. Nothing is visible in the target before the final commit
/// (for backends with transactions).
///
/// `stop` is checked between batches and reaches the connections (when they
/// were opened with it): the writer is aborted and Error(cancelled) is thrown,
/// saying what stays in the target. `progress` (may be null) gets an update
/// after each batch; the total row count is asked of `src.count_rows()` only
/// when there is a sink and the scan has neither a filter nor a limit.
///
/// `parallel` = 1: with two Connection objects the source is read on a second
/// thread while this one writes (at most two batches wait in between); when
/// `src` and `dst` are the same object everything runs on the calling thread.
///
/// `parallel` = N > 1: N reading connections, each scanning partition {k, N}
/// of `scan` on its own thread into one bounded queue (at most 2N batches
/// wait): `src.open_snapshot_readers(N)` when the source shares a snapshot,
/// else (sources without transactions, whose single scan is no snapshot
/// either) N connections from `open_src`. The writer stays one stream on the
/// calling thread, in one transaction. The caller has checked the request
/// (engine::copy does).
CopyStats transfer(Connection& src, const ScanSpec& scan, Connection& dst,
                   std::string_view dst_table, const WriteOptions& write, std::stop_token stop,
                   ProgressSink* progress, uint32_t parallel, const ConnectionFactory& open_src);

/// The Error(cancelled) for a copy stopped after `rows` rows were written.
Error interrupted(Connection& dst, std::string_view table, bool transactional, uint64_t rows);

}  // namespace polydb::engine
