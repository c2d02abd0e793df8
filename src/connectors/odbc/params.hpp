#pragma once

// Parameter arrays: columns of a batch bound column-wise to a prepared
// statement's `?` placeholders (SQL_ATTR_PARAMSET_SIZE rows per SQLExecute).

#include <sql.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "connectors/odbc/dialect.hpp"
#include "polydb/batch.hpp"
#include "polydb/value.hpp"

namespace polydb::odbc {

/// Whether the DBMS finds two keys of type `id` equal exactly when polydb
/// does (bytewise; not decimals, floats with -0 = 0, or JSON). Only such keys
/// go several rows to one upsert statement, where polydb makes sure that no
/// statement meets a key twice.
inline bool bytewise_equality(TypeId id) {
  return id != TypeId::decimal && id != TypeId::float64 && id != TypeId::json &&
         id != TypeId::null;
}

/// The buffers behind one SQLBindParameter per column, for rows
/// [first, first + count) of the given columns. Movable, not copyable; the
/// statement must be executed before the ParamArrays is changed or destroyed.
class ParamArrays {
 public:
  /// Bytes of parameter buffers one execution may use; rows are split to fit.
  static constexpr size_t kMaxBytes = 32u << 20;

  /// How many rows from `first` fit in kMaxBytes (at least one).
  static size_t rows_that_fit(std::span<const Column* const> columns, const Dialect& dialect,
                              size_t first, size_t available);

  /// Fills the buffers from rows [first, first + count) of `columns` (each
  /// already of the target column's type) and binds them to `stmt`, whose
  /// statement takes `per_set` rows (`per_set` × columns placeholders, row
  /// by row: a multi-row VALUES list), with PARAMSET_SIZE = count / per_set
  /// (`count` must be a multiple of `per_set`). Throws Error(type_mismatch)
  /// for NaN/Infinity where the dialect cannot store them, and ODBC errors
  /// from binding.
  void bind(SQLHSTMT stmt, std::span<const Column* const> columns, const Dialect& dialect,
            size_t first, size_t count, size_t per_set = 1);

  /// Per-set status after SQLExecute (SQL_PARAM_SUCCESS, SQL_PARAM_ERROR, ...).
  std::span<const SQLUSMALLINT> status() const noexcept { return status_; }
  SQLULEN processed() const noexcept { return processed_; }

 private:
  struct Buffer {
    std::vector<char> data;
    std::vector<SQLLEN> indicator;
  };
  std::vector<Buffer> buffers_;
  std::vector<SQLUSMALLINT> status_;
  SQLULEN processed_ = 0;
};

/// Binds `values` (one row) as parameters: query() and execute() parameters
/// and pushed-down filter literals. Keeps the storage alive like ParamArrays.
class ValueParams {
 public:
  void bind(SQLHSTMT stmt, std::span<const Value> values, const Dialect& dialect);

 private:
  std::vector<Column> columns_;
  ParamArrays arrays_;
};

}  // namespace polydb::odbc
