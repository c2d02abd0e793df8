#pragma once

// How rows become Cosmos DB documents (docs/cosmos.md): each column a
// property (NULL cells omitted), values converted to the JSON kind an
// existing property already has, the properties of the catch-all `_extra`
// column merged in, and the id from the "id" column, else the key columns
// (item_id()), else random. Shared by the bulk writer and the change writer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/cosmos/connection.hpp"
#include "polydb/batch.hpp"

namespace polydb::cosmos {

/// The partition key values of a document, one per path ({} for a missing
/// value, as the SDKs send them): the x-ms-documentdb-partitionkey header.
Json partition_values(const Json& doc, const PartitionKey& key);

/// Converts rows of one schema into documents of one container. Immutable
/// after construction.
class DocumentEncoder {
 public:
  /// `source` is the rows' schema; `key_columns` the columns whose texts
  /// make the id when the rows have no "id" column (none: random ids);
  /// `target` the container's existing properties (describe(); an empty
  /// schema for a new container).
  DocumentEncoder(std::string_view table, const Schema& source, std::vector<size_t> key_columns,
                  const Schema& target);

  /// Row `r` as a document with its "id"; `row_number` (1-based) names the
  /// row in errors. Throws Error(type_mismatch) for a value that does not
  /// fit, Error(invalid_argument) for a NULL id or key, a bad `_extra` cell.
  /// With `key_only`, only the id and key columns are read (a remove).
  Json document(const Batch& batch, size_t r, uint64_t row_number, bool key_only = false) const;

  std::optional<size_t> id_column() const noexcept { return id_column_; }

 private:
  void add_extra(Json& doc, std::string_view text, uint64_t row_number) const;

  std::string table_;
  Schema source_;
  std::optional<size_t> extra_;  ///< the catch-all column `_extra`
  std::optional<size_t> id_column_;
  std::vector<size_t> key_columns_;
  std::vector<std::optional<Type>> convert_to_;
};

}  // namespace polydb::cosmos
