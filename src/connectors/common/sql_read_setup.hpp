#pragma once
// What the setups of the SQL readers share (PostgreSQL, MySQL, SQLite, ODBC):
// the members BatchLoop (batch_loop.hpp) reads and the plan a reader
// reports, filled the same way for a scan and for a query. Private to the
// connectors.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "polydb/connection.hpp"
#include "polydb/filter.hpp"

namespace polydb {

/// The base of each SQL connector's ReaderSetup, which adds its statement.
/// Plain data.
struct SqlReadSetup {
  std::shared_ptr<const Schema> schema;
  std::optional<Filter> residual;  ///< evaluated locally
  std::optional<uint64_t> limit;   ///< applied locally (after residual)
  size_t batch_rows = 4096;
  size_t batch_bytes = 8u << 20;
  ScanPlan plan;

  /// A scan of `spec` sent as `native`, reading rows of `read`: the limit,
  /// batch sizes and the plan (columns pushed; the filter and the limit
  /// pushed where no residual is left, so set `residual` first; the order
  /// pushed when there is one).
  void set_scan(const ScanSpec& spec, std::shared_ptr<const Schema> read, std::string native) {
    schema = std::move(read);
    limit = spec.limit;
    batch_rows = spec.batch_rows;
    batch_bytes = spec.batch_bytes;
    plan = {std::move(native), true, spec.filter && !residual, spec.limit && !residual,
            !spec.order_by.empty()};
  }
  /// A query() result: the batch sizes and the text sent.
  void set_query(const QueryOptions& options, std::string_view text) {
    batch_rows = options.batch_rows;
    batch_bytes = options.batch_bytes;
    plan.native = std::string(text);
  }
};

}  // namespace polydb
