#pragma once

// Join pushdown: tables of one SQL attachment that a SELECT joins with
// inner-join equalities are read as one virtual table (a "join view") whose
// backend runs the join as one native query, instead of SQLite reading each
// table and joining them itself.
//
//   SELECT c.name, o.total FROM pg.orders o JOIN pg.lines l ON l.order_id = o.id
//     JOIN my.customers c ON c.id = o.customer_id WHERE l.qty > 5
// becomes
//   SELECT c.name, "polydb_join_3"."total" FROM "pg"."polydb_join_3" AS "polydb_join_3",
//     my.customers c WHERE ("polydb_join_3"."order_id" = "polydb_join_3"."id")
//     AND (c.id = "polydb_join_3"."customer_id") AND ("polydb_join_3"."qty" > 5)
//
// The join view has every column of its member tables (under the column's
// own name where no other member has it, else `alias.column`): SQLite's
// planner asks it for the columns it uses and hands it the conditions on
// them (pushed as they are pushed for a single table), so the backend runs
// `SELECT <used columns> FROM (SELECT * FROM orders WHERE ...) t0 JOIN
// (SELECT * FROM lines WHERE qty > 5) t1 ON t1.order_id = t0.id`. The join
// equalities stay in the WHERE: SQLite checks them again on the rows the
// backend sends, with the columns' own collations, so only rows SQLite
// itself would have joined survive.
//
// Only what is exact is rewritten: inner joins (comma lists, [INNER] JOIN
// ... ON), equalities `a.x = b.y` between columns of one type and one
// collation (integers, decimals, dates, timestamps, booleans, text),
// conjuncts of a WHERE or ON without OR at its top. Left, right, full,
// natural and cross joins, USING, `SELECT *` or `t.*` in that SELECT, an
// alias used again by a nested query, and anything the rewrite cannot read
// leave the statement as it is.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/type.hpp"

namespace polydb::query {

/// The tables and equalities of one join view.
struct JoinSpec {
  struct Member {
    std::string table;  ///< as the connector names it
    std::string alias;  ///< as the query named it (for EXPLAIN)
  };
  /// One column of the view: `column` of member `member`, called `name`.
  struct Column {
    size_t member = 0;
    std::string column;
    std::string name;
  };
  /// `left.left_column = right.right_column`.
  struct Condition {
    size_t left = 0;
    std::string left_column;
    size_t right = 0;
    std::string right_column;
  };
  std::vector<Member> members;
  std::vector<Column> columns;  ///< every column of every member, member by member
  std::vector<Condition> conditions;
  /// A text that identifies the view: same text, same view.
  std::string key() const;
};

/// What the rewrite asks of the federation.
struct JoinHooks {
  /// The schema of `table` of attachment `attachment`, with whether its
  /// backend runs join views; nullptr for a name that is no attached table
  /// (a CTE, a view the federation made).
  struct Table {
    const Schema* schema = nullptr;
    bool joins = false;
    /// A SQLite file: its dates and times are text (two spellings of one
    /// instant would not join there, while polydb compares the values they
    /// name), and SQLite 3.40's automatic indexes lose rows of joins on
    /// `COLLATE RTRIM` keys ('X  ' = 'X ' is true, yet the join drops the
    /// pair): such keys are not pushed there.
    bool sqlite_file = false;
  };
  std::function<Table(const std::string& attachment, const std::string& table)> table;
  /// The unquoted name of the virtual table of attachment `attachment` that
  /// answers `spec`.
  std::function<std::string(const std::string& attachment, const JoinSpec& spec)> view;
};

/// Rewrites every SELECT of `sql` whose joins can be pushed (see above);
/// returns the text unchanged when none can.
std::string push_joins(std::string_view sql, const JoinHooks& hooks);

/// Whether an equality between columns `a` and `b` gives the same rows in
/// the backend and in SQLite: same type (not float, json, bytes), same
/// collation.
bool joinable(const Field& a, const Field& b);

}  // namespace polydb::query
