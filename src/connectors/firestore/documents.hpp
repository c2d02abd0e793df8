#pragma once

// How rows become Firestore documents (docs/firestore.md): each column a
// field (NULL as nullValue), values converted to the type an existing field
// already has, the fields of the catch-all `_extra` column merged in, and
// the document id from the key columns (joined by '|'), else random. Shared
// by the bulk writer and the change writer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/firestore/api.hpp"
#include "polydb/batch.hpp"

namespace polydb::firestore {

/// Converts rows of one schema into the fields and ids of documents of one
/// collection. Immutable after construction.
class DocumentEncoder {
 public:
  /// `source` is the rows' schema; `key` the columns that make the document
  /// id (none: random ids); `target` the collection's existing fields
  /// (describe(); an empty schema for a new collection). Throws
  /// Error(invalid_argument) for a bad `_extra` column.
  DocumentEncoder(std::string_view table, const Schema& source, std::vector<size_t> key,
                  const Schema& target);

  /// The fields of row `r` (every column but the id columns and `_extra`,
  /// whose fields are merged in: their paths are appended to `extra_paths`
  /// when given). `row_number` (1-based) names the row in errors. Throws
  /// Error(type_mismatch) for a value that does not fit, Error(invalid_argument)
  /// for a bad `_extra` cell.
  Json fields(const Batch& batch, size_t r, uint64_t row_number,
              std::vector<std::string>* extra_paths = nullptr) const;
  /// The document id of row `r`: the key columns' texts joined by '|', a
  /// random id from `rng` without key columns. Throws Error(invalid_argument)
  /// for a NULL key cell or an id Firestore refuses.
  std::string document_id(const Batch& batch, size_t r, uint64_t row_number,
                          std::mt19937_64& rng) const;
  /// The field paths of the written columns (an update mask).
  const std::vector<std::string>& mask() const noexcept { return mask_; }

 private:
  std::vector<std::string> add_extra(Json& fields, std::string_view text,
                                     uint64_t row_number) const;

  std::string table_;
  Schema source_;
  std::vector<size_t> key_;
  std::optional<size_t> extra_;  ///< the catch-all column `_extra`
  std::vector<size_t> written_;
  std::vector<std::string> mask_;
  std::vector<std::optional<Type>> convert_to_;
};

}  // namespace polydb::firestore
