#pragma once

// How rows become DynamoDB items (docs/dynamodb.md): each column an
// attribute (NULL cells omitted), values converted to the type an existing
// attribute already has, the URL's sets= columns as SS/NS/BS, and the
// attributes of the catch-all `_extra` column merged into the item. Shared by
// the bulk writer and the change writer.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/types.hpp"
#include "polydb/batch.hpp"

namespace polydb::dynamodb {

/// Converts rows of one schema into items of one table. Immutable after
/// construction: may be shared by threads.
class ItemEncoder {
 public:
  /// `source` is the rows' schema, `keys` the table's key schema, `target`
  /// the table's existing attributes (describe(); an empty schema for a new
  /// table). Throws Error(invalid_argument): the rows lack a key attribute,
  /// sets= names a key, a missing column or a column that cannot hold a set.
  ItemEncoder(const DynamoOptions& options, std::string_view table, const Schema& source,
              const KeySchema& keys, const Schema& target);

  /// Row `r` of `batch` as an item; `row_number` (1-based) names the row in
  /// errors. Throws Error(type_mismatch) for a value that does not fit, and
  /// Error(invalid_argument) for a NULL key or a bad `_extra` cell.
  Json item(const Batch& batch, size_t r, uint64_t row_number) const;
  /// The key attributes of row `r` only (the other cells are not read).
  /// Throws as item() does.
  Json key(const Batch& batch, size_t r, uint64_t row_number) const;

  /// The table's key attributes: partition, then sort if any.
  const std::vector<std::string>& key_names() const noexcept { return key_names_; }

 private:
  std::optional<Json> attribute(const Batch& batch, size_t c, size_t r,
                                uint64_t row_number) const;
  void add_extra(Json& item, std::string_view text, uint64_t row_number) const;
  void check_key(const Json& item, uint64_t row_number) const;

  std::string table_;
  std::vector<std::string> key_names_;
  std::vector<std::string> names_;
  std::vector<std::optional<Type>> convert_to_;
  std::vector<std::optional<SetType>> set_types_;  ///< per column: written as a set
  std::optional<size_t> extra_;                    ///< the catch-all column `_extra`
  std::map<std::string, SetType> extra_sets_;      ///< sets= attributes inside it
};

}  // namespace polydb::dynamodb
