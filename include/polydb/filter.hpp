#pragma once

/// Scan filters: a small expression tree (column op literal, combined with
/// and/or/not) that connectors translate into their native dialect. A
/// connector that cannot push a filter still honours it: readers evaluate
/// what was not pushed with `evaluate()` below.

#include <optional>
#include <string>
#include <vector>

#include "polydb/batch.hpp"
#include "polydb/value.hpp"

namespace polydb {

enum class CompareOp { eq, ne, lt, le, gt, ge, in, is_null, is_not_null };

/// "=", "<>", "<", "<=", ">", ">=", "IN", "IS NULL", "IS NOT NULL".
std::string_view to_sql(CompareOp op) noexcept;

/// A filter expression. Leaves compare a column with literal(s); inner nodes
/// combine children. SQL three-valued logic: a comparison with NULL is unknown
/// and an unknown row is not returned.
struct Filter {
  enum class Kind { compare, all_of, any_of, negate };

  Kind kind = Kind::compare;
  std::string column;  ///< compare: the column name
  CompareOp op = CompareOp::eq;
  std::vector<Value> values;     ///< compare: one literal (IN: any number; IS [NOT] NULL: none)
  std::vector<Filter> children;  ///< all_of / any_of / negate (one child)

  static Filter compare(std::string column, CompareOp op, Value v);
  static Filter in(std::string column, std::vector<Value> values);
  static Filter is_null(std::string column, bool negated = false);
  static Filter all_of(std::vector<Filter> children);
  static Filter any_of(std::vector<Filter> children);
  static Filter negate(Filter child);

  /// Human-readable SQL-like text for EXPLAIN and logs (literals shown).
  std::string to_string() const;
  /// Names of every column the filter reads.
  std::vector<std::string> columns() const;
};

/// Parses the CLI's `--where` mini-language: `col OP literal` joined by AND/OR
/// with parentheses, NOT, `col IN (a, b)`, `col IS [NOT] NULL`; literals are
/// numbers, 'quoted strings', true/false, NULL. Throws Error(invalid_argument).
Filter parse_filter(std::string_view text);

/// Evaluates `filter` on each row of `batch` and returns a batch with the rows
/// for which it is true (a new batch; the input is left as is). Comparisons
/// coerce numeric types (int64/float64/decimal) and compare strings by the
/// column's Field::collation (bytewise, or ignoring trailing blanks for char(n)).
/// Throws Error(not_found) when a column is missing from the batch.
Batch apply_filter(const Filter& filter, const Batch& batch);

}  // namespace polydb
