// engine::copy(): the checks every copy gets, whoever calls it (the CLI or a
// library user), then the one-transaction transfer or the chunked job.

#include <fmt/format.h>

#include <algorithm>

#include "engine/chunked.hpp"
#include "engine/transfer.hpp"
#include "polydb/engine.hpp"
#include "polydb/error.hpp"

namespace polydb::engine {

namespace {

constexpr size_t kMaxBatchRows = 1'000'000;

Error bad(std::string message, Hint hint = Hint::none) {
  return Error(ErrorCode::invalid_argument, std::move(message)).set_hint(hint);
}

// Parallel readers of one transaction split one scan and see one snapshot,
// or the source has no transactions and its single scan is no snapshot
// either (DynamoDB, Cosmos DB). Chunked copies read each chunk on its own.
void check_parallel_source(Connection& src, const CopyOptions& o) {
  if (o.parallel <= 1 || o.chunked) return;
  const Capabilities in = src.capabilities();
  const char* cannot = !in.partitioned_scan ? "cannot split a scan between parallel readers"
                       : !in.shared_snapshot && in.transactions
                           ? "cannot share one snapshot between parallel readers, so they would "
                             "not read one consistent table"
                           : nullptr;
  if (cannot)
    throw Error(ErrorCode::unsupported,
                fmt::format("{} {} (copy with one reader, or chunked)", src.display_url(), cannot),
                std::string(src.backend()))
        .set_hint(Hint::one_reader_or_chunks);
}

}  // namespace

void check_options(const CopyOptions& o) {
  if (o.table.empty()) throw bad("no source table given");
  if (o.batch_rows == 0 || o.batch_rows > kMaxBatchRows)
    throw bad(fmt::format("the batch size must be between 1 and {} rows (got {})", kMaxBatchRows,
                          o.batch_rows));
  if (o.parallel == 0 || o.parallel > kMaxParallel)
    throw bad(fmt::format("parallel must be between 1 and {} (got {})", kMaxParallel, o.parallel));
  if (o.limit && *o.limit == 0) throw bad("a limit must be at least 1 row");
  if (o.parallel > 1 && o.limit)
    throw bad("a parallel copy cannot take a limit (each worker reads its own part)",
              Hint::drop_limit_or_parallel);
  if (o.chunked) {
    if (o.limit)
      throw bad("a chunked copy cannot take a limit (each chunk is read on its own)",
                Hint::drop_limit_or_chunks);
    if (o.mode == WriteMode::replace)
      throw bad(
          "a chunked copy commits chunk by chunk, so it cannot replace a table atomically: "
          "drop the table and copy in create mode, or copy without chunks",
          Hint::create_or_unchunked);
    if (o.chunk_rows == 0) throw bad("chunks must hold at least 1 row");
    if (o.lease < std::chrono::seconds(1)) throw bad("a chunk lease must last at least 1 second");
    if (o.max_attempts == 0) throw bad("a chunk needs at least 1 attempt");
  } else if (o.resume || !o.job.empty() || !o.state.empty() || !o.chunk_by.empty()) {
    throw bad("a job, a resume, a state store and a chunk column belong to chunked copies",
              Hint::chunked_copy);
  }
}

double Progress::rows_per_second() const noexcept {
  const double secs = std::chrono::duration<double>(elapsed).count();
  return secs > 0 ? static_cast<double>(rows) / secs : 0;
}

std::optional<std::chrono::seconds> Progress::eta() const noexcept {
  const double rate = rows_per_second();
  if (!total_rows || rate <= 0 || rows >= *total_rows) return std::nullopt;
  return std::chrono::seconds(
      static_cast<int64_t>(static_cast<double>(*total_rows - rows) / rate + 0.5));
}

Schema check_source(Connection& src, const CopyOptions& o) {
  check_options(o);
  check_parallel_source(src, o);
  Schema source = src.describe(o.table);
  for (const auto& c : o.columns) (void)source.field(c);
  if (o.filter)
    for (const auto& c : o.filter->columns()) (void)source.field(c);
  for (const auto& k : o.key) (void)source.field(k);
  if (!o.chunk_by.empty()) (void)source.field(o.chunk_by);
  return source;
}

CopyStats copy(Connection& src, Connection& dst, const CopyOptions& o,
               const ConnectionFactory& open_src, const ConnectionFactory& open_dst) {
  const Schema source = check_source(src, o);

  if (o.mode == WriteMode::replace && !dst.capabilities().atomic_replace && !o.non_atomic)
    throw Error(ErrorCode::unsupported,
                fmt::format("{} cannot swap a table's contents atomically: replace would delete "
                            "the table's items and then write the new ones, and a failure in "
                            "between leaves it incomplete; allow that explicitly (non-atomic), "
                            "or write into a new table",
                            dst.display_url()),
                std::string(dst.backend()))
        .set_hint(Hint::non_atomic);

  WriteOptions write;
  write.mode = o.mode;
  write.key = o.key;
  write.source_backend = std::string(src.backend());
  // By default the destination table is the source table's own name (no
  // schema, unquoted), written so that the destination reads exactly that.
  const std::string dst_table =
      o.dst_table.empty() ? dst.table_reference(src.own_table_name(o.table)) : o.dst_table;

  ScanSpec scan;
  scan.table = o.table;
  scan.columns = o.columns;
  scan.filter = o.filter;
  scan.limit = o.limit;
  scan.batch_rows = o.batch_rows;

  if (o.chunked) {
    ChunkedCopy job{src, dst, o, scan, source, write, dst_table, open_src, open_dst};
    return run_chunked(job);
  }
  return transfer(src, scan, dst, dst_table, write, o.stop, o.progress, o.parallel, open_src);
}

CopyStats copy(std::string_view src_url, std::string_view dst_url, const CopyOptions& options,
               const ConnectOptions& connect_options) {
  ConnectOptions c = connect_options;
  if (!c.stop.stop_possible()) c.stop = options.stop;
  const std::string src_name(src_url), dst_name(dst_url);
  auto src = connect(src_name, c);
  (void)check_source(*src, options);  // before the destination (a new file) is touched
  ConnectOptions create = c;
  create.create_if_missing = true;
  // One database named twice, on a backend that wants one connection for it
  // (SQLite: a second connection would wait on the first one's locks).
  std::unique_ptr<Connection> dst_owned;
  if (src_name != dst_name || !src->capabilities().single_connection_copy)
    dst_owned = connect(dst_name, create);
  Connection& dst = dst_owned ? *dst_owned : *src;
  const ConnectionFactory open_src = [src_name, c] { return connect(src_name, c); };
  const ConnectionFactory open_dst = [dst_name, create] { return connect(dst_name, create); };
  return copy(*src, dst, options, open_src, open_dst);
}

}  // namespace polydb::engine
