#pragma once
// What the document-store readers (DynamoDB, Cosmos DB, Firestore) do locally
// after fetching: the filter the backend could not evaluate exactly, the
// projection to the requested columns, and ORDER BY when the backend cannot
// sort. Private to polydb.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/batch.hpp"
#include "polydb/connection.hpp"
#include "polydb/filter.hpp"
#include "polydb/value.hpp"

namespace polydb {

/// `batch` after `residual` (if any), keeping the first output->size()
/// columns: `batch` holds the requested columns first, then the ones only the
/// filter needed.
Batch filter_and_project(Batch batch, const std::optional<Filter>& residual,
                         const std::shared_ptr<const Schema>& output);

/// Each column of `batch` in the type of `want` (same index): a column
/// already of that type as is, others converted into `storage`. A value that
/// does not fit throws Error(type_mismatch, backend) naming its row (counting
/// from `first_row` + 1) and column.
std::vector<const Column*> columns_as(const Batch& batch, std::span<const Type> want,
                                      uint64_t first_row, std::string_view backend,
                                      std::vector<Column>& storage);

/// ORDER BY evaluated by polydb: every row of the result is held in memory
/// (so readers use it only when the backend cannot sort), sorted stably, cut
/// to the limit and handed out in batches.
class LocalSort {
 public:
  /// Orders by the value `compare` (negative, 0, positive) of each column
  /// of `order` in `schema`, the full schema of the fetched batches.
  LocalSort(const Schema& schema, std::span<const OrderBy> order,
            std::function<int(const Value&, const Value&)> compare);

  /// Reads `source` to its end (each batch through `residual`), then sorts.
  void load(const std::function<std::optional<Batch>()>& source,
            const std::optional<Filter>& residual, std::optional<uint64_t> limit);
  /// The next batch of at most `batch_rows` rows in `output`'s columns.
  std::optional<Batch> next(const std::shared_ptr<const Schema>& output, size_t batch_rows);
  bool loaded() const noexcept { return loaded_; }

 private:
  std::vector<std::pair<size_t, bool>> keys_;  // column, descending
  std::function<int(const Value&, const Value&)> compare_;
  std::vector<std::vector<Value>> rows_;
  size_t next_row_ = 0;
  bool loaded_ = false;
};

}  // namespace polydb
