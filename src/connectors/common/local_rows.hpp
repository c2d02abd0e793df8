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

/// ORDER BY evaluated by polydb, for readers whose backend cannot sort: an
/// external merge sort, so memory stays near `memory_bytes` whatever the
/// result size. Rows are gathered until they take `memory_bytes`; when the
/// whole result fits, it is sorted in memory and no file is written. Otherwise
/// each full buffer is sorted and written as a run to one temporary file in
/// $TMPDIR (unlinked as soon as it is opened, so nothing outlives the
/// process), and next() merges the runs. With a limit, only the best `limit`
/// rows are kept (memory bounded by the limit, never spilled). The order is
/// stable: rows with equal keys keep their input order. Single-threaded.
class LocalSort {
 public:
  /// <0, 0, >0 for two values of one sort column.
  using Compare = std::function<int(const Value&, const Value&)>;
  static constexpr size_t kDefaultMemory = 64u << 20;

  /// Orders by the value `compare` of each column of `order` in `schema`, the
  /// full schema of the fetched batches (keys included).
  LocalSort(const Schema& schema, std::span<const OrderBy> order, Compare compare,
            size_t memory_bytes = kDefaultMemory);
  ~LocalSort();
  LocalSort(const LocalSort&) = delete;
  LocalSort& operator=(const LocalSort&) = delete;

  /// Reads `source` to its end (each batch through `residual`), sorting and
  /// spilling as it goes. Throws what `source` throws, and Error(io) naming
  /// the directory when the temporary file cannot be created or written.
  void load(const std::function<std::optional<Batch>()>& source,
            const std::optional<Filter>& residual, std::optional<uint64_t> limit);
  /// The next batch of at most `batch_rows` rows in `output`'s columns (the
  /// first output->fields.size() columns of the schema). Throws Error(io) or
  /// Error(corruption) when a spilled run cannot be read back.
  std::optional<Batch> next(const std::shared_ptr<const Schema>& output, size_t batch_rows);
  bool loaded() const noexcept { return loaded_; }
  /// Runs written to the temporary file (0: everything fit in memory).
  size_t spilled_runs() const noexcept;

 private:
  class Buffer;
  class TopRows;
  class SpillFile;
  class Merge;
  struct KeyOrder;

  void spill();

  std::shared_ptr<const Schema> schema_;
  std::unique_ptr<const KeyOrder> order_;
  size_t memory_bytes_;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<TopRows> top_;
  std::unique_ptr<SpillFile> file_;
  std::unique_ptr<Merge> merge_;
  std::vector<std::pair<uint64_t, uint64_t>> runs_;  // [begin, end) in file_, in input order
  bool loaded_ = false;
};

}  // namespace polydb
