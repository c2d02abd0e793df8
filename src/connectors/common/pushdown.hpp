#pragma once

// What every SQL connector does the same way when it plans a scan: pick the
// projected columns, turn the filter tree into SQL through a backend-specific
// leaf renderer, keep what cannot be pushed as a residual filter that polydb
// evaluates, and split key ranges for partitioned scans. Backends differ only
// in how one comparison is written (quoting, literals, placeholders) and in
// which comparisons they evaluate exactly like polydb.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/filter.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb {

/// Renders one comparison (Filter::Kind::compare) in the backend's SQL, or
/// std::nullopt when the backend would not evaluate it exactly as polydb does.
/// It may append literals to the parameter vector it was built with.
using LeafToSql = std::function<std::optional<std::string>(const Filter& leaf)>;

/// Renders a whole filter tree (AND/OR/NOT around leaves); std::nullopt when
/// any leaf cannot be pushed.
std::optional<std::string> filter_to_sql(const Filter& filter, const LeafToSql& leaf);

/// The conjuncts of a filter split by what the backend can evaluate.
struct FilterPushdown {
  std::vector<std::string> sql;     ///< pushed conjuncts, to be joined with AND
  std::optional<Filter> residual;   ///< the rest, evaluated by polydb
};

/// Tries each top-level conjunct of `filter` with filter_to_sql(). When a
/// conjunct cannot be pushed, `params` (may be null) is cut back to its size
/// before that conjunct, so bound parameters never go out of step.
FilterPushdown push_conjuncts(const Filter& filter, const LeafToSql& leaf,
                              std::vector<Value>* params = nullptr);

/// The fields of `full` named by `columns` (all when empty), in that order,
/// with the primary-key columns among them. Throws Error(not_found).
Schema project(const Schema& full, std::span<const std::string> columns);

/// Throws Error(invalid_argument) when the residual filter reads a column
/// that the projection dropped (polydb could not evaluate it).
void check_residual_columns(const std::optional<Filter>& residual, const Schema& projected);

/// How a SQL backend writes what differs in an aggregate scan.
struct AggregateDialect {
  std::function<std::string(std::string_view)> quote;  ///< an identifier
  /// avg()'s argument as the backend must see it to average in floating
  /// point as polydb does (MySQL rounds an avg of decimals to 4 more digits).
  std::function<std::string(const std::string&)> avg_argument;
  /// An integer column in arithmetic, widened to 64 bits where the backend
  /// would compute in its narrower type (PostgreSQL's integer overflows at
  /// 2^31). Unset: the column as it is.
  std::function<std::string(const std::string&)> integer_column;
};

/// The statement of an aggregate scan (ScanSpec::aggregates) of `table` (as
/// the backend quotes it): `SELECT <group columns>, <aggregates> FROM table
/// WHERE <where> GROUP BY <group columns>`. Throws Error(unsupported) when
/// `residual` is set (polydb cannot filter rows the backend has grouped) or
/// the spec asks for columns, order, limit or partitions too;
/// Error(not_found) for an unknown column.
std::string aggregate_sql(const ScanSpec& spec, const Schema& full, std::string_view table,
                          const std::vector<std::string>& where,
                          const std::optional<Filter>& residual, const AggregateDialect& dialect);

/// Wraps the reader of an aggregate scan's statement so that its batches
/// have the types ScanAggregate::result_type promises (and the group columns
/// the table's types), whatever the backend made of them.
std::unique_ptr<BatchReader> aggregate_reader(std::unique_ptr<BatchReader> inner,
                                              const ScanSpec& spec, const Schema& full);

/// Throws Error(invalid_argument) for a partition that does not exist.
void check_partition(const ScanSpec::Partition& partition);

/// Throws Error(unsupported) when `spec` asks to continue from a resume point
/// (ScanSpec::resume_from): for the scan() of backends without
/// Capabilities::resume_points. `backend` names it in the message.
void refuse_resume_from(const ScanSpec& spec, std::string_view backend);

/// The first key of part `k` of `count` near-equal parts of [lo, hi], for
/// `k` in [0, count). Exact at the int64 extremes (no overflow).
int64_t range_split(int64_t lo, int64_t hi, uint32_t k, uint32_t count) noexcept;

}  // namespace polydb
