#pragma once

// Table names in federated SQL.
//
// An attached connection is a SQLite schema: its tables are `name.table`.
// Backends with schemas add a level, `name.schema.table`, which SQLite
// cannot parse; rewrite_three_part_names() turns such names in FROM/JOIN
// position into `name."schema.table"` before SQLite sees the statement.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace polydb::query {

/// Rewrites `a.b.c` table references (after FROM, JOIN or a comma of a FROM
/// list) whose first part satisfies `is_attached` into `a."b.c"`. Strings,
/// quoted identifiers and comments are left alone.
std::string rewrite_three_part_names(std::string_view sql,
                                     const std::function<bool(std::string_view)>& is_attached);

/// Rewrites `EXISTS (SELECT * ...)` (and `SELECT DISTINCT *`, `SELECT ALL *`)
/// into `EXISTS (SELECT 1 ...)`: the same answer (EXISTS asks for a row, not
/// its columns), but SQLite then names no column of the subquery's tables
/// that its conditions do not use, so only those columns are read.
std::string rewrite_exists_star(std::string_view sql);

/// The schema and table of a SQLite "no such table: s.t" message.
struct MissingTable {
  std::string schema;
  std::string table;
};
std::optional<MissingTable> parse_missing_table(std::string_view sqlite_message);

/// `"text"` with inner quotes doubled.
std::string quote_identifier(std::string_view name);

/// True for names that can be attached: [A-Za-z_][A-Za-z0-9_]*, not "main"
/// or "temp" (SQLite's own schemas).
bool valid_attach_name(std::string_view name);

}  // namespace polydb::query
