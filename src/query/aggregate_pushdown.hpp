#pragma once

// Aggregate pushdown: a SELECT whose FROM is one remote table and whose
// result is aggregates (sum/count/avg/min/max, with or without GROUP BY) is
// rewritten to read a virtual table that the backend computes with one
// aggregate query (ScanSpec::aggregates), instead of sending every row to
// SQLite to be added up there.
//
//   SELECT g, sum(a * b) AS s FROM pg.t WHERE x < 5 GROUP BY g HAVING count(*) > 1
// becomes
//   SELECT g, "t"."polydb_agg_0" AS s FROM "pg"."polydb_agg_7" AS "t"
//   WHERE (x < 5) AND ("t"."polydb_agg_1" > 1)
//
// where the virtual table has the group columns, then the aggregates, then
// the table's other columns HIDDEN: the WHERE conditions on those reach
// xBestIndex as constraints and go to the backend before it groups (a
// condition SQLite could not hand over fails the plan instead of being
// checked on grouped rows). Only what is answered exactly as SQLite would is
// rewritten; anything else (a join, a subquery, LIKE, OR, DISTINCT in an
// aggregate, a window, a float or text argument, a case-insensitive group
// key, ...) leaves the statement as it is.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/type.hpp"

namespace polydb::query {

/// What the rewrite asks of the federation.
struct AggregateHooks {
  /// The schema of `table` of attachment `attachment` when its backend
  /// computes aggregates; nullptr leaves the statement alone.
  std::function<const Schema*(const std::string& attachment, const std::string& table)> table;
  /// The quoted name ("schema"."name") of the virtual table that answers the
  /// aggregates `aggregates` of `table` grouped by `group_by`.
  std::function<std::string(const std::string& attachment, const std::string& table,
                            const std::vector<std::string>& group_by,
                            const std::vector<ScanAggregate>& aggregates)>
      view;
};

/// Rewrites every SELECT of `sql` that can be pushed (see above); returns the
/// text unchanged when none can.
std::string push_aggregates(std::string_view sql, const AggregateHooks& hooks);

/// Whether a column of type `f` may be a pushed GROUP BY key: the backend
/// and SQLite then agree on which values are one group and what they show.
bool groupable(const Field& f);

}  // namespace polydb::query
