#pragma once

/// Columnar batches: the unit in which every reader hands out and every writer
/// takes rows.
///
/// The buffers follow the Apache Arrow columnar format so a batch can be
/// exported through the Arrow C Data Interface without copying:
/// - validity: bitmap, LSB first, bit set = valid; empty when no value is NULL;
/// - boolean: bit-packed values;
/// - fixed-width types (int64, float64, date, time, timestamp[_tz], uuid):
///   little-endian values back to back (`fixed_width(type)` bytes each);
/// - string, bytes, decimal, json: int32 offsets (length + 1) + data bytes.
/// A Batch owns its buffers. Not thread-safe; move it between threads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb {

/// One column of a batch. Appends are amortised O(1); reads are O(1).
class Column {
 public:
  Column() = default;
  explicit Column(Type type) : type_(type) {}

  Type type() const noexcept { return type_; }
  size_t size() const noexcept { return length_; }
  size_t null_count() const noexcept { return null_count_; }
  /// Bytes held by the buffers (capacity not counted).
  size_t byte_size() const noexcept;
  void reserve(size_t rows);
  /// Reserves room for `bytes` of variable-length data (string, bytes,
  /// decimal, json); a no-op for other types.
  void reserve_bytes(size_t bytes);
  /// Bytes of variable-length data held (0 for other types).
  size_t var_bytes() const noexcept { return is_variable_width(type_.id) ? data_.size() : 0; }
  void clear() noexcept;
  /// Keeps the first `rows` values (no-op when rows >= size()).
  void truncate(size_t rows);

  bool is_null(size_t i) const noexcept {
    return !validity_.empty() && !((validity_[i >> 3] >> (i & 7)) & 1);
  }

  // Typed appends: the caller guarantees the type matches (checked in debug
  // builds). append(Value) converts and checks, throwing Error(type_mismatch).
  void append_null();
  void append_bool(bool v);
  void append_int64(int64_t v);
  void append_float64(double v);
  void append_int32_raw(int32_t v);                   ///< date
  void append_fixed(const void* data, size_t width);  ///< any fixed-width type
  void append_var(std::string_view bytes);            ///< string, bytes, decimal, json
  void append(const Value& v);

  bool bool_at(size_t i) const noexcept { return (data_[i >> 3] >> (i & 7)) & 1; }
  int64_t int64_at(size_t i) const noexcept;  ///< int64, time, timestamp, timestamp_tz
  double float64_at(size_t i) const noexcept;
  int32_t int32_at(size_t i) const noexcept;         ///< date
  const uint8_t* fixed_at(size_t i) const noexcept;  ///< uuid and other fixed-width types
  std::string_view var_at(size_t i) const noexcept;  ///< string, bytes, decimal, json
  /// A copy of cell i as a Value (NULL when null).
  Value value_at(size_t i) const;

  // Raw Arrow buffers, for zero-copy export and fast paths.
  std::span<const uint8_t> validity() const noexcept { return validity_; }
  std::span<const uint8_t> data() const noexcept { return data_; }
  std::span<const int32_t> offsets() const noexcept { return offsets_; }

 private:
  void mark_valid();
  void check(TypeId expected) const;

  Type type_;
  size_t length_ = 0;
  size_t null_count_ = 0;
  std::vector<uint8_t> validity_;  // materialised on the first NULL
  std::vector<uint8_t> data_;      // fixed-width values, bits, or var-length bytes
  std::vector<int32_t> offsets_;   // var-length types only
};

/// Rows in columnar form, sharing one schema.
class Batch {
 public:
  Batch() = default;
  explicit Batch(std::shared_ptr<const Schema> schema);

  const Schema& schema() const noexcept { return *schema_; }
  const std::shared_ptr<const Schema>& schema_ptr() const noexcept { return schema_; }
  size_t num_rows() const noexcept { return num_rows_; }
  size_t num_columns() const noexcept { return columns_.size(); }
  Column& column(size_t i) noexcept { return columns_[i]; }
  const Column& column(size_t i) const noexcept { return columns_[i]; }
  /// Bytes held by all column buffers.
  size_t byte_size() const noexcept;

  /// Declares that one row has been appended to every column (fast path for
  /// readers that fill columns directly). Checks column lengths in debug builds.
  void commit_row() noexcept { ++num_rows_; }
  /// Appends a row of Values (converted to the column types; throws
  /// Error(type_mismatch) naming the column).
  void append_row(std::span<const Value> row);
  /// Row i as Values (a copy; for tests, output and parameters).
  std::vector<Value> row(size_t i) const;
  void reserve(size_t rows);
  void clear() noexcept;
  /// Keeps the first `rows` rows.
  void truncate(size_t rows);

 private:
  std::shared_ptr<const Schema> schema_ = std::make_shared<Schema>();
  std::vector<Column> columns_;
  size_t num_rows_ = 0;
};

/// The sizes of a reader's previous batch, so that the next one is allocated
/// once instead of regrowing (and copying) every buffer as rows arrive:
/// reserve() each new batch, record() each filled one.
class BatchSizeHint {
 public:
  /// Reserves room for as many rows as the recorded batch held (at most
  /// `max_rows`; 1024 before the first record()) and, per variable-length
  /// column, its bytes per row (plus an eighth).
  void reserve(Batch& batch, size_t max_rows) const;
  void record(const Batch& batch);

 private:
  size_t rows_ = 0;
  std::vector<size_t> var_bytes_;
};

}  // namespace polydb
