#pragma once

// The backend side of a join view (query/join_pushdown.hpp): one native
// query that joins the member tables, with each member's conditions pushed
// exactly as a scan of that table pushes them (the connector's own
// rendering: char(n), collations, NaN, dates), the rest evaluated by polydb.

#include <memory>
#include <optional>
#include <string>

#include "polydb/connection.hpp"
#include "query/join_pushdown.hpp"

namespace polydb::query {

/// A LIKE condition on a join view's column travels in the scan's filter as
/// Filter::compare(like_column(name), eq, pattern). It only narrows what the
/// backend sends (SQLite checks LIKE on every row itself): scan_join() sends
/// a superset of its matches where it can (PostgreSQL) and drops it elsewhere.
std::string like_column(std::string_view column);
/// The column of a like_column() name, or nullopt for any other name.
std::optional<std::string> liked_column(std::string_view name);

/// Whether `conn`'s backend runs join views: PostgreSQL, MariaDB/MySQL and
/// SQLite files (not ODBC, not the document stores).
bool runs_join_views(const Connection& conn);

/// Reads the join `join` with `spec` over the view's columns (`view`: the
/// member columns under JoinSpec::Column::name, in order): `spec.columns`
/// projected, `spec.filter` pushed per member where the backend evaluates it
/// exactly, the rest applied to the rows received, `spec.limit` when all of
/// the filter was pushed. Batches have `view`'s types. Throws
/// Error(unsupported) for a backend without join views or a spec with an
/// order, aggregates or partitions; otherwise what Connection::query throws.
std::unique_ptr<BatchReader> scan_join(Connection& conn, const JoinSpec& join, const Schema& view,
                                       const ScanSpec& spec);

}  // namespace polydb::query
