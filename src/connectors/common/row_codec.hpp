#pragma once
// A compact binary form of Batch rows, for temporary files that polydb writes
// and reads back itself (the spill runs of connectors/common/local_rows' LocalSort). Not a
// storage or exchange format: values are in the machine's byte order and the
// reader must know the column types. Private to polydb.
//
// One encoded row: its payload length (LEB128 varint), then the payload: a
// NULL bitmap (one bit per column, set = NULL), then each non-NULL value in
// column order: boolean 1 byte; fixed-width types (int64, float64, date, time,
// timestamp[_tz], uuid) their Arrow bytes; string, bytes, decimal and json a
// varint length and the bytes; a column of type null nothing.

#include <cstddef>
#include <string>
#include <string_view>

#include "polydb/batch.hpp"

namespace polydb {

/// Appends row `row` of `batch` (every column) to `out`.
void encode_row(const Batch& batch, size_t row, std::string& out);

/// Size of the first encoded row of `in`, prefix included; 0 when `in` does
/// not hold all of it yet. Throws Error(corruption) for a malformed prefix.
size_t encoded_row_size(std::string_view in);

/// Appends the first encoded row of `in` (encoded from a batch whose columns
/// had the types of `out`'s) as a new row of `out`, and returns the bytes it
/// took. Throws Error(corruption) when `in` is truncated or malformed.
size_t decode_row(std::string_view in, Batch& out);

/// Appends cell `row` of `in` to `out`, which has the same type.
void append_cell(Column& out, const Column& in, size_t row);

}  // namespace polydb
